import { randomUUID } from "node:crypto";
import { credentials, status } from "@grpc/grpc-js";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { HoldStatus, TransactionType, WalletServiceClient } from "@wallet/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNats, type TestNats } from "../../../test/support/nats.js";
import { waitUntil } from "../../../test/support/wait.js";
import { call, failure, type RunningWallet, startTestWallet, testToken } from "./harness.js";
import { eventsOf, readEvents } from "./holdEvents.js";

describe("holds over gRPC (PostgreSQL, NATS)", () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let w: RunningWallet;
  let c: WalletServiceClient;

  beforeAll(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url });
    w = await startTestWallet({
      NATS_URL: nats.url,
      HOLD_EXPIRY_INTERVAL_MS: "100",
      HOLD_DEFAULT_TTL_SECONDS: "3600",
      HOLD_MAX_TTL_SECONDS: "86400",
    });
    c = w.client;
  });
  afterAll(async () => {
    await w?.close();
    await nc?.close();
    await nats?.destroy();
  });

  /** A new owner with a USD wallet holding `funds`. */
  const funded = async (funds: bigint, currency = "USD") => {
    const ownerId = `user-${randomUUID()}`;
    const wallet = (await call(c, c.createWallet, { ownerId, currency, ownerEmail: "h@example.test" }))
      .wallet!;
    if (funds > 0n)
      await call(c, c.credit, {
        ownerId,
        walletId: wallet.id,
        amount: funds,
        idempotencyKey: randomUUID(),
        metadata: {},
      });
    return { ownerId, walletId: wallet.id };
  };
  const place = (o: { ownerId: string; walletId: string }, amount: bigint, extra: object = {}) =>
    call(c, c.placeHold, {
      ...o,
      amount,
      idempotencyKey: randomUUID(),
      metadata: {},
      expiresInSeconds: 0n,
      ...extra,
    });
  const walletOf = async (o: { ownerId: string; walletId: string }) =>
    (await call(c, c.getWallet, o)).wallet!;
  const balances = async (o: { ownerId: string; walletId: string }) => {
    const x = await walletOf(o);
    return { balance: x.balance, held: x.heldBalance, available: x.availableBalance, version: x.version };
  };

  it("PlaceHold reserves available funds: GetWallet shows held and available, the version does not move", async () => {
    const o = await funded(1000n);
    const before = Date.now();
    const placed = await place(o, 300n, { metadata: { order: "o-1" } });
    const h = placed.hold!;
    expect(placed.replayed).toBe(false);
    expect(h).toMatchObject({
      walletId: o.walletId,
      ownerId: o.ownerId,
      currency: "USD",
      amount: 300n,
      status: HoldStatus.HOLD_STATUS_PENDING,
      capturedAmount: 0n,
      captureTransactionId: "",
      destinationWalletId: "",
      metadata: { order: "o-1" },
      endedAt: undefined,
    });
    // expires_in_seconds 0: HOLD_DEFAULT_TTL_SECONDS (3600 here).
    const ttl = h.expiresAt!.getTime() - before;
    expect(ttl).toBeGreaterThan(3_595_000);
    expect(ttl).toBeLessThan(3_605_000);
    expect(await balances(o)).toEqual({ balance: 1000n, held: 300n, available: 700n, version: 1n });
    expect((await call(c, c.getHold, { ownerId: o.ownerId, holdId: h.id })).hold).toEqual(h);

    const explicit = (await place(o, 100n, { expiresInSeconds: 60n })).hold!;
    expect(explicit.expiresAt!.getTime() - explicit.createdAt!.getTime()).toBeGreaterThan(59_000);
    expect(explicit.expiresAt!.getTime() - explicit.createdAt!.getTime()).toBeLessThan(61_000);

    // More than available (600 left): refused, nothing held.
    expect(await failure(place(o, 601n))).toMatchObject({
      code: status.FAILED_PRECONDITION,
      reason: "INSUFFICIENT_FUNDS",
    });
    // A debit sees the available funds, not the balance.
    expect(
      await failure(call(c, c.debit, { ...o, amount: 601n, idempotencyKey: randomUUID(), metadata: {} })),
    ).toMatchObject({ code: status.FAILED_PRECONDITION, reason: "INSUFFICIENT_FUNDS" });
    expect(await balances(o)).toEqual({ balance: 1000n, held: 400n, available: 600n, version: 1n });
  });

  it("PlaceHold validation: bad amounts, expiries, keys, metadata are VALIDATION_FAILED and hold nothing", async () => {
    const o = await funded(1000n);
    const bad = [
      { amount: 0n },
      { amount: -5n },
      { expiresInSeconds: -1n },
      { expiresInSeconds: 86_401n },
      { idempotencyKey: "" },
      { idempotencyKey: "has space" },
      { metadata: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, "v"])) },
      { walletId: "" },
    ];
    for (const extra of bad) {
      const r = await failure(place(o, 10n, extra));
      expect(
        r,
        JSON.stringify(extra, (_k, v) => (typeof v === "bigint" ? String(v) : v)),
      ).toMatchObject({
        code: status.INVALID_ARGUMENT,
        reason: "VALIDATION_FAILED",
      });
    }
    expect((await failure(place(o, 10n, { expiresInSeconds: 86_401n }))).details).toMatch(
      /expires_in_seconds: must be at most 86400/,
    );
    expect(await balances(o)).toEqual({ balance: 1000n, held: 0n, available: 1000n, version: 1n });
    expect((await call(c, c.listHolds, { ...o, limit: 0, cursor: "" })).holds).toEqual([]);
    // The maximum itself is fine.
    expect((await place(o, 10n, { expiresInSeconds: 86_400n })).hold!.status).toBe(
      HoldStatus.HOLD_STATUS_PENDING,
    );
  });

  it("PlaceHold idempotency: same key and request replays the hold as it is now; another request is IDEMPOTENCY_KEY_REUSED", async () => {
    const o = await funded(1000n);
    const req = {
      ...o,
      amount: 200n,
      idempotencyKey: randomUUID(),
      metadata: { a: "1" },
      expiresInSeconds: 0n,
    };
    const first = await call(c, c.placeHold, req);
    const again = await call(c, c.placeHold, req);
    expect(again).toEqual({ hold: first.hold, replayed: true });
    expect(await failure(call(c, c.placeHold, { ...req, amount: 201n }))).toMatchObject({
      code: status.FAILED_PRECONDITION,
      reason: "IDEMPOTENCY_KEY_REUSED",
    });
    // Replayed after it was voided: the hold as it is now.
    await call(c, c.voidHold, { ownerId: o.ownerId, holdId: first.hold!.id, idempotencyKey: randomUUID() });
    const later = await call(c, c.placeHold, req);
    expect(later.replayed).toBe(true);
    expect(later.hold!.status).toBe(HoldStatus.HOLD_STATUS_VOIDED);
    expect(await balances(o)).toEqual({ balance: 1000n, held: 0n, available: 1000n, version: 1n });
  });

  it("CaptureHold as a debit: part of the hold moves, the rest is released; replays; a second capture is HOLD_NOT_PENDING", async () => {
    const o = await funded(1000n);
    const h = (await place(o, 400n)).hold!;
    const req = {
      ownerId: o.ownerId,
      holdId: h.id,
      amount: 150n,
      destinationWalletId: "",
      idempotencyKey: randomUUID(),
      metadata: { why: "ship" },
    };
    expect(await failure(call(c, c.captureHold, { ...req, amount: 401n }))).toMatchObject({
      code: status.FAILED_PRECONDITION,
      reason: "AMOUNT_EXCEEDS_REMAINING",
    });
    expect(await failure(call(c, c.captureHold, { ...req, amount: -1n }))).toMatchObject({
      code: status.INVALID_ARGUMENT,
      reason: "VALIDATION_FAILED",
    });
    const captured = await call(c, c.captureHold, req);
    expect(captured.replayed).toBe(false);
    expect(captured.hold).toMatchObject({
      id: h.id,
      status: HoldStatus.HOLD_STATUS_CAPTURED,
      amount: 400n,
      capturedAmount: 150n,
      captureTransactionId: captured.transaction!.id,
    });
    expect(captured.hold!.endedAt).toBeInstanceOf(Date);
    expect(captured.transaction).toMatchObject({
      walletId: o.walletId,
      type: TransactionType.TRANSACTION_TYPE_DEBIT,
      amount: 150n,
      balanceAfter: 850n,
      holdId: h.id,
      reversalOf: "",
      metadata: { why: "ship" },
    });
    expect(await balances(o)).toEqual({ balance: 850n, held: 0n, available: 850n, version: 2n });

    expect(await call(c, c.captureHold, req)).toEqual({ ...captured, replayed: true });
    expect(await failure(call(c, c.captureHold, { ...req, amount: 100n }))).toMatchObject({
      code: status.FAILED_PRECONDITION,
      reason: "IDEMPOTENCY_KEY_REUSED",
    });
    const second = await failure(call(c, c.captureHold, { ...req, idempotencyKey: randomUUID() }));
    expect(second).toMatchObject({ code: status.FAILED_PRECONDITION, reason: "HOLD_NOT_PENDING" });
    expect(second.details).toMatch(/captured/);
    expect(
      await failure(call(c, c.voidHold, { ownerId: o.ownerId, holdId: h.id, idempotencyKey: randomUUID() })),
    ).toMatchObject({ code: status.FAILED_PRECONDITION, reason: "HOLD_NOT_PENDING" });
    expect(await balances(o)).toEqual({ balance: 850n, held: 0n, available: 850n, version: 2n });
  });

  it("CaptureHold with amount 0 takes the whole hold; as a transfer it pays another owner's wallet", async () => {
    const o = await funded(1000n);
    const shop = await funded(0n);
    const eur = await funded(0n, "EUR");
    const h = (await place(o, 250n)).hold!;
    const base = { ownerId: o.ownerId, holdId: h.id, amount: 0n, idempotencyKey: randomUUID(), metadata: {} };
    expect(
      await failure(call(c, c.captureHold, { ...base, destinationWalletId: randomUUID() })),
    ).toMatchObject({
      code: status.NOT_FOUND,
      reason: "WALLET_NOT_FOUND",
      details: "Destination wallet not found",
    });
    expect(
      await failure(
        call(c, c.captureHold, { ...base, idempotencyKey: randomUUID(), destinationWalletId: eur.walletId }),
      ),
    ).toMatchObject({ code: status.FAILED_PRECONDITION, reason: "CURRENCY_MISMATCH" });
    expect(
      await failure(
        call(c, c.captureHold, { ...base, idempotencyKey: randomUUID(), destinationWalletId: o.walletId }),
      ),
    ).toMatchObject({ code: status.INVALID_ARGUMENT, reason: "VALIDATION_FAILED" });
    const res = await call(c, c.captureHold, { ...base, destinationWalletId: shop.walletId });
    expect(res.hold).toMatchObject({
      status: HoldStatus.HOLD_STATUS_CAPTURED,
      capturedAmount: 250n,
      destinationWalletId: shop.walletId,
    });
    expect(res.transaction).toMatchObject({
      type: TransactionType.TRANSACTION_TYPE_TRANSFER_OUT,
      amount: 250n,
      counterpartyWalletId: shop.walletId,
      holdId: h.id,
    });
    expect(await balances(o)).toMatchObject({ balance: 750n, held: 0n, available: 750n });
    expect(await balances(shop)).toMatchObject({ balance: 250n, held: 0n, available: 250n });
    const [incoming] = (await call(c, c.listTransactions, { ...shop, limit: 10, cursor: "" })).transactions;
    expect(incoming).toMatchObject({
      type: TransactionType.TRANSACTION_TYPE_TRANSFER_IN,
      holdId: h.id,
      transferId: res.transaction!.transferId,
    });
  });

  it("VoidHold releases the hold once; a replay with the same key answers the same; a missing hold is HOLD_NOT_FOUND", async () => {
    const o = await funded(500n);
    const h = (await place(o, 500n)).hold!;
    const req = { ownerId: o.ownerId, holdId: h.id, idempotencyKey: randomUUID() };
    const voided = await call(c, c.voidHold, req);
    expect(voided.hold).toMatchObject({ status: HoldStatus.HOLD_STATUS_VOIDED, capturedAmount: 0n });
    expect(await call(c, c.voidHold, req)).toEqual({ hold: voided.hold, replayed: true });
    expect(await balances(o)).toEqual({ balance: 500n, held: 0n, available: 500n, version: 1n });
    for (const holdId of [randomUUID(), "not-a-uuid"]) {
      for (const r of [
        await failure(call(c, c.getHold, { ownerId: o.ownerId, holdId })),
        await failure(call(c, c.voidHold, { ownerId: o.ownerId, holdId, idempotencyKey: randomUUID() })),
        await failure(
          call(c, c.captureHold, {
            ownerId: o.ownerId,
            holdId,
            amount: 0n,
            destinationWalletId: "",
            idempotencyKey: randomUUID(),
            metadata: {},
          }),
        ),
      ])
        expect(r).toMatchObject({ code: status.NOT_FOUND, reason: "HOLD_NOT_FOUND" });
    }
    expect(await failure(call(c, c.getHold, { ownerId: o.ownerId, holdId: "" }))).toMatchObject({
      code: status.INVALID_ARGUMENT,
      reason: "VALIDATION_FAILED",
    });
  });

  it("ownership: another user's hold is HOLD_NOT_FOUND on every hold RPC, its wallet WALLET_NOT_FOUND, and nothing moves", async () => {
    const alice = await funded(1000n);
    const bob = await funded(1000n);
    const h = (await place(alice, 300n)).hold!;
    const bobToken = await testToken(bob.ownerId, "wallet:credit");
    const aliceToken = await testToken(alice.ownerId);
    const bare = new WalletServiceClient(`127.0.0.1:${w.app.grpcPort}`, credentials.createInsecure());
    try {
      const capture = {
        holdId: h.id,
        amount: 0n,
        destinationWalletId: bob.walletId,
        idempotencyKey: randomUUID(),
        metadata: {},
      };
      // Bob naming himself (the hold is not on his wallets) or naming alice (refused): the same answer.
      for (const ownerId of [bob.ownerId, alice.ownerId, ""]) {
        const refusals = [
          await failure(call(bare, bare.getHold, { ownerId, holdId: h.id }, undefined, bobToken)),
          await failure(call(bare, bare.captureHold, { ownerId, ...capture }, undefined, bobToken)),
          await failure(
            call(
              bare,
              bare.voidHold,
              { ownerId, holdId: h.id, idempotencyKey: randomUUID() },
              undefined,
              bobToken,
            ),
          ),
        ];
        for (const r of refusals)
          expect(r).toMatchObject({
            code: status.NOT_FOUND,
            reason: "HOLD_NOT_FOUND",
            details: "Hold not found",
          });
      }
      // Alice's wallet, listed by Bob under her owner id or his own.
      for (const ownerId of [alice.ownerId, bob.ownerId]) {
        expect(
          await failure(
            call(
              bare,
              bare.listHolds,
              { ownerId, walletId: alice.walletId, limit: 0, cursor: "" },
              undefined,
              bobToken,
            ),
          ),
        ).toMatchObject({ code: status.NOT_FOUND, reason: "WALLET_NOT_FOUND" });
      }
      expect(
        await failure(
          call(
            bare,
            bare.placeHold,
            {
              ownerId: bob.ownerId,
              walletId: alice.walletId,
              amount: 1n,
              idempotencyKey: randomUUID(),
              metadata: {},
              expiresInSeconds: 0n,
            },
            undefined,
            bobToken,
          ),
        ),
      ).toMatchObject({ code: status.NOT_FOUND, reason: "WALLET_NOT_FOUND" });
      expect(await balances(alice)).toEqual({ balance: 1000n, held: 300n, available: 700n, version: 1n });
      expect(await balances(bob)).toEqual({ balance: 1000n, held: 0n, available: 1000n, version: 1n });

      // Alice's own token (no scope beyond acting for herself) works with an empty owner_id.
      const mine = await call(bare, bare.getHold, { ownerId: "", holdId: h.id }, undefined, aliceToken);
      expect(mine.hold!.id).toBe(h.id);
      const placed = await call(
        bare,
        bare.placeHold,
        {
          ownerId: "",
          walletId: alice.walletId,
          amount: 5n,
          idempotencyKey: randomUUID(),
          metadata: {},
          expiresInSeconds: 0n,
        },
        undefined,
        aliceToken,
      );
      expect(placed.hold!.ownerId).toBe(alice.ownerId);

      // No token at all: UNAUTHENTICATED on all six new RPCs.
      const none = await Promise.all(
        [
          call(bare, bare.placeHold, {
            ownerId: alice.ownerId,
            walletId: alice.walletId,
            amount: 1n,
            idempotencyKey: "k",
            metadata: {},
            expiresInSeconds: 0n,
          }),
          call(bare, bare.captureHold, { ownerId: alice.ownerId, ...capture }),
          call(bare, bare.voidHold, { ownerId: alice.ownerId, holdId: h.id, idempotencyKey: "k" }),
          call(bare, bare.getHold, { ownerId: alice.ownerId, holdId: h.id }),
          call(bare, bare.listHolds, {
            ownerId: alice.ownerId,
            walletId: alice.walletId,
            limit: 0,
            cursor: "",
          }),
          call(bare, bare.reverseTransaction, {
            ownerId: alice.ownerId,
            transactionId: randomUUID(),
            amount: 0n,
            idempotencyKey: "k",
            metadata: {},
          }),
        ].map(failure),
      );
      expect(none.map((r) => [r.code, r.reason])).toEqual(
        Array(6).fill([status.UNAUTHENTICATED, "UNAUTHORIZED"]),
      );
    } finally {
      bare.close();
    }
  });

  it("ListHolds pages newest first with an opaque cursor; a bad cursor is VALIDATION_FAILED", async () => {
    const o = await funded(1000n);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await place(o, 10n)).hold!.id);
    const seen: string[] = [];
    let cursor = "";
    let pages = 0;
    do {
      const page = await call(c, c.listHolds, { ...o, limit: 2, cursor });
      seen.push(...page.holds.map((h) => h.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
    for (const bad of ["garbage!", Buffer.from("v1.5").toString("base64url"), "x".repeat(300)])
      expect(await failure(call(c, c.listHolds, { ...o, limit: 2, cursor: bad }))).toMatchObject({
        code: status.INVALID_ARGUMENT,
        reason: "VALIDATION_FAILED",
      });
    expect(await failure(call(c, c.listHolds, { ...o, limit: 1001, cursor: "" }))).toMatchObject({
      code: status.INVALID_ARGUMENT,
      reason: "VALIDATION_FAILED",
    });
  });

  it("expiry: the worker ends a due hold with no request, releases it and publishes hold.expired; capture after that is HOLD_NOT_PENDING", async () => {
    const o = await funded(1000n);
    const h = (await place(o, 600n, { expiresInSeconds: 1n })).hold!;
    expect(await balances(o)).toMatchObject({ held: 600n, available: 400n });
    await waitUntil("hold expired by the worker", async () => {
      const now = (await call(c, c.getHold, { ownerId: o.ownerId, holdId: h.id })).hold!;
      return now.status === HoldStatus.HOLD_STATUS_EXPIRED;
    });
    const ended = (await call(c, c.getHold, { ownerId: o.ownerId, holdId: h.id })).hold!;
    expect(ended.endedAt!.getTime()).toBeGreaterThanOrEqual(h.expiresAt!.getTime());
    expect(await balances(o)).toEqual({ balance: 1000n, held: 0n, available: 1000n, version: 1n });
    const r = await failure(
      call(c, c.captureHold, {
        ownerId: o.ownerId,
        holdId: h.id,
        amount: 0n,
        destinationWalletId: "",
        idempotencyKey: randomUUID(),
        metadata: {},
      }),
    );
    expect(r).toMatchObject({ code: status.FAILED_PRECONDITION, reason: "HOLD_NOT_PENDING" });
    expect(r.details).toMatch(/expired/);
    await waitUntil("expired event on NATS", async () =>
      eventsOf(await readEvents(nc), o.walletId).some((e) => e.subject === "wallet.events.hold.expired"),
    );
    const expired = eventsOf(await readEvents(nc), o.walletId).filter(
      (e) => e.subject === "wallet.events.hold.expired",
    );
    expect(expired).toHaveLength(1);
    const ev = expired[0];
    expect("hold" in ev && ev.hold.hold).toMatchObject({
      id: h.id,
      status: HoldStatus.HOLD_STATUS_EXPIRED,
      amount: 600n,
    });
    const metrics = await (await fetch(`http://127.0.0.1:${w.app.adminPort}/metrics`)).text();
    expect(Number(/^holds_expired_total\{[^}]*\} (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
  });

  it("races: captures and voids of one hold at once: exactly one wins, the others are HOLD_NOT_PENDING, one end event", async () => {
    const o = await funded(1000n);
    const h = (await place(o, 500n)).hold!;
    const attempts = Array.from({ length: 8 }, (_, i) =>
      i % 2 === 0
        ? call(c, c.captureHold, {
            ownerId: o.ownerId,
            holdId: h.id,
            amount: 100n,
            destinationWalletId: "",
            idempotencyKey: randomUUID(),
            metadata: {},
          }).then((r) => ({ kind: "captured", hold: r.hold! }))
        : call(c, c.voidHold, { ownerId: o.ownerId, holdId: h.id, idempotencyKey: randomUUID() }).then(
            (r) => ({
              kind: "voided",
              hold: r.hold!,
            }),
          ),
    );
    const settled = await Promise.allSettled(attempts);
    const won = settled.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    expect(won).toHaveLength(1);
    const lost = await Promise.all(
      settled.flatMap((r) => (r.status === "rejected" ? [failure(Promise.reject(r.reason))] : [])),
    );
    expect(lost.map((r) => [r.code, r.reason])).toEqual(
      Array(7).fill([status.FAILED_PRECONDITION, "HOLD_NOT_PENDING"]),
    );
    const expected =
      won[0].kind === "captured" ? { balance: 900n, version: 2n } : { balance: 1000n, version: 1n };
    expect(await balances(o)).toEqual({ ...expected, held: 0n, available: expected.balance });
    await waitUntil("the end event", async () =>
      eventsOf(await readEvents(nc), o.walletId).some(
        (e) => "hold" in e && e.hold.hold!.status !== HoldStatus.HOLD_STATUS_PENDING,
      ),
    );
    const ends = eventsOf(await readEvents(nc), o.walletId).filter(
      (e) => "hold" in e && e.hold.hold!.status !== HoldStatus.HOLD_STATUS_PENDING,
    );
    expect(ends.map((e) => e.subject)).toEqual([`wallet.events.hold.${won[0].kind}`]);
  });

  it("events: one event per state change on its subject, with Nats-Msg-Id = event id and the HoldChanged content type", async () => {
    const o = await funded(1000n);
    const a = (await place(o, 100n)).hold!;
    const b = (await place(o, 200n)).hold!;
    const cap = await call(c, c.captureHold, {
      ownerId: o.ownerId,
      holdId: a.id,
      amount: 60n,
      destinationWalletId: "",
      idempotencyKey: randomUUID(),
      metadata: {},
    });
    await call(c, c.voidHold, { ownerId: o.ownerId, holdId: b.id, idempotencyKey: randomUUID() });
    // 1 credit + placed + placed + (debit + captured) + voided
    await waitUntil("six events", async () => eventsOf(await readEvents(nc), o.walletId).length >= 6);
    const mine = eventsOf(await readEvents(nc), o.walletId);
    expect(mine).toHaveLength(6);
    const shape = mine.map((e) =>
      "tx" in e
        ? [e.subject, TransactionType[e.tx.type], e.tx.holdId]
        : [e.subject, HoldStatus[e.hold.hold!.status], e.hold.hold!.id],
    );
    expect(shape.slice(0, 3)).toEqual([
      ["wallet.events.transaction.committed", "TRANSACTION_TYPE_CREDIT", ""],
      ["wallet.events.hold.placed", "HOLD_STATUS_PENDING", a.id],
      ["wallet.events.hold.placed", "HOLD_STATUS_PENDING", b.id],
    ]);
    // The capture's two events come from one commit: their relative order is not part of the contract.
    expect(shape.slice(3, 5).sort()).toEqual(
      [
        ["wallet.events.hold.captured", "HOLD_STATUS_CAPTURED", a.id],
        ["wallet.events.transaction.committed", "TRANSACTION_TYPE_DEBIT", a.id],
      ].sort(),
    );
    expect(shape[5]).toEqual(["wallet.events.hold.voided", "HOLD_STATUS_VOIDED", b.id]);
    for (const e of mine) {
      const id = "tx" in e ? e.tx.eventId : e.hold.eventId;
      expect(e.msgId).toBe(id);
      expect(e.contentType).toBe(
        "tx" in e
          ? "application/x-protobuf; messageType=wallet.v1.TransactionCommitted"
          : "application/x-protobuf; messageType=wallet.v1.HoldChanged",
      );
    }
    expect(new Set(mine.map((e) => e.msgId)).size).toBe(6);
    const captured = mine.find((e) => e.subject === "wallet.events.hold.captured");
    expect(captured && "hold" in captured && captured.hold).toMatchObject({
      ownerEmail: "h@example.test",
      hold: { capturedAmount: 60n, captureTransactionId: cap.transaction!.id },
    });
    const debit = mine.find((e) => "tx" in e && e.tx.type === TransactionType.TRANSACTION_TYPE_DEBIT);
    expect(debit && "tx" in debit && debit.tx).toMatchObject({
      transactionId: cap.transaction!.id,
      holdId: a.id,
      amount: 60n,
    });
  });
});
