import type { Collection, Filter, MongoClient } from "mongodb";
import type {
  Hold,
  HoldEvent,
  HoldStatus,
  LedgerEntry,
  OutboxEvent,
  Transaction,
  TransactionEvent,
  Wallet,
} from "../../domain/model.js";
import type { Funds } from "../../domain/rules.js";

/** A wallet as stored. Money and versions are int64 in BSON, bigint in JS (useBigInt64). */
export interface WalletDoc {
  _id: string;
  ownerId: string;
  ownerEmail: string;
  currency: string;
  balance: bigint;
  /** Sum of the wallet's pending holds; absent (0) on wallets written before holds existed. */
  held?: bigint;
  version: bigint;
  createdAt: Date;
  updatedAt: Date;
}

/*
 * Metadata keys come from clients and may hold "." or start with "$", which
 * MongoDB treats specially as field names; as values in a list they are inert.
 */
export interface MetadataEntry {
  k: string;
  v: string;
}

/** Absent idempotency keys (every leg but the caller's) stay out of the unique partial index. */
export interface TransactionDoc extends LedgerEntry {
  _id: string;
  metadata: MetadataEntry[];
  createdAt: Date;
  /** How much has been reversed so far; absent (0) until the first reversal. */
  reversedAmount?: bigint;
}

/** A transaction as an outbox row carries it (no key). */
export type TransactionSnapshot = Omit<TransactionDoc, "idempotencyKey" | "fingerprint">;

/*
 * A hold as stored. The placement's idempotency key is in the owner's holds key
 * space (unique partial index); the key of the capture or void that ended it is
 * scoped to the hold and kept on it (endKey, endFingerprint) to tell a replay
 * from another request.
 */
export interface HoldDoc {
  _id: string;
  walletId: string;
  ownerId: string;
  currency: string;
  amount: bigint;
  status: HoldStatus;
  /** Set when CAPTURED. */
  capturedAmount?: bigint;
  captureTransactionId?: string;
  destinationWalletId?: string;
  expiresAt: Date;
  metadata: MetadataEntry[];
  createdAt: Date;
  /** Set when the hold ends. */
  endedAt?: Date;
  idempotencyKey: string;
  fingerprint: string;
  endKey?: string;
  endFingerprint?: string;
}

/** A hold as of one transition, as an outbox row carries it (no keys). */
export type HoldSnapshot = Omit<HoldDoc, "idempotencyKey" | "fingerprint" | "endKey" | "endFingerprint">;

/**
 * An outbox row carries its transaction or its hold as of the transition, so a
 * sweep needs no second lookup. Rows written before holds existed have no kind:
 * they are transaction events.
 */
export interface OutboxDoc {
  _id: string;
  kind?: "transaction" | "hold";
  requestId: string;
  ownerEmail: string;
  transaction?: TransactionSnapshot;
  hold?: HoldSnapshot;
  /** When the event happened: the transaction's createdAt, or the hold's createdAt (PENDING) or endedAt. */
  createdAt: Date;
  /** Present (true) until published; the partial index holds only these rows. */
  pending?: true;
  /** Rows are claimable once this lies in the past; starts at the epoch. */
  claimedUntil: Date;
  claimToken?: string;
  publishedAt?: Date;
}

/** The handles every store operation works with. */
export interface Collections {
  client: MongoClient;
  /** Time all attempts of one write's transaction may take together; 0: no bound beyond the attempts. */
  budgetMs: number;
  wallets: Collection<WalletDoc>;
  transactions: Collection<TransactionDoc>;
  outbox: Collection<OutboxDoc>;
  holds: Collection<HoldDoc>;
}

/** Reads an int64 field as bigint; tolerates small integers written by other tools as int32/double. */
export function int64(value: unknown, field: string): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  throw new TypeError(`${field} is not an integer: ${String(value)}`);
}

/**
 * Matches a wallet whose available funds (balance − held) cover amount; a wallet
 * written before holds existed has nothing held. The subtraction is of two int64s
 * within 0..2^53-1, so it cannot overflow.
 */
export function availableAtLeast(amount: bigint): Filter<WalletDoc> {
  return { $expr: { $gte: [{ $subtract: ["$balance", { $ifNull: ["$held", 0n] }] }, amount] } };
}

/** What a wallet can spend: balance minus its pending holds. */
export function available(wallet: Wallet): bigint {
  return wallet.balance - wallet.heldBalance;
}

/** A wallet's funds and version as the domain's checks read them. */
export function fundsOf(wallet: Wallet): Funds & { version: bigint } {
  return { balance: wallet.balance, available: available(wallet), version: wallet.version };
}

