import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
} from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { EVENTS_STREAM, EVENTS_SUBJECTS } from "@wallet/runtime";

/**
 * Creates the durable pull consumer, or brings an existing one (e.g. created by an
 * earlier version with `max_deliver` 6 and a 70 s ack wait, or filtered on
 * TransactionCommitted only) to the current settings, keeping its position.
 *
 * It takes every wallet event (wallet.events.>): TransactionCommitted and the HoldChanged
 * subjects. One subject filter rather than a list (`filter_subjects`), which needs NATS 2.10.
 * A consumer with another filter (the earlier TransactionCommitted-only one) is replaced
 * by one starting after its ack floor, since changing a filter in place is not reliable
 * on every server version (2.9 loses the position): what it had delivered but not acked
 * comes again, and the delivery records keep that from being sent twice.
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
    description: "notifier: TransactionCommitted, HoldChanged -> webhook, email, log",
    filter_subject: EVENTS_SUBJECTS,
    ack_wait: nanos(opts.ackWaitMs),
    max_deliver: -1,
    max_ack_pending: opts.maxAckPending,
  };
  const create = (start?: number) =>
    jsm.consumers.add(EVENTS_STREAM, {
      ...limits,
      durable_name: opts.name,
      ack_policy: AckPolicy.Explicit,
      ...(start === undefined
        ? { deliver_policy: DeliverPolicy.All }
        : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: start }),
    });
  try {
    const info = await jsm.consumers.info(EVENTS_STREAM, opts.name);
    const c = info.config;
    if (c.filter_subject !== limits.filter_subject) {
      await jsm.consumers.delete(EVENTS_STREAM, opts.name);
      await create(info.ack_floor.stream_seq + 1);
      return;
    }
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
    await create();
  }
}
