import type {
  BalanceChange,
  DebitChange,
  MutationResult,
  TransferChange,
  TransferResult,
} from "../domain/model.js";
import { issuedIdOrNone } from "../domain/validation.js";

/**
 * What both adapters do the same way before their own code runs: a credit and a debit are
 * one balance change with a direction, and a wallet id neither store could have issued is
 * replaced by one that matches nothing, so it comes back as not found, never as a driver
 * error about its shape.
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

  protected abstract changeBalance(kind: "CREDIT" | "DEBIT", change: DebitChange): Promise<MutationResult>;

  protected abstract transferBetween(change: TransferChange): Promise<TransferResult>;
}
