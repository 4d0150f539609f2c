import { TransactionCommitted, TransactionType } from "@wallet/contracts";

/** Raised when a message cannot be read as a TransactionCommitted event; retrying will not help. */
export class UndecodableEventError extends Error {
  override name = "UndecodableEventError";
}

/** Decodes a TransactionCommitted payload and checks the fields every channel relies on. */
export function decodeTransactionCommitted(data: Uint8Array): TransactionCommitted {
  let event: TransactionCommitted;
  try {
    event = TransactionCommitted.decode(data);
  } catch (err) {
    throw new UndecodableEventError(`payload is not a TransactionCommitted: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (!event.eventId) throw new UndecodableEventError("payload has no event_id");
  return event;
}

/** The type without its proto prefix: CREDIT, DEBIT, TRANSFER_OUT, TRANSFER_IN. */
export function transactionKind(type: TransactionType): string {
  return (TransactionType[type] ?? "UNSPECIFIED").replace(/^TRANSACTION_TYPE_/, "");
}

/**
 * JSON view of an event, shared by the webhook body and the log line. int64 fields
 * (amount, balanceAfter, walletVersion) are decimal strings, as in the proto3 JSON
 * mapping, so no receiver loses precision whatever its JSON parser.
 */
export function eventView(event: TransactionCommitted) {
  return {
    eventId: event.eventId,
    transactionId: event.transactionId,
    walletId: event.walletId,
    ownerId: event.ownerId,
    ownerEmail: event.ownerEmail || null,
    type: transactionKind(event.type),
    amount: event.amount.toString(),
    currency: event.currency,
    balanceAfter: event.balanceAfter.toString(),
    walletVersion: event.walletVersion.toString(),
    occurredAt: event.occurredAt?.toISOString() ?? null,
    transferId: event.transferId || null,
    counterpartyWalletId: event.counterpartyWalletId || null,
    metadata: event.metadata,
  };
}
