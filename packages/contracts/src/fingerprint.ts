import { createHash } from "node:crypto";

/**
 * A stable hash of what a mutation asks for, stored with its idempotency key:
 * the same key with the same fingerprint is a replay, with another it is reuse.
 * The wallet stores it with each transaction and the gateway with each
 * idempotency record; both compute it from the normalised request with the
 * functions below, so a request is a replay for both or for neither.
 */
export function requestFingerprint(operation: string, fields: Record<string, unknown>): string {
  const canonical = JSON.stringify([operation, sortKeys(fields)], (_k, v) =>
    typeof v === "bigint" ? v.toString() : v,
  );
  return createHash("sha256").update(canonical).digest("base64url");
}

function sortKeys(value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  // No prototype, so a key such as "__proto__" stays an ordinary entry.
  const out: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
  return out;
}

export interface BalanceChangeFields {
  walletId: string;
  amount: bigint;
  /** Absent and empty are the same request. */
  metadata?: Record<string, string>;
  expectedVersion?: bigint;
}

/** Credit or debit, normalised: absent metadata is {}, an absent expectedVersion is left out. */
export function balanceChangeFingerprint(operation: "credit" | "debit", r: BalanceChangeFields): string {
  return requestFingerprint(operation, {
    wallet: r.walletId,
    amount: r.amount,
    metadata: r.metadata ?? {},
    expectedVersion: r.expectedVersion,
  });
}

export interface TransferFields {
  fromWalletId: string;
  toWalletId: string;
  amount: bigint;
  metadata?: Record<string, string>;
}

export function transferFingerprint(r: TransferFields): string {
  return requestFingerprint("transfer", {
    from: r.fromWalletId,
    to: r.toWalletId,
    amount: r.amount,
    metadata: r.metadata ?? {},
  });
}
