import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** The notifier's Prometheus series, registered on the service registry. */
export function createNotifierMetrics(registry: Registry) {
  return {
    deliveries: new Counter({
      name: "notifier_deliveries_total",
      help: "Delivery attempts by channel and outcome (delivered, skipped, failed, duplicate = already recorded, in_progress = claimed by another process)",
      labelNames: ["channel", "outcome"] as const,
      registers: [registry],
    }),
    deliveryDuration: new Histogram({
      name: "notifier_delivery_duration_seconds",
      help: "Duration of one delivery attempt by channel",
      labelNames: ["channel"] as const,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    eventLatency: new Histogram({
      name: "notifier_event_latency_seconds",
      help: "Time from the event's arrival in the stream to its ack, across retries",
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
      registers: [registry],
    }),
    redeliveries: new Counter({
      name: "notifier_redeliveries_total",
      help: "Messages received again after an earlier failed or unacknowledged delivery",
      registers: [registry],
    }),
    retries: new Counter({
      name: "notifier_retries_scheduled_total",
      help: "Messages negatively acknowledged with a backoff delay",
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: "notifier_dead_letters_total",
      help: "Messages moved to the dead-letter stream, by cause (undecodable, max_deliver, poison)",
      labelNames: ["cause"] as const,
      registers: [registry],
    }),
    deadLetterFailures: new Counter({
      name: "notifier_dead_letter_failures_total",
      help: "Dead letters that could not be published; the message is handed back and dead-lettered on a later delivery",
      registers: [registry],
    }),
    advisories: new Counter({
      name: "notifier_consumer_advisories_total",
      help: "JetStream advisories about the notifier's consumer: max_deliveries (the server gave up on a message: must stay 0), msg_terminated (a message was dead-lettered)",
      labelNames: ["kind"] as const,
      registers: [registry],
    }),
    consumerPending: new Gauge({
      name: "notifier_consumer_pending_messages",
      help: "Messages in the stream not yet delivered to the consumer (num_pending)",
      registers: [registry],
    }),
    consumerAckPending: new Gauge({
      name: "notifier_consumer_ack_pending_messages",
      help: "Messages delivered but not yet acknowledged (num_ack_pending)",
      registers: [registry],
    }),
  };
}

export type NotifierMetrics = ReturnType<typeof createNotifierMetrics>;
