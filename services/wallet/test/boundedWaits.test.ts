import { randomUUID } from "node:crypto";
import { Metadata, status } from "@grpc/grpc-js";
import type { TransferResponse } from "@wallet/contracts";
import pg from "pg";
import { afterAll, afterEach, describe, expect, inject, it } from "vitest";
import { createDatabase } from "../../../test/support/postgres.js";
import { PostgresStore } from "../src/store/postgres/postgresStore.js";
import { call, failure, type RunningWallet, startTestWallet } from "./harness.js";

/** A separate session holding one wallet row's lock, as a slow or stuck writer would. */
async function holdRowLock(dbUrl: string, walletId: string) {
  const db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
  await db.query("BEGIN");
  await db.query("SELECT 1 FROM wallets WHERE id = $1 FOR UPDATE", [walletId]);
  return {
    release: async () => {
      await db.query("ROLLBACK");
      await db.end();
    },
  };
}

/** Resolves once some session of the database waits for a lock (the transfer under test). */
async function someoneWaitsForALock(dbUrl: string) {
  const db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
  try {
    await expect
      .poll(
        async () =>
          (
            await db.query(
              "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
          ).rows[0].n,
        { timeout: 10_000, interval: 50 },
      )
      .toBeGreaterThan(0);
  } finally {
    await db.end();
  }
}

describe("wallet - bounded waits on PostgreSQL", () => {
  let w: RunningWallet | undefined;
  afterEach(async () => {
    await w?.close();
    w = undefined;
  });

  const setup = async (env: Record<string, string>) => {
    w = await startTestWallet(env);
    const c = w.client;
    const ownerId = `user-${randomUUID()}`;
    const a = (await call(c, c.createWallet, { ownerId, currency: "USD", ownerEmail: "" })).wallet!;
    const b = (await call(c, c.createWallet, { ownerId: `${ownerId}-2`, currency: "USD", ownerEmail: "" }))
      .wallet!;
    const walletA = a.id < b.id ? a : b;
    const walletB = a.id < b.id ? b : a;
    const ownerOf = (id: string) => (id === a.id ? ownerId : `${ownerId}-2`);
    for (const wl of [walletA, walletB]) {
      await call(c, c.credit, {
        ownerId: ownerOf(wl.id),
        walletId: wl.id,
        amount: 100n,
        idempotencyKey: randomUUID(),
        metadata: {},
      });
    }
    const credit = (walletId: string, idempotencyKey = randomUUID(), deadlineMs = 15_000) =>
      new Promise((resolve, reject) =>
        c.credit(
          { ownerId: ownerOf(walletId), walletId, amount: 1n, idempotencyKey, metadata: {} },
          new Metadata(),
          { deadline: Date.now() + deadlineMs },
          (err, res) => (err ? reject(err) : resolve(res)),
        ),
      );
    const balance = async (walletId: string) =>
      (await call(c, c.getWallet, { ownerId: ownerOf(walletId), walletId })).wallet!.balance;
    /** A transfer from the lower id to the higher: it locks `walletA` first, then waits for `walletB`. */
    const transfer = (options: { deadline?: number }, cb: (err: unknown, res?: TransferResponse) => void) =>
      c.transfer(
        {
          ownerId: ownerOf(walletA.id),
          fromWalletId: walletA.id,
          toWalletId: walletB.id,
          amount: 10n,
          idempotencyKey: randomUUID(),
          metadata: {},
        },
        new Metadata(),
        options,
        cb,
      );
    return { c, walletA, walletB, credit, balance, transfer, dbUrl: w.dbUrl };
  };

  // Timeouts far longer than the test: only the call's cancellation can free the lock in time.
  const noTimeouts = { WALLET_DB_LOCK_TIMEOUT_MS: "120000", WALLET_DB_STATEMENT_TIMEOUT_MS: "120000" };

  it("a transfer whose deadline passes mid-flight gives up its row locks: other writers go on", async () => {
    const { walletA, walletB, credit, balance, transfer, dbUrl } = await setup(noTimeouts);
    const blocker = await holdRowLock(dbUrl, walletB.id);
    try {
      const outcome = new Promise<unknown>((resolve) => transfer({ deadline: Date.now() + 1500 }, resolve));
      await someoneWaitsForALock(dbUrl);
      expect((await outcome) as { code: number }).toMatchObject({ code: status.DEADLINE_EXCEEDED });
      // walletA was locked by the transfer; a credit on it completes while walletB is still held.
      await credit(walletA.id);
      expect(await balance(walletA.id)).toBe(101n);
    } finally {
      await blocker.release();
    }
    // Nothing of the transfer was applied.
    expect(await balance(walletA.id)).toBe(101n);
    expect(await balance(walletB.id)).toBe(100n);
  });

  it("a transfer whose client cancels mid-flight gives up its row locks: other writers go on", async () => {
    const { walletA, walletB, credit, balance, transfer, dbUrl } = await setup(noTimeouts);
    const blocker = await holdRowLock(dbUrl, walletB.id);
    try {
      let settled: unknown;
      const inFlight = transfer({}, (err) => {
        settled = err;
      });
      await someoneWaitsForALock(dbUrl);
      inFlight.cancel();
      await expect.poll(() => settled).toMatchObject({ code: status.CANCELLED });
      await credit(walletA.id);
      expect(await balance(walletA.id)).toBe(101n);
    } finally {
      await blocker.release();
    }
    expect(await balance(walletB.id)).toBe(100n);
  });

  it("lock_timeout bounds a wait: UNAVAILABLE (retry), nothing applied, and the retry applies once", async () => {
    const { walletA, credit, balance, dbUrl } = await setup({ WALLET_DB_LOCK_TIMEOUT_MS: "300" });
    const key = randomUUID();
    const blocker = await holdRowLock(dbUrl, walletA.id);
    let refused: Awaited<ReturnType<typeof failure>>;
    try {
      refused = await failure(credit(walletA.id, key));
    } finally {
      await blocker.release();
    }
    expect(refused).toMatchObject({ code: status.UNAVAILABLE, reason: "UNAVAILABLE" });
    expect(await balance(walletA.id)).toBe(100n);
    await credit(walletA.id, key);
    await credit(walletA.id, key);
    expect(await balance(walletA.id)).toBe(101n);
  });
});

describe("wallet - pool connection settings", () => {
  it("every pool connection carries the configured timeouts", async () => {
    const db = await createDatabase(inject("pgClusterUrl"));
    const store = new PostgresStore(db.url, {
      poolSize: 2,
      statementTimeoutMs: 1234,
      lockTimeoutMs: 567,
      idleInTransactionTimeoutMs: 890,
    });
    try {
      const pool = Reflect.get(store, "pool") as pg.Pool;
      const { rows } = await pool.query(
        "SELECT current_setting('statement_timeout') AS s, current_setting('lock_timeout') AS l, current_setting('idle_in_transaction_session_timeout') AS i",
      );
      expect(rows[0]).toEqual({ s: "1234ms", l: "567ms", i: "890ms" });
    } finally {
      await store.close();
      await db.drop();
    }
  });
});

describe("wallet - ensureDatabase on managed PostgreSQL", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it("an existing database is used without connecting to the postgres database", async () => {
    const clusterUrl = inject("pgClusterUrl");
    const db = await createDatabase(clusterUrl);
    cleanups.push(() => db.drop());
    const role = `limited_${randomUUID().slice(0, 8)}`;
    const dbName = new URL(db.url).pathname.slice(1);
    const admin = new pg.Client({ connectionString: clusterUrl });
    await admin.connect();
    cleanups.push(async () => {
      await admin.query("GRANT CONNECT ON DATABASE postgres TO PUBLIC");
      await admin.end();
    });
    await admin.query(`CREATE ROLE ${role} LOGIN`);
    await admin.query(`ALTER DATABASE ${dbName} OWNER TO ${role}`);
    const inDb = new pg.Client({ connectionString: db.url });
    await inDb.connect();
    await inDb.query(`ALTER SCHEMA public OWNER TO ${role}`);
    await inDb.end();
    // Like a managed service: ordinary roles may not connect to the postgres database.
    await admin.query("REVOKE CONNECT ON DATABASE postgres FROM PUBLIC");

    const asRole = (database: string) => {
      const u = new URL(clusterUrl);
      u.username = role;
      u.pathname = `/${database}`;
      return u.toString();
    };
    const probe = new pg.Client({ connectionString: asRole("postgres") });
    await expect(probe.connect()).rejects.toThrow(/permission denied/);
    await probe.end().catch(() => {});

    const store = new PostgresStore(asRole(dbName), 2);
    try {
      await store.migrate();
      const wallet = await store.createWallet({ ownerId: "o", currency: "USD", ownerEmail: "" });
      expect(wallet.balance).toBe(0n);
    } finally {
      await store.close();
    }
  });
});
