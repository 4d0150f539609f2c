/** Largest amount or balance accepted: 2^53-1, so JSON clients never lose precision. */
export const MAX_AMOUNT = 9007199254740991n;
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
export const MAX_METADATA_ENTRIES = 20;
export const MAX_METADATA_KEY_LENGTH = 64;
export const MAX_METADATA_VALUE_LENGTH = 512;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
export const MAX_OWNER_ID_LENGTH = 255;
