import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
} from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { EVENTS_STREAM, TRANSACTION_COMMITTED_SUBJECT } from "@wallet/runtime";

/** Creates the durable pull consumer, or brings an existing one to the configured limits. */
export async function ensureNotifierConsumer(
  jsm: JetStreamManager,
  opts: { name: string; maxDeliver: number; ackWaitMs: number; maxAckPending: number },
): Promise<void> {
  const limits = {
    description: "notifier: TransactionCommitted -> webhook, email, log",
    ack_wait: nanos(opts.ackWaitMs),
    max_deliver: opts.maxDeliver,
    max_ack_pending: opts.maxAckPending,
  };
  try {
    await jsm.consumers.info(EVENTS_STREAM, opts.name);
    await jsm.consumers.update(EVENTS_STREAM, opts.name, limits);
  } catch (err) {
    if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound)) throw err;
    await jsm.consumers.add(EVENTS_STREAM, {
      ...limits,
      durable_name: opts.name,
      filter_subject: TRANSACTION_COMMITTED_SUBJECT,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
    });
  }
}
