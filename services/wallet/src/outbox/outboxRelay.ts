import type { Logger } from "pino";
import type { OutboxEvent } from "../domain/model.js";
import type { CommittedEventSink } from "../ledger.js";
import type { WalletStore } from "../store/port.js";
import { AckPublisher } from "./ackPublisher.js";
import { ClaimsRelay } from "./claimsRelay.js";
import { LogRelay } from "./logRelay.js";
import type { NatsLink } from "./natsLink.js";
import type { OutboxMetrics } from "./outboxMetrics.js";
import { OutboxPruner } from "./pruner.js";

export interface RelayOptions {
  sweepIntervalMs: number;
  batchSize: number;
  /** Claims: rows younger than this are left to the immediate path. */
  minAgeMs: number;
  /** Claims: how long a claimed row is reserved for the replica that claimed it. */
  leaseMs: number;
  /** Log: how long the cursor stays with a replica that stops renewing it (failover time). */
  cursorLeaseMs: number;
  /** Published rows are deleted once they are older than this. */
  retentionMs: number;
  /** How often a replica looks for rows to prune. */
  pruneIntervalMs: number;
}

/** What both kinds of relay publish and report with. */
export interface RelayContext {
  link: NatsLink;
  publisher: AckPublisher;
  logger: Logger;
  metrics: OutboxMetrics;
  options: RelayOptions;
}

export interface Relay extends CommittedEventSink {
  start(): void;
  stop(): Promise<void>;
}

/** A PubAck not received within this is a failed publish (retried later). */
const PUBLISH_TIMEOUT_MS = 5000;

/**
 * Publishes outbox events to JetStream and prunes published rows. How it tracks
 * what is published depends on the store: a cursor over the outbox log
 * (PostgreSQL, LogRelay) or a flag per row (MongoDB, ClaimsRelay).
 */
export class OutboxRelay implements Relay {
  private readonly publisher = new AckPublisher(PUBLISH_TIMEOUT_MS);
  private readonly relay: Relay;
  private readonly pruner: OutboxPruner;

  constructor(
    store: WalletStore,
    link: NatsLink,
    logger: Logger,
    metrics: OutboxMetrics,
    options: RelayOptions,
  ) {
    const outbox = store.outbox;
    const ctx: RelayContext = { link, publisher: this.publisher, logger, metrics, options };
    this.relay = outbox.kind === "log" ? new LogRelay(outbox, ctx) : new ClaimsRelay(outbox, ctx);
    this.pruner = new OutboxPruner(store, logger, metrics, options.retentionMs, options.pruneIntervalMs);
  }

  committed(events: OutboxEvent[]): void {
    this.relay.committed(events);
  }

  start(): void {
    this.relay.start();
    this.pruner.start();
  }

  /** Stops publishing (in-flight publishes finish and are recorded) and pruning. */
  async stop(): Promise<void> {
    await Promise.all([this.relay.stop(), this.pruner.stop()]);
    this.publisher.close();
  }
}
