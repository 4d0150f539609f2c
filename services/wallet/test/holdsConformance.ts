import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  AmountExceedsRemainingError,
  CurrencyMismatchError,
  HoldNotFoundError,
  HoldNotPendingError,
  IdempotencyKeyReusedError,
  InsufficientFundsError,
  NotReversibleError,
  PermissionDeniedError,
  StoreUnavailableError,
  ValidationError,
  WalletNotFoundError,
} from "../src/domain/errors.js";
import { requestFingerprint } from "../src/domain/fingerprint.js";
import type {
  HoldCapture,
  HoldEvent,
  HoldPlacement,
  HoldRelease,
  OutboxEvent,
  ReversalRequest,
  Transaction,
  TransactionEvent,
  Wallet,
} from "../src/domain/model.js";
import {
  change,
  drainOutbox,
  fundedWallet,
  type OpenedStore,
  owner,
  storePerSuite,
  transferChange,
  unpublished,
} from "./storeConformance.js";

const HOUR = 3_600_000;

/**
 * What makes a request its own: a fresh idempotency key, the fingerprint of `fields`
 * as `operation`, and `requestId`.
 */
function idempotent(operation: string, fields: Record<string, unknown>, requestId: string) {
  return { idempotencyKey: randomUUID(), fingerprint: requestFingerprint(operation, fields), requestId };
}

/** A hold request, expiring in an hour unless `extra` says otherwise. */
export function placement(
  ownerId: string,
  walletId: string,
  amount: bigint,
  extra: Partial<HoldPlacement> = {},
): HoldPlacement {
  const expiresAt = extra.expiresAt ?? new Date(Date.now() + HOUR);
  return {
    ownerId,
    walletId,
    amount,
    expiresAt,
    metadata: { order: "o-1" },
    ...idempotent("placeHold", { walletId, amount, expiresAt: expiresAt.getTime() }, "req-place"),
    ...extra,
  };
}

/** A capture request: the whole hold (amount 0) to its own wallet unless `extra` says otherwise. */
export function capture(
  ownerId: string,
  holdId: string,
  amount = 0n,
  extra: Partial<HoldCapture> = {},
): HoldCapture {
  const fields = { holdId, amount, destinationWalletId: extra.destinationWalletId ?? "" };
  return {
    ownerId,
    ...fields,
    metadata: { step: "capture" },
    ...idempotent("captureHold", fields, "req-capture"),
    ...extra,
  };
}

/** A void request. */
export function release(ownerId: string, holdId: string, extra: Partial<HoldRelease> = {}): HoldRelease {
  return { ownerId, holdId, ...idempotent("voidHold", { holdId }, "req-void"), ...extra };
}

/** A reversal request: the whole rest (amount 0) unless `amount` says otherwise. */
export function reversal(
  ownerId: string,
  transactionId: string,
  amount = 0n,
  extra: Partial<ReversalRequest> = {},
): ReversalRequest {
  const fields = { transactionId, amount };
  return {
    ownerId,
    ...fields,
    mayCredit: true,
    metadata: { why: "refund" },
    ...idempotent("reverse", fields, "req-reverse"),
    ...extra,
  };
}

const holdEvents = (events: OutboxEvent[]) => events.filter((e): e is HoldEvent => e.kind === "hold");
const txEvents = (events: OutboxEvent[]) =>
  events.filter((e): e is TransactionEvent => e.kind === "transaction");

/** The events of one transfer: its TRANSFER_OUT leg, then its TRANSFER_IN leg (returned), which matches `inLeg`. */
function expectTransferEvents(events: OutboxEvent[], inLeg: Partial<Transaction>): Transaction {
  const legs = txEvents(events).map((e) => e.transaction);
  expect(legs.map((t) => t.type)).toEqual(["TRANSFER_OUT", "TRANSFER_IN"]);
  expect(legs[1]).toMatchObject(inLeg);
  return legs[1];
}

/** Money in minus money out, from the transactions themselves. */
const signed = (t: Transaction) => (t.type === "CREDIT" || t.type === "TRANSFER_IN" ? t.amount : -t.amount);

