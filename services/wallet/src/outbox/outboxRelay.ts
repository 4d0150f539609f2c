import { headers } from "@nats-io/transport-node";
import { EVENT_CONTENT_TYPE, REQUEST_ID_HEADER, TRANSACTION_COMMITTED_SUBJECT } from "@wallet/runtime";
import type { Logger } from "pino";
import type { OutboxEvent } from "../domain/model.js";
import type { WalletStore } from "../store/port.js";
import type { CommittedEventSink } from "../walletService.js";
import { encodeEvent } from "./eventCodec.js";
import type { NatsLink } from "./natsLink.js";
import type { OutboxMetrics } from "./outboxMetrics.js";

export interface RelayOptions {
  sweepIntervalMs: number;
  batchSize: number;
  /** Rows younger than this are left to the immediate path. */
  minAgeMs: number;
  /** How long a claimed row is reserved for the replica that claimed it. */
  leaseMs: number;
}

const MAX_IN_FLIGHT = 2048;

/**
 * Publishes outbox events to JetStream: right after commit (immediate path) and
 * from a sweeper that claims rows left unpublished by a crash or a NATS outage.
 * A row is marked published only after its PubAck; a row published twice is
 * dropped by the stream's duplicate window (Nats-Msg-Id = event id) and by
 * consumers keyed on the event id.
 */
export class OutboxRelay implements CommittedEventSink {
  private inFlight = 0;
  private acked: string[] = [];
  private flushTimer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private stopped = false;
  private sweeping?: Promise<void>;
  private wake?: () => void;

  constructor(
    private readonly store: WalletStore,
    private readonly link: NatsLink,
    private readonly logger: Logger,
    private readonly metrics: OutboxMetrics,
    private readonly options: RelayOptions,
  ) {}

  committed(events: OutboxEvent[]): void {
    if (this.stopped || !this.link.client() || this.inFlight >= MAX_IN_FLIGHT) return;
    for (const event of events) void this.publish(event);
  }

  start(): void {
    this.sweeping = this.sweepLoop();
  }

  /** Stops sweeping, lets in-flight publishes finish, and records their acks. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.sweeping;
    for (let i = 0; i < 100 && this.inFlight > 0; i++) await sleep(20);
    await this.flush();
  }

  private async publish(event: OutboxEvent): Promise<boolean> {
    const js = this.link.client();
    if (!js) return false;
    this.inFlight++;
    try {
      const h = headers();
      h.set("Content-Type", EVENT_CONTENT_TYPE);
      if (event.requestId) h.set(REQUEST_ID_HEADER, event.requestId);
      const ack = await js.publish(TRANSACTION_COMMITTED_SUBJECT, encodeEvent(event), {
        msgID: event.eventId,
        headers: h,
      });
      this.metrics.published.inc({ duplicate: String(ack.duplicate) });
      this.metrics.commitToAck.observe((Date.now() - event.transaction.createdAt.getTime()) / 1000);
      this.acked.push(event.eventId);
      this.scheduleFlush();
      return true;
    } catch (err) {
      this.metrics.publishFailures.inc();
      this.logger.warn({ err, eventId: event.eventId }, "event publish failed, left for the sweeper");
      return false;
    } finally {
      this.inFlight--;
    }
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
      this.store.markPublished(ids).catch((err: unknown) => {
        // Not fatal: the sweeper will publish these again and the duplicate is dropped.
        this.logger.warn({ err, count: ids.length }, "could not mark events published");
      }),
    );
    return this.flushing;
  }

  private async sweepLoop(): Promise<void> {
    while (!this.stopped) {
      let full = false;
      if (this.link.client()) {
        try {
          const { batchSize, minAgeMs, leaseMs } = this.options;
          const batch = await this.store.claimUnpublished(batchSize, minAgeMs, leaseMs);
          if (batch.length > 0) {
            const results = await Promise.all(batch.map((e) => this.publish(e)));
            this.metrics.swept.inc(results.filter(Boolean).length);
            await this.flush();
          }
          full = batch.length === batchSize;
        } catch (err) {
          this.logger.warn({ err }, "outbox sweep failed");
        }
      }
      if (!full)
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          setTimeout(resolve, this.options.sweepIntervalMs).unref();
        });
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
