// One limit, one constant: the gateway checks the same values before a request gets here.
import {
  charLength,
  DEFAULT_PAGE_SIZE,
  isOwnerEmail,
  isOwnerId,
  isPrintableText,
  isStorableText,
  MAX_AMOUNT,
  MAX_EMAIL_LENGTH,
  MAX_ID_LENGTH,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  MAX_METADATA_ENTRIES,
  MAX_METADATA_KEY_LENGTH,
  MAX_METADATA_VALUE_LENGTH,
  MAX_OWNER_ID_LENGTH,
  MAX_PAGE_SIZE,
} from "@wallet/contracts";
import { ValidationError } from "./errors.js";

const CURRENCY = /^[A-Z]{3}$/;
const PRINTABLE = /^[\x21-\x7e]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function validateAmount(amount: bigint): bigint {
  if (amount <= 0n) throw new ValidationError("amount", "must be a positive integer of minor units");
  if (amount > MAX_AMOUNT) throw new ValidationError("amount", `must be at most ${MAX_AMOUNT}`);
  return amount;
}

/** Amounts where 0 means "all of it" (the whole hold, the rest of a transaction); else as validateAmount. */
export function validateAmountOrZero(amount: bigint): bigint {
  if (amount < 0n) throw new ValidationError("amount", "must not be negative (0 means all of it)");
  if (amount > MAX_AMOUNT) throw new ValidationError("amount", `must be at most ${MAX_AMOUNT}`);
  return amount;
}

export function validateCurrency(currency: string): string {
  if (!CURRENCY.test(currency)) throw new ValidationError("currency", "must be an ISO 4217 code like USD");
  return currency;
}

export function validateOwnerId(ownerId: string): string {
  if (!isOwnerId(ownerId)) {
    throw new ValidationError("owner_id", `is required (1-${MAX_OWNER_ID_LENGTH} printable characters)`);
  }
  return ownerId;
}

/** Empty means no email; else printable text (no control characters: it may end up in mail headers). */
export function validateOwnerEmail(email: string): string {
  if (!isOwnerEmail(email)) {
    throw new ValidationError("owner_email", `must be at most ${MAX_EMAIL_LENGTH} printable characters`);
  }
  return email;
}

/**
 * Ids are opaque to clients: an empty or absurd id is a bad request, any other
 * string that names no wallet of the caller is simply not found.
 */
export function validateId(field: string, id: string): string {
  if (!id || id.length > MAX_ID_LENGTH || !PRINTABLE.test(id))
    throw new ValidationError(field, "is required");
  return id;
}

/** True when the id has the shape of ids this service issues (UUID). */
export function isIssuedId(id: string): boolean {
  return UUID.test(id);
}

export function validateIdempotencyKey(key: string): string {
  if (!key || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || !PRINTABLE.test(key)) {
    throw new ValidationError("idempotency_key", "is required (1-255 printable ASCII characters)");
  }
  return key;
}

export function validateMetadata(metadata: Record<string, string>): Record<string, string> {
  const entries = Object.entries(metadata);
  if (entries.length > MAX_METADATA_ENTRIES) {
    throw new ValidationError("metadata", `at most ${MAX_METADATA_ENTRIES} entries`);
  }
  for (const [k, v] of entries) {
    if (!k || charLength(k) > MAX_METADATA_KEY_LENGTH || !isPrintableText(k)) {
      throw new ValidationError("metadata", `keys must be 1-${MAX_METADATA_KEY_LENGTH} printable characters`);
    }
    if (typeof v !== "string" || charLength(v) > MAX_METADATA_VALUE_LENGTH || !isStorableText(v)) {
      throw new ValidationError(
        "metadata",
        `values must be strings of at most ${MAX_METADATA_VALUE_LENGTH} characters, without NUL or lone surrogates`,
      );
    }
  }
  return metadata;
}

export function validatePageSize(limit: number): number {
  if (limit === 0) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new ValidationError("limit", `must be between 1 and ${MAX_PAGE_SIZE}`);
  }
  return limit;
}

/** A well-formed id that no wallet has. */
const NO_WALLET_ID = "00000000-0000-0000-0000-000000000000";

/**
 * The id itself when it has the shape of an issued id, else an id that matches no
 * wallet: a foreign-shaped id then takes the normal path (a replayed key is still
 * recognised first) and ends as not found, never as a driver error.
 */
export function issuedIdOrNone(id: string): string {
  return isIssuedId(id) ? id : NO_WALLET_ID;
}
