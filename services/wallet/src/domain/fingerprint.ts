import { createHash } from "node:crypto";

/**
 * A stable hash of what a mutation asks for, stored with its idempotency key:
 * the same key with the same fingerprint is a replay, with another it is reuse.
 */
export function requestFingerprint(operation: string, fields: Record<string, unknown>): string {
  const canonical = JSON.stringify([operation, sortKeys(fields)], (_k, v) =>
    typeof v === "bigint" ? v.toString() : v,
  );
  return createHash("sha256").update(canonical).digest("base64url");
}

function sortKeys(value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
  return out;
}
