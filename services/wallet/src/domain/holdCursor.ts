import { ValidationError } from "./errors.js";

/*
 * A holds page cursor is the (createdAt, id) of the last hold returned: holds are
 * listed newest first by that pair, and both are fixed once a hold exists, so a
 * hold placed between two page reads sorts before the cursor and never repeats.
 */
const PREFIX = "h1.";
const ID = /^[A-Za-z0-9-]{1,64}$/;

export function encodeHoldCursor(position: { createdAt: Date; id: string }): string {
  return Buffer.from(`${PREFIX}${position.createdAt.getTime()}.${position.id}`).toString("base64url");
}

/** The position to page after, or undefined for the first page. */
export function decodeHoldCursor(cursor: string): { createdAt: Date; id: string } | undefined {
  if (!cursor) return undefined;
  const raw = /^[A-Za-z0-9_-]{1,160}$/.test(cursor) ? Buffer.from(cursor, "base64url").toString() : "";
  const match = raw.startsWith(PREFIX) ? /^(\d{1,15})\.(.+)$/.exec(raw.slice(PREFIX.length)) : null;
  const millis = match ? Number(match[1]) : Number.NaN;
  // Date's own range; beyond it the store would get an Invalid Date.
  if (!match || !ID.test(match[2]) || !Number.isSafeInteger(millis) || millis > 8.64e15)
    throw new ValidationError("cursor", "is not a cursor this service issued");
  return { createdAt: new Date(millis), id: match[2] };
}
