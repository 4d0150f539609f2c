import {
  type Hold,
  HoldStatus,
  type Transaction,
  TransactionType,
  type TransferResponse,
  type Wallet,
} from "@wallet/contracts";
import { ApiError } from "../http/apiError.js";

const TYPE_NAMES: Partial<Record<TransactionType, string>> = {
  [TransactionType.TRANSACTION_TYPE_CREDIT]: "credit",
  [TransactionType.TRANSACTION_TYPE_DEBIT]: "debit",
  [TransactionType.TRANSACTION_TYPE_TRANSFER_OUT]: "transfer_out",
  [TransactionType.TRANSACTION_TYPE_TRANSFER_IN]: "transfer_in",
};

/** Unwraps a message field proto3 makes optional; absence means the wallet broke its contract. */
export function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new ApiError(500, "INTERNAL", "Internal server error", {}, { cause: what });
  return value;
}

const HOLD_STATUS_NAMES: Partial<Record<HoldStatus, string>> = {
  [HoldStatus.HOLD_STATUS_PENDING]: "pending",
  [HoldStatus.HOLD_STATUS_CAPTURED]: "captured",
  [HoldStatus.HOLD_STATUS_VOIDED]: "voided",
  [HoldStatus.HOLD_STATUS_EXPIRED]: "expired",
};

const iso = (d: Date | undefined) => (d ?? new Date(0)).toISOString();

/** The REST shape of a wallet. */
export function walletResource(w: Wallet) {
  return {
    id: w.id,
    currency: w.currency,
    balance: w.balance,
    heldBalance: w.heldBalance,
    availableBalance: w.availableBalance,
    version: w.version,
    createdAt: iso(w.createdAt),
    updatedAt: iso(w.updatedAt),
  };
}

/** What every committed money movement reports (the schemas' `movementFields`). */
function movementFields(t: Transaction) {
  return {
    amount: t.amount,
    currency: t.currency,
    version: t.walletVersion,
    metadata: t.metadata,
    createdAt: iso(t.createdAt),
  };
}

/** What a transaction reports in both of its REST shapes: its wallet and type, and the movement. */
function transactionFields(t: Transaction) {
  return { walletId: t.walletId, type: TYPE_NAMES[t.type] ?? "unknown", ...movementFields(t) };
}

/** The REST shape of one history entry. */
export function transactionResource(t: Transaction) {
  return {
    id: t.id,
    ...transactionFields(t),
    balanceAfter: t.balanceAfter,
    transferId: t.transferId || null,
    counterpartyWalletId: t.counterpartyWalletId || null,
    reversalOf: t.reversalOf || null,
    holdId: t.holdId || null,
    reversedAmount: t.reversedAmount,
  };
}

/**
 * The REST shape of a hold: the proto Hold without owner_id (like wallets and
 * transactions), statuses in lower case, empty ids and an unset end as null.
 */
export function holdResource(h: Hold) {
  return {
    id: h.id,
    walletId: h.walletId,
    currency: h.currency,
    amount: h.amount,
    status: HOLD_STATUS_NAMES[h.status] ?? "unknown",
    capturedAmount: h.capturedAmount,
    captureTransactionId: h.captureTransactionId || null,
    destinationWalletId: h.destinationWalletId || null,
    expiresAt: iso(h.expiresAt),
    metadata: h.metadata,
    createdAt: iso(h.createdAt),
    endedAt: h.endedAt ? h.endedAt.toISOString() : null,
  };
}

/** The result of a credit or debit: the new transaction and the balance after it. */
export function movementResult(t: Transaction) {
  return { transactionId: t.id, balance: t.balanceAfter, ...transactionFields(t) };
}

/** The result of a transfer: the caller's (debit) leg and the from-wallet's balance after it. */
export function transferResult(res: TransferResponse, fromWalletId: string, toWalletId: string) {
  const leg = required(res.debit, "debit");
  return {
    transferId: res.transferId,
    transactionId: leg.id,
    fromWalletId,
    toWalletId,
    balance: leg.balanceAfter,
    ...movementFields(leg),
  };
}
