import { MAX_AMOUNT } from "@wallet/contracts";
import {
  AmountExceedsRemainingError,
  ConcurrentUpdateError,
  CurrencyMismatchError,
  HoldNotPendingError,
  IdempotencyKeyReusedError,
  InsufficientFundsError,
  ValidationError,
  WalletNotFoundError,
} from "./errors.js";
import type { Money } from "./model.js";

/*
 * The checks every store makes, in the same order, once it has read the rows they are
 * about. The stores differ in how they read and lock; what is refused, and with which
 * error, is decided here.
 */

/** A wallet's funds as the checks read them: available = balance − held. */
export interface Funds {
  balance: Money;
  available: Money;
}

/** A key already stored with another request's fingerprint is a reuse, not a replay. */
export function requireSameRequest(storedFingerprint: string | null | undefined, fingerprint: string): void {
  if (storedFingerprint !== fingerprint) throw new IdempotencyKeyReusedError();
}

/** Money leaves a wallet only from its available funds. */
export function requireFunds(available: Money, amount: Money): void {
  if (available < amount) throw new InsufficientFundsError();
}

/** Why a balance may not grow by `amount`: it would pass MAX_AMOUNT. */
export function ceilingError(whose: "the" | "the destination" = "the"): ValidationError {
  return new ValidationError("amount", `${whose} balance would exceed ${MAX_AMOUNT}`);
}

/** A balance stays within MAX_AMOUNT; `whose` names the wallet in the message. */
export function requireRoom(balance: Money, amount: Money, whose: "the" | "the destination" = "the"): void {
  if (balance + amount > MAX_AMOUNT) throw ceilingError(whose);
}

/** Money moved between two wallets: the source can spend it and the destination can take it. */
export function requireMove(fromAvailable: Money, toBalance: Money, amount: Money): void {
  requireFunds(fromAvailable, amount);
  requireRoom(toBalance, amount, "the destination");
}

/**
 * Why a credit or debit (or a hold, which spends like a debit) could not apply to the
 * owner's wallet as read (undefined: the owner has no such wallet): not found, then a
 * version other than the expected one, then funds or the ceiling. Returns when nothing
 * refuses it, because the wallet has changed since the attempt (the caller tries again).
 */
export function explainRefusal(
  wallet: (Funds & { version: bigint }) | undefined,
  kind: "CREDIT" | "DEBIT",
  change: { amount: Money; expectedVersion?: bigint },
): void {
  if (!wallet) throw new WalletNotFoundError();
  if (change.expectedVersion !== undefined && wallet.version !== change.expectedVersion) {
    throw new ConcurrentUpdateError();
  }
  if (kind === "DEBIT") requireFunds(wallet.available, change.amount);
  else requireRoom(wallet.balance, change.amount);
}

/** The two wallets of a transfer: the caller's source and a destination, distinct and in one currency. */
export function transferPair<W extends { id: string; currency: string }>(
  from: W | undefined,
  to: W | undefined,
): { from: W; to: W } {
  if (!from) throw new WalletNotFoundError("Source wallet not found");
  if (!to) throw new WalletNotFoundError("Destination wallet not found");
  // The service refuses this earlier; here it would debit the one wallet twice.
  if (from.id === to.id) throw new ValidationError("to_wallet_id", "must differ from from_wallet_id");
  if (from.currency !== to.currency) throw new CurrencyMismatchError();
  return { from, to };
}

/** What a capture takes: the amount asked for (0: the whole hold), never more than the hold. */
export function captureAmount(holdAmount: Money, requested: Money): Money {
  const amount = requested === 0n ? holdAmount : requested;
  if (amount > holdAmount) {
    throw new AmountExceedsRemainingError(`Capture of ${amount} exceeds the hold's ${holdAmount}`);
  }
  return amount;
}

/** A capture's destination: another wallet, found, in the hold's currency, with room for the amount. */
export function captureDestination<W extends { id: string; currency: string; balance: Money }>(
  hold: { walletId: string; currency: string },
  destination: W | undefined,
  amount: Money,
): W {
  if (destination?.id === hold.walletId) {
    throw new ValidationError("destination_wallet_id", "must not be the hold's own wallet");
  }
  if (!destination) throw new WalletNotFoundError("Destination wallet not found");
  if (destination.currency !== hold.currency) throw new CurrencyMismatchError();
  requireRoom(destination.balance, amount, "the destination");
  return destination;
}

/**
 * A capture or void meeting a hold that has ended: a replay when this key ended it with
 * the same request; the key reused for another request; otherwise the hold is no longer
 * pending. Returns when it is a replay.
 */
export function requireEndReplay(
  hold: { status: string; endKey?: string | null; endFingerprint?: string | null },
  ending: { status: string; idempotencyKey: string; fingerprint: string },
): void {
  if (hold.endKey !== ending.idempotencyKey) throw new HoldNotPendingError(hold.status);
  if (hold.endFingerprint !== ending.fingerprint || hold.status !== ending.status) {
    throw new IdempotencyKeyReusedError();
  }
}
