import type { Msg, MsgHdrs, NatsConnection, Subscription } from "@nats-io/transport-node";
import { createInbox, nanos } from "@nats-io/transport-node";
import { type Logger, REQUEST_ID_HEADER } from "@wallet/runtime";

/** Where a pulled message came from, parsed from its `$JS.ACK…` reply subject. */
export interface DeliveryInfo {
  stream: string;
  consumer: string;
  /** How many times the server has handed this stream message out, this time included. */
  deliveryCount: number;
  streamSequence: number;
  /** When the message was stored in the stream (nanoseconds since the epoch). */
  timestampNanos: number;
}

/**
 * One delivery of a JetStream message, as handed to the handler. Acknowledgements
 * are one-shot except `working()` (in progress), which may be repeated.
 */
export interface PulledMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers?: MsgHdrs;
  readonly info: DeliveryInfo;
  ack(): void;
  /** Hands the message back; the server redelivers it after `delayMs` (at once without). */
  nak(delayMs?: number): void;
  /** Resets the server's ack timer. */
  working(): void;
  term(): void;
  /** True once ack, nak or term was sent. */
  settled(): boolean;
}

/** A running pull loop over the durable consumer. */
export interface ConsumeLoop {
  /** True while messages are being pulled. */
  consuming(): boolean;
  /** Messages this process holds (received and not settled). */
  held(): number;
  /**
   * Stops asking for messages; lets the in-flight messages finish and the open pull
   * requests end (what they bring is handled like any other message) for up to
   * `graceMs`, keeping every held message's ack timer alive. Once the requests have
   * ended, messages held but not started are handed back (nak, no delay) at once; at the
   * end of the grace, so is whatever is still in flight.
   */
  stop(graceMs: number): Promise<void>;
}

export interface ConsumeLoopOptions {
  stream: string;
  consumer: string;
  concurrency: number;
  /** The consumer's ack wait: every held message gets `working()` several times within it. */
  ackWaitMs: number;
  /** Lifetime of one pull request; idle heartbeats come every fifth of it. */
  pullExpiresMs?: number;
  logger: Logger;
  handle: (msg: PulledMessage) => Promise<void>;
}

const ACK = new TextEncoder().encode("+ACK");
const WPI = new TextEncoder().encode("+WPI");
const TERM = new TextEncoder().encode("+TERM");
const NAK = new TextEncoder().encode("-NAK");

/**
 * Pulls messages from a durable JetStream consumer into one inbox subscription that
 * stays open for the life of the loop, and runs `handle` on up to `concurrency` of
 * them at once.
 *
 * Why not the client library's `fetch()` / `consume()`: a `fetch()` that misses
 * heartbeats unsubscribes its inbox while its pull request is still open at the
 * server, so a message already on its way is dropped by the client (and with it a
 * delivery attempt); `consume()` either buffers messages where the application cannot
 * see them (its iterator), so they cannot be kept alive with `working()`, or keeps
 * pulling whatever the handler's pace (its callback). Here:
 * - every message that reaches the inbox is handled: held in a queue if no slot is
 *   free (after a re-pull, old and new requests may both be answered), and every held
 *   message gets `working()` every third of the ack wait, so a short ack wait only
 *   redelivers messages of a process that died or stalled;
 * - requests ask for at most the free slots; when the server stops answering (no
 *   idle heartbeat for two intervals: a stalled link, a restarted server) or the
 *   connection comes back, the loop forgets its open requests and asks again, without
 *   closing the inbox, so late answers to the old requests are still handled.
 */
