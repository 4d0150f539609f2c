import { type Hold, HoldChanged, HoldStatus, TransactionCommitted, TransactionType } from "@wallet/contracts";
import { HOLD_STATUS_SUBJECT, TRANSACTION_COMMITTED_SUBJECT } from "@wallet/runtime";

/** Raised when a message cannot be read as a wallet event; retrying will not help. */
export class UndecodableEventError extends Error {
  override name = "UndecodableEventError";
}

/** An event the notifier delivers: a committed transaction, or a hold entering a state. */
export type WalletEvent =
  | { kind: "transaction"; eventId: string; ownerEmail: string; transaction: TransactionCommitted }
  | {
      kind: "hold";
      eventId: string;
      ownerEmail: string;
      /** The state the hold entered: PENDING (placed), CAPTURED, VOIDED or EXPIRED. */
      status: HoldStatusName;
      hold: Hold;
      occurredAt: Date | undefined;
    };

export type HoldStatusName = keyof typeof HOLD_STATUS_SUBJECT;

const STATUS_BY_SUBJECT = new Map<string, HoldStatusName>(
  Object.entries(HOLD_STATUS_SUBJECT).map(([status, subject]) => [subject, status as HoldStatusName]),
);

/**
 * Decodes a message by its subject: wallet.v1.TransactionCommitted on
 * wallet.events.transaction.committed, wallet.v1.HoldChanged on wallet.events.hold.<state>
 * (whose hold must be in that state). Anything else, or a payload without the fields
 * every channel relies on, is undecodable.
 */
export function decodeWalletEvent(subject: string, data: Uint8Array): WalletEvent {
  if (subject === TRANSACTION_COMMITTED_SUBJECT) {
    const transaction = decodeTransactionCommitted(data);
    return {
      kind: "transaction",
      eventId: transaction.eventId,
      ownerEmail: transaction.ownerEmail,
      transaction,
    };
  }
  const status = STATUS_BY_SUBJECT.get(subject);
  if (!status) throw new UndecodableEventError(`no event is published on subject ${subject}`);
  let change: HoldChanged;
  try {
    change = HoldChanged.decode(data);
  } catch (err) {
    throw new UndecodableEventError(`payload is not a HoldChanged: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (!change.eventId) throw new UndecodableEventError("payload has no event_id");
  if (!change.hold?.id) throw new UndecodableEventError("payload has no hold");
  if (holdStatusName(change.hold.status) !== status) {
    throw new UndecodableEventError(
      `hold status ${HoldStatus[change.hold.status]} does not match subject ${subject}`,
    );
  }
  return {
    kind: "hold",
    eventId: change.eventId,
    ownerEmail: change.ownerEmail,
    status,
    hold: change.hold,
    occurredAt: change.occurredAt,
  };
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

/** The status without its proto prefix: PENDING, CAPTURED, VOIDED, EXPIRED (UNSPECIFIED otherwise). */
export function holdStatusName(status: HoldStatus): string {
  return (HoldStatus[status] ?? "UNSPECIFIED").replace(/^HOLD_STATUS_/, "");
}

/** What happened to the hold, as the last part of its subject: placed, captured, voided, expired. */
export function holdChange(event: Extract<WalletEvent, { kind: "hold" }>): string {
  return HOLD_STATUS_SUBJECT[event.status].split(".").pop()!;
}

/**
 * JSON view of a transaction event, shared by the webhook body and the log line. int64
 * fields (amount, balanceAfter, walletVersion) are decimal strings, as in the proto3 JSON
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
    reversalOf: event.reversalOf || null,
    holdId: event.holdId || null,
    metadata: event.metadata,
  };
}

/** JSON view of a hold event, like eventView (amounts as decimal strings, absent ids as null). */
export function holdEventView(event: Extract<WalletEvent, { kind: "hold" }>) {
  const h = event.hold;
  return {
    eventId: event.eventId,
    holdId: h.id,
    walletId: h.walletId,
    ownerId: h.ownerId,
    ownerEmail: event.ownerEmail || null,
    status: event.status,
    amount: h.amount.toString(),
    currency: h.currency,
    capturedAmount: h.capturedAmount.toString(),
    captureTransactionId: h.captureTransactionId || null,
    destinationWalletId: h.destinationWalletId || null,
    expiresAt: h.expiresAt?.toISOString() ?? null,
    createdAt: h.createdAt?.toISOString() ?? null,
    endedAt: h.endedAt?.toISOString() ?? null,
    occurredAt: event.occurredAt?.toISOString() ?? null,
    metadata: h.metadata,
  };
}
