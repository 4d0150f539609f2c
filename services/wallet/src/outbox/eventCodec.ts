import { HoldChanged, TransactionCommitted } from "@wallet/contracts";
import {
  EVENT_CONTENT_TYPE,
  HOLD_EVENT_CONTENT_TYPE,
  HOLD_STATUS_SUBJECT,
  TRANSACTION_COMMITTED_SUBJECT,
} from "@wallet/runtime";
import type { OutboxEvent } from "../domain/model.js";
import { holdToProto, transactionTypeToProto } from "../grpc/toProto.js";

/** An outbox event as it goes on the wire: its subject, content type and protobuf body. */
export interface WireEvent {
  subject: string;
  contentType: string;
  data: Uint8Array;
}

/**
 * The wire form of an outbox event: a TransactionEvent is wallet.v1.TransactionCommitted on
 * wallet.events.transaction.committed; a HoldEvent is wallet.v1.HoldChanged on the subject
 * of the state the hold entered (wallet.events.hold.placed, .captured, .voided, .expired).
 */
export function encodeEvent(event: OutboxEvent): WireEvent {
  if (event.kind === "hold") {
    return {
      subject: HOLD_STATUS_SUBJECT[event.hold.status],
      contentType: HOLD_EVENT_CONTENT_TYPE,
      data: HoldChanged.encode({
        eventId: event.eventId,
        hold: holdToProto(event.hold),
        ownerEmail: event.ownerEmail,
        occurredAt: event.occurredAt,
      }).finish(),
    };
  }
  const t = event.transaction;
  return {
    subject: TRANSACTION_COMMITTED_SUBJECT,
    contentType: EVENT_CONTENT_TYPE,
    data: TransactionCommitted.encode({
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
      reversalOf: t.reversalOf,
      holdId: t.holdId,
    }).finish(),
  };
}

/** When the event's change was committed (for the commit-to-ack latency). */
export function eventCommittedAt(event: OutboxEvent): Date {
  return event.kind === "hold" ? event.occurredAt : event.transaction.createdAt;
}
