import { randomUUID } from "node:crypto";
import pg from "pg";
import { describe, expect, inject, it } from "vitest";
import { createDatabase } from "../../../test/support/postgres.js";
import { requestFingerprint } from "../src/domain/fingerprint.js";
import type { DebitChange } from "../src/domain/model.js";
import type { OutboxPosition } from "../src/store/port.js";
import { changeBalance } from "../src/store/postgres/balanceChange.js";
import { PostgresStore } from "../src/store/postgres/postgresStore.js";
import { MIGRATIONS } from "../src/store/postgres/schema.js";
import { capture, describeHoldsConformance, placement, release, reversal } from "./holdsConformance.js";
import { describeStoreConformance, type OpenedStore } from "./storeConformance.js";

async function openPostgres(): Promise<OpenedStore> {
  const db = await createDatabase(inject("pgClusterUrl"));
  const store = new PostgresStore(db.url, 20);
  return {
    store,
    cleanup: async () => {
      await store.close();
      await db.drop();
    },
    setBalanceRaw: async (walletId, balance) => {
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      try {
        await c.query("UPDATE wallets SET balance = $2 WHERE id = $1", [walletId, String(balance)]);
      } finally {
        await c.end();
      }
    },
  };
}

describeStoreConformance("PostgreSQL", openPostgres);
describeHoldsConformance("PostgreSQL", openPostgres);

async function openStore() {
  const db = await createDatabase(inject("pgClusterUrl"));
  const store = new PostgresStore(db.url, 4);
  await store.migrate();
  const other = new pg.Client({ connectionString: db.url });
  await other.connect();
  const ownerId = `user-${randomUUID()}`;
  const usd = await store.createWallet({ ownerId, currency: "USD", ownerEmail: "" });
  const eur = await store.createWallet({ ownerId, currency: "EUR", ownerEmail: "" });
  const credit = (currency: "USD" | "EUR" = "USD"): DebitChange => {
    const idempotencyKey = randomUUID();
    return {
      ownerId,
      walletId: currency === "USD" ? usd.id : eur.id,
      amount: 1n,
      idempotencyKey,
      metadata: {},
      fingerprint: requestFingerprint("credit", { idempotencyKey }),
      requestId: "",
    };
  };
  return {
    store,
    log: store.outbox,
    other,
    ownerId,
    usd,
    credit,
    close: async () => {
      await other.end().catch(() => {});
      await store.close();
      await db.drop();
    },
  };
}

type TestStore = Awaited<ReturnType<typeof openStore>>;

/** Runs test on a fresh store, closed afterwards whatever the outcome. */
async function withStore(test: (s: TestStore) => Promise<void>): Promise<void> {
  const s = await openStore();
  try {
    await test(s);
  } finally {
    await s.close();
  }
}

/**
 * The outbox rows in all, those still the version their own transaction inserted (an
 * UPDATE would have written a new version with the updater's xmin), and those never locked.
 */
async function outboxRowVersions(other: pg.Client) {
  const { rows } = await other.query<{ n: number; original: number; untouched: number }>(
    `SELECT count(*)::int AS n,
            count(*) FILTER (WHERE xmin::text = (xact_id::text::bigint % 4294967296)::text)::int AS original,
            count(*) FILTER (WHERE xmax::text = '0')::int AS untouched
     FROM outbox`,
  );
  return rows[0];
}

/** Reads after `from` until `n` rows are readable (other tests' transactions on the cluster can delay that). */
async function readN(log: PostgresStore["outbox"], from: OutboxPosition, n: number) {
  let rows = await log.readAfter(from, 1000);
  for (let i = 0; rows.length < n && i < 200; i++) {
    await new Promise((r) => setTimeout(r, 50));
    rows = await log.readAfter(from, 1000);
  }
  return rows;
}

/** Takes the cursor as holder "a", then makes `n` credits and returns their outbox rows, oldest first. */
async function creditedRows(s: TestStore, n: number) {
  const cursor = (await s.log.acquire("a", 60_000))!;
  for (let i = 0; i < n; i++) await s.store.credit(s.credit());
  return readN(s.log, cursor, n);
}

