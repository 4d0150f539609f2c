import type { Consumer, ConsumerMessages, JsMsg } from "@nats-io/jetstream";
import { type Logger, REQUEST_ID_HEADER } from "@wallet/runtime";

/** Pause after a failed pull (NATS away, consumer missing) before asking again. */
const PULL_RETRY_MS = 1_000;

/** A running pull loop over the durable consumer. */
export interface ConsumeLoop {
  /** True while messages are being pulled. */
  consuming(): boolean;
  /**
   * Stops asking for messages, lets the pull requests already at the server end
   * (whatever they still bring is handled like any other message), then waits up
   * to `graceMs` in all for in-flight messages to finish (they ack or nak themselves).
   */
  stop(graceMs: number): Promise<void>;
}

/**
 * Pulls messages and runs `handle` on up to `concurrency` of them at once.
 *
 * Messages are fetched in batches no larger than the free handling slots, so every
 * message the server hands over starts at once: none waits in a client-side buffer
 * where a shutdown would strand it until the ack wait expires. A pull request is
 * never cancelled, only left to end (`fetchExpiresMs`), because a message the
 * server sends to a request that the client has already dropped is lost until the
 * ack wait, and a message given back (nak) while such a request is open may be
 * sent straight into it.
 */
export function startConsumeLoop(
  consumer: Consumer,
  opts: {
    concurrency: number;
    fetchExpiresMs: number;
    logger: Logger;
    handle: (msg: JsMsg) => Promise<void>;
  },
): ConsumeLoop {
  const { logger, concurrency } = opts;
  const inFlight = new Set<Promise<void>>();
  const fetches = new Set<{ batch: ConsumerMessages; done: Promise<void> }>();
  // Slots promised to open pull requests but not filled by a message yet.
  let reserved = 0;
  let stopping = false;
  // No new pull before this time, after one failed (NATS away, consumer missing).
  let pullAgainAt = 0;
  let wake = () => {};
  /** Waits until something frees a slot, a pull ends, stop() is called, or `ms` passes. */
  const pause = (ms?: number) =>
    new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const start = (msg: JsMsg) => {
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
      .finally(() => {
        inFlight.delete(task);
        wake();
      });
    inFlight.add(task);
  };

  const drain = async (batch: ConsumerMessages, size: number) => {
    let unfilled = size;
    try {
      for await (const msg of batch) {
        // After a reconnect the client may re-pull a full batch; such extra messages
        // are started too rather than given back into a pull request still open.
        if (unfilled > 0) {
          unfilled--;
          reserved--;
        }
        start(msg);
      }
    } catch (err) {
      if (!stopping) {
        logger.warn({ err }, "pull failed, asking again shortly");
        pullAgainAt = Date.now() + PULL_RETRY_MS;
      }
    } finally {
      reserved -= unfilled;
    }
  };

  const pull = async () => {
    while (!stopping) {
      const free = concurrency - inFlight.size - reserved;
      // One request at a time while others are open, unless half the slots sit idle.
      if (free <= 0 || (fetches.size > 0 && free < Math.ceil(concurrency / 2))) {
        await pause();
        continue;
      }
      if (Date.now() < pullAgainAt) {
        await pause(pullAgainAt - Date.now());
        continue;
      }
      let batch: ConsumerMessages;
      try {
        batch = await consumer.fetch({ max_messages: free, expires: opts.fetchExpiresMs });
      } catch (err) {
        logger.warn({ err }, "pull failed, asking again shortly");
        pullAgainAt = Date.now() + PULL_RETRY_MS;
        continue;
      }
      reserved += free;
      const fetch = {
        batch,
        done: drain(batch, free).finally(() => {
          fetches.delete(fetch);
          wake();
        }),
      };
      fetches.add(fetch);
    }
  };
  const pulling = pull().catch((err: unknown) => logger.error({ err }, "consume loop failed"));

  return {
    consuming: () => !stopping,
    stop: async (graceMs) => {
      stopping = true;
      wake();
      const deadline = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), graceMs).unref());
      const drained = (async () => {
        await pulling;
        await Promise.all([...fetches].map((f) => f.done));
        // Tasks started by the last messages are in the set by now.
        await Promise.all(inFlight);
      })();
      if ((await Promise.race([drained, deadline])) === "timeout") {
        for (const f of fetches) void f.batch.close();
        logger.warn(
          { inFlight: inFlight.size, openPulls: fetches.size },
          "grace period over with deliveries in flight; they will be redelivered",
        );
      }
    },
  };
}
