import { MAX_WALLET_VERSION } from "@wallet/contracts";
import { ValidationError } from "./errors.js";

/*
 * A page cursor is the wallet version of the last item returned. Versions only
 * grow, so rows committed between two page reads sort before the cursor and can
 * neither repeat nor push an item out of the next page.
 */
const PREFIX = "v1.";

export function encodeCursor(walletVersion: bigint): string {
  return Buffer.from(`${PREFIX}${walletVersion}`).toString("base64url");
}

/** Returns the version to page below, or undefined for the first page. */
export function decodeCursor(cursor: string): bigint | undefined {
  if (!cursor) return undefined;
  const raw = /^[A-Za-z0-9_-]{1,64}$/.test(cursor) ? Buffer.from(cursor, "base64url").toString() : "";
  const digits = raw.startsWith(PREFIX) ? raw.slice(PREFIX.length) : "";
  // Checked here, before any store: PostgreSQL would fail on a version above int64 and MongoDB would wrap it.
  if (!/^[1-9]\d{0,18}$/.test(digits) || BigInt(digits) > MAX_WALLET_VERSION)
    throw new ValidationError("cursor", "is not a cursor this service issued");
  return BigInt(digits);
}