describe("outbox log - PostgreSQL", () => {
  it("log - a transaction that commits after a later one: its row is read before it, never skipped", async () => {
    const s = await openStore();
    try {
      const cursor = (await s.log.acquire("relay-a", 60_000))!;
      expect(cursor).not.toBeNull();
      // A credit whose transaction stays open: it takes its outbox sequence number first...
      await s.other.query("BEGIN");
      const slow = await changeBalance(s.other as unknown as pg.Pool, "CREDIT", s.credit("EUR"));
      // ...then another credit takes a higher one and commits.
      const fast = await s.store.credit(s.credit());
      const seqs = await s.other.query<{ event_id: string; seq: string }>(
        "SELECT event_id, seq::text FROM outbox ORDER BY seq",
      );
      expect(seqs.rows.map((r) => r.event_id)).toEqual([slow.events[0].eventId, fast.events[0].eventId]);
      // Reading by sequence alone would return the committed one and move past the open one for good.
      // The log returns nothing while a transaction that could still add an earlier row is running.
      expect(await s.log.readAfter(cursor, 1000)).toEqual([]);
      expect(await s.store.countUnpublished()).toBe(1);
      await s.other.query("COMMIT");
      const rows = await readN(s.log, cursor, 2);
      expect(rows.map((r) => r.eventId)).toEqual([slow.events[0].eventId, fast.events[0].eventId]);
      const [loaded] = await s.log.events([rows[0].eventId]);
      expect(loaded).toMatchObject({ kind: "transaction" });
      expect(loaded.kind === "transaction" && loaded.transaction).toMatchObject({
        id: slow.transaction.id,
        amount: 1n,
        currency: "EUR",
      });
      // Advancing over the first leaves exactly the second.
      expect(await s.log.advance("relay-a", rows[0].position, 60_000)).toBe(true);
      const after = await readN(s.log, (await s.log.acquire("relay-a", 60_000))!, 1);
      expect(after.map((r) => r.eventId)).toEqual([fast.events[0].eventId]);
      expect(await s.store.countUnpublished()).toBe(1);
    } finally {
      await s.other.query("ROLLBACK").catch(() => {});
      await s.close();
    }
  });

  it("log - one cursor holder at a time; a lapsed lease passes to another; the cursor never moves back", () =>
    withStore(async (s) => {
      for (let i = 0; i < 3; i++) await s.store.credit(s.credit());
      const start = (await s.log.acquire("a", 60_000))!;
      expect(start).not.toBeNull();
      expect(await s.log.acquire("b", 60_000)).toBeNull();
      const rows = await readN(s.log, start, 3);
      expect(rows).toHaveLength(3);
      // Only the holder moves the cursor.
      expect(await s.log.advance("b", rows[2].position, 60_000)).toBe(false);
      expect(await s.log.advance("a", rows[1].position, 60_000)).toBe(true);
      expect(await s.log.advance("a", rows[0].position, 60_000)).toBe(true); // a stale write
      expect(await s.log.acquire("a", 60_000)).toEqual(rows[1].position);
      expect(await s.store.countUnpublished()).toBe(1);
      // Released: taken over at once, from where it stood.
      await s.log.release("a");
      expect(await s.log.acquire("b", 60_000)).toEqual(rows[1].position);
      // Lapsed (the holder crashed): taken over once the lease runs out, and the old holder is out.
      await s.log.acquire("b", 1);
      await new Promise((r) => setTimeout(r, 20));
      expect(await s.log.acquire("c", 60_000)).toEqual(rows[1].position);
      expect(await s.log.advance("b", rows[2].position, 60_000)).toBe(false);
      expect(await s.log.acquire("c", 60_000)).toEqual(rows[1].position);
    }));

  it("log - events update no row: publishing leaves no dead outbox tuple per event", () =>
    withStore(async (s) => {
      const rows = await creditedRows(s, 20);
      for (const r of rows) expect(await s.log.advance("a", r.position, 60_000)).toBe(true);
      expect(await s.store.countUnpublished()).toBe(0);
      // Every row is still the version its own transaction inserted, and none was ever locked.
      expect(await outboxRowVersions(s.other)).toEqual({ n: 20, original: 20, untouched: 20 });
    }));
});

