import { randomUUID } from "node:crypto";
import { MAX_AMOUNT } from "@wallet/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ConcurrentUpdateError,
  CurrencyMismatchError,
  IdempotencyKeyReusedError,
  InsufficientFundsError,
  StoreUnavailableError,
  WalletExistsError,
} from "../src/domain/errors.js";
import { requestFingerprint } from "../src/domain/fingerprint.js";
import type { DebitChange, TransferChange, Wallet } from "../src/domain/model.js";
import type { WalletStore } from "../src/store/port.js";

export interface OpenedStore {
  store: WalletStore;
  cleanup(): Promise<void>;
  /** Writes a wallet's balance behind the adapter's back, as a bug or another tool could. */
  setBalanceRaw(walletId: string, balance: unknown): Promise<void>;
}

/** A fresh owner id. */
export const owner = () => `user-${randomUUID()}`;

/** A credit or debit request; the fingerprint covers what makes two requests the same. */
export function change(
  ownerId: string,
  walletId: string,
  amount: bigint,
  extra: Partial<DebitChange> = {},
): DebitChange {
  const idempotencyKey = extra.idempotencyKey ?? randomUUID();
  return {
    ownerId,
    walletId,
    amount,
    idempotencyKey,
    metadata: {},
    fingerprint: requestFingerprint("x", { walletId, amount, expectedVersion: extra.expectedVersion }),
    requestId: "req-test",
    ...extra,
  };
}

export function transferChange(ownerId: string, from: string, to: string, amount: bigint): TransferChange {
  return {
    ownerId,
    fromWalletId: from,
    toWalletId: to,
    amount,
    idempotencyKey: randomUUID(),
    metadata: {},
    fingerprint: requestFingerprint("transfer", { from, to, amount }),
    requestId: "req-test",
  };
}

/** A new wallet of `ownerId`, credited with `amount` unless it is 0. */
export async function fundedWallet(
  store: WalletStore,
  ownerId: string,
  amount: bigint,
  currency = "USD",
): Promise<Wallet> {
  const w = await store.createWallet({ ownerId, currency, ownerEmail: `${ownerId}@example.com` });
  if (amount > 0n) await store.credit(change(ownerId, w.id, amount));
  return w;
}

/**
 * For the enclosing describe block: the store `open` gives, migrated before its
 * tests and cleaned up after them (`suite.store` and `suite.opened` once they run).
 */
export function storePerSuite(open: () => Promise<OpenedStore>): { opened: OpenedStore; store: WalletStore } {
  const suite = {} as { opened: OpenedStore; store: WalletStore };
  beforeAll(async () => {
    suite.opened = await open();
    suite.store = suite.opened.store;
    await suite.store.migrate();
  });
  afterAll(() => suite.opened?.cleanup());
  return suite;
}

