import type { Db, MongoClientOptions } from "mongodb";
import type { Collections, OutboxDoc, TransactionDoc, WalletDoc } from "./documents.js";
import type { IndexSpec } from "./driverErrors.js";

export const WALLET_OWNER_CURRENCY: IndexSpec = {
  name: "wallets_owner_currency",
  key: { ownerId: 1, currency: 1 },
};
export const IDEMPOTENCY_INDEX: IndexSpec = {
  name: "transactions_owner_idempotency_key",
  key: { ownerId: 1, idempotencyKey: 1 },
};
/** Unique per wallet, and the order history pages are read in. */
export const WALLET_VERSION_INDEX: IndexSpec = {
  name: "transactions_wallet_version",
  key: { walletId: 1, walletVersion: -1 },
};
export const OUTBOX_UNPUBLISHED_INDEX: IndexSpec = {
  name: "outbox_unpublished",
  key: { createdAt: 1, _id: 1 },
};

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

export function collections(client: Collections["client"], db: Db): Collections {
  return {
    client,
    wallets: db.collection<WalletDoc>("wallets"),
    transactions: db.collection<TransactionDoc>("transactions"),
    outbox: db.collection<OutboxDoc>("outbox"),
  };
}

/**
 * Creates the collections' indexes; createIndexes is a no-op for an index that
 * already exists with the same spec, so every replica may run this at start.
 */
export async function migrate(db: Db, cols: Collections): Promise<void> {
  await requireTransactions(db);
  await cols.wallets.createIndexes([{ ...WALLET_OWNER_CURRENCY, unique: true }]);
  await cols.transactions.createIndexes([
    {
      ...IDEMPOTENCY_INDEX,
      unique: true,
      // Transfer-in legs carry no key and must not collide with each other.
      partialFilterExpression: { idempotencyKey: { $exists: true } },
    },
    { ...WALLET_VERSION_INDEX, unique: true },
  ]);
  await cols.outbox.createIndexes([
    { ...OUTBOX_UNPUBLISHED_INDEX, partialFilterExpression: { pending: true } },
  ]);
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
