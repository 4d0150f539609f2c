import type { Logger } from "pino";
import { Counter, type Registry } from "prom-client";
import type { Ledger } from "./ledger.js";
import { StoppableLoop } from "./stoppableLoop.js";

/** Holds ended per store call: short transactions, few rows locked at a time. */
const EXPIRY_BATCH = 500;

/**
 * Ends holds past their expiry without waiting for a request to find them: every
 * `intervalMs`, batch after batch until none is due. Every replica sweeps; the store
 * ends each hold once (rows another replica holds are skipped). The events go to the
 * relay like any other commit's. Failures (store down) are logged and retried next round.
 */
export class HoldExpiry {
  private readonly loop = new StoppableLoop();
  private failedRounds = 0;
  private readonly expired: Counter;

  constructor(
    private readonly ledger: Ledger,
    private readonly logger: Logger,
    registry: Registry,
    private readonly intervalMs: number,
  ) {
    this.expired = new Counter({
      name: "holds_expired_total",
      help: "Holds this replica ended as EXPIRED because their expiry passed",
      registers: [registry],
    });
  }

  /** Starts sweeping; an interval of 0 disables it (captures and voids still expire due holds they find). */
  start(): void {
    if (this.intervalMs > 0) {
      this.loop.every(
        this.intervalMs,
        () => this.round(),
        (err) => {
          // Store unreachable: at most one line per 30 failed rounds while it lasts.
          if (this.failedRounds++ % 30 === 0) this.logger.warn({ err }, "hold expiry round failed");
        },
      );
    }
  }

  /** Stops after the batch in progress, if any; call before the store closes. */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Batch after batch until none is due. */
  private async round(): Promise<void> {
    while (!this.loop.stopped) {
      const ended = await this.ledger.expireDueHolds(EXPIRY_BATCH);
      this.expired.inc(ended);
      if (ended < EXPIRY_BATCH) break;
    }
    this.failedRounds = 0;
  }
}
