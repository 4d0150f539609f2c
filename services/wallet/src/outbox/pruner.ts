import type { Logger } from "pino";
import { StoppableLoop } from "../stoppableLoop.js";
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
  private readonly loop = new StoppableLoop();

  constructor(
    private readonly store: WalletStore,
    private readonly logger: Logger,
    private readonly metrics: OutboxMetrics,
    private readonly retentionMs: number,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.loop.every(
      this.intervalMs,
      () => this.round(),
      (err) => this.logger.warn({ err }, "outbox prune failed"),
    );
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async round(): Promise<void> {
    const createdBefore = new Date(Date.now() - this.retentionMs);
    while (!this.loop.stopped) {
      const deleted = await this.store.pruneOutbox(createdBefore, PRUNE_BATCH);
      this.metrics.pruned.inc(deleted);
      if (deleted < PRUNE_BATCH) break;
      await new Promise((r) => setImmediate(r));
    }
  }
}
