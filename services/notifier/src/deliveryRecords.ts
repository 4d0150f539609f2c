import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import { type KvEntry, Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import type { DeliveryOutcome } from "./channels/channel.js";
import type { ChannelName } from "./config.js";

/** KV bucket holding, per (consumer, channel, event), a claim while delivering and the outcome after. */
export const DELIVERY_BUCKET = "notifier_deliveries";

/** Records outlive the stream's 7-day retention, so any redelivery still finds them. */
const RECORD_TTL_MS = 8 * 24 * 60 * 60 * 1000;

/** Final states of a (consumer, channel, event) record: nothing is sent for it again. */
export type RecordOutcome = DeliveryOutcome | "dead_lettered";

/** The delivery (one JetStream message delivery) asking for a claim. */
export interface DeliveryAttempt {
  streamSeq: number;
  deliveryCount: number;
}

/** What a delivery attempt learns when it asks to deliver an event on a channel. */
export type DeliveryClaim =
  /** Delivered, skipped or dead-lettered before: send nothing. */
  | { status: "done"; outcome: RecordOutcome }
  /** Another process is delivering it right now; its claim lapses at `until` (epoch ms). */
  | { status: "busy"; until: number }
  /**
   * This attempt may deliver. `failures` counts the failed attempts recorded so far
   * (deliveries lost to crashes are not among them), `lastError` is the reason of the last.
   */
  | {
      status: "claimed";
      failures: number;
      lastError?: string;
      /** Replaces the claim by the final record. */
      complete(outcome: RecordOutcome): Promise<void>;
      /**
       * Records one more failed attempt and drops the claim, so the retry (anywhere)
       * can claim at once. Resolves with the new count, or undefined when the claim
       * was taken over meanwhile (the process that took it counts from then on).
       */
      fail(reason: string): Promise<number | undefined>;
      /** Drops the claim, keeping the failure count. */
      release(): Promise<void>;
    };

/** Which (event, channel) pairs this consumer delivered, and which are being delivered now. */
export interface DeliveryRecords {
  claim(eventId: string, channel: ChannelName, attempt: DeliveryAttempt): Promise<DeliveryClaim>;
}

/**
 * Stored value: a final `outcome`, or a claim (`claimedBy` until `claimedUntil`, made by
 * the delivery `streamSeq`/`deliveryCount`), and the failed attempts so far.
 */
interface RecordValue {
  outcome?: RecordOutcome;
  claimedBy?: string;
  claimedUntil?: number;
  streamSeq?: number;
  deliveryCount?: number;
  failures?: number;
  lastError?: string;
  at: string;
}

/**
 * Opens the record bucket (creating it on first start) for one durable consumer.
 * A claim is taken with an atomic create (or a revision-checked update), so of two
 * processes holding copies of one event only one delivers. A claim is taken over at
 * once by a later delivery of the same stream message: JetStream redelivers a message
 * only when its holder stopped acknowledging progress (it died or stalled). Otherwise
 * (the same event published twice) it lapses after `claimMs`.
 */
export async function openDeliveryRecords(
  nc: NatsConnection,
  opts: { replicas: number; consumer: string; claimMs: number },
): Promise<DeliveryRecords> {
  const kv = await new Kvm(nc).create(DELIVERY_BUCKET, {
    ttl: RECORD_TTL_MS,
    replicas: opts.replicas,
    history: 1,
  });
  const owner = `${hostname()}/${process.pid}/${randomUUID()}`;
  const encode = (value: Omit<RecordValue, "at">) =>
    JSON.stringify({ ...value, at: new Date().toISOString() });

  const claimed = (key: string, revision: number, previous: RecordValue | undefined): DeliveryClaim => {
    const failures = previous?.failures ?? 0;
    const lastError = previous?.lastError;
    return {
      status: "claimed",
      failures,
      lastError,
      complete: async (outcome) => {
        // A plain put: even if a slow attempt lost its claim meanwhile, it did deliver.
        await kv.put(key, encode({ outcome, failures, lastError }));
      },
      fail: async (reason) => {
        const count = failures + 1;
        const done = await attempt(() =>
          kv.update(key, encode({ failures: count, lastError: reason }), revision),
        );
        return done === undefined ? undefined : count;
      },
      release: async () => {
        await attempt(() => kv.update(key, encode({ failures, lastError }), revision)).catch(() => {
          // The claim is taken over by the next delivery or lapses on its own.
        });
      },
    };
  };

  return {
    claim: async (eventId, channel, delivery) => {
      const key = recordKey(opts.consumer, channel, eventId);
      const claim = (previous?: RecordValue) =>
        encode({
          claimedBy: owner,
          claimedUntil: Date.now() + opts.claimMs,
          streamSeq: delivery.streamSeq,
          deliveryCount: delivery.deliveryCount,
          failures: previous?.failures,
          lastError: previous?.lastError,
        });
      const created = await attempt(() => kv.create(key, claim()));
      if (created !== undefined) return claimed(key, created, undefined);

      const entry = await kv.get(key);
      const current = entry ? readRecord(entry) : undefined;
      if (current?.outcome) return { status: "done", outcome: current.outcome };
      const until = current?.claimedUntil ?? 0;
      const live = current !== undefined && current.claimedBy !== owner && until > Date.now();
      // The server handed this message out again, so the holder of the claim made by an
      // earlier delivery of it stopped sending progress: take the claim over now.
      const supersedes =
        current?.streamSeq === delivery.streamSeq && delivery.deliveryCount > (current?.deliveryCount ?? 0);
      if (live && !supersedes) return { status: "busy", until };
      // Free, lapsed, ours, superseded, deleted or unreadable: take it unless someone else is quicker.
      const taken = await attempt(() =>
        entry?.operation === "PUT" ? kv.update(key, claim(current), entry.revision) : kv.create(key, claim()),
      );
      return taken === undefined
        ? { status: "busy", until: Date.now() + opts.claimMs }
        : claimed(key, taken, current);
    },
  };
}

/** Runs a conditional write; undefined when another writer got there first. */
async function attempt(write: () => Promise<number>): Promise<number | undefined> {
  try {
    return await write();
  } catch (err) {
    const lost =
      err instanceof JetStreamApiError &&
      (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
        err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown);
    if (lost) return undefined;
    throw err;
  }
}

function readRecord(entry: KvEntry): RecordValue | undefined {
  if (entry.operation !== "PUT") return undefined;
  try {
    return JSON.parse(entry.string()) as RecordValue;
  } catch {
    return undefined;
  }
}

/**
 * `<consumer>.<channel>.e.<event id>`: consumers with different names keep separate
 * records, so each delivers every event once. KV keys allow only a few characters
 * (consumer names are limited to them by the configuration); event ids made of
 * them are used as they are, anything else is hex-encoded under a different prefix
 * so the two can never collide.
 */
export function recordKey(consumer: string, channel: ChannelName, eventId: string): string {
  const token = /^[A-Za-z0-9_-]+$/.test(eventId)
    ? `e.${eventId}`
    : `x.${Buffer.from(eventId, "utf8").toString("hex")}`;
  return `${consumer}.${channel}.${token}`;
}
