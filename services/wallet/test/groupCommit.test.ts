import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDatabase } from "../../../test/support/postgres.js";
import {
  IdempotencyKeyReusedError,
  InsufficientFundsError,
  ValidationError,
  WalletNotFoundError,
} from "../src/domain/errors.js";
import { MAX_AMOUNT } from "../src/domain/limits.js";
import type { BalanceChange } from "../src/domain/model.js";
import { BalanceBatcher } from "../src/store/postgres/balanceBatch.js";
import { PostgresStore } from "../src/store/postgres/postgresStore.js";

// Group commit is observed through the database: balances, every transaction row with its
// running balance and version, outbox rows; the batcher's counters only prove batches formed.
let db: Awaited<ReturnType<typeof createDatabase>>;
let store: PostgresStore;
let pool: pg.Pool;

const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === 20
      ? (v: string) => BigInt(v)
      : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
};

function credit(
  ownerId: string,
  walletId: string,
  amount: bigint,
  key: string = randomUUID(),
): BalanceChange {
  return {
    ownerId,
    walletId,
    amount,
    idempotencyKey: key,
    metadata: { n: String(amount) },
    fingerprint: `f-${amount}`,
    requestId: "req-gc",
  };
}

async function newWallet() {
  const ownerId = `gc-${randomUUID()}`;
  const wallet = await store.createWallet({ ownerId, currency: "USD", ownerEmail: "" });
  return { ownerId, walletId: wallet.id };
}

beforeAll(async () => {
  db = await createDatabase(inject("pgClusterUrl"));
  store = new PostgresStore(db.url, 10, 1);
  await store.migrate();
  pool = new pg.Pool({ connectionString: db.url, max: 10, types });
});

afterAll(async () => {
  await pool.end();
  await store.close();
  await db.drop();
});

