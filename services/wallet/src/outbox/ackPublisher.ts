import {
  createInbox,
  headers,
  type Msg,
  type NatsConnection,
  type Subscription,
} from "@nats-io/transport-node";
import { REQUEST_ID_HEADER } from "@wallet/runtime";
import type { OutboxEvent } from "../domain/model.js";
import { encodeEvent } from "./eventCodec.js";

/** Called once per publish: acked (stored, or already stored when `duplicate`) or not. */
export type AckCallback = (acked: boolean, duplicate: boolean) => void;

interface Pending {
  deadline: number;
  done: AckCallback;
}

const SWEEP_MS = 250;
const decoder = new TextDecoder();

/**
 * Publishes events to JetStream as core NATS messages with a reply subject and
 * matches the PubAcks itself: one wildcard inbox subscription per connection, one
 * map entry per publish, and one timer that fails the publishes whose ack did not
 * come within `timeoutMs`. The JetStream client's publish() builds a request (a
 * promise, a timer and an Error for its stack) per message; this does not.
 * Each event goes on its own subject (see encodeEvent). `Nats-Msg-Id` = event id, so a publish repeated within the stream's duplicate
 * window is stored once (its ack says duplicate).
 */
export class AckPublisher {
  private nc?: NatsConnection;
  private sub?: Subscription;
  private prefix = "";
  private next = 0;
  private readonly pending = new Map<number, Pending>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly timeoutMs: number) {}

  /** Publishes awaiting their ack. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Waits, at most `maxWaitMs`, until no publish awaits its ack (for shutdown). */
  async settled(maxWaitMs = 2000): Promise<void> {
    for (const until = Date.now() + maxWaitMs; this.pending.size > 0 && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * Sends `event` on `nc`; `done` is called exactly once, from the ack, from the
   * timeout sweep, or at once when the message could not even be written.
   */
  publish(nc: NatsConnection, event: OutboxEvent, done: AckCallback): void {
    let id: number;
    try {
      this.attach(nc);
      const wire = encodeEvent(event);
      id = this.next++;
      const h = headers();
      h.set("Nats-Msg-Id", event.eventId);
      h.set("Content-Type", wire.contentType);
      if (event.requestId) h.set(REQUEST_ID_HEADER, event.requestId);
      this.pending.set(id, { deadline: Date.now() + this.timeoutMs, done });
      nc.publish(wire.subject, wire.data, {
        reply: `${this.prefix}.${id}`,
        headers: h,
      });
    } catch {
      // Connection closed or draining: nothing was sent (or its ack cannot arrive).
      if (id! !== undefined) this.pending.delete(id!);
      done(false, false);
    }
  }

  /** Fails every publish still waiting and stops the timer. */
  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.sub?.unsubscribe();
    this.sub = undefined;
    this.nc = undefined;
    this.failAll();
  }

  private attach(nc: NatsConnection): void {
    if (this.nc === nc && this.sub) return;
    this.sub?.unsubscribe();
    this.failAll();
    this.nc = nc;
    this.prefix = createInbox("_INBOX_WALLET");
    this.sub = nc.subscribe(`${this.prefix}.*`, { callback: (_err, msg) => this.onAck(msg) });
    this.timer ??= setInterval(() => this.sweep(), SWEEP_MS);
    this.timer.unref();
  }

  private onAck(msg: Msg): void {
    const id = Number(msg.subject.slice(this.prefix.length + 1));
    const p = this.pending.get(id);
    if (!p) return; // timed out already; the caller has been told it failed
    this.pending.delete(id);
    // A status message (e.g. 503 no responders: no stream for the subject) or an API error is a failure.
    const ack = msg.headers?.hasError || msg.data.length === 0 ? undefined : parseAck(msg.data);
    if (ack) p.done(true, ack.duplicate === true);
    else p.done(false, false);
  }

  /** Entries are in publish order with one timeout, so expired ones are at the front. */
  private sweep(): void {
    const now = Date.now();
    for (const [id, p] of this.pending) {
      if (p.deadline > now) break;
      this.pending.delete(id);
      p.done(false, false);
    }
  }

  private failAll(): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.done(false, false);
  }
}

/** The PubAck, or undefined when the reply is an error or not a PubAck. */
function parseAck(data: Uint8Array): { duplicate?: boolean } | undefined {
  try {
    const ack = JSON.parse(decoder.decode(data)) as { stream?: string; duplicate?: boolean; error?: unknown };
    return ack.error || !ack.stream ? undefined : ack;
  } catch {
    return undefined;
  }
}
