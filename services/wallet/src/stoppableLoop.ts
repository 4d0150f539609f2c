/**
 * A background loop that can be stopped: `start` runs its body, `pause` waits
 * between rounds, and `stop` ends a pause early, then waits for the body to
 * return (it returns once it sees `stopped`).
 */
export class StoppableLoop {
  private stopping = false;
  private running?: Promise<void>;
  private wake?: () => void;

  get stopped(): boolean {
    return this.stopping;
  }

  start(body: () => Promise<void>): void {
    this.running = body();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
  }

  /** Waits ms (without keeping the process alive), or until stop(). */
  pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = resolve;
      setTimeout(resolve, ms).unref();
    });
  }

  /**
   * Starts a loop that runs `round` every intervalMs until stopped; a round
   * that throws is passed to onError and the loop goes on.
   */
  every(intervalMs: number, round: () => Promise<void>, onError: (err: unknown) => void): void {
    this.start(async () => {
      while (!this.stopped) {
        try {
          await round();
        } catch (err) {
          onError(err);
        }
        if (!this.stopped) await this.pause(intervalMs);
      }
    });
  }
}
