import { createHash } from "node:crypto";

/** JSON with object keys sorted at every level, so key order never changes a fingerprint. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** Identifies a request for Idempotency-Key matching: method, route template and canonical body. */
export function requestFingerprint(method: string, route: string, body: unknown): string {
  return createHash("sha256")
    .update(`${method} ${route}\n${canonicalJson(body)}`)
    .digest("base64url");
}
