import { requestFingerprint } from "@wallet/contracts";

// Shared with the gateway, which fingerprints the same normalised request.
export { balanceChangeFingerprint, requestFingerprint, transferFingerprint } from "@wallet/contracts";

/*
 * Holds and reversals: the request's meaningful fields, normalised (the expiry as
 * the effective number of seconds, so 0 and the default are the same request).
 */
export function holdFingerprint(r: {
  walletId: string;
  amount: bigint;
  metadata: Record<string, string>;
  expiresInSeconds: number;
}): string {
  return requestFingerprint("placeHold", {
    wallet: r.walletId,
    amount: r.amount,
    metadata: r.metadata,
    expiresInSeconds: r.expiresInSeconds,
  });
}

export function captureFingerprint(r: {
  holdId: string;
  amount: bigint;
  destinationWalletId: string;
  metadata: Record<string, string>;
}): string {
  return requestFingerprint("captureHold", {
    hold: r.holdId,
    amount: r.amount,
    destination: r.destinationWalletId,
    metadata: r.metadata,
  });
}

export function voidFingerprint(r: { holdId: string }): string {
  return requestFingerprint("voidHold", { hold: r.holdId });
}

export function reversalFingerprint(r: {
  transactionId: string;
  amount: bigint;
  metadata: Record<string, string>;
}): string {
  return requestFingerprint("reverse", {
    transaction: r.transactionId,
    amount: r.amount,
    metadata: r.metadata,
  });
}
