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

export const walletResource = {
  type: "object",
  required: ["id", "currency", "balance", "version", "createdAt", "updatedAt"],
  properties: {
    id: { type: "string" },
    currency: { type: "string" },
    balance: integer,
    version: integer,
    createdAt: timestamp,
    updatedAt: timestamp,
  },
} as const;

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
    "metadata",
    "createdAt",
  ],
  properties: {
    id: text,
    walletId: text,
    type: transactionType,
    balanceAfter: integer,
    transferId: nullableString,
    counterpartyWalletId: nullableString,
    ...movementFields,
  },
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

export const errorEnvelope = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message", "requestId"],
      properties: { code: { type: "string" }, message: { type: "string" }, requestId: { type: "string" } },
    },
  },
} as const;

/** `{data: schema}` */
export function dataEnvelope<S extends object>(schema: S) {
  return { type: "object", required: ["data"], properties: { data: schema } } as const;
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
