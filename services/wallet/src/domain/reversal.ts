import { AmountExceedsRemainingError, NotReversibleError, PermissionDeniedError } from "./errors.js";
import type { Money, ReversalRequest } from "./model.js";

/** What the rules of a reversal read of the original transaction, whatever store it comes from. */
export interface ReversalOriginal {
  /** CREDIT, DEBIT, TRANSFER_OUT or TRANSFER_IN. */
  type: string;
  /** Set when the original is itself a reversal. */
  isReversal: boolean;
  amount: Money;
  /** How much of it earlier reversals already returned. */
  reversedAmount: Money;
}

/**
 * The amount a reversal returns, after the rules every store applies in the same order once it
 * has found the original among the owner's transactions: the original is not itself a
 * reversal, is not the TRANSFER_OUT leg of a transfer (a transfer is reversed through its
 * TRANSFER_IN leg), a DEBIT is reversed only with the credit scope, and the amount (0: all that
 * is left) fits in what is not reversed yet.
 */
export function reversalAmount(original: ReversalOriginal, request: ReversalRequest): Money {
  if (original.isReversal) throw new NotReversibleError("A reversal cannot be reversed");
  if (original.type === "TRANSFER_OUT") {
    throw new NotReversibleError(
      "A TRANSFER_OUT leg is not reversible: reverse a transfer through its TRANSFER_IN leg",
    );
  }
  if (original.type === "DEBIT" && !request.mayCredit) {
    throw new PermissionDeniedError("Reversing a debit needs the credit scope");
  }
  const rest = original.amount - original.reversedAmount;
  if (rest === 0n) throw new AmountExceedsRemainingError("The transaction is already reversed in full");
  const amount = request.amount === 0n ? rest : request.amount;
  if (amount > rest) {
    throw new AmountExceedsRemainingError(`Reversal of ${amount} exceeds the ${rest} not reversed yet`);
  }
  return amount;
}
