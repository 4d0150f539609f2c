import {
  balanceChangeFingerprint,
  requestFingerprint,
  type TransferFields,
  transferFingerprint,
} from "@wallet/contracts";

/*
 * What identifies a request for Idempotency-Key matching: the normalised
 * request, fingerprinted with the wallet's own function, so that the gateway and
 * the wallet agree on replay versus key reuse (absent metadata is {}, key order
 * and JSON formatting do not matter). Bodies have passed the route's schema.
 */

interface MovementBody {
  walletId: string;
  amount: number;
  metadata?: Record<string, string>;
  expectedVersion?: number;
}

interface PlaceHoldBody {
  walletId: string;
  amount: number;
  expiresInSeconds?: number;
  metadata?: Record<string, string>;
}

interface CaptureBody {
  amount?: number;
  destinationWalletId?: string;
  metadata?: Record<string, string>;
}

const bigintOrUndefined = (n: number | undefined) => (n === undefined ? undefined : BigInt(n));

/** A credit or debit (only a debit's schema admits expectedVersion). */
function movement(operation: "credit" | "debit") {
  return (body: unknown) => {
    const b = body as MovementBody;
    return balanceChangeFingerprint(operation, {
      walletId: b.walletId,
      amount: BigInt(b.amount),
      metadata: b.metadata,
      expectedVersion: bigintOrUndefined(b.expectedVersion),
    });
  };
}

export const fingerprints = {
  createWallet: (body: unknown) =>
    requestFingerprint("createWallet", { currency: (body as { currency: string }).currency }),
  credit: movement("credit"),
  debit: movement("debit"),
  transfer: (body: unknown) => {
    const b = body as Omit<TransferFields, "amount"> & { amount: number };
    return transferFingerprint({ ...b, amount: BigInt(b.amount) });
  },
  // Holds and reversals: absent fields are their defaults (amount 0 = whole/rest, expiry 0 = the
  // wallet's default), and the hold or transaction in the path is part of the request.
  placeHold: (body: unknown) => {
    const b = body as PlaceHoldBody;
    return requestFingerprint("placeHold", {
      wallet: b.walletId,
      amount: BigInt(b.amount),
      expiresInSeconds: BigInt(b.expiresInSeconds ?? 0),
      metadata: b.metadata ?? {},
    });
  },
  captureHold: (body: unknown, params: unknown) => {
    const b = body as CaptureBody;
    return requestFingerprint("captureHold", {
      hold: (params as { holdId: string }).holdId,
      amount: BigInt(b.amount ?? 0),
      destination: b.destinationWalletId ?? "",
      metadata: b.metadata ?? {},
    });
  },
  voidHold: (_body: unknown, params: unknown) =>
    requestFingerprint("voidHold", { hold: (params as { holdId: string }).holdId }),
  reverseTransaction: (body: unknown, params: unknown) => {
    const b = body as { amount?: number; metadata?: Record<string, string> };
    return requestFingerprint("reverseTransaction", {
      transaction: (params as { transactionId: string }).transactionId,
      amount: BigInt(b.amount ?? 0),
      metadata: b.metadata ?? {},
    });
  },
} satisfies Record<string, (body: unknown, params: unknown) => string>;
