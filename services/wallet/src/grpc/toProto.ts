import * as pb from "@wallet/contracts";
import type { Transaction, TransactionType, Wallet } from "../domain/model.js";

const TYPE_TO_PROTO: Record<TransactionType, pb.TransactionType> = {
  CREDIT: pb.TransactionType.TRANSACTION_TYPE_CREDIT,
  DEBIT: pb.TransactionType.TRANSACTION_TYPE_DEBIT,
  TRANSFER_OUT: pb.TransactionType.TRANSACTION_TYPE_TRANSFER_OUT,
  TRANSFER_IN: pb.TransactionType.TRANSACTION_TYPE_TRANSFER_IN,
};

export function transactionTypeToProto(type: TransactionType): pb.TransactionType {
  return TYPE_TO_PROTO[type];
}

export function walletToProto(w: Wallet): pb.Wallet {
  return {
    id: w.id,
    ownerId: w.ownerId,
    currency: w.currency,
    balance: w.balance,
    version: w.version,
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
  };
}