/** The behaviour every WalletStore adapter must show; run against each adapter with a real server. */
export function describeStoreConformance(name: string, open: () => Promise<OpenedStore>): void {
  describe(`store conformance - ${name}`, () => {
    const suite = storePerSuite(open);
    beforeAll(() => suite.store.migrate()); // migrating again is idempotent

    it("wallets - one per owner and currency, invisible to other owners", async () => {
      const alice = owner();
      const w = await suite.store.createWallet({ ownerId: alice, currency: "USD", ownerEmail: "" });
      expect(w).toMatchObject({ ownerId: alice, currency: "USD", balance: 0n, version: 0n });
      await expect(
        suite.store.createWallet({ ownerId: alice, currency: "USD", ownerEmail: "" }),
      ).rejects.toBeInstanceOf(WalletExistsError);
      await suite.store.createWallet({ ownerId: alice, currency: "EUR", ownerEmail: "" });
      await suite.store.createWallet({ ownerId: owner(), currency: "USD", ownerEmail: "" });
      expect((await suite.store.listWallets(alice)).map((x) => x.currency)).toEqual(["USD", "EUR"]);
      expect(await suite.store.getWallet(alice, w.id)).toMatchObject({ id: w.id });
      expect(await suite.store.getWallet(owner(), w.id)).toBeNull();
      expect(await suite.store.getWallet(alice, "not-an-id")).toBeNull();
      expect(await suite.store.listTransactions(owner(), w.id, 10)).toBeNull();
    });

    it("credit and debit - change the balance once and record the transaction", async () => {
      const alice = owner();
      const w = await fundedWallet(suite.store, alice, 0n);
      const c = await suite.store.credit(change(alice, w.id, 150n, { metadata: { ref: "order-456" } }));
      expect(c.replayed).toBe(false);
      expect(c.transaction).toMatchObject({
        type: "CREDIT",
        amount: 150n,
        balanceAfter: 150n,
        walletVersion: 1n,
      });
      expect(c.transaction.metadata).toEqual({ ref: "order-456" });
      expect(c.events).toHaveLength(1);
      expect(c.events[0]).toMatchObject({ kind: "transaction", transaction: { id: c.transaction.id } });
      const d = await suite.store.debit(change(alice, w.id, 50n));
      expect(d.transaction).toMatchObject({ type: "DEBIT", balanceAfter: 100n, walletVersion: 2n });
      expect(await suite.store.getWallet(alice, w.id)).toMatchObject({ balance: 100n, version: 2n });
      expect(await suite.store.getTransaction(alice, c.transaction.id)).toMatchObject({
        id: c.transaction.id,
        amount: 150n,
      });
      expect(await suite.store.getTransaction(owner(), c.transaction.id)).toBeNull();
    });

    it("idempotency - a replay returns the original, key reuse is rejected, owners do not collide", async () => {
      const alice = owner();
      const bob = owner();
      const wa = await fundedWallet(suite.store, alice, 0n);
      const wb = await fundedWallet(suite.store, bob, 0n);
      const first = await suite.store.credit(change(alice, wa.id, 100n, { idempotencyKey: "k1" }));
      const again = await suite.store.credit(change(alice, wa.id, 100n, { idempotencyKey: "k1" }));
      expect(again).toMatchObject({ replayed: true, events: [] });
      expect(again.transaction.id).toBe(first.transaction.id);
      expect((await suite.store.getWallet(alice, wa.id))?.balance).toBe(100n);
      await expect(
        suite.store.credit(change(alice, wa.id, 101n, { idempotencyKey: "k1" })),
      ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
      const bobs = await suite.store.credit(change(bob, wb.id, 100n, { idempotencyKey: "k1" }));
      expect(bobs.replayed).toBe(false);
      // A replayed debit is recognised even when the funds are gone by now.
      const d = await suite.store.debit(change(alice, wa.id, 100n, { idempotencyKey: "d1" }));
      const dAgain = await suite.store.debit(change(alice, wa.id, 100n, { idempotencyKey: "d1" }));
      expect(dAgain).toMatchObject({ replayed: true });
      expect(dAgain.transaction.id).toBe(d.transaction.id);
    });

    it("idempotency - concurrent requests with one key apply once", async () => {
      const alice = owner();
      const w = await fundedWallet(suite.store, alice, 0n);
      const results = await Promise.all(
        Array.from({ length: 20 }, () =>
          suite.store.credit(change(alice, w.id, 7n, { idempotencyKey: "same" })),
        ),
      );
      expect(new Set(results.map((r) => r.transaction.id)).size).toBe(1);
      expect(results.filter((r) => !r.replayed)).toHaveLength(1);
      expect((await suite.store.getWallet(alice, w.id))?.balance).toBe(7n);
    });

    it("debit - insufficient funds and stale versions change nothing", async () => {
      const alice = owner();
      const w = await fundedWallet(suite.store, alice, 100n);
      const before = await suite.store.countUnpublished();
      await expect(suite.store.debit(change(alice, w.id, 200n))).rejects.toBeInstanceOf(
        InsufficientFundsError,
      );
      await expect(
        suite.store.debit(change(alice, w.id, 10n, { expectedVersion: 0n })),
      ).rejects.toBeInstanceOf(ConcurrentUpdateError);
      expect(await suite.store.getWallet(alice, w.id)).toMatchObject({ balance: 100n, version: 1n });
      expect(await suite.store.countUnpublished()).toBe(before);
      const ok = await suite.store.debit(change(alice, w.id, 10n, { expectedVersion: 1n }));
      expect(ok.transaction.walletVersion).toBe(2n);
    });

    it("cancellation - a mutation whose caller has gone applies nothing and says retry later", async () => {
      const alice = owner();
      const a = await fundedWallet(suite.store, alice, 100n);
      const b = await fundedWallet(suite.store, owner(), 0n);
      const gone = AbortSignal.abort();
      for (const attempt of [
        () => suite.store.credit(change(alice, a.id, 5n, { signal: gone })),
        () => suite.store.debit(change(alice, a.id, 5n, { signal: gone })),
        () => suite.store.transfer({ ...transferChange(alice, a.id, b.id, 5n), signal: gone }),
      ]) {
        await expect(attempt()).rejects.toBeInstanceOf(StoreUnavailableError);
      }
      expect((await suite.store.getWallet(alice, a.id))?.balance).toBe(100n);
      expect(await suite.store.listTransactions(alice, a.id, 10)).toHaveLength(1);
    });

    it("store rules - balances outside 0..2^53-1 or not int64 are refused by the store itself", async () => {
      const alice = owner();
      const w = await fundedWallet(suite.store, alice, 10n);
      for (const bad of [-1n, MAX_AMOUNT + 1n, 1.5]) {
        await expect(suite.opened.setBalanceRaw(w.id, bad), String(bad)).rejects.toThrow();
      }
      expect((await suite.store.getWallet(alice, w.id))?.balance).toBe(10n);
    });

    it("concurrency - 50 debits of 75 on 100: exactly one succeeds", async () => {
      const alice = owner();
      const w = await fundedWallet(suite.store, alice, 100n);
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, () => suite.store.debit(change(alice, w.id, 75n))),
      );
      const ok = results.filter((r) => r.status === "fulfilled");
      const failed = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
      expect(ok).toHaveLength(1);
      expect(failed.every((r) => r.reason instanceof InsufficientFundsError)).toBe(true);
      expect((await suite.store.getWallet(alice, w.id))?.balance).toBe(25n);
    });

    it("concurrency - 200 mixed credits and debits all apply, balance equals the sum of transactions", async () => {
      const alice = owner();
      const w = await fundedWallet(suite.store, alice, 10_000n);
      const ops = Array.from({ length: 200 }, (_, i) =>
        i % 2 === 0
          ? suite.store.credit(change(alice, w.id, 30n))
          : suite.store.debit(change(alice, w.id, 20n)),
      );
      await Promise.all(ops);
      const wallet = await suite.store.getWallet(alice, w.id);
      expect(wallet).toMatchObject({ balance: 10_000n + 100n * 30n - 100n * 20n, version: 201n });
      const history = await suite.store.listTransactions(alice, w.id, 1000);
      const sum = history!.reduce((s, t) => s + (t.type === "CREDIT" ? t.amount : -t.amount), 0n);
      expect(sum).toBe(wallet!.balance);
      expect(new Set(history!.map((t) => t.walletVersion)).size).toBe(201);
    });

    it("transfer - moves money atomically and checks currency, funds and ownership", async () => {
      const alice = owner();
      const bob = owner();
      const a = await fundedWallet(suite.store, alice, 100n);
      const b = await fundedWallet(suite.store, bob, 0n);
      const eur = await fundedWallet(suite.store, bob, 0n, "EUR");
      const t = await suite.store.transfer(transferChange(alice, a.id, b.id, 60n));
      expect(t.debit).toMatchObject({
        type: "TRANSFER_OUT",
        amount: 60n,
        balanceAfter: 40n,
        counterpartyWalletId: b.id,
      });
      expect(t.events.map((e) => e.kind === "transaction" && e.transaction.type).sort()).toEqual([
        "TRANSFER_IN",
        "TRANSFER_OUT",
      ]);
      expect(
        t.events.find((e) => e.kind === "transaction" && e.transaction.type === "TRANSFER_IN")?.ownerEmail,
      ).toBe(`${bob}@example.com`);
      expect((await suite.store.getWallet(bob, b.id))?.balance).toBe(60n);
      await expect(suite.store.transfer(transferChange(alice, a.id, eur.id, 1n))).rejects.toBeInstanceOf(
        CurrencyMismatchError,
      );
      await expect(suite.store.transfer(transferChange(alice, a.id, b.id, 41n))).rejects.toBeInstanceOf(
        InsufficientFundsError,
      );
      await expect(suite.store.transfer(transferChange(bob, a.id, b.id, 1n))).rejects.toMatchObject({
        code: "WALLET_NOT_FOUND",
      });
      await expect(suite.store.transfer(transferChange(alice, a.id, "nope", 1n))).rejects.toMatchObject({
        code: "WALLET_NOT_FOUND",
      });
      const replayReq = transferChange(alice, a.id, b.id, 5n);
      const first = await suite.store.transfer(replayReq);
      const again = await suite.store.transfer(replayReq);
      expect(again).toMatchObject({ replayed: true, transferId: first.transferId });
      expect((await suite.store.getWallet(alice, a.id))?.balance).toBe(35n);
    });

    it("transfer - a storm in both directions conserves money with no negative balance", async () => {
      const alice = owner();
      const wallets = await Promise.all(
        Array.from({ length: 10 }, (_, i) => fundedWallet(suite.store, `${alice}-${i}`, 1000n)),
      );
      const deadline = Date.now() + 3000;
      let moved = 0;
      const worker = async () => {
        while (Date.now() < deadline) {
          const i = Math.floor(Math.random() * 10);
          const j = (i + 1 + Math.floor(Math.random() * 9)) % 10;
          const amount = BigInt(1 + Math.floor(Math.random() * 300));
          try {
            await suite.store.transfer(transferChange(`${alice}-${i}`, wallets[i].id, wallets[j].id, amount));
            moved++;
          } catch (err) {
            if (!(err instanceof InsufficientFundsError)) throw err;
          }
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));
      const balances = await Promise.all(wallets.map((w, i) => suite.store.getWallet(`${alice}-${i}`, w.id)));
      expect(balances.reduce((s, w) => s + w!.balance, 0n)).toBe(10_000n);
      expect(balances.every((w) => w!.balance >= 0n)).toBe(true);
      expect(moved).toBeGreaterThan(0);
    });

    it("history - pages stay gap- and duplicate-free while inserts happen between pages", async () => {
      const alice = owner();
      const w = await fundedWallet(suite.store, alice, 0n);
      for (let i = 0; i < 25; i++) await suite.store.credit(change(alice, w.id, BigInt(i + 1)));
      const seen: string[] = [];
      let before: bigint | undefined;
      for (;;) {
        const page = (await suite.store.listTransactions(alice, w.id, 10, before))!;
        seen.push(...page.map((t) => t.id));
        await suite.store.credit(change(alice, w.id, 1n)); // a concurrent write between pages
        if (page.length < 10) break;
        before = page[page.length - 1].walletVersion;
      }
      expect(seen).toHaveLength(25);
      expect(new Set(seen).size).toBe(25);
    });

    it("outbox - exactly one event per committed transaction, none for failures", async () => {
      const alice = owner();
      await drainOutbox(suite.store);
      const a = await fundedWallet(suite.store, alice, 100n); // 1 event
      const b = await fundedWallet(suite.store, `${alice}-b`, 0n);
      await suite.store.debit(change(alice, a.id, 10n)); // 1
      await suite.store.transfer(transferChange(alice, a.id, b.id, 10n)); // 2
      await suite.store.debit(change(alice, a.id, 1000n)).catch(() => {});
      await suite.store.transfer(transferChange(alice, a.id, b.id, 1000n)).catch(() => {});
      const replayed = change(alice, a.id, 1n);
      await suite.store.credit(replayed); // 1
      await suite.store.credit(replayed);
      const pending = await unpublished(suite.store, 5);
      expect(pending.events).toHaveLength(5);
      expect(new Set(pending.events.map((e) => e.kind === "transaction" && e.transaction.id)).size).toBe(5);
      expect(await suite.store.countUnpublished()).toBe(5);
      if (suite.store.outbox.kind === "claims") {
        // Claimed rows are leased: another sweeper sees none of them.
        expect(await suite.store.outbox.claimUnpublished(1000, 0, 30_000)).toHaveLength(0);
      }
      await pending.publish(5);
      expect(await suite.store.countUnpublished()).toBe(0);
    });

    it("outbox - published rows past the retention are pruned in batches, unpublished rows never", async () => {
      const alice = owner();
      await drainOutbox(suite.store);
      const soon = () => new Date(Date.now() + 60_000);
      while ((await suite.store.pruneOutbox(soon(), 1000)) > 0);
      const beforeWrites = new Date(Date.now() - 1);
      const w = await fundedWallet(suite.store, alice, 0n);
      for (let i = 0; i < 3; i++) await suite.store.credit(change(alice, w.id, 5n));
      // A 1 ms claim lease (MongoDB), so that what publish() leaves behind can be claimed again.
      const pending = await unpublished(suite.store, 3, 1);
      expect(pending.events).toHaveLength(3);
      await pending.publish(2); // the oldest two
      // Published but younger than the cut-off: kept.
      expect(await suite.store.pruneOutbox(beforeWrites, 1000)).toBe(0);
      // Past the cut-off: deleted, at most `limit` per call.
      expect(await suite.store.pruneOutbox(soon(), 1)).toBe(1);
      expect(await suite.store.pruneOutbox(soon(), 1)).toBe(1);
      expect(await suite.store.pruneOutbox(soon(), 1000)).toBe(0);
      // The unpublished one stays, whatever its age, and is still delivered.
      expect(await suite.store.countUnpublished()).toBe(1);
      const rest = await unpublished(suite.store, 1);
      expect(rest.events.map((e) => e.eventId)).toEqual([pending.events[2].eventId]);
      expect(rest.events[0]).toEqual(pending.events[2]);
      await rest.publish(1);
    });
  });
}

