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

/** What a delivery attempt learns when it asks to deliver an event on a channel. */
export type DeliveryClaim =
  /** Delivered (or skipped) before: send nothing. */
  | { status: "done" }
  /** Another process is delivering it right now; its claim lapses at `until` (epoch ms). */
  | { status: "busy"; until: number }
  /** This attempt may deliver; it then records the outcome, or releases the claim on failure. */
  | {
      status: "claimed";
      complete(outcome: DeliveryOutcome): Promise<void>;
      release(): Promise<void>;
    };

/** Which (event, channel) pairs this consumer delivered, and which are being delivered now. */
export interface DeliveryRecords {
  claim(eventId: string, channel: ChannelName): Promise<DeliveryClaim>;
}

/** Stored value: a finished delivery (`outcome`) or a claim (`claimedBy` until `claimedUntil`). */
interface RecordValue {
  outcome?: DeliveryOutcome;
  claimedBy?: string;
  claimedUntil?: number;
  at: string;
}

/**
 * Opens the record bucket (creating it on first start) for one durable consumer.
 * A claim is taken with an atomic create, so of two processes holding copies of
 * one event only one delivers; it lapses after `claimMs` so that a process that
 * died while delivering does not block the event for good.
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

  const claimed = (key: string, revision: number): DeliveryClaim => ({
    status: "claimed",
    complete: async (outcome) => {
      // A plain put: even if a slow attempt lost its claim meanwhile, it did deliver.
      await kv.put(key, encode({ outcome }));
    },
    release: async () => {
      await kv.delete(key, { previousSeq: revision }).catch(() => {
        // The claim lapses on its own; a retry here would only delay the nak.
      });
    },
  });

  return {
    claim: async (eventId, channel) => {
      const key = recordKey(opts.consumer, channel, eventId);
      const claim = () => encode({ claimedBy: owner, claimedUntil: Date.now() + opts.claimMs });
      const created = await attempt(() => kv.create(key, claim()));
      if (created !== undefined) return claimed(key, created);

      const entry = await kv.get(key);
      const current = entry ? readRecord(entry) : undefined;
      if (current?.outcome) return { status: "done" };
      const until = current?.claimedUntil ?? 0;
      // Our own claim is free to take: this process runs one copy of an event at a time.
      if (current && current.claimedBy !== owner && until > Date.now()) return { status: "busy", until };
      // Lapsed, ours, deleted or unreadable: take it over unless someone else is quicker.
      const taken = await attempt(() =>
        entry?.operation === "PUT" ? kv.update(key, claim(), entry.revision) : kv.create(key, claim()),
      );
      return taken === undefined ? { status: "busy", until: Date.now() + opts.claimMs } : claimed(key, taken);
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
