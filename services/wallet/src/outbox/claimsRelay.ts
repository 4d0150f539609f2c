import type { OutboxEvent } from "../domain/model.js";
import { StoppableLoop } from "../stoppableLoop.js";
import type { OutboxClaims } from "../store/port.js";
import { eventCommittedAt } from "./eventCodec.js";
import type { Relay, RelayContext } from "./outboxRelay.js";

const MAX_IN_FLIGHT = 2048;

/**
 * Relay for a store with a publish flag per row (MongoDB): publishes right after
 * commit (immediate path) and from a sweeper that claims rows left unpublished by
 * a crash or a NATS outage. A row is marked published only after its PubAck, in
 * batches; a row published twice is dropped by the stream's duplicate window
 * (Nats-Msg-Id = event id) and by consumers keyed on the event id.
 */
export class ClaimsRelay implements Relay {
  private acked: string[] = [];
  private flushTimer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private readonly loop = new StoppableLoop();

  constructor(
    private readonly claims: OutboxClaims,
    private readonly ctx: RelayContext,
  ) {}

  committed(events: OutboxEvent[]): void {
    if (this.loop.stopped || this.ctx.publisher.inFlight >= MAX_IN_FLIGHT) return;
    for (const event of events) this.publish(event, () => {});
  }

  start(): void {
    this.loop.start(() => this.sweepLoop());
  }

  /** Stops sweeping, lets in-flight publishes finish, and records their acks. */
  async stop(): Promise<void> {
    await this.loop.stop();
    await this.ctx.publisher.settled();
    await this.flush();
  }

  /** `done(true)` after the PubAck (the event is then queued for marking), `done(false)` otherwise. */
  private publish(event: OutboxEvent, done: (ok: boolean) => void): void {
    const nc = this.ctx.link.connection();
    if (!nc) {
      done(false);
      return;
    }
    this.ctx.publisher.publish(nc, event, (ok, duplicate) => {
      if (ok) {
        this.ctx.metrics.published.inc({ duplicate: String(duplicate) });
        this.ctx.metrics.commitToAck.observe((Date.now() - eventCommittedAt(event).getTime()) / 1000);
        this.acked.push(event.eventId);
        this.scheduleFlush();
      } else {
        this.ctx.metrics.publishFailures.inc();
        this.ctx.logger.warn({ eventId: event.eventId }, "event publish failed, left for the sweeper");
      }
      done(ok);
    });
  }

  private scheduleFlush(): void {
    if (this.acked.length >= 256) {
      void this.flush();
    } else if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => void this.flush(), 25);
    }
  }

  /** Marks acked rows published, in batches; serialised so batches never interleave. */
  private flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const ids = this.acked.splice(0);
    if (ids.length === 0) return this.flushing;
    this.flushing = this.flushing.then(() =>
      this.claims.markPublished(ids).catch((err: unknown) => {
        // Not fatal: the sweeper will publish these again and the duplicate is dropped.
        this.ctx.logger.warn({ err, count: ids.length }, "could not mark events published");
      }),
    );
    return this.flushing;
  }

  private async sweepLoop(): Promise<void> {
    while (!this.loop.stopped) {
      let full = false;
      if (this.ctx.link.connection()) {
        try {
          const { batchSize, minAgeMs, leaseMs } = this.ctx.options;
          const batch = await this.claims.claimUnpublished(batchSize, minAgeMs, leaseMs);
          if (batch.length > 0) {
            const results = await Promise.all(
              batch.map((e) => new Promise<boolean>((resolve) => this.publish(e, resolve))),
            );
            const failed = results.filter((ok) => !ok).length;
            this.ctx.metrics.swept.inc(results.length - failed);
            if (failed > 0)
              this.ctx.logger.warn({ failed }, "event publishes failed, left for the next sweep");
            await this.flush();
          }
          full = batch.length === batchSize;
        } catch (err) {
          this.ctx.logger.warn({ err }, "outbox sweep failed");
        }
      }
      if (!full) await this.loop.pause(this.ctx.options.sweepIntervalMs);
    }
  }
}