describe("outbox pruning - PostgreSQL locks", () => {
  it("prune - skips a row another transaction holds instead of waiting, and takes it once it is free", () =>
    withStore(async (s) => {
      const rows = await creditedRows(s, 3);
      expect(await s.log.advance("a", rows[2].position, 60_000)).toBe(true);
      // Another session holds the oldest row (as a long transaction or a writer would).
      await s.other.query("BEGIN");
      await s.other.query("SELECT 1 FROM outbox WHERE event_id = $1 FOR UPDATE", [rows[0].eventId]);
      // Were pruning to wait for that lock, this call would never return (the lock is
      // released only after it), and the test would time out.
      expect(await s.store.pruneOutbox(new Date(Date.now() + 60_000), 100)).toBe(2);
      const held = await s.other.query("SELECT count(*)::int AS n FROM outbox");
      expect(held.rows[0].n).toBe(1);
      await s.other.query("COMMIT");
      expect(await s.store.pruneOutbox(new Date(Date.now() + 60_000), 100)).toBe(1);
      const left = await s.other.query("SELECT count(*)::int AS n FROM outbox");
      expect(left.rows[0].n).toBe(0);
    }));

  it("prune - rows after the cursor stay, whatever their age", () =>
    withStore(async (s) => {
      const rows = await creditedRows(s, 4);
      expect(await s.log.advance("a", rows[1].position, 60_000)).toBe(true);
      expect(await s.store.pruneOutbox(new Date(Date.now() + 60_000), 100)).toBe(2);
      expect(await s.store.pruneOutbox(new Date(Date.now() + 60_000), 100)).toBe(0);
      const left = await readN(s.log, (await s.log.acquire("a", 60_000))!, 2);
      expect(left.map((r) => r.eventId)).toEqual(rows.slice(2).map((r) => r.eventId));
    }));
});

