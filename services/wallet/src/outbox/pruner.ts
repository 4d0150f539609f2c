import type { Logger } from "pino";
import type { WalletStore } from "../store/port.js";
import type { OutboxMetrics } from "./outboxMetrics.js";

/** Rows deleted per statement: short transactions, few locks held at a time. */
const PRUNE_BATCH = 1000;

/**
 * Deletes published rows past the retention period, batch by batch (each its own
 * short statement that skips locked rows), then waits for the next round. Every
 * replica may prune: they skip each other's rows. Independent of NATS.
 */
export class OutboxPruner {
  private stopped = false;
  private running?: Promise<void>;
  private wake?: () => void;

  constructor(
    private readonly store: WalletStore,
    private readonly logger: Logger,
    private readonly metrics: OutboxMetrics,
    private readonly retentionMs: number,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        const createdBefore = new Date(Date.now() - this.retentionMs);
        while (!this.stopped) {
          const deleted = await this.store.pruneOutbox(createdBefore, PRUNE_BATCH);
          this.metrics.pruned.inc(deleted);
          if (deleted < PRUNE_BATCH) break;
          await new Promise((r) => setImmediate(r));
        }
      } catch (err) {
        this.logger.warn({ err }, "outbox prune failed");
      }
      if (!this.stopped)
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          setTimeout(resolve, this.intervalMs).unref();
        });
    }
  }
}