/** Holds and reversals, as every WalletStore adapter must behave; run against each adapter with a real server. */
export function describeHoldsConformance(name: string, open: () => Promise<OpenedStore>): void {
  describe(`holds conformance - ${name}`, () => {
    const suite = storePerSuite(open);

    const wallet = async (w: Wallet) => (await suite.store.getWallet(w.ownerId, w.id))!;

    /** Alice's wallet, funded with `funds`, sends `amount` to a new wallet of Bob's; `inLeg` is Bob's side. */
    async function aliceSendsBob(funds: bigint, amount: bigint) {
      const alice = owner();
      const bob = owner();
      const a = await fundedWallet(suite.store, alice, funds);
      const b = await fundedWallet(suite.store, bob, 0n);
      const t = await suite.store.transfer(transferChange(alice, a.id, b.id, amount));
      const inLeg = txEvents(t.events).find((e) => e.transaction.type === "TRANSFER_IN")!.transaction;
      return { alice, bob, a, b, t, inLeg };
    }

    it("place - a hold lowers the available funds, not the balance nor the version", async () => {
      const alice = owner();
      const w = await fundedWallet(suite.store, alice, 100n);
      const placed = await suite.store.placeHold(placement(alice, w.id, 60n));
      expect(placed.replayed).toBe(false);
      expect(placed.hold).toMatchObject({
        walletId: w.id,
        ownerId: alice,
        currency: "USD",
        amount: 60n,
        status: "PENDING",
        capturedAmount: 0n,
        captureTransactionId: "",
        destinationWalletId: "",
        metadata: { order: "o-1" },
        endedAt: null,
      });
      expect(placed.events).toHaveLength(1);
      expect(placed.events[0]).toMatchObject({
        kind: "hold",
        requestId: "req-place",
        ownerEmail: `${alice}@example.com`,
        hold: { id: placed.hold.id, status: "PENDING" },
      });
      expect(await wallet(w)).toMatchObject({ balance: 100n, heldBalance: 60n, version: 1n });
      expect(await suite.store.getHold(alice, placed.hold.id)).toEqual(placed.hold);
      expect(await suite.store.getHold(owner(), placed.hold.id)).toBeNull();
      expect(await suite.store.getHold(alice, "not-an-id")).toBeNull();
      expect(await suite.store.getHold(alice, randomUUID())).toBeNull();
    });

    it("place - debits, transfers and other holds can use only the available funds", async () => {
      const alice = owner();
      const w = await fundedWallet(suite.store, alice, 100n);
      const b = await fundedWallet(suite.store, owner(), 0n);
      await suite.store.placeHold(placement(alice, w.id, 60n));
      await expect(suite.store.debit(change(alice, w.id, 41n))).rejects.toBeInstanceOf(
        InsufficientFundsError,
      );
      await expect(suite.store.transfer(transferChange(alice, w.id, b.id, 41n))).rejects.toBeInstanceOf(
        InsufficientFundsError,
      );
      await expect(suite.store.placeHold(placement(alice, w.id, 41n))).rejects.toBeInstanceOf(
        InsufficientFundsError,
      );
      await suite.store.transfer(transferChange(alice, w.id, b.id, 10n));
      await suite.store.placeHold(placement(alice, w.id, 10n));
      expect(await wallet(w)).toMatchObject({ balance: 90n, heldBalance: 70n });
      // Concurrent debits (batched or not) share the 20 still available: exactly two of ten fit.
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () => suite.store.debit(change(alice, w.id, 10n))),
      );
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(2);
      expect(
        results.flatMap((r) => (r.status === "rejected" ? [(r.reason as Error).constructor.name] : [])),
      ).toEqual(Array(8).fill("InsufficientFundsError"));
      expect(await wallet(w)).toMatchObject({ balance: 70n, heldBalance: 70n });
    });

    it("place - a missing, foreign or malformed wallet is not found and nothing changes", async () => {
      const alice = owner();
      const w = await fundedWallet(suite.store, alice, 100n);
      for (const [ownerId, walletId] of [
        [owner(), w.id],
        [alice, randomUUID()],
        [alice, "nope"],
      ]) {
        await expect(suite.store.placeHold(placement(ownerId, walletId, 1n))).rejects.toBeInstanceOf(
          WalletNotFoundError,
        );
      }
      expect(await wallet(w)).toMatchObject({ balance: 100n, heldBalance: 0n });
      expect(await suite.store.listHolds(alice, w.id, 10)).toEqual([]);
    });

    it("capture - whole (amount 0), partial, above the hold: debits what is captured, releases the rest", async () => {
      const alice = owner();
      const w = await fundedWallet(suite.store, alice, 100n);
      const whole = await suite.store.placeHold(placement(alice, w.id, 60n));
      const c = await suite.store.captureHold(capture(alice, whole.hold.id));
      expect(c.replayed).toBe(false);
      expect(c.transaction).toMatchObject({
        type: "DEBIT",
        amount: 60n,
        walletId: w.id,
        balanceAfter: 40n,
        walletVersion: 2n,
        holdId: whole.hold.id,
        reversalOf: "",
        reversedAmount: 0n,
        metadata: { step: "capture" },
      });
      expect(c.hold).toMatchObject({
        status: "CAPTURED",
        amount: 60n,
        capturedAmount: 60n,
        captureTransactionId: c.transaction.id,
        destinationWalletId: "",
      });
      expect(c.hold.endedAt).toBeInstanceOf(Date);
      expect(
        c.events.map((e) => (e.kind === "hold" ? `hold:${e.hold.status}` : `tx:${e.transaction.id}`)),
      ).toEqual([`tx:${c.transaction.id}`, "hold:CAPTURED"]);
      expect(await wallet(w)).toMatchObject({ balance: 40n, heldBalance: 0n, version: 2n });
      expect(await suite.store.getTransaction(alice, c.transaction.id)).toEqual(c.transaction);

      const part = await suite.store.placeHold(placement(alice, w.id, 30n));
      const tooMuch = capture(alice, part.hold.id, 31n);
      await expect(suite.store.captureHold(tooMuch)).rejects.toBeInstanceOf(AmountExceedsRemainingError);
      expect(await wallet(w)).toMatchObject({ balance: 40n, heldBalance: 30n, version: 2n });
      expect((await suite.store.getHold(alice, part.hold.id))?.status).toBe("PENDING");
      const p = await suite.store.captureHold(capture(alice, part.hold.id, 10n));
      expect(p.hold).toMatchObject({ status: "CAPTURED", amount: 30n, capturedAmount: 10n });
      expect(p.transaction).toMatchObject({ type: "DEBIT", amount: 10n, balanceAfter: 30n });
      expect(await wallet(w)).toMatchObject({ balance: 30n, heldBalance: 0n, version: 3n });
    });

    it("capture - as a transfer: same currency, existing destination of any owner, not the hold's own wallet", async () => {
      const alice = owner();
      const bob = owner();
      const a = await fundedWallet(suite.store, alice, 100n);
      const b = await fundedWallet(suite.store, bob, 5n);
      const eur = await fundedWallet(suite.store, bob, 0n, "EUR");
      const { hold } = await suite.store.placeHold(placement(alice, a.id, 50n));
      await expect(
        suite.store.captureHold(capture(alice, hold.id, 0n, { destinationWalletId: eur.id })),
      ).rejects.toBeInstanceOf(CurrencyMismatchError);
      for (const missing of [randomUUID(), "nope"]) {
        await expect(
          suite.store.captureHold(capture(alice, hold.id, 0n, { destinationWalletId: missing })),
        ).rejects.toMatchObject({ code: "WALLET_NOT_FOUND", message: "Destination wallet not found" });
      }
      await expect(
        suite.store.captureHold(capture(alice, hold.id, 0n, { destinationWalletId: a.id })),
      ).rejects.toBeInstanceOf(ValidationError);
      expect(await wallet(a)).toMatchObject({ balance: 100n, heldBalance: 50n, version: 1n });
      expect((await suite.store.getHold(alice, hold.id))?.status).toBe("PENDING");

      const c = await suite.store.captureHold(capture(alice, hold.id, 20n, { destinationWalletId: b.id }));
      expect(c.transaction).toMatchObject({
        type: "TRANSFER_OUT",
        walletId: a.id,
        amount: 20n,
        balanceAfter: 80n,
        counterpartyWalletId: b.id,
        holdId: hold.id,
      });
      expect(c.hold).toMatchObject({
        status: "CAPTURED",
        capturedAmount: 20n,
        captureTransactionId: c.transaction.id,
        destinationWalletId: b.id,
      });
      expectTransferEvents(c.events, {
        walletId: b.id,
        ownerId: bob,
        amount: 20n,
        balanceAfter: 25n,
        counterpartyWalletId: a.id,
        transferId: c.transaction.transferId,
        holdId: hold.id,
      });
      expect(c.transaction.transferId).not.toBe("");
      expect(txEvents(c.events)[1].ownerEmail).toBe(`${bob}@example.com`);
      expect(holdEvents(c.events).map((e) => e.hold.status)).toEqual(["CAPTURED"]);
      expect(await wallet(a)).toMatchObject({ balance: 80n, heldBalance: 0n, version: 2n });
      expect(await wallet(b)).toMatchObject({ balance: 25n, heldBalance: 0n, version: 2n });
    });

    it("void - releases the hold once; the ended hold can be neither voided nor captured again", async () => {
      const alice = owner();
      const w = await fundedWallet(suite.store, alice, 100n);
      const { hold } = await suite.store.placeHold(placement(alice, w.id, 70n));
      const req = release(alice, hold.id);
      const v = await suite.store.voidHold(req);
      expect(v).toMatchObject({
        replayed: false,
        hold: { id: hold.id, status: "VOIDED", capturedAmount: 0n },
      });
      expect(v.hold.endedAt).toBeInstanceOf(Date);
      expect(v.events.map((e) => e.kind === "hold" && e.hold.status)).toEqual(["VOIDED"]);
      expect(await wallet(w)).toMatchObject({ balance: 100n, heldBalance: 0n, version: 1n });
      await expect(suite.store.voidHold(release(alice, hold.id))).rejects.toBeInstanceOf(HoldNotPendingError);
      await expect(suite.store.captureHold(capture(alice, hold.id))).rejects.toMatchObject({
        code: "HOLD_NOT_PENDING",
        message: "Hold is voided, not pending",
      });
      // Missing, foreign, malformed.
      for (const [ownerId, holdId] of [
        [owner(), hold.id],
        [alice, randomUUID()],
        [alice, "nope"],
      ]) {
        await expect(suite.store.voidHold(release(ownerId, holdId))).rejects.toBeInstanceOf(
          HoldNotFoundError,
        );
        await expect(suite.store.captureHold(capture(ownerId, holdId))).rejects.toBeInstanceOf(
          HoldNotFoundError,
        );
      }
      expect(await wallet(w)).toMatchObject({ balance: 100n, heldBalance: 0n, version: 1n });
    });

    it("idempotency - place, capture and void replay with their key and refuse it for another request", async () => {
      const alice = owner();
      const w = await fundedWallet(suite.store, alice, 100n);
      const req = placement(alice, w.id, 40n, { idempotencyKey: "h1" });
      const first = await suite.store.placeHold(req);
      const again = await suite.store.placeHold(req);
      expect(again).toMatchObject({ replayed: true, events: [] });
      expect(again.hold).toEqual(first.hold);
      await expect(
        suite.store.placeHold({ ...req, amount: 41n, fingerprint: "other" }),
      ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
      // Another owner's key space.
      const bob = owner();
      const bw = await fundedWallet(suite.store, bob, 100n);
      expect(
        (await suite.store.placeHold(placement(bob, bw.id, 40n, { idempotencyKey: "h1" }))).replayed,
      ).toBe(false);
      // The hold's key is not in the transactions' key space.
      expect((await suite.store.credit(change(alice, w.id, 1n, { idempotencyKey: "h1" }))).replayed).toBe(
        false,
      );

      const cap = capture(alice, first.hold.id, 15n, { idempotencyKey: "c1" });
      const captured = await suite.store.captureHold(cap);
      const capAgain = await suite.store.captureHold(cap);
      expect(capAgain).toMatchObject({ replayed: true, events: [] });
      expect(capAgain.transaction).toEqual(captured.transaction);
      expect(capAgain.hold).toEqual(captured.hold);
      await expect(
        suite.store.captureHold({ ...cap, amount: 16n, fingerprint: "other" }),
      ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
      await expect(
        suite.store.voidHold(release(alice, first.hold.id, { idempotencyKey: "c1" })),
      ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
      await expect(suite.store.captureHold(capture(alice, first.hold.id, 15n))).rejects.toBeInstanceOf(
        HoldNotPendingError,
      );
      // A place replay shows the hold as it is now.
      const now = await suite.store.placeHold(req);
      expect(now).toMatchObject({ replayed: true, hold: { status: "CAPTURED", capturedAmount: 15n } });
      expect(await wallet(w)).toMatchObject({ balance: 86n, heldBalance: 0n });

      const { hold } = await suite.store.placeHold(placement(alice, w.id, 10n));
      const v = release(alice, hold.id, { idempotencyKey: "v1" });
      const voided = await suite.store.voidHold(v);
      const voidAgain = await suite.store.voidHold(v);
      expect(voidAgain).toMatchObject({ replayed: true, events: [], hold: voided.hold });
      await expect(suite.store.voidHold({ ...v, fingerprint: "other" })).rejects.toBeInstanceOf(
        IdempotencyKeyReusedError,
      );
    });

    it("idempotency - concurrent places and captures with one key apply once", async () => {
      const alice = owner();
      const w = await fundedWallet(suite.store, alice, 100n);
      const req = placement(alice, w.id, 30n);
      const places = await Promise.all(Array.from({ length: 10 }, () => suite.store.placeHold(req)));
      expect(new Set(places.map((p) => p.hold.id)).size).toBe(1);
      expect(places.filter((p) => !p.replayed)).toHaveLength(1);
      expect(await wallet(w)).toMatchObject({ balance: 100n, heldBalance: 30n });
      const cap = capture(alice, places[0].hold.id);
      const caps = await Promise.all(Array.from({ length: 10 }, () => suite.store.captureHold(cap)));
      expect(new Set(caps.map((c) => c.transaction.id)).size).toBe(1);
      expect(caps.filter((c) => !c.replayed)).toHaveLength(1);
      expect(await wallet(w)).toMatchObject({ balance: 70n, heldBalance: 0n, version: 2n });
    });

    it("list - newest first, paged by position without gaps or duplicates, only the owner's", async () => {
      const alice = owner();
      const w = await fundedWallet(suite.store, alice, 1000n);
      const placed: string[] = [];
      for (let i = 0; i < 7; i++)
        placed.push((await suite.store.placeHold(placement(alice, w.id, 1n))).hold.id);
      const seen: string[] = [];
      let after: { createdAt: Date; id: string } | undefined;
      for (;;) {
        const page = (await suite.store.listHolds(alice, w.id, 3, after))!;
        seen.push(...page.map((h) => h.id));
        if (page.length < 3) break;
        after = { createdAt: page[2].createdAt, id: page[2].id };
      }
      expect(seen).toEqual([...placed].reverse());
      expect(await suite.store.listHolds(owner(), w.id, 10)).toBeNull();
      expect(await suite.store.listHolds(alice, randomUUID(), 10)).toBeNull();
      expect(await suite.store.listHolds(alice, "nope", 10)).toBeNull();
    });

    it("expiry - expireHolds ends each due hold once, releases it, and leaves the others", async () => {
      const alice = owner();
      const w = await fundedWallet(suite.store, alice, 100n);
      const due = await Promise.all(
        [10n, 20n, 30n].map((n) =>
          suite.store.placeHold(placement(alice, w.id, n, { expiresAt: new Date(Date.now() - 1000) })),
        ),
      );
      const later = await suite.store.placeHold(placement(alice, w.id, 5n));
      expect(await wallet(w)).toMatchObject({ heldBalance: 65n });
      const mine = new Set(due.map((d) => d.hold.id));
      const expired: HoldEvent[] = [];
      // Several sweepers at once, a few holds each, until nothing is due.
      for (let round = 0; round < 20; round++) {
        const batches = await Promise.all(
          Array.from({ length: 4 }, () => suite.store.expireHolds(new Date(), 1)),
        );
        for (const batch of batches) expect(batch.length).toBeLessThanOrEqual(1);
        const events = holdEvents(batches.flat());
        expired.push(...events.filter((e) => mine.has(e.hold.id)));
        if (batches.flat().length === 0) break;
      }
      expect(expired.map((e) => e.hold.id).sort()).toEqual([...mine].sort());
      expect(new Set(expired.map((e) => e.eventId)).size).toBe(3);
      for (const e of expired) {
        expect(e).toMatchObject({
          kind: "hold",
          ownerEmail: `${alice}@example.com`,
          hold: { status: "EXPIRED" },
        });
        expect(e.hold.endedAt).toBeInstanceOf(Date);
      }
      expect(await wallet(w)).toMatchObject({ balance: 100n, heldBalance: 5n, version: 1n });
      expect((await suite.store.getHold(alice, later.hold.id))?.status).toBe("PENDING");
      expect((await suite.store.getHold(alice, due[0].hold.id))?.status).toBe("EXPIRED");
      await expect(suite.store.voidHold(release(alice, due[0].hold.id))).rejects.toMatchObject({
        message: "Hold is expired, not pending",
      });
    });

    it("expiry - a capture or void that finds its hold past expiry commits the expiry, then refuses", async () => {
      const alice = owner();
      const w = await fundedWallet(suite.store, alice, 100n);
      const a = await suite.store.placeHold(
        placement(alice, w.id, 10n, { expiresAt: new Date(Date.now() + 150) }),
      );
      const b = await suite.store.placeHold(
        placement(alice, w.id, 20n, { expiresAt: new Date(Date.now() + 150) }),
      );
      await new Promise((r) => setTimeout(r, 300));
      await drainOutbox(suite.store);
      await expect(suite.store.captureHold(capture(alice, a.hold.id))).rejects.toMatchObject({
        code: "HOLD_NOT_PENDING",
        message: "Hold is expired, not pending",
      });
      await expect(suite.store.voidHold(release(alice, b.hold.id))).rejects.toBeInstanceOf(
        HoldNotPendingError,
      );
      expect((await suite.store.getHold(alice, a.hold.id))?.status).toBe("EXPIRED");
      expect((await suite.store.getHold(alice, b.hold.id))?.status).toBe("EXPIRED");
      expect(await wallet(w)).toMatchObject({ balance: 100n, heldBalance: 0n, version: 1n });
      const pending = await unpublished(suite.store, 2);
      const events = holdEvents(pending.events).filter((e) => e.hold.walletId === w.id);
      expect(events.map((e) => [e.hold.id, e.hold.status]).sort()).toEqual(
        [
          [a.hold.id, "EXPIRED"],
          [b.hold.id, "EXPIRED"],
        ].sort(),
      );
      await pending.publish(pending.events.length);
    });

    it("race - captures and voids on one hold: exactly one wins, the rest find it ended", async () => {
      const alice = owner();
      const w = await fundedWallet(suite.store, alice, 100n);
      const { hold } = await suite.store.placeHold(placement(alice, w.id, 40n));
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          i % 2 === 0
            ? suite.store.captureHold(capture(alice, hold.id, 25n))
            : suite.store.voidHold(release(alice, hold.id)),
        ),
      );
      const won = results.filter((r) => r.status === "fulfilled");
      const lost = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
      expect(won).toHaveLength(1);
      expect(lost.map((e) => (e as Error).constructor.name)).toEqual(Array(19).fill("HoldNotPendingError"));
      const ended = (await suite.store.getHold(alice, hold.id))!;
      expect(ended.status === "CAPTURED" || ended.status === "VOIDED").toBe(true);
      expect(await wallet(w)).toMatchObject({
        balance: ended.status === "CAPTURED" ? 75n : 100n,
        heldBalance: 0n,
      });
    });

    it("race - captures, voids and sweeps around the expiry: the hold ends exactly once", async () => {
      const alice = owner();
      const w = await fundedWallet(suite.store, alice, 1000n);
      for (let round = 0; round < 3; round++) {
        const { hold } = await suite.store.placeHold(
          placement(alice, w.id, 40n, { expiresAt: new Date(Date.now() + 30) }),
        );
        const calls = Array.from({ length: 20 }, async (_, i) => {
          await new Promise((r) => setTimeout(r, (i % 5) * 10));
          if (i % 3 === 0) return suite.store.captureHold(capture(alice, hold.id));
          if (i % 3 === 1) return suite.store.voidHold(release(alice, hold.id));
          return suite.store.expireHolds(new Date(), 100);
        });
        const results = await Promise.allSettled(calls);
        const ends = results.flatMap((r, i) => (i % 3 !== 2 && r.status === "fulfilled" ? [r.value] : []));
        const sweeps = results.flatMap((r, i) =>
          i % 3 === 2 && r.status === "fulfilled" ? holdEvents(r.value as OutboxEvent[]) : [],
        );
        const errors = results.flatMap((r) =>
          r.status === "rejected" ? [(r.reason as Error).constructor.name] : [],
        );
        expect(new Set(errors)).toEqual(errors.length ? new Set(["HoldNotPendingError"]) : new Set());
        const ended = (await suite.store.getHold(alice, hold.id))!;
        const expiredBySweep = sweeps.filter((e) => e.hold.id === hold.id);
        expect(ended.status).not.toBe("PENDING");
        // One winner: a capture or void call, or a sweep, or (after expiry) the first call to touch it.
        expect(ends.length + expiredBySweep.length).toBeLessThanOrEqual(1);
        if (ended.status === "EXPIRED") expect(ends).toHaveLength(0);
        else expect(ends).toHaveLength(1);
        expect((await wallet(w)).heldBalance).toBe(0n);
      }
    });

    it("reversal - of a credit: partial, then the rest (amount 0), then nothing left", async () => {
      const alice = owner();
      const w = await fundedWallet(suite.store, alice, 0n);
      const credit = await suite.store.credit(change(alice, w.id, 100n));
      const part = await suite.store.reverseTransaction(reversal(alice, credit.transaction.id, 30n));
      expect(part).toMatchObject({ replayed: false, transferId: "" });
      expect(part.reversal).toMatchObject({
        type: "DEBIT",
        walletId: w.id,
        amount: 30n,
        balanceAfter: 70n,
        walletVersion: 2n,
        reversalOf: credit.transaction.id,
        reversedAmount: 0n,
        metadata: { why: "refund" },
      });
      expect(txEvents(part.events).map((e) => e.transaction.id)).toEqual([part.reversal.id]);
      expect(part.events).toHaveLength(1);
      expect((await suite.store.getTransaction(alice, credit.transaction.id))?.reversedAmount).toBe(30n);
      await expect(
        suite.store.reverseTransaction(reversal(alice, credit.transaction.id, 71n)),
      ).rejects.toBeInstanceOf(AmountExceedsRemainingError);
      const rest = await suite.store.reverseTransaction(reversal(alice, credit.transaction.id));
      expect(rest.reversal).toMatchObject({ type: "DEBIT", amount: 70n, balanceAfter: 0n });
      expect((await suite.store.getTransaction(alice, credit.transaction.id))?.reversedAmount).toBe(100n);
      await expect(
        suite.store.reverseTransaction(reversal(alice, credit.transaction.id)),
      ).rejects.toBeInstanceOf(AmountExceedsRemainingError);
      await expect(
        suite.store.reverseTransaction(reversal(alice, credit.transaction.id, 1n)),
      ).rejects.toBeInstanceOf(AmountExceedsRemainingError);
      expect(await wallet(w)).toMatchObject({ balance: 0n, version: 3n });
    });

    it("reversal - of a credit needs available funds; of a debit needs the credit scope", async () => {
      const alice = owner();
      const w = await fundedWallet(suite.store, alice, 0n);
      const credit = await suite.store.credit(change(alice, w.id, 100n));
      await suite.store.placeHold(placement(alice, w.id, 80n));
      await expect(
        suite.store.reverseTransaction(reversal(alice, credit.transaction.id, 30n)),
      ).rejects.toBeInstanceOf(InsufficientFundsError);
      const debit = await suite.store.debit(change(alice, w.id, 20n));
      await expect(
        suite.store.reverseTransaction(reversal(alice, debit.transaction.id, 0n, { mayCredit: false })),
      ).rejects.toMatchObject({ code: "FORBIDDEN", message: "Reversing a debit needs the credit scope" });
      await expect(
        suite.store.reverseTransaction(reversal(alice, debit.transaction.id, 0n, { mayCredit: false })),
      ).rejects.toBeInstanceOf(PermissionDeniedError);
      expect(await wallet(w)).toMatchObject({ balance: 80n, heldBalance: 80n, version: 2n });
      const back = await suite.store.reverseTransaction(reversal(alice, debit.transaction.id));
      expect(back.reversal).toMatchObject({
        type: "CREDIT",
        amount: 20n,
        balanceAfter: 100n,
        reversalOf: debit.transaction.id,
      });
      expect((await suite.store.getTransaction(alice, debit.transaction.id))?.reversedAmount).toBe(20n);
      // A reversal is not reversible; another owner's transaction is not found.
      await expect(suite.store.reverseTransaction(reversal(alice, back.reversal.id))).rejects.toBeInstanceOf(
        NotReversibleError,
      );
      for (const [ownerId, id] of [
        [owner(), credit.transaction.id],
        [alice, randomUUID()],
        [alice, "nope"],
      ]) {
        await expect(suite.store.reverseTransaction(reversal(ownerId, id))).rejects.toMatchObject({
          code: "WALLET_NOT_FOUND",
          message: "Transaction not found",
        });
      }
    });

    it("reversal - of a transfer, through its TRANSFER_IN leg: a new transfer back, both originals marked", async () => {
      const { alice, bob, a, b, t, inLeg } = await aliceSendsBob(100n, 60n);
      await expect(suite.store.reverseTransaction(reversal(alice, t.debit.id))).rejects.toMatchObject({
        code: "NOT_REVERSIBLE",
        message: expect.stringContaining("TRANSFER_IN"),
      });
      await expect(suite.store.reverseTransaction(reversal(alice, inLeg.id))).rejects.toBeInstanceOf(
        WalletNotFoundError,
      );
      const r = await suite.store.reverseTransaction(reversal(bob, inLeg.id, 25n));
      expect(r.transferId).not.toBe("");
      expect(r.transferId).not.toBe(t.transferId);
      expect(r.reversal).toMatchObject({
        type: "TRANSFER_OUT",
        walletId: b.id,
        ownerId: bob,
        amount: 25n,
        balanceAfter: 35n,
        counterpartyWalletId: a.id,
        transferId: r.transferId,
        reversalOf: inLeg.id,
      });
      const back = expectTransferEvents(r.events, {
        walletId: a.id,
        ownerId: alice,
        amount: 25n,
        balanceAfter: 65n,
        counterpartyWalletId: b.id,
        transferId: r.transferId,
        reversalOf: t.debit.id,
      });
      expect(txEvents(r.events).map((e) => e.ownerEmail)).toEqual([
        `${bob}@example.com`,
        `${alice}@example.com`,
      ]);
      expect((await suite.store.getTransaction(alice, t.debit.id))?.reversedAmount).toBe(25n);
      expect((await suite.store.getTransaction(bob, inLeg.id))?.reversedAmount).toBe(25n);
      // Neither leg of the reversal is reversible.
      await expect(suite.store.reverseTransaction(reversal(bob, r.reversal.id))).rejects.toBeInstanceOf(
        NotReversibleError,
      );
      await expect(suite.store.reverseTransaction(reversal(alice, back.id))).rejects.toBeInstanceOf(
        NotReversibleError,
      );
      const rest = await suite.store.reverseTransaction(reversal(bob, inLeg.id));
      expect(rest.reversal.amount).toBe(35n);
      expect(await wallet(a)).toMatchObject({ balance: 100n, version: 4n });
      expect(await wallet(b)).toMatchObject({ balance: 0n, version: 3n });
      await expect(suite.store.reverseTransaction(reversal(bob, inLeg.id))).rejects.toBeInstanceOf(
        AmountExceedsRemainingError,
      );
    });

    it("reversal - replays with its key, in the owner's transaction key space", async () => {
      const { bob, b, inLeg } = await aliceSendsBob(100n, 60n);
      const req = reversal(bob, inLeg.id, 10n, { idempotencyKey: "r1" });
      const first = await suite.store.reverseTransaction(req);
      const again = await suite.store.reverseTransaction(req);
      expect(again).toMatchObject({ replayed: true, events: [], transferId: first.transferId });
      expect(again.reversal).toEqual(first.reversal);
      await expect(
        suite.store.reverseTransaction({ ...req, amount: 11n, fingerprint: "other" }),
      ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
      // A credit with the key of a reversal is key reuse, not a new credit.
      await expect(
        suite.store.credit(change(bob, b.id, 1n, { idempotencyKey: "r1" })),
      ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
      const concurrent = reversal(bob, inLeg.id, 5n);
      const all = await Promise.all(
        Array.from({ length: 8 }, () => suite.store.reverseTransaction(concurrent)),
      );
      expect(new Set(all.map((r) => r.reversal.id)).size).toBe(1);
      expect(all.filter((r) => !r.replayed)).toHaveLength(1);
      expect((await suite.store.getTransaction(bob, inLeg.id))?.reversedAmount).toBe(15n);
      expect(await wallet(b)).toMatchObject({ balance: 45n });
    });

    it("reversal - concurrent partial reversals never exceed the original (20 × 30 on 100: three)", async () => {
      const { alice, bob, a, b, t, inLeg } = await aliceSendsBob(1000n, 100n);
      const credit = await suite.store.credit(change(alice, a.id, 100n));
      for (const [ownerId, id] of [
        [alice, credit.transaction.id],
        [bob, inLeg.id],
      ]) {
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, () => suite.store.reverseTransaction(reversal(ownerId, id, 30n))),
        );
        expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(3);
        expect(
          results.flatMap((r) => (r.status === "rejected" ? [(r.reason as Error).constructor.name] : [])),
        ).toEqual(Array(17).fill("AmountExceedsRemainingError"));
        expect((await suite.store.getTransaction(ownerId, id))?.reversedAmount).toBe(90n);
      }
      expect((await suite.store.getTransaction(alice, t.debit.id))?.reversedAmount).toBe(90n);
      expect(await wallet(b)).toMatchObject({ balance: 10n });
      expect(await wallet(a)).toMatchObject({ balance: 1100n - 90n - 100n + 90n });
    });

    it("cancellation - a hold or reversal call whose caller has gone applies nothing", async () => {
      const alice = owner();
      const w = await fundedWallet(suite.store, alice, 100n);
      const { hold } = await suite.store.placeHold(placement(alice, w.id, 10n));
      const credit = await suite.store.credit(change(alice, w.id, 5n));
      const gone = AbortSignal.abort();
      for (const attempt of [
        () => suite.store.placeHold(placement(alice, w.id, 5n, { signal: gone })),
        () => suite.store.captureHold(capture(alice, hold.id, 0n, { signal: gone })),
        () => suite.store.voidHold(release(alice, hold.id, { signal: gone })),
        () => suite.store.reverseTransaction(reversal(alice, credit.transaction.id, 0n, { signal: gone })),
      ]) {
        await expect(attempt()).rejects.toBeInstanceOf(StoreUnavailableError);
      }
      expect(await wallet(w)).toMatchObject({ balance: 105n, heldBalance: 10n, version: 2n });
      expect((await suite.store.getHold(alice, hold.id))?.status).toBe("PENDING");
      expect(await suite.store.listHolds(alice, w.id, 10)).toHaveLength(1);
    });

    it("outbox - exactly one event per state change, with its own id; none for failures and replays", async () => {
      const alice = owner();
      const bob = owner();
      const a = await fundedWallet(suite.store, alice, 1000n);
      const b = await fundedWallet(suite.store, bob, 0n);
      await drainOutbox(suite.store);
      const returned: OutboxEvent[] = [];
      const keep = <T extends { events: OutboxEvent[] }>(r: T) => {
        returned.push(...r.events);
        return r;
      };
      const p1 = keep(await suite.store.placeHold(placement(alice, a.id, 100n))); // PENDING
      keep(await suite.store.captureHold(capture(alice, p1.hold.id, 60n))); // DEBIT, CAPTURED
      const p2 = keep(await suite.store.placeHold(placement(alice, a.id, 50n))); // PENDING
      const v = release(alice, p2.hold.id);
      keep(await suite.store.voidHold(v)); // VOIDED
      await suite.store.voidHold(v); // replay: none
      const p3 = keep(await suite.store.placeHold(placement(alice, a.id, 30n))); // PENDING
      const c3 = keep(
        await suite.store.captureHold(capture(alice, p3.hold.id, 0n, { destinationWalletId: b.id })),
      ); // OUT, IN, CAPTURED
      const p4 = keep(
        await suite.store.placeHold(placement(alice, a.id, 5n, { expiresAt: new Date(Date.now() - 1) })),
      ); // PENDING
      const swept = holdEvents(await suite.store.expireHolds(new Date(), 1000)).filter(
        (e) => e.hold.id === p4.hold.id,
      );
      returned.push(...swept); // EXPIRED
      const inLeg = txEvents(c3.events).find((e) => e.transaction.type === "TRANSFER_IN")!.transaction;
      keep(await suite.store.reverseTransaction(reversal(bob, inLeg.id, 10n))); // OUT, IN
      // Failures.
      await suite.store.placeHold(placement(alice, a.id, 10_000n)).catch(() => {});
      await suite.store.captureHold(capture(alice, p1.hold.id)).catch(() => {});
      await suite.store.reverseTransaction(reversal(bob, inLeg.id, 1000n)).catch(() => {});
      await suite.store.reverseTransaction(reversal(alice, c3.transaction.id)).catch(() => {});

      expect(returned).toHaveLength(13);
      const pending = await unpublished(suite.store, 13);
      const events = pending.events;
      expect(events).toHaveLength(13);
      expect(new Set(events.map((e) => e.eventId)).size).toBe(13);
      expect(events.map((e) => e.eventId).sort()).toEqual(returned.map((e) => e.eventId).sort());
      const describe = (e: OutboxEvent) =>
        e.kind === "hold"
          ? `hold ${e.hold.status}`
          : `${e.transaction.type}${e.transaction.holdId ? " hold" : ""}`;
      expect(events.map(describe).sort()).toEqual(
        [
          "hold PENDING",
          "DEBIT hold",
          "hold CAPTURED",
          "hold PENDING",
          "hold VOIDED",
          "hold PENDING",
          "TRANSFER_OUT hold",
          "TRANSFER_IN hold",
          "hold CAPTURED",
          "hold PENDING",
          "hold EXPIRED",
          "TRANSFER_OUT",
          "TRANSFER_IN",
        ].sort(),
      );
      // Loaded from the log, each event is as of its own transition and equals what the commit returned.
      const byId = new Map(returned.map((e) => [e.eventId, e]));
      for (const e of events) expect(e).toEqual(byId.get(e.eventId));
      const placedEvent = holdEvents(events).find(
        (e) => e.hold.id === p1.hold.id && e.hold.status === "PENDING",
      )!;
      expect(placedEvent.hold).toMatchObject({
        capturedAmount: 0n,
        captureTransactionId: "",
        destinationWalletId: "",
        endedAt: null,
      });
      expect(placedEvent.requestId).toBe("req-place");
      expect(placedEvent.occurredAt).toBeInstanceOf(Date);
      expect(await suite.store.countUnpublished()).toBe(13);
      await pending.publish(13);
    });

    it("invariants - after a concurrent storm of everything: balance = Σ transactions, held = Σ pending holds", async () => {
      const base = owner();
      const n = 5;
      const ownerOf = (i: number) => `${base}-${i}`;
      const wallets = await Promise.all(
        Array.from({ length: n }, (_, i) => fundedWallet(suite.store, ownerOf(i), 1000n)),
      );
      const pick = (k: number) => Math.floor(Math.random() * k);
      const holds: Array<{ i: number; id: string }> = [];
      const reversible: Array<{ i: number; id: string }> = [];
      const done: Record<string, number> = {};
      const expected = new Set([
        "InsufficientFundsError",
        "HoldNotPendingError",
        "AmountExceedsRemainingError",
        "NotReversibleError",
      ]);
      const operations: Array<[string, () => Promise<unknown> | undefined]> = [
        [
          "credit",
          () => {
            const i = pick(n);
            return suite.store.credit(change(ownerOf(i), wallets[i].id, BigInt(1 + pick(200)))).then((r) => {
              reversible.push({ i, id: r.transaction.id });
            });
          },
        ],
        [
          "debit",
          () => {
            const i = pick(n);
            return suite.store.debit(change(ownerOf(i), wallets[i].id, BigInt(1 + pick(200))));
          },
        ],
        [
          "transfer",
          () => {
            const i = pick(n);
            const j = (i + 1 + pick(n - 1)) % n;
            return suite.store
              .transfer(transferChange(ownerOf(i), wallets[i].id, wallets[j].id, BigInt(1 + pick(200))))
              .then((r) => {
                const tin = txEvents(r.events).find((e) => e.transaction.type === "TRANSFER_IN")!;
                reversible.push({ i: j, id: tin.transaction.id });
              });
          },
        ],
        [
          "place",
          () => {
            const i = pick(n);
            // Some expire within the storm (swept, or found expired), some outlive it.
            const expiresAt = new Date(Date.now() + (pick(2) ? 20 + pick(300) : HOUR));
            return suite.store
              .placeHold(placement(ownerOf(i), wallets[i].id, BigInt(1 + pick(200)), { expiresAt }))
              .then((r) => {
                holds.push({ i, id: r.hold.id });
              });
          },
        ],
        [
          "capture",
          () => {
            if (!holds.length) return undefined;
            const h = holds[pick(holds.length)];
            const dest = pick(2) ? wallets[(h.i + 1) % n].id : "";
            return suite.store.captureHold(
              capture(ownerOf(h.i), h.id, BigInt(pick(3)), { destinationWalletId: dest }),
            );
          },
        ],
        [
          "void",
          () => {
            if (!holds.length) return undefined;
            const h = holds[pick(holds.length)];
            return suite.store.voidHold(release(ownerOf(h.i), h.id));
          },
        ],
        ["sweep", () => suite.store.expireHolds(new Date(), 5)],
        [
          "reverse",
          () => {
            if (!reversible.length) return undefined;
            const r = reversible[pick(reversible.length)];
            return suite.store.reverseTransaction(reversal(ownerOf(r.i), r.id, BigInt(pick(40))));
          },
        ],
      ];
      const deadline = Date.now() + 3000;
      const worker = async () => {
        while (Date.now() < deadline) {
          const [name, run] = operations[pick(operations.length)];
          try {
            const running = run();
            if (!running) continue;
            await running;
            done[name] = (done[name] ?? 0) + 1;
          } catch (err) {
            if (!expected.has((err as Error).constructor.name)) throw err;
          }
        }
      };
      await Promise.all(Array.from({ length: 12 }, worker));
      expect(Object.keys(done).sort()).toEqual(
        ["capture", "credit", "debit", "place", "reverse", "sweep", "transfer", "void"].sort(),
      );
      let transfersIn = 0n;
      let transfersOut = 0n;
      const all: Transaction[] = [];
      for (let i = 0; i < n; i++) {
        const w = await wallet(wallets[i]);
        const history = (await suite.store.listTransactions(ownerOf(i), w.id, 100_000))!;
        all.push(...history);
        expect(history.reduce((s, t) => s + signed(t), 0n)).toBe(w.balance);
        expect(history).toHaveLength(Number(w.version));
        const mine = (await suite.store.listHolds(ownerOf(i), w.id, 100_000))!;
        const pendingSum = mine.filter((h) => h.status === "PENDING").reduce((s, h) => s + h.amount, 0n);
        expect(w.heldBalance).toBe(pendingSum);
        expect(w.balance - w.heldBalance).toBeGreaterThanOrEqual(0n);
        for (const t of history) {
          if (t.type === "TRANSFER_IN") transfersIn += t.amount;
          if (t.type === "TRANSFER_OUT") transfersOut += t.amount;
        }
      }
      // Each original's reversedAmount is what its reversals moved, never more than its amount.
      const reversedOf = new Map<string, bigint>();
      for (const t of all)
        if (t.reversalOf) reversedOf.set(t.reversalOf, (reversedOf.get(t.reversalOf) ?? 0n) + t.amount);
      expect(reversedOf.size).toBeGreaterThan(0);
      for (const t of all) {
        expect(t.reversedAmount, t.id).toBe(reversedOf.get(t.id) ?? 0n);
        expect(t.reversedAmount).toBeLessThanOrEqual(t.amount);
      }
      // Every transfer (plain, a capture into a wallet, a reversal) moved what it took.
      expect(transfersIn).toBe(transfersOut);
      expect(transfersIn).toBeGreaterThan(0n);
    });
  });
}
