// One limit, one constant: the gateway checks the same values before a request gets here.
export {
  DEFAULT_PAGE_SIZE,
  MAX_AMOUNT,
  MAX_EMAIL_LENGTH,
  MAX_ID_LENGTH,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  MAX_METADATA_ENTRIES,
  MAX_METADATA_KEY_LENGTH,
  MAX_METADATA_VALUE_LENGTH,
  MAX_OWNER_ID_LENGTH,
  MAX_PAGE_SIZE,
  MAX_WALLET_VERSION,
} from "@wallet/contracts";
