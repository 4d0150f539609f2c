import { randomUUID } from "node:crypto";
import { MAX_AMOUNT } from "@wallet/contracts";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDatabase } from "../../../test/support/postgres.js";
import {
  CurrencyMismatchError,
  IdempotencyKeyReusedError,
  InsufficientFundsError,
  ValidationError,
  WalletNotFoundError,
} from "../src/domain/errors.js";
import type { BalanceChange, TransferChange } from "../src/domain/model.js";
import { BalanceBatcher } from "../src/store/postgres/balanceBatch.js";
import { PostgresStore } from "../src/store/postgres/postgresStore.js";
import { TransferBatcher } from "../src/store/postgres/transferBatch.js";

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

/** A wallet credited 100 with a pending hold of 70 on it: 30 available. */
async function walletWith100Of70Held(credits: BalanceBatcher) {
  const wallet = await newWallet();
  await credits.apply(credit(wallet.ownerId, wallet.walletId, 100n));
  await store.placeHold({
    ...wallet,
    amount: 70n,
    expiresAt: new Date(Date.now() + 3_600_000),
    idempotencyKey: randomUUID(),
    metadata: {},
    fingerprint: "hold",
    requestId: "req-gc",
  });
  return wallet;
}

beforeAll(async () => {
  db = await createDatabase(inject("pgClusterUrl"));
  store = new PostgresStore(db.url, 10, 1);
  await store.migrate();
  pool = new pg.Pool({ connectionString: db.url, max: 10, types });
  // As in the store: an idle connection the server ends (the database is dropped with FORCE
  // while a backend is still exiting) is the pool's to forget, not an uncaught error.
  pool.on("error", () => {});
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
    expect(batcher.stats.failedBatches).toBe(0);
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
    // The same key twice in one batch: the unique index aborts the statement, every credit goes alone.
    expect(batcher.stats).toEqual({ batches: 1, batchedChanges: 8, failedBatches: 1 });
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
    expect(debits.stats.failedBatches).toBe(0);
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
    const { ownerId, walletId } = await walletWith100Of70Held(credits);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 60 }, () => debits.apply(credit(ownerId, walletId, 1n))),
    );
    expect(debits.stats.batchedChanges).toBeGreaterThan(20);
    expect(debits.stats.failedBatches).toBe(0);
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

function transferOf(
  ownerId: string,
  fromWalletId: string,
  toWalletId: string,
  amount: bigint,
  key: string = randomUUID(),
): TransferChange {
  // The credit's fields, moved from one wallet to another.
  const { walletId: _, ...fields } = credit(ownerId, fromWalletId, amount, key);
  return { ...fields, fromWalletId, toWalletId, fingerprint: `t-${amount}-${toWalletId}` };
}

async function walletRows(walletId: string) {
  const { rows } = await pool.query<{
    type: string;
    amount: bigint;
    balance_after: bigint;
    wallet_version: bigint;
    counterparty_wallet_id: string | null;
    transfer_id: string | null;
  }>(
    `SELECT type, amount, balance_after, wallet_version, counterparty_wallet_id, transfer_id
     FROM transactions WHERE wallet_id = $1 ORDER BY wallet_version`,
    [walletId],
  );
  return rows;
}

/** Every row's balance_after is the previous one's plus (or minus) its amount, versions 1, 2, 3, … */
function expectRunningBalances(rows: Awaited<ReturnType<typeof walletRows>>) {
  let balance = 0n;
  rows.forEach((row, i) => {
    balance += ["CREDIT", "TRANSFER_IN"].includes(row.type) ? row.amount : -row.amount;
    expect([row.wallet_version, row.balance_after]).toEqual([BigInt(i + 1), balance]);
  });
  return balance;
}

