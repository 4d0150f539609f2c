import { MAX_WALLET_VERSION } from "@wallet/contracts";
import { ValidationError } from "./errors.js";

/*
 * Page cursors are opaque to clients: `<prefix><position>` in base64url, where the prefix
 * names the kind of list (and its format version). A cursor is checked whole here, before
 * any store sees it, and anything this service did not issue is one VALIDATION_FAILED.
 */

function seal(prefix: string, position: string): string {
  return Buffer.from(`${prefix}${position}`).toString("base64url");
}

/** The position inside a cursor issued with `prefix`; "" when it is not one. */
function open(cursor: string, prefix: string, maxLength: number): string {
  const raw =
    cursor.length <= maxLength && /^[A-Za-z0-9_-]+$/.test(cursor)
      ? Buffer.from(cursor, "base64url").toString()
      : "";
  return raw.startsWith(prefix) ? raw.slice(prefix.length) : "";
}

function notIssued(): ValidationError {
  return new ValidationError("cursor", "is not a cursor this service issued");
}

/*
 * A history cursor is the wallet version of the last transaction returned. Versions only
 * grow, so rows committed between two page reads sort before the cursor and can neither
 * repeat nor push an item out of the next page.
 */
const HISTORY = "v1.";

export function encodeCursor(walletVersion: bigint): string {
  return seal(HISTORY, walletVersion.toString());
}

/** Returns the version to page below, or undefined for the first page. */
export function decodeCursor(cursor: string): bigint | undefined {
  if (!cursor) return undefined;
  const digits = open(cursor, HISTORY, 64);
  // PostgreSQL would fail on a version above int64 and MongoDB would wrap it.
  if (!/^[1-9]\d{0,18}$/.test(digits) || BigInt(digits) > MAX_WALLET_VERSION) throw notIssued();
  return BigInt(digits);
}

/*
 * A holds cursor is the (createdAt, id) of the last hold returned: holds are listed newest
 * first by that pair, and both are fixed once a hold exists, so a hold placed between two
 * page reads sorts before the cursor and never repeats.
 */
const HOLDS = "h1.";
const HOLD_POSITION = /^(\d{1,15})\.([A-Za-z0-9-]{1,64})$/;

export function encodeHoldCursor(position: { createdAt: Date; id: string }): string {
  return seal(HOLDS, `${position.createdAt.getTime()}.${position.id}`);
}

/** The position to page after, or undefined for the first page. */
export function decodeHoldCursor(cursor: string): { createdAt: Date; id: string } | undefined {
  if (!cursor) return undefined;
  const match = HOLD_POSITION.exec(open(cursor, HOLDS, 160));
  const millis = match ? Number(match[1]) : Number.NaN;
  // Date's own range; beyond it the store would get an Invalid Date.
  if (!match || millis > 8.64e15) throw notIssued();
  return { createdAt: new Date(millis), id: match[2] };
}
