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

const bigintOrUndefined = (n: number | undefined) => (n === undefined ? undefined : BigInt(n));

export const fingerprints = {
  createWallet: (body: unknown) =>
    requestFingerprint("createWallet", { currency: (body as { currency: string }).currency }),
  credit: (body: unknown) => {
    const b = body as MovementBody;
    return balanceChangeFingerprint("credit", {
      walletId: b.walletId,
      amount: BigInt(b.amount),
      metadata: b.metadata,
    });
  },
  debit: (body: unknown) => {
    const b = body as MovementBody;
    return balanceChangeFingerprint("debit", {
      walletId: b.walletId,
      amount: BigInt(b.amount),
      metadata: b.metadata,
      expectedVersion: bigintOrUndefined(b.expectedVersion),
    });
  },
  transfer: (body: unknown) => {
    const b = body as Omit<TransferFields, "amount"> & { amount: number };
    return transferFingerprint({ ...b, amount: BigInt(b.amount) });
  },
} satisfies Record<string, (body: unknown) => string>;
