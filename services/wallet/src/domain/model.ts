/** Money is always bigint minor units; never a JS number. */
export type Money = bigint;

export type TransactionType = "CREDIT" | "DEBIT" | "TRANSFER_OUT" | "TRANSFER_IN";

export interface Wallet {
  id: string;
  ownerId: string;
  ownerEmail: string;
  currency: string;
  balance: Money;
  /** Sum of the wallet's pending holds; available = balance - heldBalance, never negative. */
  heldBalance: Money;
  version: bigint;
  createdAt: Date;
  updatedAt: Date;
}

/** What every transaction records of the money it moved in one wallet. */
interface Movement {
  walletId: string;
  ownerId: string;
  type: TransactionType;
  amount: Money;
  currency: string;
  balanceAfter: Money;
  walletVersion: bigint;
}

/** A transaction's links to others; "" where it has none. */
interface TransactionLinks {
  transferId: string;
  counterpartyWalletId: string;
  /** The transaction this one reverses. */
  reversalOf: string;
  /** The hold whose capture made this transaction. */
  holdId: string;
}

export interface Transaction extends Movement, TransactionLinks {
  id: string;
  metadata: Record<string, string>;
  createdAt: Date;
  /** How much of this transaction has been reversed so far (0 for reversals themselves). */
  reversedAmount: Money;
}

/**
 * A transaction as a store records it: the links it does not have are absent (not ""),
 * and the caller's idempotency key and fingerprint are on its own leg only.
 */
export interface LedgerEntry extends Movement, Partial<TransactionLinks> {
  idempotencyKey?: string;
  fingerprint?: string;
}

/** A hold starts PENDING and ends exactly once, as CAPTURED, VOIDED or EXPIRED. */
export type HoldStatus = "PENDING" | "CAPTURED" | "VOIDED" | "EXPIRED";

export interface Hold {
  id: string;
  walletId: string;
  ownerId: string;
  currency: string;
  /** What the hold reserves while PENDING. */
  amount: Money;
  status: HoldStatus;
  /** What the capture moved: 0 unless CAPTURED; the rest was released. */
  capturedAmount: Money;
  /** The capture's DEBIT, or the TRANSFER_OUT leg of its transfer; "" unless CAPTURED. */
  captureTransactionId: string;
  /** Set when the capture was a transfer. */
  destinationWalletId: string;
  expiresAt: Date;
  metadata: Record<string, string>;
  createdAt: Date;
  /** When the hold was captured, voided or expired; null while PENDING. */
  endedAt: Date | null;
}

/** A committed (or replayed) mutation's result. */
export interface MutationResult {
  transaction: Transaction;
  replayed: boolean;
  /** Events written to the outbox by this commit (none on a replay), for immediate publishing. */
  events: OutboxEvent[];
}

export interface TransferResult {
  transferId: string;
  debit: Transaction;
  replayed: boolean;
  events: OutboxEvent[];
}

/**
 * What every write carries: the owner it acts for, and the idempotency key that makes a repeat of the
 * same request a replay (in the owner's transaction key space unless the request says otherwise).
 */
export interface WriteRequest {
  ownerId: string;
  idempotencyKey: string;
  /** sha256 of the request's meaningful fields, to tell a replay from key reuse. */
  fingerprint: string;
  requestId: string;
  /** The caller's cancellation: once aborted, the store stops and rolls back unless it is already committing. */
  signal?: AbortSignal;
}

export interface BalanceChange extends WriteRequest {
  walletId: string;
  amount: Money;
  metadata: Record<string, string>;
}

export interface DebitChange extends BalanceChange {
  expectedVersion?: bigint;
}

export interface TransferChange extends WriteRequest {
  fromWalletId: string;
  toWalletId: string;
  amount: Money;
  metadata: Record<string, string>;
}

/** The idempotency key is in the owner's key space of holds, apart from transactions. */
export interface HoldPlacement extends WriteRequest {
  walletId: string;
  amount: Money;
  /** Absolute expiry, already bounded by the ledger's default and maximum. */
  expiresAt: Date;
  metadata: Record<string, string>;
}

/** The idempotency key is scoped to the hold: a repeat with the same key and request replays the capture. */
export interface HoldCapture extends WriteRequest {
  holdId: string;
  /** 0 captures the whole hold; the rest of the hold is released. */
  amount: Money;
  /** "" captures as a debit; a wallet id captures as a transfer into it (same currency). */
  destinationWalletId: string;
  metadata: Record<string, string>;
}

/** The idempotency key is scoped to the hold: a repeat with the same key replays the void. */
export interface HoldRelease extends WriteRequest {
  holdId: string;
}

export interface HoldResult {
  hold: Hold;
  replayed: boolean;
  events: OutboxEvent[];
}

export interface CaptureResult extends HoldResult {
  transaction: Transaction;
}

/** The idempotency key is in the owner's transaction key space, like credits and debits. */
export interface ReversalRequest extends WriteRequest {
  /** A CREDIT, a DEBIT, or the TRANSFER_IN leg of a transfer, of a wallet the owner holds. */
  transactionId: string;
  /** 0 reverses everything not reversed yet. */
  amount: Money;
  /** Whether the caller may bring money in from outside (credit scope): needed to reverse a DEBIT. */
  mayCredit: boolean;
  metadata: Record<string, string>;
}

export interface ReversalResult {
  /** The new transaction on the wallet the money returns from (for a transfer, its TRANSFER_OUT leg). */
  reversal: Transaction;
  /** The reversal's own transfer id when a transfer was reversed; "" otherwise. */
  transferId: string;
  replayed: boolean;
  events: OutboxEvent[];
}

/** One unpublished event, as stored in the outbox: a committed transaction or a hold transition. */
export type OutboxEvent = TransactionEvent | HoldEvent;

/** wallet.v1.TransactionCommitted, one per transaction (a transfer or its reversal commits two). */
export interface TransactionEvent {
  kind: "transaction";
  eventId: string;
  requestId: string;
  ownerEmail: string;
  transaction: Transaction;
}

/** wallet.v1.HoldChanged, one per hold transition; `hold` as of that transition. */
export interface HoldEvent {
  kind: "hold";
  eventId: string;
  requestId: string;
  ownerEmail: string;
  hold: Hold;
  occurredAt: Date;
}
