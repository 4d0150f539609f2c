import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Exchange } from "../../scripts/lib/http.js";
import { waitUntil } from "../support/wait.js";
import { fundedWallet, newKey, walletOf } from "../support/wallets.js";
import { type Platform, startPlatform } from "./platform.js";
import { countBy } from "./support/events.js";

const isShuttingDown = (line: { msg?: string }) => line.msg === "shutting down";

// SIGTERM to each service with work in flight: the work finishes, new work is refused, exit 0.
describe("graceful shutdown - SIGTERM with work in flight", () => {
  let p: Platform;
  let token: string;
  const call: Platform["call"] = (...args) => p.call(...args);
  const credit = (walletId: string, amount = 1): Promise<Exchange> =>
    call("POST", "/api/wallets/credit", {
      token,
      body: { walletId, amount },
      headers: { "idempotency-key": newKey("drain") },
      timeoutMs: 20_000,
    });

  // The gateway's channel retries with backoff, so it may take a moment to see the restarted wallet.
  const gatewayReachesWallet = () =>
    waitUntil(
      "the gateway reaching the wallet",
      async () => (await call("GET", "/api/wallets", { token })).status === 200,
    );

  beforeAll(async () => {
    p = await startPlatform({
      // A held row lock keeps credits in flight across the wallet's shutdown: no lock or statement
      // timeout, and no gateway deadline, may end them first.
      wallet: { WALLET_DB_LOCK_TIMEOUT_MS: "30000", WALLET_DB_STATEMENT_TIMEOUT_MS: "30000" },
      gateway: { RATE_LIMIT_MAX: "100000", GATEWAY_UPSTREAM_TIMEOUT_MS: "30000" },
      // A few at a time, so that some events are still queued when the notifier is stopped.
      notifier: { NOTIFIER_CONCURRENCY: "2" },
    });
    token = await p.token("drain-alice");
  });
  afterAll(async () => {
    await p?.stop();
  });

  it("gateway - in-flight requests complete with 200, new ones get 503, the process exits 0", async () => {
    const walletId = await fundedWallet(call, token, "USD");
    const wallet = p.service("wallet");
    // A frozen wallet holds every request the gateway has sent it.
    wallet.signal("SIGSTOP");
    let inFlight: Promise<Exchange[]>;
    try {
      inFlight = Promise.all(Array.from({ length: 5 }, () => credit(walletId)));
      await new Promise((r) => setTimeout(r, 1000));
      const gateway = p.service("gateway");
      gateway.signal("SIGTERM");
      await gateway.waitForLog(isShuttingDown);

      const late = await credit(walletId);
      expect([late.status, late.body.error.code]).toEqual([503, "UNAVAILABLE"]);
      expect((await fetch(`${p.gatewayUrl}/readyz`)).status).toBe(503);
    } finally {
      wallet.signal("SIGCONT");
    }
    expect((await inFlight).map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    // Exit 0, not 1: the process finished before its grace period ran out.
    expect(await p.service("gateway").exited).toEqual({ code: 0, signal: null });

    await p.start("gateway");
    expect((await walletOf(call, token, walletId)).balance).toBe(5);
  }, 60_000);

  it("wallet - gRPC calls in flight finish, new calls are refused, the process exits 0", async () => {
    const walletId = await fundedWallet(call, token, "EUR");
    const otherId = await fundedWallet(call, token, "GBP");
    const db = new pg.Client({ connectionString: p.dbUrl });
    await db.connect();
    let inFlight: Promise<Exchange[]>;
    try {
      // Holding the wallet's row lock keeps its credits inside the wallet service: the first
      // ones wait on the lock in PostgreSQL, the rest queue behind them for group commit.
      await db.query("BEGIN");
      await db.query("SELECT id FROM wallets WHERE id = $1 FOR UPDATE", [walletId]);
      inFlight = Promise.all(Array.from({ length: 5 }, () => credit(walletId)));
      await waitUntil("credits waiting on the row lock", async () => {
        // Inside a transaction pg_stat_activity is a snapshot taken at its first read: refresh it.
        await db.query("SELECT pg_stat_clear_snapshot()");
        const { rows } = await db.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        );
        return rows[0].n >= 1;
      });
      await waitUntil("five credits in flight in the wallet", async () => {
        const metrics = await (await fetch(`${p.adminUrl.wallet}/metrics`)).text();
        return /^grpc_server_in_flight(?:\{[^}]*\})? 5$/m.test(metrics);
      });
      const wallet = p.service("wallet");
      wallet.signal("SIGTERM");
      await wallet.waitForLog(isShuttingDown);
      await waitUntil(
        "wallet not ready",
        async () => (await fetch(`${p.adminUrl.wallet}/readyz`)).status === 503,
      );

      const refused = await credit(otherId);
      expect(refused.status).toBe(503);
      expect(refused.body.error.code).toBe("UNAVAILABLE");
    } finally {
      await db.query("COMMIT").catch(() => {});
      await db.end();
    }
    expect((await inFlight).map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(await p.service("wallet").exited).toEqual({ code: 0, signal: null });

    await p.start("wallet");
    await gatewayReachesWallet();
    expect((await walletOf(call, token, walletId)).balance).toBe(5);
    expect((await walletOf(call, token, otherId)).balance).toBe(0);
  }, 60_000);

  it("notifier - deliveries in flight finish and after a restart every event is delivered exactly once", async () => {
    const walletId = await fundedWallet(call, token, "CHF");
    p.webhook.setBehaviour(() => ({ status: 200, delayMs: 700 }));
    const before = p.webhook.arrivals();
    const transactionIds: string[] = [];
    const credits = async (n: number) => {
      for (let i = 0; i < n; i++) transactionIds.push((await credit(walletId)).body.data.transactionId);
    };

    await credits(6);
    await waitUntil("deliveries in flight", () => p.webhook.arrivals() >= before + 2);
    const notifier = p.service("notifier");
    notifier.signal("SIGTERM");
    await notifier.waitForLog(isShuttingDown);
    // Committed while the notifier drains: must wait for the next start, neither lost nor sent twice.
    await credits(4);
    expect(await notifier.exited).toEqual({ code: 0, signal: null });
    const deliveredBeforeRestart = p.webhook.delivered().length;

    await p.start("notifier");
    const ours = () =>
      p.webhook.delivered().filter((d) => transactionIds.includes(d.json?.data?.transactionId));
    // Bounded well below the consumer's ack wait: an event handed to the stopped notifier
    // and never given back would only return after it (70 s).
    await waitUntil(
      "all ten events delivered",
      () => new Set(ours().map((d) => d.webhookId)).size === 10,
      20_000,
    ).catch(() => {});
    await new Promise((r) => setTimeout(r, 1000));
    p.webhook.setBehaviour(() => ({ status: 204 }));

    expect(deliveredBeforeRestart).toBeGreaterThanOrEqual(2);
    const deliveries = ours();
    const delivered = deliveries.map((d) => d.json.data.transactionId);
    expect.soft({ missing: transactionIds.filter((id) => !delivered.includes(id)) }).toEqual({ missing: [] });
    const twice = [...countBy(deliveries.map((d) => d.webhookId))].filter(([, n]) => n > 1);
    expect({ deliveredMoreThanOnce: twice }).toEqual({ deliveredMoreThanOnce: [] });
    expect(deliveries.filter((d) => !d.signatureValid)).toEqual([]);
    expect(deliveries.length).toBeGreaterThanOrEqual(transactionIds.length);
  }, 60_000);
});
