import type { JetStreamClient } from "@nats-io/jetstream";
import { headers as natsHeaders } from "@nats-io/transport-node";
import { DLQ_SUBJECT_PREFIX, EVENTS_SUBJECTS, TRANSACTION_COMMITTED_SUBJECT } from "@wallet/runtime";
import type { PulledMessage } from "./consumeLoop.js";

const EVENTS_PREFIX = EVENTS_SUBJECTS.replace(/>$/, "");

/**
 * Where the notifier parks an event it gave up on: the DLQ subject that mirrors the
 * original's (wallet.events.hold.captured → wallet.dlq.hold.captured);
 * x-dead-letter-subject names the original too.
 */
export function deadLetterSubject(original: string): string {
  const rest = original.startsWith(EVENTS_PREFIX) ? original.slice(EVENTS_PREFIX.length) : "unknown";
  return `${DLQ_SUBJECT_PREFIX}.${rest}`;
}

/** The dead-letter subject of TransactionCommitted events. */
export const DEAD_LETTER_SUBJECT = deadLetterSubject(TRANSACTION_COMMITTED_SUBJECT);

/** Headers a dead letter carries besides the original ones. */
export const DEAD_LETTER_HEADERS = {
  reason: "x-dead-letter-reason",
  failedChannels: "x-dead-letter-channels",
  stream: "x-dead-letter-stream",
  streamSequence: "x-dead-letter-stream-seq",
  subject: "x-dead-letter-subject",
  deliveryCount: "x-dead-letter-deliveries",
  consumer: "x-dead-letter-consumer",
} as const;

export interface DeadLetter {
  reason: string;
  failedChannels: string[];
  /** Dedup id on the DLQ stream: the event id, or a stream position when the payload is unreadable. */
  msgId: string;
}

/**
 * Copies a message to WALLET_DLQ with why it failed and resolves once the stream
 * acknowledged it; the caller terminates the original only after that. Retries a
 * few times (keeping the original's ack timer alive) before giving up.
 */
export async function publishDeadLetter(
  js: JetStreamClient,
  msg: PulledMessage,
  letter: DeadLetter,
): Promise<void> {
  const h = natsHeaders();
  for (const [key, values] of msg.headers ?? []) {
    if (key.toLowerCase() === "nats-msg-id") continue;
    for (const v of values) h.append(key, v);
  }
  h.set(DEAD_LETTER_HEADERS.reason, oneLine(letter.reason));
  h.set(DEAD_LETTER_HEADERS.failedChannels, letter.failedChannels.join(","));
  h.set(DEAD_LETTER_HEADERS.stream, msg.info.stream);
  h.set(DEAD_LETTER_HEADERS.streamSequence, String(msg.info.streamSequence));
  h.set(DEAD_LETTER_HEADERS.subject, msg.subject);
  h.set(DEAD_LETTER_HEADERS.deliveryCount, String(msg.info.deliveryCount));
  h.set(DEAD_LETTER_HEADERS.consumer, msg.info.consumer);

  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      await js.publish(deadLetterSubject(msg.subject), msg.data, {
        msgID: letter.msgId,
        headers: h,
        timeout: 5_000,
      });
      return;
    } catch (err) {
      lastError = err;
      msg.working();
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
  throw lastError;
}

/** Header values must not contain line breaks. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, " ").slice(0, 1_000);
}
