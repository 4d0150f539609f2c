import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GatewayStack, newKey, startStack, type TestGateway } from "./stack.js";

// Flow 6 of docs/flows.md (rate limiting + headers), shared by every replica through Redis.
describe("gateway rate limit - Flow 6", () => {
  let stack: GatewayStack;
  let second: TestGateway;

  beforeAll(async () => {
    stack = await startStack({ RATE_LIMIT_MAX: "100", RATE_LIMIT_WINDOW_MS: "60000" });
    second = await stack.startGateway();
  });
  afterAll(() => stack?.stop());

  it("100 requests pass with x-ratelimit headers, the 101st is 429 RATE_LIMITED with Retry-After", async () => {
    const token = await stack.token("flow6-user");
    for (let i = 1; i <= 100; i++) {
      const res = await stack.gateway.call("GET", "/api/wallets", { token });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-ratelimit-limit")).toBe("100");
      expect(res.headers.get("x-ratelimit-remaining")).toBe(String(100 - i));
      expect(Number(res.headers.get("x-ratelimit-reset"))).toBeGreaterThan(0);
    }
    const limited = await stack.gateway.call("GET", "/api/wallets", { token });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe("RATE_LIMITED");
    expect(limited.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(limited.headers.get("x-ratelimit-reset"))).toBeGreaterThan(0);
    // Other callers keep their own budget.
    const other = await stack.gateway.call("GET", "/api/wallets", {
      token: await stack.token("someone-else"),
    });
    expect(other.status).toBe(200);
  });

  it("two gateway instances share one budget per subject", async () => {
    const token = await stack.token("shared-user");
    const statuses: number[] = [];
    for (let i = 0; i < 101; i++) {
      const gw = i % 2 === 0 ? stack.gateway : second;
      statuses.push((await gw.call("GET", "/api/wallets", { token })).status);
    }
    expect(statuses.slice(0, 100).every((s) => s === 200)).toBe(true);
    expect(statuses[100]).toBe(429);
    expect((await second.call("GET", "/api/wallets", { token })).status).toBe(429);
  });

  it("unauthenticated callers are limited by IP; /healthz, /readyz and /metrics are never limited", async () => {
    const gw = await stack.startGateway({ RATE_LIMIT_MAX: "3" });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await gw.call("GET", "/api/wallets")).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    for (const path of ["/healthz", "/readyz", "/metrics"]) {
      const res = await gw.call("GET", path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("x-ratelimit-limit"), path).toBeNull();
    }
  });

  it("Redis down - requests fail open (served, counted in gateway_redis_failures_total)", async () => {
    const gw = await stack.startGateway({ REDIS_URL: "redis://127.0.0.1:1" });
    const token = await stack.token("no-redis-user");
    const created = await gw.call("POST", "/api/wallets", { token, body: { currency: "USD" } });
    expect(created.status).toBe(201);
    const walletId = created.body.data.id;
    const key = newKey("no-redis");
    const credit = () =>
      gw.call("POST", "/api/wallets/credit", {
        token,
        body: { walletId, amount: 5 },
        headers: { "idempotency-key": key },
      });
    expect((await credit()).status).toBe(200);
    const retry = await credit();
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    const history = await gw.call("GET", `/api/transactions?walletId=${walletId}`, { token });
    expect(history.body.data.items).toHaveLength(1);
    const metrics = (await gw.call("GET", "/metrics")).text;
    for (const use of ["rate_limit", "idempotency", "history_cache"]) {
      expect(metrics).toMatch(new RegExp(`gateway_redis_failures_total\\{use="${use}"[^}]*\\} [1-9]`));
    }
  });
});
