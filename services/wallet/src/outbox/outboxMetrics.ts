import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { WalletStore } from "../store/port.js";
import type { NatsLink } from "./natsLink.js";

/** Relay health as Prometheus series: publishes, failures, backlog and NATS connectivity. */
export class OutboxMetrics {
  readonly published: Counter<"duplicate">;
  readonly publishFailures: Counter;
  readonly swept: Counter;
  readonly pruned: Counter;
  readonly cursorHeld: Gauge;
  readonly commitToAck: Histogram;

  constructor(registry: Registry, store: WalletStore, link: NatsLink) {
    this.published = new Counter({
      name: "outbox_events_published_total",
      help: "Events acknowledged by JetStream (duplicate=true when the stream already had it)",
      labelNames: ["duplicate"],
      registers: [registry],
    });
    this.publishFailures = new Counter({
      name: "outbox_publish_failures_total",
      help: "Event publishes that failed and were left for the sweeper",
      registers: [registry],
    });
    this.swept = new Counter({
      name: "outbox_events_swept_total",
      help: "Events published by the sweeper rather than right after commit",
      registers: [registry],
    });
    this.pruned = new Counter({
      name: "outbox_events_pruned_total",
      help: "Published outbox rows deleted after the retention period",
      registers: [registry],
    });
    this.cursorHeld = new Gauge({
      name: "outbox_cursor_held",
      help: "1 while this replica holds the outbox cursor and publishes events (PostgreSQL)",
      registers: [registry],
    });
    this.commitToAck = new Histogram({
      name: "outbox_commit_to_ack_seconds",
      help: "Time from commit to the JetStream PubAck",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: [registry],
    });
    new Gauge({
      name: "outbox_backlog",
      help: "Events committed but not yet published",
      registers: [registry],
      async collect() {
        this.set(await store.countUnpublished().catch(() => -1));
      },
    });
    new Gauge({
      name: "nats_connected",
      help: "1 while the wallet is connected to NATS",
      registers: [registry],
      collect() {
        this.set(link.isConnected() ? 1 : 0);
      },
    });
  }
}
