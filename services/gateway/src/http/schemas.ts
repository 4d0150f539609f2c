/**
 * JSON schemas shared by the routes: request fields (validated) and resources
 * (serialized, and published in /openapi.json). Amounts and balances are JSON
 * integers of minor units; bigints from the wallet serialize exactly.
 */

import {
  MAX_AMOUNT as MAX_AMOUNT_BIGINT,
  MAX_ID_LENGTH,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  MAX_METADATA_ENTRIES,
  MAX_METADATA_KEY_LENGTH,
  MAX_METADATA_VALUE_LENGTH,
  STORABLE_TEXT_PATTERN,
} from "@wallet/contracts";

// The limits are the wallet's (one constant each), so nothing the gateway accepts is refused behind it.
export const MAX_AMOUNT = Number(MAX_AMOUNT_BIGINT);

/** An object schema with every one of `properties` required. */
function allRequired<const P extends Record<string, object>>(properties: P) {
  return { type: "object", required: Object.keys(properties), properties } as const;
}

export const amount = {
  type: "integer",
  minimum: 1,
  maximum: MAX_AMOUNT,
  description: "Minor units (cents): a JSON integer, 1 to 9007199254740991; no fractions or exponents.",
} as const;

export const walletId = {
  type: "string",
  minLength: 1,
  maxLength: MAX_ID_LENGTH,
  pattern: "^[A-Za-z0-9_-]+$",
  description: "Opaque wallet id.",
} as const;

export const currency = {
  type: "string",
  pattern: "^[A-Z]{3}$",
  description: "ISO 4217 alpha-3, upper case.",
} as const;

export const metadata = {
  type: "object",
  maxProperties: MAX_METADATA_ENTRIES,
  propertyNames: { pattern: `^[A-Za-z0-9][A-Za-z0-9_.:-]{0,${MAX_METADATA_KEY_LENGTH - 1}}$` },
  additionalProperties: {
    type: "string",
    maxLength: MAX_METADATA_VALUE_LENGTH,
    pattern: STORABLE_TEXT_PATTERN,
  },
  description: `Up to ${MAX_METADATA_ENTRIES} string values; keys 1-${MAX_METADATA_KEY_LENGTH} chars [A-Za-z0-9_.:-] starting alphanumeric, values up to ${MAX_METADATA_VALUE_LENGTH} characters without NUL or lone surrogates.`,
} as const;

export const idempotencyKeyHeader = {
  type: "string",
  minLength: 1,
  maxLength: MAX_IDEMPOTENCY_KEY_LENGTH,
  pattern: "^[\\x21-\\x7E]+$",
  description:
    "Client-chosen key (printable ASCII, 1-255 chars); repeats replay the first response for 24 h.",
} as const;

const timestamp = { type: "string", format: "date-time" } as const;
const integer = { type: "integer" } as const;
const nullableString = { type: ["string", "null"] } as const;

