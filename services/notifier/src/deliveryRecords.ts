import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import type { DeliveryOutcome } from "./channels/channel.js";
import type { ChannelName } from "./config.js";

/** KV bucket holding one record per (channel, event) that reached its receiver. */
export const DELIVERY_BUCKET = "notifier_deliveries";

/** Records outlive the stream's 7-day retention, so any redelivery still finds them. */
const RECORD_TTL_MS = 8 * 24 * 60 * 60 * 1000;

/** Which (event, channel) pairs were already delivered, so a redelivered message sends nothing twice. */
export interface DeliveryRecords {
  /** The subset of `channels` with no successful delivery recorded for this event. */
  pending(eventId: string, channels: readonly ChannelName[]): Promise<ChannelName[]>;
  record(eventId: string, channel: ChannelName, outcome: DeliveryOutcome): Promise<void>;
}

/** Opens the record bucket, creating it on first start. */
export async function openDeliveryRecords(nc: NatsConnection, replicas: number): Promise<DeliveryRecords> {
  const kv = await new Kvm(nc).create(DELIVERY_BUCKET, { ttl: RECORD_TTL_MS, replicas, history: 1 });
  return {
    pending: async (eventId, channels) => {
      const entries = await Promise.all(channels.map((c) => kv.get(recordKey(eventId, c))));
      return channels.filter((_, i) => entries[i]?.operation !== "PUT");
    },
    record: async (eventId, channel, outcome) => {
      await kv.put(recordKey(eventId, channel), JSON.stringify({ outcome, at: new Date().toISOString() }));
    },
  };
}

/**
 * KV keys allow only a few characters; event ids made of them are used as they are,
 * anything else is hex-encoded under a different prefix so the two can never collide.
 */
export function recordKey(eventId: string, channel: ChannelName): string {
  const token = /^[A-Za-z0-9_-]+$/.test(eventId)
    ? `e.${eventId}`
    : `x.${Buffer.from(eventId, "utf8").toString("hex")}`;
  return `${channel}.${token}`;
}
