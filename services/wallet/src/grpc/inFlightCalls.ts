/** Counts unary calls being handled, so shutdown can wait for exactly those. */
export class InFlightCalls {
  private count = 0;
  private waiters: Array<() => void> = [];

  /** Unary calls being handled now. */
  get size(): number {
    return this.count;
  }

  begin(): void {
    this.count++;
  }

  end(): void {
    this.count--;
    if (this.count === 0) for (const wake of this.waiters.splice(0)) wake();
  }

  /** Resolves when no call is in flight. */
  idle(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
}
