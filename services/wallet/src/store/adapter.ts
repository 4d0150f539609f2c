import type {
  BalanceChange,
  DebitChange,
  Hold,
  MutationResult,
  Transaction,
  TransferChange,
  TransferResult,
  Wallet,
} from "../domain/model.js";
import { isIssuedId, issuedIdOrNone } from "../domain/validation.js";
import type { HoldPosition } from "./port.js";

/** A page of a wallet's history (after: the version it continues below) or holds (after: a position). */
export interface Page<After> {
  ownerId: string;
  walletId: string;
  limit: number;
  after?: After;
}

/** What a lookup by an id no store issued finds, without asking the store. */
const NOTHING = Promise.resolve(null);

/**
 * What both adapters do the same way before their own code runs: a credit and a debit are
 * one balance change with a direction, and an id neither store could have issued is not
 * found: reads answer null without asking the store, and writes get a wallet id that matches
 * nothing, so they report it as not found, never as a driver error about its shape.
 */
export abstract class StoreAdapter {
  credit(change: BalanceChange): Promise<MutationResult> {
    return this.changeBalance("CREDIT", { ...change, walletId: issuedIdOrNone(change.walletId) });
  }

  debit(change: DebitChange): Promise<MutationResult> {
    return this.changeBalance("DEBIT", { ...change, walletId: issuedIdOrNone(change.walletId) });
  }

  transfer(change: TransferChange): Promise<TransferResult> {
    return this.transferBetween({
      ...change,
      fromWalletId: issuedIdOrNone(change.fromWalletId),
      toWalletId: issuedIdOrNone(change.toWalletId),
    });
  }

  getWallet(ownerId: string, walletId: string): Promise<Wallet | null> {
    return isIssuedId(walletId) ? this.walletById(ownerId, walletId) : NOTHING;
  }

  listTransactions(
    ownerId: string,
    walletId: string,
    limit: number,
    beforeVersion?: bigint,
  ): Promise<Transaction[] | null> {
    return isIssuedId(walletId)
      ? this.transactionsOf({ ownerId, walletId, limit, after: beforeVersion })
      : NOTHING;
  }

  getTransaction(ownerId: string, transactionId: string): Promise<Transaction | null> {
    return isIssuedId(transactionId) ? this.transactionById(ownerId, transactionId) : NOTHING;
  }

  getHold(ownerId: string, holdId: string): Promise<Hold | null> {
    return isIssuedId(holdId) ? this.holdById(ownerId, holdId) : NOTHING;
  }

  listHolds(ownerId: string, walletId: string, limit: number, after?: HoldPosition): Promise<Hold[] | null> {
    return isIssuedId(walletId) ? this.holdsOf({ ownerId, walletId, limit, after }) : NOTHING;
  }

  protected abstract walletById(ownerId: string, walletId: string): Promise<Wallet | null>;

  protected abstract transactionsOf(page: Page<bigint>): Promise<Transaction[] | null>;

  protected abstract transactionById(ownerId: string, transactionId: string): Promise<Transaction | null>;

  protected abstract holdById(ownerId: string, holdId: string): Promise<Hold | null>;

  protected abstract holdsOf(page: Page<HoldPosition>): Promise<Hold[] | null>;

  protected abstract changeBalance(kind: "CREDIT" | "DEBIT", change: DebitChange): Promise<MutationResult>;

  protected abstract transferBetween(change: TransferChange): Promise<TransferResult>;
}
