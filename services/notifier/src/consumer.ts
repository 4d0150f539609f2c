import {
  AckPolicy,
  type Consumer,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  type JsMsg,
} from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import {
  EVENTS_STREAM,
  type Logger,
  REQUEST_ID_HEADER,
  TRANSACTION_COMMITTED_SUBJECT,
} from "@wallet/runtime";

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

/** A running pull loop over the durable consumer. */
export interface ConsumeLoop {
  /** True while messages are being pulled. */
  consuming(): boolean;
  /**
   * Stops pulling, hands back messages buffered but not started, waits up to
   * `graceMs` for in-flight ones to finish (they ack or nak themselves).
   */
  stop(graceMs: number): Promise<void>;
}

/** Pulls messages and runs `handle` on up to `concurrency` of them at once. */
export async function startConsumeLoop(
  consumer: Consumer,
  opts: { concurrency: number; logger: Logger; handle: (msg: JsMsg) => Promise<void> },
): Promise<ConsumeLoop> {
  const { logger, concurrency } = opts;
  const messages = await consumer.consume({ max_messages: Math.max(10, concurrency * 2) });
  const inFlight = new Set<Promise<void>>();
  let stopping = false;
  let running = true;

  void (async () => {
    for await (const status of messages.status()) {
      if (status.type === "consumer_not_found" || status.type === "stream_not_found") {
        logger.warn({ status }, "consumer or stream missing, waiting for it to come back");
      } else if (status.type === "heartbeats_missed") {
        logger.warn({ status }, "consumer heartbeats missed");
      }
    }
  })();

  const loop = (async () => {
    for await (const msg of messages) {
      while (!stopping && inFlight.size >= concurrency) await Promise.race(inFlight);
      if (stopping) {
        // Not started: give it back at once so another replica (or the next start) takes it.
        msg.nak();
        continue;
      }
      const task = opts
        .handle(msg)
        .catch((err: unknown) => {
          logger.error(
            {
              err,
              requestId: msg.headers?.get(REQUEST_ID_HEADER) || undefined,
              streamSeq: msg.info.streamSequence,
            },
            "message handling failed, retrying later",
          );
          msg.nak(5_000);
        })
        .finally(() => inFlight.delete(task));
      inFlight.add(task);
    }
  })()
    .catch((err: unknown) => logger.error({ err }, "consume loop failed"))
    .finally(() => {
      running = false;
    });

  return {
    consuming: () => running && !stopping,
    stop: async (graceMs) => {
      stopping = true;
      const deadline = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), graceMs).unref());
      const drained = (async () => {
        await messages.close();
        await loop;
        await Promise.all(inFlight);
      })();
      if ((await Promise.race([drained, deadline])) === "timeout") {
        logger.warn(
          { inFlight: inFlight.size },
          "grace period over with deliveries in flight; they will be redelivered",
        );
      }
    },
  };
}
