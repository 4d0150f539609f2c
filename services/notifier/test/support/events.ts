import { randomUUID } from "node:crypto";
import type { JetStreamClient, PubAck } from "@nats-io/jetstream";
import { headers } from "@nats-io/transport-node";
import { HoldChanged, HoldStatus, TransactionCommitted, TransactionType } from "@wallet/contracts";
import {
  EVENT_CONTENT_TYPE,
  HOLD_EVENT_CONTENT_TYPE,
  HOLD_STATUS_SUBJECT,
  REQUEST_ID_HEADER,
  TRANSACTION_COMMITTED_SUBJECT,
} from "@wallet/runtime";

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

const STATUS_NAME = {
  [HoldStatus.HOLD_STATUS_PENDING]: "PENDING",
  [HoldStatus.HOLD_STATUS_CAPTURED]: "CAPTURED",
  [HoldStatus.HOLD_STATUS_VOIDED]: "VOIDED",
  [HoldStatus.HOLD_STATUS_EXPIRED]: "EXPIRED",
} as const;

/** A hold capture event as the wallet service would publish it (`hold` fields override). */
export function holdChanged(
  hold: Partial<NonNullable<HoldChanged["hold"]>> = {},
  overrides: Partial<Omit<HoldChanged, "hold">> = {},
): HoldChanged {
  const createdAt = new Date(Date.now() - 60_000);
  return HoldChanged.fromPartial({
    eventId: randomUUID(),
    ownerEmail: "alice@example.test",
    occurredAt: new Date(),
    hold: {
      id: randomUUID(),
      walletId: "wal_test",
      ownerId: "alice",
      currency: "USD",
      amount: 2_500n,
      status: HoldStatus.HOLD_STATUS_CAPTURED,
      capturedAmount: 1_000n,
      captureTransactionId: randomUUID(),
      destinationWalletId: "",
      expiresAt: new Date(createdAt.getTime() + 3_600_000),
      metadata: { order: "o-1" },
      createdAt,
      endedAt: new Date(),
      ...hold,
    },
    ...overrides,
  });
}

/** Publishes a HoldChanged on the subject of its hold's status, as the wallet's relay does. */
export async function publishHoldEvent(js: JetStreamClient, event: HoldChanged): Promise<PubAck> {
  const status = STATUS_NAME[event.hold!.status as keyof typeof STATUS_NAME];
  const h = headers();
  h.set("Content-Type", HOLD_EVENT_CONTENT_TYPE);
  h.set(REQUEST_ID_HEADER, `req-${event.eventId}`);
  return js.publish(HOLD_STATUS_SUBJECT[status], HoldChanged.encode(event).finish(), {
    msgID: event.eventId,
    headers: h,
  });
}
