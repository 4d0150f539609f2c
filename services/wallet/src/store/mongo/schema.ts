import { MAX_AMOUNT } from "@wallet/contracts";
import {
  type Db,
  type Document,
  type IndexDescription,
  type MongoClientOptions,
  MongoServerError,
} from "mongodb";
import type { Collections, HoldDoc, OutboxDoc, TransactionDoc, WalletDoc } from "./documents.js";
import type { IndexSpec } from "./driverErrors.js";

/** An index as migrate creates it (name, key, options); duplicate-key errors name it by its key. */
type Index = IndexSpec & IndexDescription;

function index(name: string, key: IndexSpec["key"], options: Omit<IndexDescription, "key"> = {}): Index {
  return { name, key, ...options };
}

/** Unique among the documents that carry `field` (transfer-in legs carry no key and must not collide). */
function uniqueWhereSet(field: string): Omit<IndexDescription, "key"> {
  return { unique: true, partialFilterExpression: { [field]: { $exists: true } } };
}

export const WALLET_OWNER_CURRENCY = index(
  "wallets_owner_currency",
  { ownerId: 1, currency: 1 },
  { unique: true },
);
export const IDEMPOTENCY_INDEX = index(
  "transactions_owner_idempotency_key",
  { ownerId: 1, idempotencyKey: 1 },
  uniqueWhereSet("idempotencyKey"),
);
/** Unique per wallet, and the order history pages are read in. */
export const WALLET_VERSION_INDEX = index(
  "transactions_wallet_version",
  { walletId: 1, walletVersion: -1 },
  { unique: true },
);
/** Finds a transfer's other leg (a reversal of a TRANSFER_IN updates both). */
export const TRANSFER_INDEX = index(
  "transactions_transfer",
  { transferId: 1 },
  { partialFilterExpression: { transferId: { $exists: true } } },
);
/** Every hold has a key; the filter matches the lookup's, so the planner uses this index. */
export const HOLD_IDEMPOTENCY_INDEX = index(
  "holds_owner_idempotency_key",
  { ownerId: 1, idempotencyKey: 1 },
  uniqueWhereSet("idempotencyKey"),
);
/** A wallet's holds newest first, the order listHolds pages in. */
export const HOLD_WALLET_INDEX = index("holds_wallet_created", { walletId: 1, createdAt: -1, _id: -1 });
/** The expiry sweep's scan: pending holds by expiry. */
export const HOLD_EXPIRY_INDEX = index("holds_status_expiry", { status: 1, expiresAt: 1 });
export const OUTBOX_UNPUBLISHED_INDEX = index(
  "outbox_unpublished",
  { createdAt: 1, _id: 1 },
  { partialFilterExpression: { pending: true } },
);

/** Db name from the URL's path; "wallet" when the URL names none (the driver would pick "test"). */
export function databaseName(url: string): string {
  const path = /^mongodb(?:\+srv)?:\/\/[^/?]*\/([^?]*)/.exec(url)?.[1] ?? "";
  return decodeURIComponent(path) || "wallet";
}

/**
 * Client options. int64 comes back as bigint (money never passes through a JS
 * number); undefined fields are left out rather than stored as null, so optional
 * fields stay absent for the partial indexes. Defaults yield to the URL's query.
 */
export function clientOptions(url: string, poolSize: number): MongoClientOptions {
  const options: MongoClientOptions = {
    maxPoolSize: poolSize,
    useBigInt64: true,
    ignoreUndefined: true,
    appName: "wallet",
  };
  if (!/[?&]serverSelectionTimeoutMS=/i.test(url)) options.serverSelectionTimeoutMS = 5000;
  return options;
}

export function collections(client: Collections["client"], db: Db, budgetMs: number): Collections {
  return {
    client,
    budgetMs,
    wallets: db.collection<WalletDoc>("wallets"),
    transactions: db.collection<TransactionDoc>("transactions"),
    outbox: db.collection<OutboxDoc>("outbox"),
    holds: db.collection<HoldDoc>("holds"),
  };
}

const NAMESPACE_EXISTS = 48;

const money = { bsonType: "long", minimum: 0n, maximum: MAX_AMOUNT } as const;
const positiveMoney = { bsonType: "long", minimum: 1n, maximum: MAX_AMOUNT } as const;
const string = { bsonType: "string" } as const;
const date = { bsonType: "date" } as const;
const currency = { bsonType: "string", pattern: "^[A-Z]{3}$" } as const;
const metadata = {
  bsonType: "array",
  items: documentSchema({ k: string, v: string }),
} as const;