describe("holds - PostgreSQL", () => {
  it("expiry - a sweep skips a hold another transaction holds instead of waiting, and ends it once it is free", async () => {
    const s = await openStore();
    try {
      for (let i = 0; i < 3; i++) await s.store.credit(s.credit());
      const past = new Date(Date.now() - 1000);
      const [a, b] = [
        await s.store.placeHold(placement(s.ownerId, s.usd.id, 1n, { expiresAt: past })),
        await s.store.placeHold(placement(s.ownerId, s.usd.id, 1n, { expiresAt: past })),
      ];
      // Another session holds one of them (as a capture in progress or another replica's sweep would).
      await s.other.query("BEGIN");
      await s.other.query("SELECT 1 FROM holds WHERE id = $1 FOR UPDATE", [a.hold.id]);
      // Were the sweep to wait for that lock, this call would never return: the lock is released only after it.
      const first = await s.store.expireHolds(new Date(), 100);
      expect(first.map((e) => e.kind === "hold" && e.hold.id)).toEqual([b.hold.id]);
      await s.other.query("COMMIT");
      const second = await s.store.expireHolds(new Date(), 100);
      expect(second.map((e) => e.kind === "hold" && e.hold.id)).toEqual([a.hold.id]);
      expect(await s.store.expireHolds(new Date(), 100)).toEqual([]);
      expect(await s.store.getWallet(s.ownerId, s.usd.id)).toMatchObject({ balance: 3n, heldBalance: 0n });
    } finally {
      await s.other.query("ROLLBACK").catch(() => {});
      await s.close();
    }
  });

  it("bad amounts - a hold of 0 or less, a negative capture or reversal: VALIDATION_FAILED, nothing changes", () =>
    withStore(async (s) => {
      const credited = await s.store.credit(s.credit());
      const placed = await s.store.placeHold(placement(s.ownerId, s.usd.id, 1n));
      for (const attempt of [
        () => s.store.placeHold(placement(s.ownerId, s.usd.id, 0n)),
        () => s.store.placeHold(placement(s.ownerId, s.usd.id, -1n)),
        () => s.store.captureHold(capture(s.ownerId, placed.hold.id, -1n)),
        () => s.store.reverseTransaction(reversal(s.ownerId, credited.transaction.id, -1n)),
      ]) {
        await expect(attempt()).rejects.toMatchObject({ code: "VALIDATION_FAILED", field: "amount" });
      }
      expect(await s.store.getWallet(s.ownerId, s.usd.id)).toMatchObject({ balance: 1n, heldBalance: 1n });
      expect((await s.store.getHold(s.ownerId, placed.hold.id))?.status).toBe("PENDING");
      expect((await s.store.getTransaction(s.ownerId, credited.transaction.id))?.reversedAmount).toBe(0n);
    }));

  it("store rules - the database itself refuses more held than the balance, or a negative held", () =>
    withStore(async (s) => {
      for (let i = 0; i < 5; i++) await s.store.credit(s.credit());
      await s.store.placeHold(placement(s.ownerId, s.usd.id, 4n));
      for (const [column, value] of [
        ["balance", 3],
        ["held", 6],
        ["held", -1],
      ] as const) {
        await expect(
          s.other.query(`UPDATE wallets SET ${column} = $2 WHERE id = $1`, [s.usd.id, value]),
          `${column} = ${value}`,
        ).rejects.toMatchObject({ code: "23514" }); // check_violation
      }
      expect(await s.store.getWallet(s.ownerId, s.usd.id)).toMatchObject({ balance: 5n, heldBalance: 4n });
    }));

  it("log - hold events update no row either: published, each is still the row its transaction inserted", () =>
    withStore(async (s) => {
      const cursor = (await s.log.acquire("a", 60_000))!;
      await s.store.credit(s.credit());
      for (let i = 0; i < 3; i++) {
        const placed = await s.store.placeHold(placement(s.ownerId, s.usd.id, 1n));
        await s.store.voidHold(release(s.ownerId, placed.hold.id));
      }
      const rows = await readN(s.log, cursor, 7);
      const events = await s.log.events(rows.map((r) => r.eventId));
      expect(events.map((e) => (e.kind === "hold" ? e.hold.status : e.kind)).sort()).toEqual(
        ["transaction", "PENDING", "PENDING", "PENDING", "VOIDED", "VOIDED", "VOIDED"].sort(),
      );
      expect(await s.log.advance("a", rows[6].position, 60_000)).toBe(true);
      expect(await s.store.countUnpublished()).toBe(0);
      expect(await outboxRowVersions(s.other)).toEqual({ n: 7, original: 7, untouched: 7 });
    }));

  it("migration - a database of the version before holds upgrades in place, its rows and unpublished events intact", async () => {
    const db = await createDatabase(inject("pgClusterUrl"));
    const raw = new pg.Client({ connectionString: db.url });
    await raw.connect();
    const store = new PostgresStore(db.url, 4);
    try {
      // The schema as the previous release left it, with a wallet, a credit and its unpublished event.
      await raw.query(
        "CREATE TABLE schema_migrations (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
      );
      for (const [i, sql] of MIGRATIONS.slice(0, 2).entries()) {
        await raw.query(sql);
        await raw.query("INSERT INTO schema_migrations (version) VALUES ($1)", [i + 1]);
      }
      const [walletId, txId, eventId] = [randomUUID(), randomUUID(), randomUUID()];
      await raw.query(
        "INSERT INTO wallets (id, owner_id, owner_email, currency, balance, version) VALUES ($1, 'old', 'old@example.com', 'USD', 50, 1)",
        [walletId],
      );
      await raw.query(
        `INSERT INTO transactions (id, wallet_id, owner_id, type, amount, currency, balance_after, wallet_version, idempotency_key, fingerprint)
         VALUES ($1, $2, 'old', 'CREDIT', 50, 'USD', 50, 1, 'k-old', 'f-old')`,
        [txId, walletId],
      );
      await raw.query(
        "INSERT INTO outbox (event_id, transaction_id, request_id, owner_email) VALUES ($1, $2, 'r-old', 'old@example.com')",
        [eventId, txId],
      );
      await store.migrate();
      expect(await store.getWallet("old", walletId)).toMatchObject({
        balance: 50n,
        heldBalance: 0n,
        version: 1n,
      });
      expect(await store.getTransaction("old", txId)).toMatchObject({
        amount: 50n,
        reversalOf: "",
        holdId: "",
        reversedAmount: 0n,
      });
      const cursor = (await store.outbox.acquire("a", 60_000))!;
      const rows = await readN(store.outbox, cursor, 1);
      expect(rows.map((r) => r.eventId)).toEqual([eventId]);
      const [event] = await store.outbox.events([eventId]);
      expect(event).toMatchObject({ kind: "transaction", requestId: "r-old", transaction: { id: txId } });
      // And it takes holds and reversals at once.
      const placed = await store.placeHold(placement("old", walletId, 20n));
      expect(placed.hold.status).toBe("PENDING");
      const reversed = await store.reverseTransaction(reversal("old", txId, 30n));
      expect(reversed.reversal).toMatchObject({
        type: "DEBIT",
        amount: 30n,
        balanceAfter: 20n,
        reversalOf: txId,
      });
      expect(await store.getWallet("old", walletId)).toMatchObject({
        balance: 20n,
        heldBalance: 20n,
        version: 2n,
      });
    } finally {
      await raw.end();
      await store.close();
      await db.drop();
    }
  });
});