describe("group commit of credits (PostgreSQL)", () => {
  it("group commit - 200 concurrent credits on one wallet: batched, each with its own row, running balance and version", async () => {
    const batcher = new BalanceBatcher(pool, "CREDIT", 2, 256);
    const { ownerId, walletId } = await newWallet();
    const amounts = Array.from({ length: 200 }, (_, i) => BigInt(i + 1));
    const results = await Promise.all(amounts.map((a) => batcher.apply(credit(ownerId, walletId, a))));
    expect(batcher.stats.batches).toBeGreaterThan(0);
    expect(batcher.stats.batchedChanges).toBeGreaterThan(100);
    expect(results.map((r) => r.replayed)).toEqual(Array(200).fill(false));
    expect(new Set(results.map((r) => r.transaction.id)).size).toBe(200);
    const total = amounts.reduce((a, b) => a + b, 0n);
    const wallet = await store.getWallet(ownerId, walletId);
    expect(wallet).toMatchObject({ balance: total, version: 200n });
    const { rows } = await pool.query<{ amount: bigint; balance_after: bigint; wallet_version: bigint }>(
      "SELECT amount, balance_after, wallet_version FROM transactions WHERE wallet_id = $1 ORDER BY wallet_version",
      [walletId],
    );
    expect(rows.map((r) => r.wallet_version)).toEqual(Array.from({ length: 200 }, (_, i) => BigInt(i + 1)));
    let running = 0n;
    for (const row of rows) {
      running += row.amount;
      expect(row.balance_after).toBe(running);
    }
    // What each caller was told matches the row of its credit.
    for (const r of results) {
      const row = rows[Number(r.transaction.walletVersion) - 1];
      expect([r.transaction.amount, r.transaction.balanceAfter]).toEqual([row.amount, row.balance_after]);
      expect(r.events.map((e) => e.kind === "transaction" && e.transaction.id)).toEqual([r.transaction.id]);
    }
    const outbox = await pool.query(
      "SELECT count(*)::int AS n FROM outbox o JOIN transactions t ON t.id = o.transaction_id WHERE t.wallet_id = $1",
      [walletId],
    );
    expect(outbox.rows[0].n).toBe(200);
  });

  it("group commit - a failing credit fails alone; replays and key reuse answer as without batching", async () => {
    const batcher = new BalanceBatcher(pool, "CREDIT", 1, 256);
    const a = await newWallet();
    const b = await newWallet();
    const full = await newWallet();
    await batcher.apply(credit(full.ownerId, full.walletId, MAX_AMOUNT - 5n));
    const earlier = await batcher.apply(credit(a.ownerId, a.walletId, 7n, "key-earlier"));
    await new Promise((resolve) => setImmediate(resolve)); // the slot of the last credit is free again
    // The first credit occupies the only slot; the rest queue behind it and leave as one batch.
    const blocker = batcher.apply(credit(b.ownerId, b.walletId, 1n));
    const outcomes = await Promise.allSettled([
      batcher.apply(credit(a.ownerId, a.walletId, 10n)),
      batcher.apply(credit("someone-else", a.walletId, 10n)), // not the owner's wallet
      batcher.apply(credit(full.ownerId, full.walletId, 6n)), // would pass the maximum
      batcher.apply(credit(a.ownerId, a.walletId, 7n, "key-earlier")), // replay of an earlier credit
      batcher.apply({ ...credit(a.ownerId, a.walletId, 8n, "key-earlier") }), // same key, other request
      batcher.apply(credit(b.ownerId, b.walletId, 20n, "key-twice")),
      batcher.apply(credit(b.ownerId, b.walletId, 20n, "key-twice")), // the same request twice in one batch
      batcher.apply(credit(b.ownerId, b.walletId, 30n)),
    ]);
    await blocker;
    expect(batcher.stats.batches).toBe(1);
    expect(batcher.stats.batchedChanges).toBe(8);
    const [ok, notOwner, overMax, replay, reuse, twiceA, twiceB, okB] = outcomes;
    expect(ok).toMatchObject({ status: "fulfilled", value: { replayed: false } });
    expect(notOwner).toMatchObject({ status: "rejected", reason: expect.any(WalletNotFoundError) });
    expect(overMax).toMatchObject({ status: "rejected", reason: expect.any(ValidationError) });
    expect(replay).toMatchObject({
      status: "fulfilled",
      value: { replayed: true, transaction: { id: earlier.transaction.id } },
    });
    expect(reuse).toMatchObject({ status: "rejected", reason: expect.any(IdempotencyKeyReusedError) });
    const twice = [twiceA, twiceB].map((o) => (o.status === "fulfilled" ? o.value : undefined));
    expect(twice.map((r) => r?.replayed).sort()).toEqual([false, true]);
    expect(twice[0]?.transaction.id).toBe(twice[1]?.transaction.id);
    expect(okB).toMatchObject({ status: "fulfilled", value: { replayed: false } });
    expect((await store.getWallet(a.ownerId, a.walletId))?.balance).toBe(17n);
    expect((await store.getWallet(b.ownerId, b.walletId))?.balance).toBe(51n);
    expect((await store.getWallet(full.ownerId, full.walletId))?.balance).toBe(MAX_AMOUNT - 5n);
  });

  it("group commit - debits are checked in order: those that fit apply, the rest fail alone for funds", async () => {
    const credits = new BalanceBatcher(pool, "CREDIT", 2, 256);
    const debits = new BalanceBatcher(pool, "DEBIT", 2, 256);
    const { ownerId, walletId } = await newWallet();
    await credits.apply(credit(ownerId, walletId, 60n));
    const outcomes = await Promise.allSettled(
      Array.from({ length: 100 }, () => debits.apply(credit(ownerId, walletId, 1n))),
    );
    expect(debits.stats.batchedChanges).toBeGreaterThan(50);
    const applied = outcomes.filter((o) => o.status === "fulfilled");
    const refused = outcomes.filter((o) => o.status === "rejected");
    expect(applied).toHaveLength(60);
    expect(refused.map((o) => o.reason)).toEqual(Array(40).fill(expect.any(InsufficientFundsError)));
    expect(await store.getWallet(ownerId, walletId)).toMatchObject({ balance: 0n, version: 61n });
    const { rows } = await pool.query<{ type: string; balance_after: bigint; wallet_version: bigint }>(
      "SELECT type, balance_after, wallet_version FROM transactions WHERE wallet_id = $1 ORDER BY wallet_version",
      [walletId],
    );
    expect(rows.map((r) => [r.type, r.balance_after, r.wallet_version])).toEqual([
      ["CREDIT", 60n, 1n],
      ...Array.from({ length: 60 }, (_, i) => ["DEBIT", BigInt(59 - i), BigInt(i + 2)]),
    ]);
  });

  it("group commit - debits in a batch may take only the available funds: what holds reserve stays", async () => {
    const credits = new BalanceBatcher(pool, "CREDIT", 2, 256);
    const debits = new BalanceBatcher(pool, "DEBIT", 2, 256);
    const { ownerId, walletId } = await newWallet();
    await credits.apply(credit(ownerId, walletId, 100n));
    await store.placeHold({
      ownerId,
      walletId,
      amount: 70n,
      expiresAt: new Date(Date.now() + 3_600_000),
      idempotencyKey: randomUUID(),
      metadata: {},
      fingerprint: "hold",
      requestId: "req-gc",
    });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 60 }, () => debits.apply(credit(ownerId, walletId, 1n))),
    );
    expect(debits.stats.batchedChanges).toBeGreaterThan(20);
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(30);
    expect(outcomes.flatMap((o) => (o.status === "rejected" ? [o.reason] : []))).toEqual(
      Array(30).fill(expect.any(InsufficientFundsError)),
    );
    expect(await store.getWallet(ownerId, walletId)).toMatchObject({
      balance: 70n,
      heldBalance: 70n,
      version: 31n,
    });
  });
});
