import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
} from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { EVENTS_STREAM, TRANSACTION_COMMITTED_SUBJECT } from "@wallet/runtime";

/**
 * Creates the durable pull consumer, or brings an existing one (e.g. created by an
 * earlier version with `max_deliver` 6 and a 70 s ack wait) to the current settings.
 *
 * `max_deliver` is -1 (unlimited): the server never gives up on a message, because a
 * delivery it counts may never have reached the notifier (a stalled link, a crash, a
 * NATS restart). The notifier counts failed attempts itself and dead-letters.
 */
export async function ensureNotifierConsumer(
  jsm: JetStreamManager,
  opts: { name: string; ackWaitMs: number; maxAckPending: number },
): Promise<void> {
  const limits = {
    description: "notifier: TransactionCommitted -> webhook, email, log",
    ack_wait: nanos(opts.ackWaitMs),
    max_deliver: -1,
    max_ack_pending: opts.maxAckPending,
  };
  try {
    const info = await jsm.consumers.info(EVENTS_STREAM, opts.name);
    const c = info.config;
    if (
      c.ack_wait === limits.ack_wait &&
      c.max_deliver === limits.max_deliver &&
      c.max_ack_pending === limits.max_ack_pending &&
      c.description === limits.description
    ) {
      return;
    }
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
