/**
 * Limits and text rules shared by the gateway (JSON schemas, token checks) and the
 * wallet (request validation), so that a value one layer accepts is never refused
 * by the other or by the store. Lengths count characters (Unicode code points),
 * as JSON Schema's maxLength does.
 */

/** Largest amount or balance: 2^53-1, so JSON clients never lose precision. */
export const MAX_AMOUNT = 9007199254740991n;
/** Largest wallet version a page cursor may name: the stores keep versions as int64. */
export const MAX_WALLET_VERSION = 9223372036854775807n;
/** The owner id is the JWT `sub`. */
export const MAX_OWNER_ID_LENGTH = 255;
export const MAX_EMAIL_LENGTH = 320;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
export const MAX_ID_LENGTH = 64;
export const MAX_METADATA_ENTRIES = 20;
export const MAX_METADATA_KEY_LENGTH = 64;
export const MAX_METADATA_VALUE_LENGTH = 512;
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/**
 * Text every store can hold: no NUL (PostgreSQL text and jsonb refuse it) and no
 * lone UTF-16 surrogate (not a character; jsonb refuses it, UTF-8 cannot encode it).
 * For JSON Schema `pattern`, which Ajv compiles with the `u` flag.
 */
export const STORABLE_TEXT_PATTERN = "^[^\\u0000\\uD800-\\uDFFF]*$";
/** Storable text without control characters (C0 and DEL): names, keys, addresses. */
export const PRINTABLE_TEXT_PATTERN = "^[^\\u0000-\\u001F\\u007F\\uD800-\\uDFFF]*$";

const STORABLE = new RegExp(STORABLE_TEXT_PATTERN, "u");
const PRINTABLE = new RegExp(PRINTABLE_TEXT_PATTERN, "u");

export function isStorableText(s: string): boolean {
  return STORABLE.test(s);
}

export function isPrintableText(s: string): boolean {
  return PRINTABLE.test(s);
}

/** Length in characters (code points); a surrogate pair counts once. */
export function charLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** A usable owner id (JWT `sub`): 1-255 printable characters. */
export function isOwnerId(s: unknown): s is string {
  return typeof s === "string" && s.length > 0 && isPrintableText(s) && charLength(s) <= MAX_OWNER_ID_LENGTH;
}

/** A usable owner email: up to 320 printable characters (empty means none). */
export function isOwnerEmail(s: unknown): s is string {
  return typeof s === "string" && isPrintableText(s) && charLength(s) <= MAX_EMAIL_LENGTH;
}