export function encodeMetadata(metadata: Record<string, string>): MetadataEntry[] {
  return Object.entries(metadata).map(([k, v]) => ({ k, v }));
}

export function decodeMetadata(entries: MetadataEntry[] | undefined): Record<string, string> {
  return Object.fromEntries((entries ?? []).map((e) => [e.k, e.v]));
}

export function toWallet(d: WalletDoc): Wallet {
  return {
    id: d._id,
    ownerId: d.ownerId,
    ownerEmail: d.ownerEmail,
    currency: d.currency,
    balance: int64(d.balance, "balance"),
    heldBalance: d.held === undefined || d.held === null ? 0n : int64(d.held, "held"),
    version: int64(d.version, "version"),
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

export function toTransaction(d: TransactionSnapshot): Transaction {
  return {
    id: d._id,
    walletId: d.walletId,
    ownerId: d.ownerId,
    type: d.type,
    amount: int64(d.amount, "amount"),
    currency: d.currency,
    balanceAfter: int64(d.balanceAfter, "balanceAfter"),
    walletVersion: int64(d.walletVersion, "walletVersion"),
    transferId: d.transferId ?? "",
    counterpartyWalletId: d.counterpartyWalletId ?? "",
    metadata: decodeMetadata(d.metadata),
    createdAt: d.createdAt,
    reversalOf: d.reversalOf ?? "",
    holdId: d.holdId ?? "",
    reversedAmount:
      d.reversedAmount === undefined || d.reversedAmount === null
        ? 0n
        : int64(d.reversedAmount, "reversedAmount"),
  };
}

export function toHold(d: HoldSnapshot): Hold {
  return {
    id: d._id,
    walletId: d.walletId,
    ownerId: d.ownerId,
    currency: d.currency,
    amount: int64(d.amount, "amount"),
    status: d.status,
    capturedAmount:
      d.capturedAmount === undefined || d.capturedAmount === null
        ? 0n
        : int64(d.capturedAmount, "capturedAmount"),
    captureTransactionId: d.captureTransactionId ?? "",
    destinationWalletId: d.destinationWalletId ?? "",
    expiresAt: d.expiresAt,
    metadata: decodeMetadata(d.metadata),
    createdAt: d.createdAt,
    endedAt: d.endedAt ?? null,
  };
}

export function newOutboxDoc(
  eventId: string,
  transaction: TransactionDoc,
  requestId: string,
  ownerEmail: string,
): OutboxDoc {
  const { idempotencyKey: _key, fingerprint: _fingerprint, ...event } = transaction;
  return {
    _id: eventId,
    kind: "transaction",
    requestId,
    ownerEmail,
    transaction: event,
    createdAt: transaction.createdAt,
    pending: true,
    claimedUntil: new Date(0),
  };
}

/** A hold's transition as an outbox row: the hold as it is after the transition. */
export function newHoldOutboxDoc(
  eventId: string,
  hold: HoldDoc,
  requestId: string,
  ownerEmail: string,
): OutboxDoc {
  const {
    idempotencyKey: _key,
    fingerprint: _fingerprint,
    endKey: _endKey,
    endFingerprint: _endFingerprint,
    ...snapshot
  } = hold;
  return {
    _id: eventId,
    kind: "hold",
    requestId,
    ownerEmail,
    hold: snapshot,
    createdAt: hold.endedAt ?? hold.createdAt,
    pending: true,
    claimedUntil: new Date(0),
  };
}

export function toOutboxEvent(d: OutboxDoc): OutboxEvent {
  if (d.kind === "hold") return toHoldEvent(d);
  return toTransactionEvent(d);
}

/** What every event takes from its outbox document, whatever it is about. */
function envelope(d: OutboxDoc): Pick<OutboxEvent, "eventId" | "requestId" | "ownerEmail"> {
  return { eventId: d._id, requestId: d.requestId, ownerEmail: d.ownerEmail };
}

export function toTransactionEvent(d: OutboxDoc): TransactionEvent {
  if (!d.transaction) throw new TypeError(`outbox row ${d._id} has no transaction`);
  return { kind: "transaction", ...envelope(d), transaction: toTransaction(d.transaction) };
}

export function toHoldEvent(d: OutboxDoc): HoldEvent {
  if (!d.hold) throw new TypeError(`outbox row ${d._id} has no hold`);
  return { kind: "hold", ...envelope(d), hold: toHold(d.hold), occurredAt: d.createdAt };
}