/** A document's $jsonSchema: every `required` field must be there; `optional` ones may be missing. */
function documentSchema(required: Record<string, Document>, optional: Record<string, Document> = {}) {
  return { bsonType: "object", required: Object.keys(required), properties: { ...required, ...optional } };
}

/**
 * Validators mirroring PostgreSQL's column types and CHECKs: money and versions
 * are int64 (never a double), balances stay within 0..2^53-1, amounts are
 * positive, a wallet's held funds within 0..balance, a transaction's reversed
 * amount within 0..amount. Fields added later (held, reversedAmount) are
 * optional, so documents written before them stay valid (missing = 0). The
 * adapter never writes anything else; the server refuses it if a bug or another
 * tool tries.
 */
export const VALIDATORS: Record<"wallets" | "transactions" | "holds", Document> = {
  wallets: {
    // Both top-level clauses must hold (an implicit $and).
    $expr: { $lte: [{ $ifNull: ["$held", 0n] }, "$balance"] },
    $jsonSchema: documentSchema(
      {
        _id: string,
        ownerId: string,
        ownerEmail: string,
        currency,
        balance: money,
        version: { bsonType: "long", minimum: 0n },
        createdAt: date,
        updatedAt: date,
      },
      { held: money },
    ),
  },
  transactions: {
    $expr: { $lte: [{ $ifNull: ["$reversedAmount", 0n] }, "$amount"] },
    $jsonSchema: documentSchema(
      {
        _id: string,
        walletId: string,
        ownerId: string,
        type: { enum: ["CREDIT", "DEBIT", "TRANSFER_OUT", "TRANSFER_IN"] },
        amount: positiveMoney,
        currency,
        balanceAfter: money,
        walletVersion: { bsonType: "long", minimum: 1n },
        metadata,
        createdAt: date,
      },
      {
        transferId: string,
        counterpartyWalletId: string,
        idempotencyKey: string,
        fingerprint: string,
        reversalOf: string,
        holdId: string,
        reversedAmount: money,
      },
    ),
  },
  holds: {
    $jsonSchema: documentSchema(
      {
        _id: string,
        walletId: string,
        ownerId: string,
        currency,
        amount: positiveMoney,
        status: { enum: ["PENDING", "CAPTURED", "VOIDED", "EXPIRED"] },
        expiresAt: date,
        metadata,
        createdAt: date,
        idempotencyKey: string,
        fingerprint: string,
      },
      {
        capturedAmount: positiveMoney,
        captureTransactionId: string,
        destinationWalletId: string,
        endedAt: date,
        endKey: string,
        endFingerprint: string,
      },
    ),
  },
};

/** Creates the collection with its validator, or puts the validator on an existing one (collMod). */
async function applyValidator(db: Db, name: keyof typeof VALIDATORS): Promise<void> {
  const validator = VALIDATORS[name];
  try {
    await db.createCollection(name, { validator, validationLevel: "strict", validationAction: "error" });
  } catch (err) {
    if (!(err instanceof MongoServerError && err.code === NAMESPACE_EXISTS)) throw err;
    await db.command({ collMod: name, validator, validationLevel: "strict", validationAction: "error" });
  }
}

/**
 * Creates the collections' indexes; createIndexes is a no-op for an index that
 * already exists with the same spec, so every replica may run this at start.
 */
export async function migrate(db: Db, cols: Collections): Promise<void> {
  await requireTransactions(db);
  // Before the indexes, which would otherwise create the collections without validators.
  await applyValidator(db, "wallets");
  await applyValidator(db, "transactions");
  await applyValidator(db, "holds");
  await cols.wallets.createIndexes([WALLET_OWNER_CURRENCY]);
  await cols.transactions.createIndexes([IDEMPOTENCY_INDEX, WALLET_VERSION_INDEX, TRANSFER_INDEX]);
  await cols.holds.createIndexes([HOLD_IDEMPOTENCY_INDEX, HOLD_WALLET_INDEX, HOLD_EXPIRY_INDEX]);
  await cols.outbox.createIndexes([OUTBOX_UNPUBLISHED_INDEX]);
}

/** Multi-document transactions need a replica set (or mongos); say so at start, not on the first credit. */
async function requireTransactions(db: Db): Promise<void> {
  const hello = await db.admin().command({ hello: 1 });
  if (!hello.setName && hello.msg !== "isdbgrid") {
    throw new Error(
      "MongoDB must be a replica set or a sharded cluster: the wallet needs multi-document transactions",
    );
  }
}
