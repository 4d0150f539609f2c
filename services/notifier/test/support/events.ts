import { randomUUID } from "node:crypto";
import type { JetStreamClient, PubAck } from "@nats-io/jetstream";
import { headers } from "@nats-io/transport-node";
import { TransactionCommitted, TransactionType } from "@wallet/contracts";
import { EVENT_CONTENT_TYPE, REQUEST_ID_HEADER, TRANSACTION_COMMITTED_SUBJECT } from "@wallet/runtime";

/** A credit event as the wallet service would publish it. */
export function transactionCommitted(overrides: Partial<TransactionCommitted> = {}): TransactionCommitted {
  return TransactionCommitted.fromPartial({
    eventId: randomUUID(),
    transactionId: randomUUID(),
    walletId: "wal_test",
    ownerId: "alice",
    ownerEmail: "alice@example.test",
    type: TransactionType.TRANSACTION_TYPE_CREDIT,
    amount: 1_500n,
    currency: "USD",
    balanceAfter: 9_007_199_254_740_993n,
    walletVersion: 3n,
    occurredAt: new Date(),
    metadata: { note: "test" },
    ...overrides,
  });
}

/** Publishes the way the wallet's outbox relay does: protobuf body, Nats-Msg-Id = event id, correlation id. */
export async function publishEvent(
  js: JetStreamClient,
  event: TransactionCommitted,
  opts: { requestId?: string; msgId?: string } = {},
): Promise<PubAck> {
  return publishRaw(js, TransactionCommitted.encode(event).finish(), {
    msgId: opts.msgId ?? event.eventId,
    requestId: opts.requestId ?? `req-${event.eventId}`,
  });
}

/** Publishes arbitrary bytes on the TransactionCommitted subject. */
export async function publishRaw(
  js: JetStreamClient,
  payload: Uint8Array,
  opts: { msgId: string; requestId: string },
): Promise<PubAck> {
  const h = headers();
  h.set("Content-Type", EVENT_CONTENT_TYPE);
  h.set(REQUEST_ID_HEADER, opts.requestId);
  return js.publish(TRANSACTION_COMMITTED_SUBJECT, payload, { msgID: opts.msgId, headers: h });
}