export function startConsumeLoop(nc: NatsConnection, opts: ConsumeLoopOptions): ConsumeLoop {
  const { logger, concurrency } = opts;
  const expiresMs = opts.pullExpiresMs ?? 3_000;
  const heartbeatMs = Math.max(500, Math.floor(expiresMs / 5));
  const nextSubject = `$JS.API.CONSUMER.MSG.NEXT.${opts.stream}.${opts.consumer}`;
  const inbox = createInbox();

  const waiting: PulledMessage[] = [];
  const running = new Map<PulledMessage, Promise<void>>();
  /** Messages asked for by open requests and not yet received. */
  let outstanding = 0;
  let lastRequestAt = 0;
  let lastHeardAt = Date.now();
  let stopping = false;
  let connected = true;
  /** No request before this time, after the server refused one (consumer gone, JetStream away). */
  let pausedUntil = 0;

  const request = () => {
    if (stopping || !connected || Date.now() < pausedUntil) return;
    const free = concurrency - running.size - waiting.length - outstanding;
    // One request at a time while one is open, unless half the slots sit idle.
    if (free <= 0 || (outstanding > 0 && free < Math.ceil(concurrency / 2))) return;
    try {
      nc.publish(
        nextSubject,
        JSON.stringify({ batch: free, expires: nanos(expiresMs), idle_heartbeat: nanos(heartbeatMs) }),
        { reply: inbox },
      );
    } catch (err) {
      logger.warn({ err }, "pull request failed, asking again shortly");
      return;
    }
    outstanding += free;
    lastRequestAt = Date.now();
  };

  const start = (msg: PulledMessage) => {
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
        running.delete(msg);
        const next = waiting.shift();
        if (next) start(next);
        request();
      });
    running.set(msg, task);
  };

  const onMessage = (msg: Msg) => {
    lastHeardAt = Date.now();
    if (!msg.reply) {
      onStatus(msg);
      return;
    }
    let pulled: PulledMessage;
    try {
      pulled = pulledMessage(msg);
    } catch (err) {
      logger.error({ err, reply: msg.reply }, "unexpected message on the pull inbox");
      return;
    }
    outstanding = Math.max(0, outstanding - 1);
    if (running.size < concurrency) start(pulled);
    else waiting.push(pulled);
  };

  const onStatus = (msg: Msg) => {
    const code = msg.headers?.code ?? 0;
    if (code === 100) return; // idle heartbeat
    const left = Number(msg.headers?.get("Nats-Pending-Messages") || Number.NaN);
    if (Number.isFinite(left)) {
      // A request ended (expired, or refused) with `left` messages unsent.
      outstanding = Math.max(0, outstanding - left);
    } else {
      // Refused without saying how much: forget what was asked for and ask again.
      outstanding = 0;
    }
    if (code !== 408 && code !== 404) {
      logger.warn(
        { code, description: msg.headers?.description },
        "pull request refused, asking again shortly",
      );
      pausedUntil = Date.now() + 1_000;
    }
    request();
  };

  const sub: Subscription = nc.subscribe(inbox, {
    callback: (err, msg) => {
      if (err) {
        logger.error({ err }, "pull inbox failed");
        return;
      }
      onMessage(msg);
    },
  });

  // Requests the server no longer answers are forgotten and made again; every held
  // message's ack timer is reset well within the ack wait.
  const progressEvery = Math.max(250, Math.floor(opts.ackWaitMs / 3));
  let lastProgressAt = Date.now();
  const ticker = setInterval(() => {
    const now = Date.now();
    if (now - lastProgressAt >= progressEvery) {
      lastProgressAt = now;
      for (const msg of running.keys()) msg.working();
      for (const msg of waiting) msg.working();
    }
    if (
      !stopping &&
      outstanding > 0 &&
      now - lastHeardAt > 2 * heartbeatMs &&
      now - lastRequestAt > 2 * heartbeatMs
    ) {
      logger.warn({ outstanding }, "pull requests unanswered (no heartbeat), asking again");
      outstanding = 0;
      lastHeardAt = now;
    }
    request();
  }, Math.min(heartbeatMs, progressEvery) / 2);

  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "disconnect") {
        connected = false;
      } else if (s.type === "reconnect") {
        // Requests made before may be gone with the server: ask again.
        connected = true;
        outstanding = 0;
        lastHeardAt = Date.now();
        request();
      }
    }
  })().catch(() => {});

  request();

  return {
    consuming: () => !stopping,
    held: () => running.size + waiting.length,
    stop: async (graceMs) => {
      if (stopping) return;
      stopping = true;
      const now = Date.now();
      // Wait for in-flight deliveries to finish and for the open pull requests to end
      // (nothing cancels one): a message handed back while one of ours is open could be
      // sent straight back into it. Whatever they still bring is handled like any other.
      const deadline = now + graceMs;
      const requestsEnd = lastRequestAt + expiresMs + 250;
      while ((running.size > 0 || waiting.length > 0 || Date.now() < requestsEnd) && Date.now() < deadline) {
        // Once no request of ours is open, what waits for a slot goes back at once, for
        // another replica, instead of waiting behind slow deliveries until the grace ends.
        if (Date.now() >= requestsEnd) for (const msg of waiting.splice(0)) msg.nak();
        await sleep(20);
      }
      if (running.size > 0) {
        logger.warn(
          { inFlight: running.size },
          "grace period over with deliveries in flight; handing them back",
        );
      }
      // Handed back without delay, for another replica or the next start.
      for (const msg of [...waiting.splice(0), ...running.keys()]) msg.nak();
      clearInterval(ticker);
      sub.unsubscribe();
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)).unref());
}

/** Wraps a message received on the pull inbox; throws if its reply subject is not a JetStream ack subject. */
export function pulledMessage(msg: Msg): PulledMessage {
  const info = parseAckSubject(msg.reply ?? "");
  let settled = false;
  const respond = (payload: Uint8Array, final = true) => {
    if (settled) return;
    if (final) settled = true;
    try {
      msg.respond(payload);
    } catch {
      // Connection closed: the server redelivers after the ack wait.
    }
  };
  return {
    subject: msg.subject,
    data: msg.data,
    headers: msg.headers,
    info,
    ack: () => respond(ACK),
    nak: (delayMs) =>
      respond(delayMs ? new TextEncoder().encode(`-NAK ${JSON.stringify({ delay: nanos(delayMs) })}`) : NAK),
    working: () => respond(WPI, false),
    // Without a reason: servers before 2.11 ignore a TERM that carries one.
    term: () => respond(TERM),
    settled: () => settled,
  };
}

/**
 * `$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<timestamp>.<pending>`,
 * or the longer form with domain and account hash first.
 */
export function parseAckSubject(reply: string): DeliveryInfo {
  const t = reply.split(".");
  if (t.length === 9) t.splice(2, 0, "_", "");
  if (t.length < 11 || t[0] !== "$JS" || t[1] !== "ACK") {
    throw new Error(`not a JetStream ack subject: ${reply}`);
  }
  return {
    stream: t[4],
    consumer: t[5],
    deliveryCount: Number(t[6]),
    streamSequence: Number(t[7]),
    timestampNanos: Number(t[9]),
  };
}