/**
 * The events not yet published, oldest first, as the relay would see them (waiting,
 * for the log, until the transactions that wrote them are all finished, which other
 * tests sharing the server can delay), and publish(n), which records the first n as
 * published.
 */
export async function unpublished(store: WalletStore, expected: number, claimLeaseMs = 30_000) {
  const outbox = store.outbox;
  if (outbox.kind === "claims") {
    const events = await outbox.claimUnpublished(1000, 0, claimLeaseMs);
    return {
      events,
      publish: async (n: number) => {
        await outbox.markPublished(events.slice(0, n).map((e) => e.eventId));
        await new Promise((r) => setTimeout(r, 5));
      },
    };
  }
  const owner = `conformance-${randomUUID()}`;
  let cursor = await outbox.acquire(owner, 60_000);
  for (let i = 0; !cursor && i < 100; i++) {
    await new Promise((r) => setTimeout(r, 100));
    cursor = await outbox.acquire(owner, 60_000);
  }
  if (!cursor) throw new Error("outbox cursor held elsewhere");
  let rows = await outbox.readAfter(cursor, 1000);
  for (let i = 0; rows.length < expected && i < 100; i++) {
    await new Promise((r) => setTimeout(r, 50));
    rows = await outbox.readAfter(cursor, 1000);
  }
  // Loaded in full, in log order.
  const byId = new Map((await outbox.events(rows.map((r) => r.eventId))).map((e) => [e.eventId, e]));
  return {
    events: rows.map((r) => byId.get(r.eventId)!),
    publish: async (n: number) => {
      if (n > 0) expect(await outbox.advance(owner, rows[n - 1].position, 60_000)).toBe(true);
      await outbox.release(owner);
    },
  };
}

export async function drainOutbox(store: WalletStore): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await store.countUnpublished()) === 0) return;
    const pending = await unpublished(store, 1, 1);
    await pending.publish(pending.events.length);
  }
  throw new Error("the outbox does not drain");
}
