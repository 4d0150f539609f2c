import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitUntil } from "../support/wait.js";
import { fullHistory, fundedWallet, moveMoney, newKey, walletOf } from "../support/wallets.js";
import { type Platform, startPlatform } from "./platform.js";

// Flows 1-3, 5-8 and 10-12 of docs/flows.md, over HTTP against the three services running as processes.
// Flow 4 (retries) is in services/notifier/test/retry.test.ts, Flow 9 in test/e2e/gracefulShutdown.test.ts.
describe("product flows - through the gateway", () => {
  let p: Platform;
  const call: Platform["call"] = (...args) => p.call(...args);
  const move = (kind: "credit" | "debit", token: string, body: object, headers = {}) =>
    moveMoney(call, kind, token, body, headers);

  beforeAll(async () => {
    p = await startPlatform();
  });
  afterAll(async () => {
    await p?.stop();
  });

  it("flow 1 - a credit answers 200 and a signed webhook arrives for its transaction", async () => {
    const token = await p.token("flow1-alice", "alice@example.com");
    const walletId = await fundedWallet(call, token, "USD", 50);
    const res = await move("credit", token, { walletId, amount: 100, metadata: { ref: "order-456" } });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ walletId, type: "credit", amount: 100, balance: 150 });
    const transactionId = res.body.data.transactionId;

    await waitUntil("the webhook for the credit", () =>
      p.webhook.delivered().some((d) => d.json?.data?.transactionId === transactionId),
    );
    const hook = p.webhook.delivered().find((d) => d.json.data.transactionId === transactionId)!;
    expect(hook.signatureValid).toBe(true);
    expect(hook.webhookId).toBe(hook.json.data.eventId);
    expect(hook.json.type).toBe("wallet.transaction.committed");
    expect(hook.json.data).toMatchObject({
      walletId,
      ownerId: "flow1-alice",
      ownerEmail: "alice@example.com",
    });
    expect(hook.json.data).toMatchObject({
      type: "CREDIT",
      amount: "100",
      balanceAfter: "150",
      metadata: { ref: "order-456" },
    });
  });

  it("flow 2 - a repeated request replays the first answer byte for byte, even after Redis lost it", async () => {
    const token = await p.token("flow2-bob");
    const walletId = await fundedWallet(call, token, "USD");
    const request = {
      token,
      body: { walletId, amount: 100 },
      headers: { "idempotency-key": newKey("idempotent-demo") },
    };
    const first = await call("POST", "/api/wallets/credit", request);
    const second = await call("POST", "/api/wallets/credit", request);
    expect(first.status).toBe(200);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect(second.status).toBe(200);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.text).toBe(first.text);

    const redis = new Redis(p.redis.url);
    await redis.flushall();
    await redis.quit();
    const third = await call("POST", "/api/wallets/credit", request);
    expect(third.status).toBe(200);
    expect(third.headers.get("idempotent-replayed")).toBe("true");
    expect(third.body.data.transactionId).toBe(first.body.data.transactionId);
    expect((await walletOf(call, token, walletId)).balance).toBe(100);
    expect(await fullHistory(call, token, walletId)).toHaveLength(1);
  });

  it("flow 3 - of two simultaneous debits of 75 from 100, one gets 200 and the other 409", async () => {
    const token = await p.token("flow3-carol");
    const walletId = await fundedWallet(call, token, "USD", 100);
    const race = (extra: object) =>
      Promise.all([1, 2].map(() => move("debit", token, { walletId, amount: 75, ...extra })));

    // Compare-and-set with expectedVersion: both saw version 1, only one may apply.
    const cas = await race({ expectedVersion: 1 });
    expect(cas.map((r) => r.status).sort()).toEqual([200, 409]);
    const casLoser = cas.find((r) => r.status === 409)!;
    expect(casLoser.body.error).toMatchObject({
      code: "CONCURRENT_UPDATE",
      message: "Balance changed concurrently",
    });

    // Without a version both are tried in turn; the second finds 25 left.
    await move("credit", token, { walletId, amount: 75 });
    const plain = await race({});
    expect(plain.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(plain.find((r) => r.status === 409)!.body.error).toMatchObject({
      code: "INSUFFICIENT_FUNDS",
      message: "Insufficient funds",
    });
    expect((await walletOf(call, token, walletId)).balance).toBe(25);
  });

  it("flow 5 - transaction history is a cache MISS, then a HIT, then a MISS after a write", async () => {
    const token = await p.token("flow5-dave");
    const walletId = await fundedWallet(call, token, "USD", 10);
    // The funding credit's event also invalidates the cache; let it go by (its webhook comes after it).
    await waitUntil("the funding event", () =>
      p.webhook.delivered().some((d) => d.json?.data?.walletId === walletId),
    );
    const path = `/api/transactions?walletId=${walletId}&limit=10`;
    const miss = await call("GET", path, { token });
    const hit = await call("GET", path, { token });
    expect([miss.status, miss.headers.get("x-cache")]).toEqual([200, "MISS"]);
    expect([hit.status, hit.headers.get("x-cache")]).toEqual([200, "HIT"]);
    expect(hit.text).toBe(miss.text);

    await move("credit", token, { walletId, amount: 5 });
    const afterWrite = await call("GET", path, { token });
    expect(afterWrite.headers.get("x-cache")).toBe("MISS");
    expect(afterWrite.body.data.items).toHaveLength(2);
  });

  it("flow 6 - limited responses carry x-ratelimit-* headers and the 101st request in a minute gets 429", async () => {
    const token = await p.token(`flow6-${newKey("erin")}`);
    const remaining: number[] = [];
    for (let i = 0; i < 100; i++) {
      const res = await call("GET", "/api/wallets", { token });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-ratelimit-limit")).toBe("100");
      expect(Number(res.headers.get("x-ratelimit-reset"))).toBeGreaterThan(0);
      remaining.push(Number(res.headers.get("x-ratelimit-remaining")));
    }
    expect(remaining).toEqual(Array.from({ length: 100 }, (_, i) => 99 - i));
    const limited = await call("GET", "/api/wallets", { token });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe("RATE_LIMITED");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited.headers.get("x-ratelimit-remaining")).toBe("0");
    // Another subject has its own budget.
    const other = await call("GET", "/api/wallets", { token: await p.token(`flow6-${newKey("frank")}`) });
    expect(other.status).toBe(200);
  });

  it("flow 7 - every row of the error table gets its status and code", async () => {
    const token = await p.token("flow7-grace");
    const walletId = await fundedWallet(call, token, "USD", 100);
    const debit = (body: object, key = newKey()) => move("debit", token, body, { "idempotency-key": key });

    const badJwt = await call("GET", "/api/wallets", { headers: { authorization: "Bearer bad" } });
    expect([badJwt.status, badJwt.body.error.code]).toEqual([401, "UNAUTHORIZED"]);
    expect(badJwt.headers.get("www-authenticate")).toContain("Bearer");

    const wrong = await debit({ walletId: "wrong", amount: 1 });
    expect([wrong.status, wrong.body.error.code]).toEqual([404, "WALLET_NOT_FOUND"]);
    const notYours = await call("GET", `/api/wallets/${walletId}`, { token: await p.token("flow7-mallory") });
    expect([notYours.status, notYours.body.error.code]).toEqual([404, "WALLET_NOT_FOUND"]);

    const overdraw = await debit({ walletId, amount: 200 });
    expect([overdraw.status, overdraw.body.error.code]).toEqual([409, "INSUFFICIENT_FUNDS"]);

    for (const amount of [-10, 0, 10.5, "10"]) {
      const invalid = await move("credit", token, { walletId, amount });
      expect([invalid.status, invalid.body.error.code]).toEqual([400, "VALIDATION_FAILED"]);
    }

    const duplicate = await call("POST", "/api/wallets", { token, body: { currency: "USD" } });
    expect([duplicate.status, duplicate.body.error.code]).toEqual([409, "WALLET_EXISTS"]);

    const both = await Promise.all([1, 2].map(() => debit({ walletId, amount: 10, expectedVersion: 1 })));
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);

    const key = newKey("reused");
    expect((await debit({ walletId, amount: 1 }, key)).status).toBe(200);
    const reused = await debit({ walletId, amount: 2 }, key);
    expect([reused.status, reused.body.error.code]).toEqual([422, "IDEMPOTENCY_KEY_REUSED"]);

    const noKey = await call("POST", "/api/wallets/debit", { token, body: { walletId, amount: 1 } });
    expect([noKey.status, noKey.body.error.code]).toEqual([400, "VALIDATION_FAILED"]);
    for (const res of [badJwt, wrong, overdraw, duplicate, reused]) {
      expect(res.body.error.requestId).toBe(res.headers.get("x-request-id"));
    }
    expect((await walletOf(call, token, walletId)).balance).toBe(89);
  });

  it("flow 8 - pages follow nextCursor to the end, newest first, with no duplicates or gaps while writes go on", async () => {
    const token = await p.token("flow8-heidi");
    const walletId = await fundedWallet(call, token, "USD");
    for (let amount = 1; amount <= 12; amount++) {
      await move("credit", token, { walletId, amount });
    }
    const pages: number[][] = [];
    let cursor: string | null = "";
    while (cursor !== null) {
      const query: string = `walletId=${walletId}&limit=5${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const res = await call("GET", `/api/transactions?${query}`, { token });
      expect(res.status).toBe(200);
      pages.push(res.body.data.items.map((t: { amount: number }) => t.amount));
      cursor = res.body.data.nextCursor;
      // A write between pages is newer than every page still to come, so it changes none of them.
      await move("credit", token, { walletId, amount: 1000 });
    }
    expect(pages).toEqual([
      [12, 11, 10, 9, 8],
      [7, 6, 5, 4, 3],
      [2, 1],
    ]);
  });

  it("flows 10-12 - hold, partial capture, release and refund: balances, events as signed webhooks, one end per hold", async () => {
    const token = await p.token("flow10-judy", "judy@example.com");
    const walletId = await fundedWallet(call, token, "USD", 500);
    const post = (path: string, body: object) =>
      call("POST", path, { token, body, headers: { "idempotency-key": newKey("f10") } });
    const placed = await post("/api/holds", { walletId, amount: 300 });
    expect(placed.status).toBe(201);
    const holdId = placed.body.data.id;
    expect(await walletOf(call, token, walletId)).toMatchObject({
      balance: 500,
      heldBalance: 300,
      availableBalance: 200,
    });
    // Available funds only: 201 is more than is left once 300 are held.
    expect((await move("debit", token, { walletId, amount: 201 })).body.error?.code).toBe(
      "INSUFFICIENT_FUNDS",
    );

    const captured = await post(`/api/holds/${holdId}/capture`, { amount: 120 });
    expect(captured.status).toBe(200);
    expect(captured.body.data.hold).toMatchObject({ status: "captured", capturedAmount: 120 });
    const debitId = captured.body.data.transaction.id;
    expect(await walletOf(call, token, walletId)).toMatchObject({
      balance: 380,
      heldBalance: 0,
      availableBalance: 380,
    });
    const again = await post(`/api/holds/${holdId}/void`, {});
    expect([again.status, again.body.error?.code]).toEqual([409, "HOLD_NOT_PENDING"]);

    const refund = await post(`/api/transactions/${debitId}/reversals`, { amount: 20 });
    expect(refund.status).toBe(201);
    expect(refund.body.data.reversal).toMatchObject({ type: "credit", amount: 20, reversalOf: debitId });
    const rest = await post(`/api/transactions/${debitId}/reversals`, {});
    expect(rest.body.data.reversal).toMatchObject({ amount: 100, reversalOf: debitId });
    const over = await post(`/api/transactions/${debitId}/reversals`, { amount: 1 });
    expect([over.status, over.body.error?.code]).toEqual([409, "AMOUNT_EXCEEDS_REMAINING"]);
    expect((await walletOf(call, token, walletId)).balance).toBe(500);

    // The notifier delivers every hold transition and every transaction, signed, once each.
    const mine = () => p.webhook.delivered().filter((d) => d.json?.data?.walletId === walletId);
    await waitUntil("webhooks for the hold, the capture and both refunds", () => mine().length >= 6);
    const hooks = mine();
    expect(hooks.map((d) => d.json.type).sort()).toEqual([
      "wallet.hold.captured",
      "wallet.hold.placed",
      "wallet.transaction.committed",
      "wallet.transaction.committed",
      "wallet.transaction.committed",
      "wallet.transaction.committed",
    ]);
    expect(hooks.map((d) => d.signatureValid)).toEqual(Array(6).fill(true));
    expect(new Set(hooks.map((d) => d.webhookId)).size).toBe(6);
    const byType = (type: string) => hooks.filter((d) => d.json.type === type).map((d) => d.json.data);
    expect(byType("wallet.hold.captured")).toEqual([
      expect.objectContaining({
        holdId,
        status: "CAPTURED",
        capturedAmount: "120",
        captureTransactionId: debitId,
      }),
    ]);
    const transactions = byType("wallet.transaction.committed");
    expect(transactions.filter((t) => t.holdId === holdId).map((t) => t.transactionId)).toEqual([debitId]);
    expect(
      transactions
        .filter((t) => t.reversalOf === debitId)
        .map((t) => t.amount)
        .sort(),
    ).toEqual(["100", "20"]);
  });

  it("correlation - one request's x-request-id appears in the gateway's, the wallet's and the notifier's logs", async () => {
    const token = await p.token("corr-ivan");
    const walletId = await fundedWallet(call, token, "USD");
    const requestId = newKey("corr");
    const res = await move("credit", token, { walletId, amount: 7 }, { "x-request-id": requestId });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBe(requestId);
    const mentions = (line: Record<string, unknown>) =>
      line.reqId === requestId || line.requestId === requestId;
    await p.service("gateway").waitForLog(mentions, 5_000);
    await p.service("wallet").waitForLog(mentions, 5_000);
    const notified = await p.service("notifier").waitForLog(mentions, 10_000);
    expect(JSON.stringify(notified)).toContain(res.body.data.transactionId);
  });
});
