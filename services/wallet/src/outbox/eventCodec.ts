import { TransactionCommitted } from "@wallet/contracts";
import type { OutboxEvent } from "../domain/model.js";
import { transactionTypeToProto } from "../grpc/toProto.js";

/** The wire form of an outbox event: wallet.v1.TransactionCommitted. */
export function encodeEvent(event: OutboxEvent): Uint8Array {
  const t = event.transaction;
  return TransactionCommitted.encode({
    eventId: event.eventId,
    transactionId: t.id,
    walletId: t.walletId,
    ownerId: t.ownerId,
    ownerEmail: event.ownerEmail,
    type: transactionTypeToProto(t.type),
    amount: t.amount,
    currency: t.currency,
    balanceAfter: t.balanceAfter,
    occurredAt: t.createdAt,
    metadata: t.metadata,
    walletVersion: t.walletVersion,
    transferId: t.transferId,
    counterpartyWalletId: t.counterpartyWalletId,
  }).finish();
}