describe("group commit of transfers (PostgreSQL)", () => {
  it("group commit - transfers back and forth between wallets: batched, money kept, running balances and versions per wallet", async () => {
    const credits = new BalanceBatcher(pool, "CREDIT", 2, 256);
    const transfers = new TransferBatcher(pool, db.url, 2, 256);
    const owners = await Promise.all([newWallet(), newWallet(), newWallet()]);
    const wallets = owners.map((o) => o.walletId);
    const ownerOf = new Map(owners.map((o) => [o.walletId, o.ownerId]));
    await Promise.all(owners.map((o) => credits.apply(credit(o.ownerId, o.walletId, 1_000n))));
    const moves = Array.from({ length: 300 }, (_, i) => ({
      from: wallets[i % 3],
      to: wallets[(i + 1 + (i % 2)) % 3],
      amount: BigInt((i % 7) + 1),
    }));
    const results = await Promise.all(
      moves.map((m) => transfers.apply(transferOf(ownerOf.get(m.from)!, m.from, m.to, m.amount))),
    );
    expect(transfers.stats.batchedChanges).toBeGreaterThan(150);
    expect(transfers.stats.failedBatches).toBe(0);
    expect(new Set(results.map((r) => r.transferId)).size).toBe(300);
    const balances = await Promise.all(owners.map((o) => store.getWallet(o.ownerId, o.walletId)));
    const expected = wallets.map(
      (id) =>
        1_000n +
        moves.filter((m) => m.to === id).reduce((a, m) => a + m.amount, 0n) -
        moves.filter((m) => m.from === id).reduce((a, m) => a + m.amount, 0n),
    );
    expect(balances.map((w) => w?.balance)).toEqual(expected);
    expect(balances.reduce((a, w) => a + (w?.balance ?? 0n), 0n)).toBe(3_000n);
    for (const [i, id] of wallets.entries()) {
      const rows = await walletRows(id);
      expect(rows).toHaveLength(1 + moves.filter((m) => m.from === id || m.to === id).length);
      expect(expectRunningBalances(rows)).toBe(expected[i]);
      expect(balances[i]?.version).toBe(BigInt(rows.length));
    }
    // What each caller was told: its debit leg, the two events of its transfer, both legs in the table.
    for (const [i, r] of results.entries()) {
      expect(r.debit).toMatchObject({
        type: "TRANSFER_OUT",
        walletId: moves[i].from,
        counterpartyWalletId: moves[i].to,
        amount: moves[i].amount,
        transferId: r.transferId,
      });
      expect(
        r.events.map((e) => e.kind === "transaction" && [e.transaction.type, e.transaction.walletId]),
      ).toEqual([
        ["TRANSFER_OUT", moves[i].from],
        ["TRANSFER_IN", moves[i].to],
      ]);
    }
    const outbox = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM outbox o JOIN transactions t ON t.id = o.transaction_id
       WHERE t.transfer_id = ANY($1::uuid[])`,
      [results.map((r) => r.transferId)],
    );
    expect(outbox.rows[0].n).toBe(600);
  });

  it("group commit - transfers are checked in order, money received earlier in the batch included; a failing one fails alone", async () => {
    const credits = new BalanceBatcher(pool, "CREDIT", 2, 256);
    const transfers = new TransferBatcher(pool, db.url, 1, 256);
    const ownerId = `gc-${randomUUID()}`;
    const a = (await store.createWallet({ ownerId, currency: "USD", ownerEmail: "" })).id;
    const b = (await store.createWallet({ ownerId, currency: "EUR", ownerEmail: "" })).id;
    const other = await newWallet(); // USD, someone else's
    const full = await newWallet();
    const eur = (await store.createWallet({ ownerId: other.ownerId, currency: "EUR", ownerEmail: "" })).id;
    await credits.apply(credit(ownerId, a, 10n));
    await credits.apply(credit(full.ownerId, full.walletId, MAX_AMOUNT - 5n));
    await credits.apply(credit(other.ownerId, other.walletId, 100n));
    const earlier = await transfers.apply(transferOf(ownerId, a, other.walletId, 1n, "t-earlier"));
    await new Promise((resolve) => setImmediate(resolve)); // the slot of the last transfer is free again
    // The first transfer occupies the only slot; the rest queue behind it and leave as one batch.
    const blocker = transfers.apply(transferOf(other.ownerId, other.walletId, full.walletId, 1n));
    const outcomes = await Promise.allSettled([
      transfers.apply(transferOf(ownerId, a, other.walletId, 9n)), // a: 9 → 0
      transfers.apply(transferOf(other.ownerId, other.walletId, a, 50n)), // a: 0 → 50
      transfers.apply(transferOf(ownerId, a, other.walletId, 40n)), // fits only with the 50 received
      transfers.apply(transferOf(ownerId, a, other.walletId, 1n, "t-earlier")), // replay
      transfers.apply(transferOf(ownerId, a, other.walletId, 2n, "t-earlier")), // same key, other request
      transfers.apply(transferOf(ownerId, other.walletId, a, 1n)), // not the owner's source
      transfers.apply(transferOf(ownerId, a, other.walletId, 11n)), // a has 10 left: refused
      transfers.apply(transferOf(other.ownerId, other.walletId, eur, 1n)), // other currency
      transfers.apply(transferOf(other.ownerId, other.walletId, full.walletId, 10n)), // past the maximum
      transfers.apply(transferOf(ownerId, a, b, 1n, "t-twice")), // a and b differ in currency
      transfers.apply(transferOf(ownerId, a, other.walletId, 3n, "t-again")),
      transfers.apply(transferOf(ownerId, a, other.walletId, 3n, "t-again")), // the same request twice
      transfers.apply(transferOf(other.ownerId, other.walletId, full.walletId, 1n)),
    ]);
    await blocker;
    expect(transfers.stats).toEqual({ batches: 1, batchedChanges: 13, failedBatches: 0 });
    const [ok1, ok2, ok3, replay, reuse, notOwner, poor, currency, overMax, mixed, againA, againB, ok4] =
      outcomes;
    for (const ok of [ok1, ok2, ok3, ok4])
      expect(ok).toMatchObject({ status: "fulfilled", value: { replayed: false } });
    expect(replay).toMatchObject({
      status: "fulfilled",
      value: { replayed: true, transferId: earlier.transferId },
    });
    expect(reuse).toMatchObject({ status: "rejected", reason: expect.any(IdempotencyKeyReusedError) });
    expect(notOwner).toMatchObject({ status: "rejected", reason: expect.any(WalletNotFoundError) });
    expect(poor).toMatchObject({ status: "rejected", reason: expect.any(InsufficientFundsError) });
    expect(currency).toMatchObject({ status: "rejected", reason: expect.any(CurrencyMismatchError) });
    expect(mixed).toMatchObject({ status: "rejected", reason: expect.any(CurrencyMismatchError) });
    expect(overMax).toMatchObject({ status: "rejected", reason: expect.any(ValidationError) });
    const again = [againA, againB].map((o) => (o.status === "fulfilled" ? o.value : undefined));
    expect(again.map((r) => r?.replayed).sort()).toEqual([false, true]);
    expect(again[0]?.transferId).toBe(again[1]?.transferId);
    // a: 10 − 1 − 9 + 50 − 40 − 3 = 7; other: 100 + 1 − 1 + 9 − 50 + 40 + 3 − 1 = 101
    expect((await store.getWallet(ownerId, a))?.balance).toBe(7n);
    expect((await store.getWallet(other.ownerId, other.walletId))?.balance).toBe(101n);
    expect((await store.getWallet(full.ownerId, full.walletId))?.balance).toBe(MAX_AMOUNT - 3n);
    expect((await store.getWallet(ownerId, b))?.balance).toBe(0n);
    expectRunningBalances(await walletRows(a));
    expectRunningBalances(await walletRows(other.walletId));
  });

  it("group commit - transfers out of one wallet take only its available funds: what holds reserve stays", async () => {
    const credits = new BalanceBatcher(pool, "CREDIT", 2, 256);
    const transfers = new TransferBatcher(pool, db.url, 2, 256);
    const from = await walletWith100Of70Held(credits);
    const to = await newWallet();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 60 }, () =>
        transfers.apply(transferOf(from.ownerId, from.walletId, to.walletId, 1n)),
      ),
    );
    expect(transfers.stats.batchedChanges).toBeGreaterThan(20);
    expect(transfers.stats.failedBatches).toBe(0);
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(30);
    expect(outcomes.flatMap((o) => (o.status === "rejected" ? [o.reason] : []))).toEqual(
      Array(30).fill(expect.any(InsufficientFundsError)),
    );
    expect(await store.getWallet(from.ownerId, from.walletId)).toMatchObject({
      balance: 70n,
      heldBalance: 70n,
    });
    expect(await store.getWallet(to.ownerId, to.walletId)).toMatchObject({ balance: 30n, version: 30n });
    expect(expectRunningBalances(await walletRows(to.walletId))).toBe(30n);
  });
});

describe("group commit of transfers: every refusal is decided in the batch", () => {
  it("group commit - the same transfer twice in one batch: applied once, the second a replay of it", async () => {
    const credits = new BalanceBatcher(pool, "CREDIT", 2, 256);
    const transfers = new TransferBatcher(pool, db.url, 1, 256);
    const from = await newWallet();
    const to = await newWallet();
    await credits.apply(credit(from.ownerId, from.walletId, 100n));
    const blocker = transfers.apply(transferOf(from.ownerId, from.walletId, to.walletId, 1n));
    const twice = await Promise.all([
      transfers.apply(transferOf(from.ownerId, from.walletId, to.walletId, 5n, "t-dup")),
      transfers.apply(transferOf(from.ownerId, from.walletId, to.walletId, 5n, "t-dup")),
      transfers.apply(transferOf(from.ownerId, from.walletId, to.walletId, 7n)),
    ]);
    await blocker;
    expect(transfers.stats).toEqual({ batches: 1, batchedChanges: 3, failedBatches: 0 });
    expect(twice.map((r) => r.replayed)).toEqual([false, true, false]);
    expect(twice[1].transferId).toBe(twice[0].transferId);
    expect(await store.getWallet(to.ownerId, to.walletId)).toMatchObject({ balance: 13n, version: 3n });
  });

  const cases = [
    ["a source that is not the owner's", WalletNotFoundError],
    ["a destination that does not exist", WalletNotFoundError],
    ["a destination in another currency", CurrencyMismatchError],
    ["more than the available funds", InsufficientFundsError],
    ["a destination past the maximum", ValidationError],
  ] as const;
  it.each(cases)(
    "group commit - %s: refused, the transfers before it in the batch applied",
    async (name, error) => {
      const credits = new BalanceBatcher(pool, "CREDIT", 2, 256);
      const transfers = new TransferBatcher(pool, db.url, 1, 256);
      const from = await newWallet();
      const to = await newWallet();
      const eur = (await store.createWallet({ ownerId: to.ownerId, currency: "EUR", ownerEmail: "" })).id;
      await credits.apply(credit(from.ownerId, from.walletId, 100n));
      await credits.apply(credit(to.ownerId, to.walletId, MAX_AMOUNT - 10n));
      const failing = {
        "a source that is not the owner's": transferOf(to.ownerId, from.walletId, to.walletId, 1n),
        "a destination that does not exist": transferOf(from.ownerId, from.walletId, randomUUID(), 1n),
        "a destination in another currency": transferOf(from.ownerId, from.walletId, eur, 1n),
        "more than the available funds": transferOf(from.ownerId, from.walletId, to.walletId, 96n),
        "a destination past the maximum": transferOf(from.ownerId, from.walletId, to.walletId, 7n),
      }[name];
      const blocker = transfers.apply(transferOf(from.ownerId, from.walletId, to.walletId, 1n));
      const [before, refused] = await Promise.allSettled([
        transfers.apply(transferOf(from.ownerId, from.walletId, to.walletId, 4n)),
        transfers.apply(failing),
      ]);
      await blocker;
      expect(transfers.stats).toEqual({ batches: 1, batchedChanges: 2, failedBatches: 0 });
      expect(before).toMatchObject({ status: "fulfilled", value: { replayed: false } });
      expect(refused).toMatchObject({ status: "rejected", reason: expect.any(error) });
      expect(await store.getWallet(from.ownerId, from.walletId)).toMatchObject({ balance: 95n, version: 3n });
      expect(await store.getWallet(to.ownerId, to.walletId)).toMatchObject({
        balance: MAX_AMOUNT - 5n,
        version: 3n,
      });
      expect((await store.getWallet(to.ownerId, eur))?.balance).toBe(0n);
    },
  );
});

describe("group commit: one statement at a time, another once it stalls", () => {
  async function lockedWallet() {
    const wallet = await newWallet();
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    await locker.query("BEGIN");
    await locker.query("SELECT 1 FROM wallets WHERE id = $1 FOR UPDATE", [wallet.walletId]);
    return { ...wallet, release: () => locker.query("COMMIT").then(() => locker.end()) };
  }
  const settledWithin = (p: Promise<unknown>, ms: number) =>
    Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

  it("group commit - a credit stuck on a row lock does not hold up credits to other wallets for longer than the stall time", async () => {
    const batcher = new BalanceBatcher(pool, "CREDIT", 2, 256);
    const stuck = await lockedWallet();
    const other = await newWallet();
    const blocked = batcher.apply(credit(stuck.ownerId, stuck.walletId, 5n));
    await new Promise((resolve) => setTimeout(resolve, 10));
    const started = performance.now();
    const free = await settledWithin(batcher.apply(credit(other.ownerId, other.walletId, 7n)), 5_000);
    expect(free).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(30); // it waited for the stall, not less
    expect(await settledWithin(blocked, 100)).toBe(false);
    await stuck.release();
    await blocked;
    expect((await store.getWallet(other.ownerId, other.walletId))?.balance).toBe(7n);
    expect((await store.getWallet(stuck.ownerId, stuck.walletId))?.balance).toBe(5n);
  });

  it("group commit - with one statement at most, the others wait for it", async () => {
    const batcher = new BalanceBatcher(pool, "CREDIT", 1, 256);
    const stuck = await lockedWallet();
    const other = await newWallet();
    const blocked = batcher.apply(credit(stuck.ownerId, stuck.walletId, 5n));
    const waiting = batcher.apply(credit(other.ownerId, other.walletId, 7n));
    expect(await settledWithin(waiting, 300)).toBe(false);
    await stuck.release();
    await Promise.all([blocked, waiting]);
    expect((await store.getWallet(other.ownerId, other.walletId))?.balance).toBe(7n);
  });
});
