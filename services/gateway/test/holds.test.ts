import { randomUUID } from "node:crypto";
import { credentials, Metadata } from "@grpc/grpc-js";
import {
  type CaptureHoldResponse,
  type ReverseTransactionResponse,
  WalletServiceClient,
} from "@wallet/contracts";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedis, type TestRedis } from "../../../test/support/redis.js";
import { waitUntil } from "../../../test/support/wait.js";
import {
  type Exchange,
  fundedWallet,
  type GatewayStack,
  newKey,
  startStack,
  type TestGateway,
} from "./stack.js";

// Holds (place, capture, void, read, list) and reversals through the REST API, against the
// real wallet over gRPC, PostgreSQL, Redis and NATS.
describe("gateway holds and reversals", () => {
  let stack: GatewayStack;
  let redis: Redis;
  let grpc: WalletServiceClient;
  let alice: string;
  let alicePlain: string;
  let bob: string;

  beforeAll(async () => {
    // Many requests per subject: the limit is not what these tests are about.
    // A short lock timeout lets a test make the wallet answer UNAVAILABLE by holding a row lock.
    stack = await startStack({ RATE_LIMIT_MAX: "100000" }, { WALLET_DB_LOCK_TIMEOUT_MS: "300" });
    redis = new Redis(stack.redis.url);
    grpc = new WalletServiceClient(stack.walletTarget, credentials.createInsecure());
    alice = await stack.token("alice");
    alicePlain = await stack.token("alice", { scope: "" });
    bob = await stack.token("bob");
    // A gateway with a cache of its own and no NATS: only its own writes can invalidate its
    // cache, so a MISS after a write through it is that write's doing, not a racing event's.
    isolatedRedis = await startRedis();
    isolated = await stack.startGateway({ REDIS_URL: isolatedRedis.url, NATS_URL: "nats://127.0.0.1:1" });
  });
  afterAll(async () => {
    grpc?.close();
    redis?.disconnect();
    await stack?.stop();
    await isolatedRedis?.stop();
  });
  let isolatedRedis: TestRedis;
  let isolated: TestGateway;

  const client = (gateway: () => TestGateway) => {
    const call = (
      method: string,
      path: string,
      token: string | undefined,
      body?: unknown,
      key?: string | null,
    ) =>
      gateway().call(method, path, {
        token,
        body,
        headers: key === null ? {} : { "idempotency-key": key ?? newKey("holds") },
      });
    const post = (path: string, token: string, body?: unknown, key?: string | null) =>
      call("POST", path, token, body, key);
    const get = (path: string, token: string) => gateway().call("GET", path, { token });
    return {
      call,
      post,
      get,
      placeHold: (token: string, body: object, key?: string) => post("/api/holds", token, body, key),
      capture: (token: string, holdId: string, body?: object, key?: string) =>
        post(`/api/holds/${holdId}/capture`, token, body, key),
      voidHold: (token: string, holdId: string, body?: object, key?: string) =>
        post(`/api/holds/${holdId}/void`, token, body, key),
      reverse: (token: string, transactionId: string, body?: object, key?: string) =>
        post(`/api/transactions/${transactionId}/reversals`, token, body, key),
      transfer: (token: string, fromWalletId: string, toWalletId: string, amount: number) =>
        post("/api/transfers", token, { fromWalletId, toWalletId, amount }),
      walletOf: async (token: string, walletId: string) => {
        const res = await get(`/api/wallets/${walletId}`, token);
        expect(res.status).toBe(200);
        return res.body.data as {
          balance: number;
          heldBalance: number;
          availableBalance: number;
          version: number;
        };
      },
      history: (token: string, walletId: string) =>
        get(`/api/transactions?walletId=${walletId}&limit=100`, token),
    };
  };
  const { call, post, get, placeHold, capture, voidHold, reverse, transfer, walletOf, history } = client(
    () => stack.gateway,
  );
  const quiet = client(() => isolated);
  const ok = (res: Exchange, status: number) => {
    expect(res.status, res.text).toBe(status);
    return res.body.data;
  };
  const expectError = (res: Exchange, status: number, code: string, message?: string) => {
    expect(res.status, res.text).toBe(status);
    expect(res.body).toEqual({
      error: { code, message: message ?? expect.any(String), requestId: expect.any(String) },
    });
  };
  const sums = (w: { balance: number; heldBalance: number; availableBalance: number }) => [
    w.balance,
    w.heldBalance,
    w.availableBalance,
  ];
  const bearer = (token: string) => {
    const md = new Metadata();
    md.set("authorization", `Bearer ${token}`);
    return md;
  };

  it("hold -> partial capture -> the rest released: held and available on GET wallet, the debit in history", async () => {
    const walletId = await fundedWallet(stack.gateway, alice, "USD", 10_000);
    expect(sums(await walletOf(alice, walletId))).toEqual([10_000, 0, 10_000]);

    const before = Date.now();
    const placed = await placeHold(alice, { walletId, amount: 3000, metadata: { order: "A-1" } });
    const hold = ok(placed, 201);
    expect(hold).toEqual({
      id: expect.any(String),
      walletId,
      currency: "USD",
      amount: 3000,
      status: "pending",
      capturedAmount: 0,
      captureTransactionId: null,
      destinationWalletId: null,
      expiresAt: expect.any(String),
      metadata: { order: "A-1" },
      createdAt: expect.any(String),
      endedAt: null,
    });
    // Absent expiresInSeconds: the wallet's default of 7 days.
    const ttl = Date.parse(hold.expiresAt) - before;
    expect(ttl).toBeGreaterThan(7 * 86_400_000 - 60_000);
    expect(ttl).toBeLessThan(7 * 86_400_000 + 60_000);
    const afterHold = await walletOf(alice, walletId);
    expect(sums(afterHold)).toEqual([10_000, 3000, 7000]);
    expect(ok(await get(`/api/holds/${hold.id}`, alice), 200)).toEqual(hold);

    const captured = ok(await capture(alice, hold.id, { amount: 2500, metadata: { step: "ship" } }), 200);
    expect(captured.transaction).toMatchObject({
      walletId,
      type: "debit",
      amount: 2500,
      balanceAfter: 7500,
      holdId: hold.id,
      reversalOf: null,
      reversedAmount: 0,
      transferId: null,
      counterpartyWalletId: null,
      metadata: { step: "ship" },
    });
    expect(captured.hold).toMatchObject({
      id: hold.id,
      amount: 3000,
      status: "captured",
      capturedAmount: 2500,
      captureTransactionId: captured.transaction.id,
      destinationWalletId: null,
      endedAt: expect.any(String),
    });
    const afterCapture = await walletOf(alice, walletId);
    expect(sums(afterCapture)).toEqual([7500, 0, 7500]);
    expect(afterCapture.version).toBe(afterHold.version + 1);
    expect(ok(await get(`/api/holds/${hold.id}`, alice), 200)).toEqual(captured.hold);
    const items = ok(await history(alice, walletId), 200).items;
    expect(items.map((t: { type: string; amount: number }) => [t.type, t.amount])).toEqual([
      ["debit", 2500],
      ["credit", 10_000],
    ]);
    expect(items[0]).toEqual(captured.transaction);
  });

  it("void releases the whole hold (no body or {}); an ended hold is 409 HOLD_NOT_PENDING for void and capture", async () => {
    const walletId = await fundedWallet(stack.gateway, alice, "EUR", 1000);
    const first = ok(await placeHold(alice, { walletId, amount: 600 }), 201);
    const second = ok(await placeHold(alice, { walletId, amount: 300 }), 201);
    expect(sums(await walletOf(alice, walletId))).toEqual([1000, 900, 100]);

    const voided = ok(await voidHold(alice, first.id), 200);
    expect(voided.hold).toMatchObject({
      id: first.id,
      status: "voided",
      capturedAmount: 0,
      endedAt: expect.any(String),
    });
    expect(ok(await voidHold(alice, second.id, {}), 200).hold.status).toBe("voided");
    expect(sums(await walletOf(alice, walletId))).toEqual([1000, 0, 1000]);

    expectError(await voidHold(alice, first.id), 409, "HOLD_NOT_PENDING");
    expectError(await capture(alice, first.id, { amount: 1 }), 409, "HOLD_NOT_PENDING");
    expectError(await capture(alice, second.id), 409, "HOLD_NOT_PENDING");
    // Nothing moved: no transaction besides the funding credit.
    expect(ok(await history(alice, walletId), 200).items).toHaveLength(1);
    expect(sums(await walletOf(alice, walletId))).toEqual([1000, 0, 1000]);
  });

  it("a capture into another user's wallet is a transfer; both histories show the legs with holdId", async () => {
    const from = await fundedWallet(stack.gateway, alice, "GBP", 5000);
    const to = await fundedWallet(stack.gateway, bob, "GBP", 0);
    const hold = ok(await placeHold(alice, { walletId: from, amount: 4000 }), 201);

    const captured = ok(await capture(alice, hold.id, { destinationWalletId: to }), 200);
    expect(captured.transaction).toMatchObject({
      walletId: from,
      type: "transfer_out",
      amount: 4000,
      balanceAfter: 1000,
      transferId: expect.any(String),
      counterpartyWalletId: to,
      holdId: hold.id,
    });
    expect(captured.hold).toMatchObject({
      status: "captured",
      capturedAmount: 4000,
      destinationWalletId: to,
      captureTransactionId: captured.transaction.id,
    });
    expect(sums(await walletOf(alice, from))).toEqual([1000, 0, 1000]);
    expect(sums(await walletOf(bob, to))).toEqual([4000, 0, 4000]);
    expect(ok(await history(bob, to), 200).items[0]).toMatchObject({
      type: "transfer_in",
      amount: 4000,
      transferId: captured.transaction.transferId,
      counterpartyWalletId: from,
      holdId: hold.id,
    });
    // The hold is alice's: bob, who received the money, still cannot see it.
    expectError(await get(`/api/holds/${hold.id}`, bob), 404, "HOLD_NOT_FOUND");
  });

  it("capture as a transfer: a missing destination is 404, another currency 409, the hold's own wallet 400", async () => {
    const walletId = await fundedWallet(stack.gateway, alice, "CHF", 100);
    const yen = await fundedWallet(stack.gateway, bob, "JPY", 0);
    const hold = ok(await placeHold(alice, { walletId, amount: 50 }), 201);
    expectError(
      await capture(alice, hold.id, { destinationWalletId: randomUUID() }),
      404,
      "WALLET_NOT_FOUND",
      "Destination wallet not found",
    );
    expectError(await capture(alice, hold.id, { destinationWalletId: yen }), 409, "CURRENCY_MISMATCH");
    expectError(await capture(alice, hold.id, { destinationWalletId: walletId }), 400, "VALIDATION_FAILED");
    // Every refusal left the hold pending.
    expect(ok(await get(`/api/holds/${hold.id}`, alice), 200).status).toBe("pending");
    expect(sums(await walletOf(alice, walletId))).toEqual([100, 50, 50]);
  });

  it("capture above the hold is 409 AMOUNT_EXCEEDS_REMAINING; a hold above the available funds is 409 INSUFFICIENT_FUNDS", async () => {
    const walletId = await fundedWallet(stack.gateway, alice, "AUD", 100);
    const hold = ok(await placeHold(alice, { walletId, amount: 70 }), 201);
    expectError(await capture(alice, hold.id, { amount: 71 }), 409, "AMOUNT_EXCEEDS_REMAINING");
    expectError(await placeHold(alice, { walletId, amount: 31 }), 409, "INSUFFICIENT_FUNDS");
    // Debits see the available balance, not the balance.
    expectError(await post("/api/wallets/debit", alice, { walletId, amount: 31 }), 409, "INSUFFICIENT_FUNDS");
    expect(sums(await walletOf(alice, walletId))).toEqual([100, 70, 30]);
    expect(ok(await capture(alice, hold.id), 200).hold.capturedAmount).toBe(70);
  });

  it("an expired hold reads as expired and is 409 HOLD_NOT_PENDING; its amount is available again", async () => {
    const walletId = await fundedWallet(stack.gateway, alice, "CAD", 100);
    const hold = ok(await placeHold(alice, { walletId, amount: 40, expiresInSeconds: 1 }), 201);
    expect(Math.abs(Date.parse(hold.expiresAt) - Date.parse(hold.createdAt) - 1000)).toBeLessThan(1000);
    await waitUntil(
      "the hold to expire",
      async () => (await get(`/api/holds/${hold.id}`, alice)).body.data.status === "expired",
    );
    expectError(await capture(alice, hold.id), 409, "HOLD_NOT_PENDING");
    expect(sums(await walletOf(alice, walletId))).toEqual([100, 0, 100]);
  });

  it("reversing a credit, in part then the rest; over the rest is 409, a reversal is not reversible", async () => {
    const walletId = await fundedWallet(stack.gateway, alice, "BRL", 0);
    const credit = ok(await post("/api/wallets/credit", alice, { walletId, amount: 500 }), 200);

    const partial = ok(
      await reverse(alice, credit.transactionId, { amount: 200, metadata: { reason: "refund" } }),
      201,
    );
    expect(partial).toEqual({
      reversal: expect.objectContaining({
        walletId,
        type: "debit",
        amount: 200,
        balanceAfter: 300,
        reversalOf: credit.transactionId,
        holdId: null,
        reversedAmount: 0,
        metadata: { reason: "refund" },
      }),
      transferId: null,
    });
    const original = async () =>
      ok(await history(alice, walletId), 200).items.find(
        (t: { id: string }) => t.id === credit.transactionId,
      );
    expect((await original()).reversedAmount).toBe(200);

    // No body: the rest.
    const rest = ok(await reverse(alice, credit.transactionId), 201);
    expect(rest.reversal).toMatchObject({ type: "debit", amount: 300, balanceAfter: 0 });
    expect((await original()).reversedAmount).toBe(500);
    expectError(await reverse(alice, credit.transactionId), 409, "AMOUNT_EXCEEDS_REMAINING");
    expectError(await reverse(alice, credit.transactionId, { amount: 1 }), 409, "AMOUNT_EXCEEDS_REMAINING");
    expectError(await reverse(alice, partial.reversal.id), 409, "NOT_REVERSIBLE");
    expect(sums(await walletOf(alice, walletId))).toEqual([0, 0, 0]);
  });

  it("reversing a credit needs the available funds: 409 INSUFFICIENT_FUNDS while a hold reserves them", async () => {
    const walletId = await fundedWallet(stack.gateway, alice, "NZD", 0);
    const credit = ok(await post("/api/wallets/credit", alice, { walletId, amount: 100 }), 200);
    const hold = ok(await placeHold(alice, { walletId, amount: 80 }), 201);
    expectError(await reverse(alice, credit.transactionId, { amount: 21 }), 409, "INSUFFICIENT_FUNDS");
    expect(ok(await reverse(alice, credit.transactionId, { amount: 20 }), 201).reversal.balanceAfter).toBe(
      80,
    );
    expect(sums(await walletOf(alice, walletId))).toEqual([80, 80, 0]);
    ok(await voidHold(alice, hold.id), 200);
  });

  it("reversing a debit returns money: 403 FORBIDDEN from the wallet without the credit scope, 201 with it", async () => {
    const walletId = await fundedWallet(stack.gateway, alice, "SEK", 1000);
    const debit = ok(await post("/api/wallets/debit", alicePlain, { walletId, amount: 400 }), 200);
    const key = newKey("debit-reversal");

    expectError(
      await reverse(alicePlain, debit.transactionId, { amount: 100 }, key),
      403,
      "FORBIDDEN",
      "Reversing a debit needs the credit scope",
    );
    expect(sums(await walletOf(alice, walletId))).toEqual([600, 0, 600]);
    // 403 is not kept for replay: the same key with the scope applies once.
    const applied = await reverse(alice, debit.transactionId, { amount: 100 }, key);
    expect(applied.headers.get("idempotent-replayed")).toBeNull();
    expect(ok(applied, 201).reversal).toMatchObject({
      type: "credit",
      amount: 100,
      balanceAfter: 700,
      reversalOf: debit.transactionId,
    });
    const replay = await reverse(alice, debit.transactionId, { amount: 100 }, key);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.text).toBe(applied.text);
    expect(sums(await walletOf(alice, walletId))).toEqual([700, 0, 700]);
  });

  it("reversing a transfer through its transfer_in leg sends the money back; the transfer_out leg is not reversible", async () => {
    const aliceWallet = await fundedWallet(stack.gateway, alice, "DKK", 1000);
    const bobWallet = await fundedWallet(stack.gateway, bob, "DKK", 0);
    const sent = ok(await transfer(alice, aliceWallet, bobWallet, 600), 200);
    const inLeg = ok(await history(bob, bobWallet), 200).items[0];
    expect(inLeg).toMatchObject({ type: "transfer_in", transferId: sent.transferId });

    expectError(await reverse(alice, sent.transactionId), 409, "NOT_REVERSIBLE");
    // Only the receiver may take the money back: for alice, bob's leg does not exist.
    expectError(await reverse(alice, inLeg.id), 404, "WALLET_NOT_FOUND");

    const reversed = ok(await reverse(bob, inLeg.id, { amount: 250 }), 201);
    expect(reversed.transferId).toEqual(expect.any(String));
    expect(reversed.transferId).not.toBe(sent.transferId);
    expect(reversed.reversal).toMatchObject({
      walletId: bobWallet,
      type: "transfer_out",
      amount: 250,
      balanceAfter: 350,
      transferId: reversed.transferId,
      counterpartyWalletId: aliceWallet,
      reversalOf: inLeg.id,
    });
    const bobHistory = await history(bob, bobWallet);
    expect(bobHistory.body.data.items[1]).toMatchObject({ id: inLeg.id, reversedAmount: 250 });
    const aliceHistory = await history(alice, aliceWallet);
    expect(aliceHistory.body.data.items.slice(0, 2)).toEqual([
      expect.objectContaining({
        type: "transfer_in",
        amount: 250,
        transferId: reversed.transferId,
        reversalOf: sent.transactionId,
      }),
      expect.objectContaining({ id: sent.transactionId, type: "transfer_out", reversedAmount: 250 }),
    ]);
    expect(sums(await walletOf(alice, aliceWallet))).toEqual([650, 0, 650]);
    expect(sums(await walletOf(bob, bobWallet))).toEqual([350, 0, 350]);
  });

  it("holds page newest first with a cursor, like transactions; another user's wallet is 404", async () => {
    const walletId = await fundedWallet(stack.gateway, alice, "PLN", 1000);
    const placed: string[] = [];
    for (let i = 1; i <= 5; i++) placed.push(ok(await placeHold(alice, { walletId, amount: i }), 201).id);
    ok(await voidHold(alice, placed[1]!), 200);

    const pages: { id: string; amount: number; status: string }[][] = [];
    let cursor: string | null = null;
    do {
      const query: string = `walletId=${walletId}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const data = ok(await get(`/api/holds?${query}`, alice), 200);
      pages.push(data.items);
      cursor = data.nextCursor;
    } while (cursor !== null && pages.length < 5);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat().map((h) => [h.id, h.amount, h.status])).toEqual([
      [placed[4], 5, "pending"],
      [placed[3], 4, "pending"],
      [placed[2], 3, "pending"],
      [placed[1], 2, "voided"],
      [placed[0], 1, "pending"],
    ]);
    // Default limit 20: everything on one page.
    expect(ok(await get(`/api/holds?walletId=${walletId}`, alice), 200)).toMatchObject({ nextCursor: null });
    expect(ok(await get(`/api/holds?walletId=${walletId}`, alice), 200).items).toHaveLength(5);
    expectError(await get(`/api/holds?walletId=${walletId}`, bob), 404, "WALLET_NOT_FOUND");
    for (const query of [
      `walletId=${walletId}&limit=0`,
      `walletId=${walletId}&limit=101`,
      "limit=5",
      `walletId=${walletId}&cursor=nope`,
    ]) {
      expectError(await get(`/api/holds?${query}`, alice), 400, "VALIDATION_FAILED");
    }
  });

  it("another user's hold, and an unknown one, are 404 HOLD_NOT_FOUND on every hold route; nothing changes", async () => {
    const walletId = await fundedWallet(stack.gateway, alice, "HUF", 100);
    const hold = ok(await placeHold(alice, { walletId, amount: 10 }), 201);
    for (const id of [hold.id, randomUUID()]) {
      expectError(await get(`/api/holds/${id}`, bob), 404, "HOLD_NOT_FOUND");
      expectError(await capture(bob, id), 404, "HOLD_NOT_FOUND");
      expectError(await voidHold(bob, id), 404, "HOLD_NOT_FOUND");
    }
    expectError(await placeHold(bob, { walletId, amount: 1 }), 404, "WALLET_NOT_FOUND");
    expectError(await reverse(alice, randomUUID()), 404, "WALLET_NOT_FOUND", "Transaction not found");
    expect(ok(await get(`/api/holds/${hold.id}`, alice), 200).status).toBe("pending");
    expect(sums(await walletOf(alice, walletId))).toEqual([100, 10, 90]);
  });

  it("POST /api/holds and capture replay the first response for the same Idempotency-Key; another body is 422", async () => {
    const walletId = await fundedWallet(stack.gateway, alice, "CZK", 1000);
    const key = newKey("hold");
    const body = { walletId, amount: 300, metadata: { ref: "r-1" } };
    const first = await placeHold(alice, body, key);
    const hold = ok(first, 201);
    const again = await placeHold(alice, { metadata: { ref: "r-1" }, amount: 300, walletId }, key);
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.text).toBe(first.text);
    expectError(await placeHold(alice, { ...body, amount: 301 }, key), 422, "IDEMPOTENCY_KEY_REUSED");
    expect(sums(await walletOf(alice, walletId))).toEqual([1000, 300, 700]);

    // Without the gateway's record (expired or lost), the wallet itself replays the hold.
    await redis.del(`idem:alice:${key}`);
    const fromWallet = await placeHold(alice, body, key);
    expect(fromWallet.headers.get("idempotent-replayed")).toBe("true");
    expect(ok(fromWallet, 201)).toEqual(hold);
    expect(sums(await walletOf(alice, walletId))).toEqual([1000, 300, 700]);

    const captureKey = newKey("capture");
    const captured = await capture(alice, hold.id, { amount: 100 }, captureKey);
    ok(captured, 200);
    const replayed = await capture(alice, hold.id, { amount: 100 }, captureKey);
    expect(replayed.headers.get("idempotent-replayed")).toBe("true");
    expect(replayed.text).toBe(captured.text);
    expectError(await capture(alice, hold.id, { amount: 99 }, captureKey), 422, "IDEMPOTENCY_KEY_REUSED");
    await redis.del(`idem:alice:${captureKey}`);
    const walletReplay = await capture(alice, hold.id, { amount: 100 }, captureKey);
    expect(walletReplay.headers.get("idempotent-replayed")).toBe("true");
    expect(ok(walletReplay, 200)).toEqual(captured.body.data);
    // Applied once: 100 captured, the other 200 released.
    expect(sums(await walletOf(alice, walletId))).toEqual([900, 0, 900]);
    expect(ok(await history(alice, walletId), 200).items).toHaveLength(2);

    // The key names the hold it was used on: the same key on another hold is not a replay.
    const other = ok(await placeHold(alice, { walletId, amount: 5 }), 201);
    const voidKey = newKey("void");
    ok(await voidHold(alice, other.id, undefined, voidKey), 200);
    const third = ok(await placeHold(alice, { walletId, amount: 6 }), 201);
    expectError(await voidHold(alice, third.id, undefined, voidKey), 422, "IDEMPOTENCY_KEY_REUSED");
    expect(ok(await get(`/api/holds/${third.id}`, alice), 200).status).toBe("pending");
  });

  it("401 without a token on every new route", async () => {
    const id = randomUUID();
    for (const [method, path] of [
      ["POST", "/api/holds"],
      ["GET", "/api/holds?walletId=w"],
      ["GET", `/api/holds/${id}`],
      ["POST", `/api/holds/${id}/capture`],
      ["POST", `/api/holds/${id}/void`],
      ["POST", `/api/transactions/${id}/reversals`],
    ] as const) {
      const res = await call(method, path, undefined, method === "POST" ? {} : undefined);
      expectError(res, 401, "UNAUTHORIZED");
      expect(res.headers.get("www-authenticate")).toContain("Bearer");
    }
  });

  it("bad input is 400 VALIDATION_FAILED naming the field, and changes nothing", async () => {
    const walletId = await fundedWallet(stack.gateway, alice, "RON", 100);
    const hold = ok(await placeHold(alice, { walletId, amount: 10 }), 201);
    const cases: [string, Exchange, string][] = [
      ["amount 0", await placeHold(alice, { walletId, amount: 0 }), "amount must be >= 1"],
      ["negative", await placeHold(alice, { walletId, amount: -5 }), "amount must be >= 1"],
      ["string amount", await placeHold(alice, { walletId, amount: "5" }), "amount must be integer"],
      ["fraction", await placeHold(alice, { walletId, amount: 1.5 }), "amount must be integer"],
      ["missing amount", await placeHold(alice, { walletId }), "amount is required"],
      ["unknown field", await placeHold(alice, { walletId, amount: 1, note: "x" }), "note is not allowed"],
      [
        "expiry 0",
        await placeHold(alice, { walletId, amount: 1, expiresInSeconds: 0 }),
        "expiresInSeconds must be >= 1",
      ],
      ["bad wallet id", await placeHold(alice, { walletId: "not a wallet", amount: 1 }), expect.any(String)],
      [
        "no key",
        await post("/api/holds", alice, { walletId, amount: 1 }, null),
        "Idempotency-Key header is required",
      ],
      ["capture amount 0", await capture(alice, hold.id, { amount: 0 }), "amount must be >= 1"],
      [
        "capture unknown field",
        await capture(alice, hold.id, { amount: 1, walletId }),
        "walletId is not allowed",
      ],
      [
        "capture bad destination",
        await capture(alice, hold.id, { destinationWalletId: "" }),
        expect.any(String),
      ],
      [
        "capture no key",
        await post(`/api/holds/${hold.id}/capture`, alice, {}, null),
        "Idempotency-Key header is required",
      ],
      ["void with a field", await voidHold(alice, hold.id, { amount: 1 }), "amount is not allowed"],
      ["bad hold id", await capture(alice, "bad!id", {}), expect.any(String)],
      ["bad hold id (void)", await voidHold(alice, "bad!id"), expect.any(String)],
      ["bad hold id (get)", await get("/api/holds/bad!id", alice), expect.any(String)],
      ["reversal amount 0", await reverse(alice, randomUUID(), { amount: 0 }), "amount must be >= 1"],
      ["reversal unknown field", await reverse(alice, randomUUID(), { walletId }), "walletId is not allowed"],
      ["bad transaction id", await reverse(alice, "x".repeat(65), {}), expect.any(String)],
    ];
    for (const [what, res, message] of cases) {
      expect(res.status, `${what}: ${res.text}`).toBe(400);
      expect(res.body.error, what).toEqual({
        code: "VALIDATION_FAILED",
        message,
        requestId: expect.any(String),
      });
    }
    // Above the wallet's maximum expiry (30 days): refused by the wallet with the same code.
    expectError(
      await placeHold(alice, { walletId, amount: 1, expiresInSeconds: 31 * 86_400 }),
      400,
      "VALIDATION_FAILED",
    );
    expect(ok(await get(`/api/holds/${hold.id}`, alice), 200).status).toBe("pending");
    expect(sums(await walletOf(alice, walletId))).toEqual([100, 10, 90]);
    expect(ok(await get(`/api/holds?walletId=${walletId}`, alice), 200).items).toHaveLength(1);
  });

  it("a capture through the gateway makes the cached history of every wallet it moved stale before replying", async () => {
    const walletId = await fundedWallet(isolated, alice, "ISK", 100);
    const other = await fundedWallet(isolated, bob, "ISK", 0);
    const debitHold = ok(await quiet.placeHold(alice, { walletId, amount: 60 }), 201);
    const transferHold = ok(await quiet.placeHold(alice, { walletId, amount: 30 }), 201);
    const cached = async (token: string, w: string) => (await quiet.history(token, w)).headers.get("x-cache");
    await quiet.history(alice, walletId);
    expect(await cached(alice, walletId)).toBe("HIT");
    // A hold does not change the history; its page stays cached.
    ok(await quiet.placeHold(alice, { walletId, amount: 1 }), 201);
    expect(await cached(alice, walletId)).toBe("HIT");

    ok(await quiet.capture(alice, debitHold.id, { amount: 60 }), 200);
    const next = await quiet.history(alice, walletId);
    expect(next.headers.get("x-cache")).toBe("MISS");
    expect(next.body.data.items[0]).toMatchObject({ type: "debit", amount: 60, holdId: debitHold.id });

    expect(await cached(alice, walletId)).toBe("HIT");
    await quiet.history(bob, other);
    expect(await cached(bob, other)).toBe("HIT");
    ok(await quiet.capture(alice, transferHold.id, { destinationWalletId: other }), 200);
    const [mine, theirs] = [await quiet.history(alice, walletId), await quiet.history(bob, other)];
    expect([mine.headers.get("x-cache"), theirs.headers.get("x-cache")]).toEqual(["MISS", "MISS"]);
    expect(mine.body.data.items[0]).toMatchObject({
      type: "transfer_out",
      amount: 30,
      holdId: transferHold.id,
    });
    expect(theirs.body.data.items[0]).toMatchObject({
      type: "transfer_in",
      amount: 30,
      holdId: transferHold.id,
    });
  });

  it("a reversal through the gateway makes the history of its wallets stale before replying", async () => {
    const aliceWallet = await fundedWallet(isolated, alice, "KRW", 1000);
    const bobWallet = await fundedWallet(isolated, bob, "KRW", 0);
    const sent = ok(await quiet.transfer(alice, aliceWallet, bobWallet, 600), 200);
    const credit = (await quiet.history(alice, aliceWallet)).body.data.items[1];
    const inLeg = (await quiet.history(bob, bobWallet)).body.data.items[0];
    const warm = async (token: string, w: string) => {
      await quiet.history(token, w);
      expect((await quiet.history(token, w)).headers.get("x-cache")).toBe("HIT");
    };
    await warm(alice, aliceWallet);
    await warm(bob, bobWallet);
    ok(await quiet.reverse(bob, inLeg.id, { amount: 250 }), 201);
    const [bobs, alices] = [await quiet.history(bob, bobWallet), await quiet.history(alice, aliceWallet)];
    expect([bobs.headers.get("x-cache"), alices.headers.get("x-cache")]).toEqual(["MISS", "MISS"]);
    expect(bobs.body.data.items.map((t: { type: string; amount: number }) => [t.type, t.amount])).toEqual([
      ["transfer_out", 250],
      ["transfer_in", 600],
    ]);
    expect(alices.body.data.items[0]).toMatchObject({
      type: "transfer_in",
      amount: 250,
      reversalOf: sent.transactionId,
    });

    await warm(alice, aliceWallet);
    ok(await quiet.reverse(alice, credit.id, { amount: 100 }), 201);
    const after = await quiet.history(alice, aliceWallet);
    expect(after.headers.get("x-cache")).toBe("MISS");
    expect(after.body.data.items[0]).toMatchObject({ type: "debit", amount: 100, reversalOf: credit.id });
  });

  it("after a 503 whose outcome the gateway cannot know, it looks the wallets up and invalidates them", async () => {
    const aliceWallet = await fundedWallet(isolated, alice, "ARS", 1000);
    const bobWallet = await fundedWallet(isolated, bob, "ARS", 0);
    const hold = ok(await quiet.placeHold(alice, { walletId: aliceWallet, amount: 100 }), 201);
    ok(await quiet.transfer(alice, aliceWallet, bobWallet, 300), 200);
    const inLeg = (await quiet.history(bob, bobWallet)).body.data.items[0];
    // The gateway's cache of a wallet goes stale by bumping its generation counter.
    const generations = new Redis(isolatedRedis.url);
    const gen = async (w: string) => Number((await generations.get(`txc:{${w}}:gen`)) ?? 0);
    const blocker = new pg.Client({ connectionString: stack.dbUrl });
    await blocker.connect();
    try {
      let before = [await gen(aliceWallet), await gen(bobWallet)];
      await blocker.query("BEGIN");
      await blocker.query("SELECT 1 FROM wallets WHERE id = ANY($1) FOR UPDATE", [[aliceWallet, bobWallet]]);
      expectError(
        await quiet.capture(alice, hold.id, { destinationWalletId: bobWallet }),
        503,
        "UNAVAILABLE",
      );
      await waitUntil(
        "capture: both wallets invalidated",
        async () => (await gen(aliceWallet)) > before[0]! && (await gen(bobWallet)) > before[1]!,
      );
      before = [await gen(aliceWallet), await gen(bobWallet)];
      expectError(await quiet.reverse(bob, inLeg.id), 503, "UNAVAILABLE");
      await waitUntil(
        "reversal: both wallets invalidated",
        async () => (await gen(aliceWallet)) > before[0]! && (await gen(bobWallet)) > before[1]!,
      );
      await blocker.query("ROLLBACK");
    } finally {
      await blocker.end();
      generations.disconnect();
    }
    expect(ok(await quiet.get(`/api/holds/${hold.id}`, alice), 200).status).toBe("pending");
    expect(sums(await quiet.walletOf(alice, aliceWallet))).toEqual([700, 100, 600]);
    expect(sums(await quiet.walletOf(bob, bobWallet))).toEqual([300, 0, 300]);
  });

  it("captures and reversals made directly over gRPC reach the cache through their committed events", async () => {
    const from = await fundedWallet(stack.gateway, alice, "THB", 1000);
    const to = await fundedWallet(stack.gateway, bob, "THB", 0);
    const hold = ok(await placeHold(alice, { walletId: from, amount: 300 }), 201);
    const warm = async (token: string, walletId: string) => {
      await history(token, walletId);
      expect((await history(token, walletId)).headers.get("x-cache")).toBe("HIT");
    };
    await warm(alice, from);
    await warm(bob, to);

    const captured = await new Promise<CaptureHoldResponse>((resolve, reject) =>
      grpc.captureHold(
        {
          ownerId: "alice",
          holdId: hold.id,
          amount: 0n,
          destinationWalletId: to,
          idempotencyKey: newKey("direct"),
          metadata: {},
        },
        bearer(alice),
        (err, res) => (err ? reject(err) : resolve(res)),
      ),
    );
    const firstItem = async (token: string, walletId: string) =>
      (await history(token, walletId)).body.data.items[0];
    await waitUntil(
      "alice's history shows the capture",
      async () => (await firstItem(alice, from)).holdId === hold.id,
    );
    await waitUntil(
      "bob's history shows the capture",
      async () => (await firstItem(bob, to)).holdId === hold.id,
    );
    expect(await firstItem(bob, to)).toMatchObject({
      type: "transfer_in",
      amount: 300,
      transferId: captured.transaction?.transferId,
    });

    const inLegId: string = (await firstItem(bob, to)).id;
    await warm(alice, from);
    await warm(bob, to);
    await new Promise<ReverseTransactionResponse>((resolve, reject) =>
      grpc.reverseTransaction(
        {
          ownerId: "bob",
          transactionId: inLegId,
          amount: 100n,
          idempotencyKey: newKey("direct"),
          metadata: {},
        },
        bearer(bob),
        (err, res) => (err ? reject(err) : resolve(res)),
      ),
    );
    await waitUntil(
      "bob's history shows the reversal",
      async () => (await firstItem(bob, to)).reversalOf === inLegId,
    );
    await waitUntil(
      "alice's history shows the money back",
      async () => (await firstItem(alice, from)).reversalOf === captured.transaction?.id,
    );
    expect(await firstItem(alice, from)).toMatchObject({
      type: "transfer_in",
      amount: 100,
      balanceAfter: 800,
    });
  });

  it("wallet resources carry heldBalance and availableBalance; the OpenAPI document describes the new routes", async () => {
    const walletId = await fundedWallet(stack.gateway, alice, "MXN", 50);
    ok(await placeHold(alice, { walletId, amount: 20 }), 201);
    const listed = ok(await get("/api/wallets", alice), 200).items.find(
      (w: { id: string }) => w.id === walletId,
    );
    expect(listed).toMatchObject({ balance: 50, heldBalance: 20, availableBalance: 30 });

    const doc = (await stack.gateway.call("GET", "/openapi.json")).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/api/holds",
        "/api/holds/{holdId}",
        "/api/holds/{holdId}/capture",
        "/api/holds/{holdId}/void",
        "/api/transactions/{transactionId}/reversals",
      ]),
    );
    expect(Object.keys(doc.paths["/api/holds"])).toEqual(expect.arrayContaining(["get", "post"]));
    const hold =
      doc.paths["/api/holds/{holdId}"].get.responses["200"].content["application/json"].schema.properties
        .data;
    expect(hold.properties.status.enum).toEqual(["pending", "captured", "voided", "expired"]);
    expect(hold.properties.captureTransactionId.description).toMatch(/capture/);
    const post201 = doc.paths["/api/holds"].post;
    expect(post201.responses).toHaveProperty("201");
    expect(post201.requestBody.content["application/json"].example).toMatchObject({ amount: 3000 });
    expect(post201.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ in: "header", name: "idempotency-key", required: true }),
      ]),
    );
    // Capture, void and reversal may come without a body; placing a hold may not.
    for (const path of ["/api/holds/{holdId}/capture", "/api/holds/{holdId}/void"]) {
      expect(doc.paths[path].post.requestBody.required, path).toBe(false);
      expect(doc.paths[path].post).not.toHaveProperty("x-optional-body");
    }
    expect(post201.requestBody.required).toBe(true);
    const reversal = doc.paths["/api/transactions/{transactionId}/reversals"].post;
    expect(reversal.responses).toHaveProperty("403");
    expect(reversal.requestBody.required).toBe(false);
    const tx =
      reversal.responses["201"].content["application/json"].schema.properties.data.properties.reversal;
    expect(Object.keys(tx.properties)).toEqual(
      expect.arrayContaining(["reversalOf", "holdId", "reversedAmount"]),
    );
    const walletSchema =
      doc.paths["/api/wallets/{walletId}"].get.responses["200"].content["application/json"].schema;
    expect(walletSchema.properties.data.required).toEqual(
      expect.arrayContaining(["heldBalance", "availableBalance"]),
    );
  });
});
