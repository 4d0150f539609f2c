import { randomUUID } from "node:crypto";
import { MongoClient } from "mongodb";
import { MongoBinary, MongoMemoryReplSet } from "mongodb-memory-server-core";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../../scripts/lib/ports.js";
import { HoldNotFoundError, StoreUnavailableError, TransactionNotFoundError } from "../src/domain/errors.js";
import { MongoStore } from "../src/store/mongo/mongoStore.js";
import { describeHoldsConformance } from "./holdsConformance.js";
import { describeStoreConformance, type OpenedStore } from "./storeConformance.js";

const SKIP_REASON =
  "no mongod: set MONGO_URL to a replica set, or MONGOMS_RUNTIME_DOWNLOAD=true to let mongodb-memory-server download one";

// Tests reach no host but the machine's own: mongodb-memory-server uses a mongod it
// already has (MONGOMS_SYSTEM_BINARY or its cache) and downloads one only when asked to.
process.env.MONGOMS_RUNTIME_DOWNLOAD ??= "false";

interface ReplicaSet {
  url: string;
  stop(): Promise<void>;
}

/**
 * MONGO_URL when set (it must then work); otherwise a throwaway single-node
 * replica set from mongodb-memory-server, provided it has a mongod (or may
 * download one) within a bounded time. Null when neither is possible.
 */
async function replicaSet(): Promise<ReplicaSet | null> {
  const url = process.env.MONGO_URL;
  if (url) return { url, stop: async () => {} };
  // Resolving the binary first keeps a failed download to one quiet rejection.
  const binary = await bounded(MongoBinary.getPath(), 10_000).catch(() => null);
  if (!binary) return null;
  const rs = await bounded(
    MongoMemoryReplSet.create({ replSet: { count: 1, storageEngine: "wiredTiger" } }),
    60_000,
  );
  return {
    url: rs.getUri(),
    stop: async () => {
      await rs.stop();
    },
  };
}

function bounded<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`gave up after ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The same server URL naming another database (one per run, dropped afterwards).
 * Credentials keep authenticating where they did: the path's database is also
 * the default authSource.
 */
function withDatabase(url: string, name: string): string {
  const match = /^(mongodb(?:\+srv)?:\/\/([^/?]*))(?:\/([^?]*))?(?:\?(.*))?$/.exec(url);
  if (!match) throw new Error("MONGO_URL is not a mongodb:// URL");
  const [, base, authority, db, query] = match;
  const params = new URLSearchParams(query ?? "");
  if (authority.includes("@") && !params.has("authSource")) params.set("authSource", db || "admin");
  const search = params.toString();
  return `${base}/${name}${search ? `?${search}` : ""}`;
}

const server = await replicaSet();

if (server) {
  // One server for both suites, each with its own database.
  afterAll(async () => {
    await server.stop();
  });
  const openMongo = async (): Promise<OpenedStore> => {
    const url = withDatabase(server.url, `wallet_test_${randomUUID().slice(0, 8)}`);
    const store = new MongoStore(url, 20);
    return {
      store,
      setBalanceRaw: async (walletId, balance) => {
        const raw = new MongoClient(url, { useBigInt64: true });
        try {
          await raw
            .db()
            .collection("wallets")
            .updateOne({ _id: walletId as never }, { $set: { balance } });
        } finally {
          await raw.close();
        }
      },
      cleanup: async () => {
        await store.close();
        const admin = new MongoClient(url);
        try {
          await admin.db().dropDatabase();
        } finally {
          await admin.close();
        }
      },
    };
  };
  describeStoreConformance("MongoDB", openMongo);
  describeHoldsConformance("MongoDB", openMongo);
} else {
  // The default reporter hides skipped suites' titles; this line says why in every run.
  console.warn(`store and holds conformance - MongoDB skipped: ${SKIP_REASON}`);
  describe.skip(`store and holds conformance - MongoDB (skipped: ${SKIP_REASON})`, () => {
    it("runs against a replica set", () => {});
  });
}

describe("mongo store - without a server", () => {
  it("mongo store - an unreachable server is reported as StoreUnavailableError", async () => {
    const port = await freePort();
    const store = new MongoStore(`mongodb://127.0.0.1:${port}/wallet?serverSelectionTimeoutMS=200`, 2);
    try {
      await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(
        store.createWallet({ ownerId: "o", currency: "USD", ownerEmail: "" }),
      ).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.countUnpublished()).rejects.toBeInstanceOf(StoreUnavailableError);
      const walletId = "0194a1b2-0000-7000-8000-0000000000aa";
      const change = {
        ownerId: "o",
        amount: 1n,
        idempotencyKey: "k",
        metadata: {},
        fingerprint: "f",
        requestId: "",
      };
      await expect(store.credit({ ...change, walletId })).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(
        store.transfer({ ...change, fromWalletId: walletId, toWalletId: walletId.replace("aa", "bb") }),
      ).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(
        store.placeHold({ ...change, walletId, expiresAt: new Date(Date.now() + 60_000) }),
      ).rejects.toBeInstanceOf(StoreUnavailableError);
      const holdId = walletId.replace("aa", "cc");
      await expect(
        store.captureHold({ ...change, holdId, amount: 0n, destinationWalletId: "" }),
      ).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.voidHold({ ...change, holdId })).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.getHold("o", holdId)).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.listHolds("o", walletId, 10)).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.expireHolds(new Date(), 10)).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(
        store.reverseTransaction({ ...change, transactionId: holdId, amount: 0n, mayCredit: true }),
      ).rejects.toBeInstanceOf(StoreUnavailableError);
    } finally {
      await store.close();
    }
  });

  it("mongo store - ids this store never issues are not found without asking the server", async () => {
    const port = await freePort();
    const store = new MongoStore(`mongodb://127.0.0.1:${port}/wallet?serverSelectionTimeoutMS=200`, 2);
    try {
      expect(await store.getWallet("o", "not-an-id")).toBeNull();
      expect(await store.getTransaction("o", "../etc")).toBeNull();
      expect(await store.listTransactions("o", "{$ne:1}", 10)).toBeNull();
      expect(await store.getHold("o", "not-an-id")).toBeNull();
      expect(await store.listHolds("o", "{$ne:1}", 10)).toBeNull();
      const ending = { ownerId: "o", holdId: "x", idempotencyKey: "k", fingerprint: "f", requestId: "" };
      await expect(
        store.captureHold({ ...ending, amount: 0n, destinationWalletId: "", metadata: {} }),
      ).rejects.toBeInstanceOf(HoldNotFoundError);
      await expect(store.voidHold(ending)).rejects.toBeInstanceOf(HoldNotFoundError);
      await expect(
        store.reverseTransaction({
          ...ending,
          transactionId: "../etc",
          amount: 0n,
          mayCredit: true,
          metadata: {},
        }),
      ).rejects.toThrow(new TransactionNotFoundError());
    } finally {
      await store.close();
    }
  });
});