export const walletResource = allRequired({
  id: { type: "string" },
  currency: { type: "string" },
  balance: integer,
  heldBalance: { type: "integer", description: "Sum of the wallet's pending holds." },
  availableBalance: {
    type: "integer",
    description: "balance - heldBalance: what debits, transfers and new holds may use.",
  },
  version: integer,
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const transactionType = {
  type: "string",
  enum: ["credit", "debit", "transfer_out", "transfer_in"],
} as const;

const stringMap = { type: "object", additionalProperties: { type: "string" } } as const;
const text = { type: "string" } as const;
// Fields every committed money movement reports.
const movementFields = {
  amount: integer,
  currency: text,
  version: integer,
  metadata: stringMap,
  createdAt: timestamp,
} as const;

export const transactionResource = {
  type: "object",
  required: [
    "id",
    "walletId",
    "type",
    "amount",
    "currency",
    "balanceAfter",
    "version",
    "transferId",
    "counterpartyWalletId",
    "reversalOf",
    "holdId",
    "reversedAmount",
    "metadata",
    "createdAt",
  ],
  properties: {
    id: text,
    walletId: text,
    type: transactionType,
    balanceAfter: integer,
    transferId: { ...nullableString, description: "Set on transfer legs; null otherwise." },
    counterpartyWalletId: {
      ...nullableString,
      description: "The other wallet of a transfer; null otherwise.",
    },
    reversalOf: {
      ...nullableString,
      description:
        "The transaction this one reverses (a transfer leg for transfer reversals); null otherwise.",
    },
    holdId: {
      ...nullableString,
      description: "The hold whose capture made this transaction; null otherwise.",
    },
    reversedAmount: {
      type: "integer",
      description: "How much of this transaction has been reversed so far (0 if none; reversals report 0).",
    },
    ...movementFields,
  },
  examples: [
    {
      id: "5d0c2c4e-8f3a-4a7e-9a51-2f4c3b1e9d10",
      walletId: "0f8e6c52-3b7d-4d6a-8c1e-7a2b9d4e5f60",
      type: "debit",
      amount: 2500,
      currency: "USD",
      balanceAfter: 7500,
      version: 3,
      transferId: null,
      counterpartyWalletId: null,
      reversalOf: null,
      holdId: "9b1d7f2a-6c4e-4f3b-8a2d-1e5c7b9a0d34",
      reversedAmount: 0,
      metadata: { order: "A-1001" },
      createdAt: "2026-12-02T12:00:00.000Z",
    },
  ],
} as const;

export const movementResult = {
  type: "object",
  required: ["transactionId", "walletId", "type", "amount", "currency", "balance", "version", "createdAt"],
  properties: {
    transactionId: text,
    walletId: text,
    type: transactionType,
    balance: integer,
    ...movementFields,
  },
} as const;

export const transferResult = {
  type: "object",
  required: ["transferId", "transactionId", "fromWalletId", "toWalletId", "amount", "currency", "balance"],
  properties: {
    transferId: text,
    transactionId: text,
    fromWalletId: text,
    toWalletId: text,
    balance: integer,
    ...movementFields,
  },
} as const;

export const holdStatus = {
  type: "string",
  enum: ["pending", "captured", "voided", "expired"],
  description: "A hold starts pending and ends exactly once: captured, voided or expired.",
} as const;

export const holdResource = {
  ...allRequired({
    id: text,
    walletId: text,
    currency: text,
    amount: { type: "integer", description: "What the hold reserves while pending (minor units)." },
    status: holdStatus,
    capturedAmount: {
      type: "integer",
      description: "What the capture moved (0 unless captured); the rest of the amount was released.",
    },
    captureTransactionId: {
      ...nullableString,
      description: "The debit, or the transfer_out leg, the capture made; null unless captured.",
    },
    destinationWalletId: {
      ...nullableString,
      description: "The wallet a capture transferred into; null unless captured as a transfer.",
    },
    expiresAt: { ...timestamp, description: "A hold still pending then expires and its amount is released." },
    metadata: stringMap,
    createdAt: timestamp,
    endedAt: {
      type: ["string", "null"],
      format: "date-time",
      description: "When the hold was captured, voided or expired; null while pending.",
    },
  }),
  examples: [
    {
      id: "9b1d7f2a-6c4e-4f3b-8a2d-1e5c7b9a0d34",
      walletId: "0f8e6c52-3b7d-4d6a-8c1e-7a2b9d4e5f60",
      currency: "USD",
      amount: 3000,
      status: "captured",
      capturedAmount: 2500,
      captureTransactionId: "5d0c2c4e-8f3a-4a7e-9a51-2f4c3b1e9d10",
      destinationWalletId: null,
      expiresAt: "2026-12-09T11:00:00.000Z",
      metadata: { order: "A-1001" },
      createdAt: "2026-12-02T11:00:00.000Z",
      endedAt: "2026-12-02T12:00:00.000Z",
    },
  ],
} as const;

/** A resource id in a path (wallet, hold or transaction): the wallet's id rules. */
export const resourceId = {
  type: "string",
  minLength: 1,
  maxLength: MAX_ID_LENGTH,
  pattern: "^[A-Za-z0-9_-]+$",
} as const;

export const holdParams = allRequired({ holdId: { ...resourceId, description: "Hold id." } });

export const errorEnvelope = allRequired({
  error: allRequired({
    code: { type: "string" },
    message: { type: "string" },
    requestId: { type: "string" },
  }),
});

/** `{data: schema}` */
export function dataEnvelope<S extends object>(schema: S) {
  return allRequired({ data: schema });
}

/** Page size of a wallet's paged lists (transactions, holds) when the query has no `limit`. */
export const DEFAULT_PAGE_SIZE = 20;

/** Query of a wallet's paged list: `limit` items after `cursor`. */
export const walletPageQuery = {
  type: "object",
  required: ["walletId"],
  properties: {
    walletId,
    limit: { type: "integer", minimum: 1, maximum: 100, default: DEFAULT_PAGE_SIZE },
    cursor: { type: "string", minLength: 1, maxLength: 512, description: "Opaque; from nextCursor." },
  },
} as const;

/** `{data: {items, nextCursor}}`: one page of a wallet's paged list of `item`s. */
export function pageEnvelope<S extends object>(item: S) {
  return dataEnvelope(
    allRequired({
      items: { type: "array", items: item },
      nextCursor: {
        type: ["string", "null"],
        description: "Pass as `cursor` for the next page; null on the last page.",
      },
    }),
  );
}

/** Error responses every authenticated API route can give, for the OpenAPI document. */
export const apiErrors = {
  400: errorEnvelope,
  401: errorEnvelope,
  404: errorEnvelope,
  429: errorEnvelope,
  500: errorEnvelope,
  503: errorEnvelope,
  504: errorEnvelope,
} as const;

/** Headers of a money movement: Idempotency-Key is required. */
export const movementHeaders = {
  type: "object",
  required: ["idempotency-key"],
  properties: { "idempotency-key": idempotencyKeyHeader },
} as const;

/** Responses of a money movement, besides its 200. */
export const movementErrors = { ...apiErrors, 409: errorEnvelope, 422: errorEnvelope } as const;

/** Body of a credit or debit; `extra` adds route-specific fields. */
export function movementBody<E extends Record<string, object>>(extra: E) {
  return {
    type: "object",
    required: ["walletId", "amount"],
    additionalProperties: false,
    properties: { walletId, amount, metadata, ...extra },
  } as const;
}
