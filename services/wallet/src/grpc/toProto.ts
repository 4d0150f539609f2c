import * as pb from "@wallet/contracts";
import type { Hold, HoldStatus, Transaction, TransactionType, Wallet } from "../domain/model.js";

const TYPE_TO_PROTO: Record<TransactionType, pb.TransactionType> = {
  CREDIT: pb.TransactionType.TRANSACTION_TYPE_CREDIT,
  DEBIT: pb.TransactionType.TRANSACTION_TYPE_DEBIT,
  TRANSFER_OUT: pb.TransactionType.TRANSACTION_TYPE_TRANSFER_OUT,
  TRANSFER_IN: pb.TransactionType.TRANSACTION_TYPE_TRANSFER_IN,
};

export function transactionTypeToProto(type: TransactionType): pb.TransactionType {
  return TYPE_TO_PROTO[type];
}

const HOLD_STATUS_TO_PROTO: Record<HoldStatus, pb.HoldStatus> = {
  PENDING: pb.HoldStatus.HOLD_STATUS_PENDING,
  CAPTURED: pb.HoldStatus.HOLD_STATUS_CAPTURED,
  VOIDED: pb.HoldStatus.HOLD_STATUS_VOIDED,
  EXPIRED: pb.HoldStatus.HOLD_STATUS_EXPIRED,
};

export function holdStatusToProto(status: HoldStatus): pb.HoldStatus {
  return HOLD_STATUS_TO_PROTO[status];
}

export function walletToProto(w: Wallet): pb.Wallet {
  return {
    id: w.id,
    ownerId: w.ownerId,
    currency: w.currency,
    balance: w.balance,
    version: w.version,
    heldBalance: w.heldBalance,
    availableBalance: w.balance - w.heldBalance,
    createdAt: w.createdAt,
    updatedAt: w.updatedAt,
  };
}

export function transactionToProto(t: Transaction): pb.Transaction {
  return {
    id: t.id,
    walletId: t.walletId,
    ownerId: t.ownerId,
    type: transactionTypeToProto(t.type),
    amount: t.amount,
    currency: t.currency,
    balanceAfter: t.balanceAfter,
    walletVersion: t.walletVersion,
    transferId: t.transferId,
    counterpartyWalletId: t.counterpartyWalletId,
    metadata: t.metadata,
    createdAt: t.createdAt,
    reversalOf: t.reversalOf,
    holdId: t.holdId,
    reversedAmount: t.reversedAmount,
  };
}

export function holdToProto(h: Hold): pb.Hold {
  return {
    id: h.id,
    walletId: h.walletId,
    ownerId: h.ownerId,
    currency: h.currency,
    amount: h.amount,
    status: holdStatusToProto(h.status),
    capturedAmount: h.capturedAmount,
    captureTransactionId: h.captureTransactionId,
    destinationWalletId: h.destinationWalletId,
    expiresAt: h.expiresAt,
    metadata: h.metadata,
    createdAt: h.createdAt,
    endedAt: h.endedAt ?? undefined,
  };
}
