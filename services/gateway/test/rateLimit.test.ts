import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedis } from "../../../test/support/redis.js";
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
    expect(statuses.slice(0, 100)).toEqual(Array(100).fill(200));
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

  it("over the limit a credit is 429 and keeps no idempotency claim; a bad body is counted, then 429 too", async () => {
    // Its own client address: the other tests spend 127.0.0.1's budget, which a new token meets first.
    const gw = await stack.startGateway({ RATE_LIMIT_MAX: "3", TRUST_PROXY: "1" });
    const client = { "x-forwarded-for": "203.0.113.77" };
    const token = await stack.token("limited-writer");
    const created = await gw.call("POST", "/api/wallets", {
      token,
      body: { currency: "USD" },
      headers: client,
    });
    expect(created.status).toBe(201);
    const walletId = created.body.data.id;
    const key = newKey("over-limit");
    const credit = (body: object) =>
      gw.call("POST", "/api/wallets/credit", { token, body, headers: { ...client, "idempotency-key": key } });
    const bad = await credit({ walletId, amount: "5" });
    expect(bad.status).toBe(400);
    expect(bad.headers.get("x-ratelimit-remaining")).toBe("1");
    expect((await credit({ walletId, amount: 5 })).status).toBe(200);
    const limited = await credit({ walletId, amount: 5 });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe("RATE_LIMITED");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited.headers.get("idempotent-replayed")).toBeNull();
    const other = newKey("over-limit-other");
    const refused = await gw.call("POST", "/api/wallets/credit", {
      token,
      body: { walletId, amount: 7 },
      headers: { ...client, "idempotency-key": other },
    });
    expect(refused.status).toBe(429);
    const badAgain = await credit({ walletId, amount: "5" });
    expect(badAgain.status).toBe(429);
    expect(badAgain.body.error.code).toBe("RATE_LIMITED");
    const redis = new Redis(stack.redis.url);
    try {
      // The refused request's claim was released; the first credit's record stays.
      expect(await redis.exists(`idem:limited-writer:${other}`)).toBe(0);
      expect(await redis.exists(`idem:limited-writer:${key}`)).toBe(1);
    } finally {
      redis.disconnect();
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

  it("Redis killed mid-run - reads and credits are still served (fail open), each bypass counted", async () => {
    const own = await startRedis();
    const gw = await stack.startGateway({ REDIS_URL: own.url });
    const token = await stack.token("redis-killed-user");
    const created = await gw.call("POST", "/api/wallets", { token, body: { currency: "USD" } });
    expect(created.status).toBe(201);
    expect(created.headers.get("x-ratelimit-remaining")).toBe("99");
    const walletId = created.body.data.id;
    await own.stop();
    const failures = async (use: string) => {
      const text = (await gw.call("GET", "/metrics")).text;
      return Number(
        text.match(new RegExp(`gateway_redis_failures_total\\{use="${use}"[^}]*\\} (\\d+)`))?.[1] ?? 0,
      );
    };
    const before = await failures("rate_limit");
    const credited = await gw.call("POST", "/api/wallets/credit", {
      token,
      body: { walletId, amount: 5 },
      headers: { "idempotency-key": newKey("redis-killed") },
    });
    expect(credited.status, credited.text).toBe(200);
    expect(credited.headers.get("x-ratelimit-limit")).toBeNull();
    const history = await gw.call("GET", `/api/transactions?walletId=${walletId}`, { token });
    expect(history.status).toBe(200);
    expect(history.body.data.items).toHaveLength(1);
    expect(await failures("rate_limit")).toBe(before + 2);
    expect(await failures("idempotency")).toBeGreaterThan(0);
    expect(await failures("history_cache")).toBeGreaterThan(0);
  });

  it("behind a proxy (TRUST_PROXY): two anonymous clients get a bucket each; without it they share the proxy's", async () => {
    const statuses = async (gw: TestGateway, client: string, n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        out.push((await gw.call("GET", "/api/wallets", { headers: { "x-forwarded-for": client } })).status);
      }
      return out;
    };
    const trusting = await stack.startGateway({ RATE_LIMIT_MAX: "3", TRUST_PROXY: "1" });
    expect(await statuses(trusting, "203.0.113.10", 4)).toEqual([401, 401, 401, 429]);
    expect(await statuses(trusting, "203.0.113.20", 4)).toEqual([401, 401, 401, 429]);

    const cidr = await stack.startGateway({ RATE_LIMIT_MAX: "3", TRUST_PROXY: "127.0.0.0/8" });
    expect(await statuses(cidr, "198.51.100.1", 3)).toEqual([401, 401, 401]);
    expect(await statuses(cidr, "198.51.100.2", 1)).toEqual([401]);

    // Default (TRUST_PROXY=false): X-Forwarded-For is ignored, so a client cannot pick a fresh bucket per
    // request: four "clients" count down one budget (the proxy's address).
    const direct = await stack.startGateway({ RATE_LIMIT_MAX: "1000" });
    const remaining: number[] = [];
    for (const client of ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"]) {
      const res = await direct.call("GET", "/api/wallets", { headers: { "x-forwarded-for": client } });
      expect(res.status).toBe(401);
      remaining.push(Number(res.headers.get("x-ratelimit-remaining")));
    }
    expect(remaining.slice(1)).toEqual(remaining.slice(0, -1).map((r) => r - 1));
    // Trusted, the same four are four fresh buckets.
    const trusted = await stack.startGateway({ RATE_LIMIT_MAX: "1000", TRUST_PROXY: "1" });
    for (const client of ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"]) {
      const res = await trusted.call("GET", "/api/wallets", { headers: { "x-forwarded-for": client } });
      expect(res.headers.get("x-ratelimit-remaining")).toBe("999");
    }
  });

  it("bad tokens are limited per client address before their signature is checked; verified callers per subject", async () => {
    const gw = await stack.startGateway({ RATE_LIMIT_MAX: "3", TRUST_PROXY: "1" });
    const client = { "x-forwarded-for": "203.0.113.99" };
    const verified = await stack.token("verified-before-flood");
    expect((await gw.call("GET", "/api/wallets", { token: verified, headers: client })).status).toBe(200);
    const forged = `${verified.slice(0, -4)}AAAA`;
    const flood: number[] = [];
    for (let i = 0; i < 4; i++) {
      flood.push((await gw.call("GET", "/api/wallets", { token: forged, headers: client })).status);
    }
    // Rejected tokens spend the address's budget (the valid one did not); once spent, no signature is checked.
    expect(flood).toEqual([401, 401, 401, 429]);
    // A valid token never seen before is not even checked: it is limited with its address...
    const fresh = await stack.token("fresh-after-flood");
    const limited = await gw.call("GET", "/api/wallets", { token: fresh, headers: client });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe("RATE_LIMITED");
    // ...while the token verified earlier is counted on its subject and still served.
    const served = await gw.call("GET", "/api/wallets", { token: verified, headers: client });
    expect(served.status).toBe(200);
    expect(served.headers.get("x-ratelimit-remaining")).toBe("1");
  });
});
