import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../scripts/lib/ports.js";
import { startRedis, type TestRedis } from "../../../test/support/redis.js";
import { type Exchange, type GatewayStack, newKey, startStack, type TestGateway } from "./stack.js";

/**
 * A TCP relay between the gateway and the real Redis that counts round trips:
 * a round trip starts each time the gateway sends after Redis last answered
 * (or for the first time). Commands sent together (one pipeline) are one.
 */
async function roundTripCounter(redisPort: number) {
  let roundTrips = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(redisPort, "127.0.0.1");
    sockets.add(client).add(upstream);
    let answered = true;
    client.on("data", (chunk) => {
      if (answered) roundTrips += 1;
      answered = false;
      upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      answered = true;
      client.write(chunk);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("close", close).on("error", close);
    upstream.on("close", close).on("error", close);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `redis://127.0.0.1:${port}`,
    count: () => roundTrips,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

// Redis round trips per request, counted on the wire against a real Redis: the rate-limit count
// travels with the cache lookup or the Idempotency-Key claim, the idempotency record with the
// cache invalidation.
describe("gateway - Redis round trips per request", () => {
  let stack: GatewayStack;
  let redis: TestRedis;
  let counter: Awaited<ReturnType<typeof roundTripCounter>>;
  let gw: TestGateway;
  let token: string;
  let walletId: string;
  let otherWalletId: string;

  beforeAll(async () => {
    stack = await startStack();
    // A Redis of its own: the stack's gateway invalidates the shared one on every committed event.
    redis = await startRedis();
    counter = await roundTripCounter(redis.port);
    // No NATS: committed events would invalidate at moments of their own and blur the counts.
    gw = await stack.startGateway({ REDIS_URL: counter.url, NATS_URL: "nats://127.0.0.1:1" });
    token = await stack.token("round-trips");
    // Also verifies the token, so the measured requests are those of a recently verified caller.
    const create = async (owner: string) => {
      const res = await gw.call("POST", "/api/wallets", {
        token: owner,
        body: { currency: "USD" },
        headers: { "idempotency-key": newKey("rt-wallet") },
      });
      expect(res.status, res.text).toBe(201);
      return res.body.data.id as string;
    };
    walletId = await create(token);
    otherWalletId = await create(await stack.token("round-trips-payee"));
  });
  afterAll(async () => {
    await stack?.stop();
    await counter?.stop();
    await redis?.stop();
  });

  const measured = async (call: () => Promise<Exchange>, status: number) => {
    const before = counter.count();
    const res = await call();
    expect(res.status, res.text).toBe(status);
    return { res, roundTrips: counter.count() - before };
  };
  const credit = (key: string, amount = 5) =>
    gw.call("POST", "/api/wallets/credit", {
      token,
      body: { walletId, amount },
      headers: { "idempotency-key": key },
    });
  const history = () => gw.call("GET", `/api/transactions?walletId=${walletId}&limit=10`, { token });

  it("a credit is 2 round trips (limit + claim, then record + invalidation); its replay 1", async () => {
    await credit(newKey("rt-warm-up")); // first use of each script on the connection
    const key = newKey("rt-credit");
    const first = await measured(() => credit(key), 200);
    expect(first.roundTrips).toBe(2);
    const replay = await measured(() => credit(key), 200);
    expect(replay.res.text).toBe(first.res.text);
    expect(replay.roundTrips).toBe(1);
    const transfer = await measured(
      () =>
        gw.call("POST", "/api/transfers", {
          token,
          body: { fromWalletId: walletId, toWalletId: otherWalletId, amount: 1 },
          headers: { "idempotency-key": newKey("rt-transfer") },
        }),
      200,
    );
    expect(transfer.roundTrips).toBe(2);
  });

  it("a cached history read is 1 round trip (limit + lookup); a miss 2 (then the page is stored)", async () => {
    await credit(newKey("rt-invalidate"));
    const miss = await measured(history, 200);
    expect(miss.res.headers.get("x-cache")).toBe("MISS");
    expect(miss.roundTrips).toBe(2);
    const hit = await measured(history, 200);
    expect(hit.res.headers.get("x-cache")).toBe("HIT");
    expect(hit.res.headers.get("x-ratelimit-limit")).toBe("100");
    expect(hit.res.text).toBe(miss.res.text);
    expect(hit.roundTrips).toBe(1);
  });

  it("a request refused before its claim (bad body) is still counted, in 1 round trip", async () => {
    const before = Number((await history()).headers.get("x-ratelimit-remaining"));
    const bad = await measured(
      () =>
        gw.call("POST", "/api/wallets/credit", {
          token,
          body: { walletId, amount: "5" },
          headers: { "idempotency-key": newKey("rt-bad") },
        }),
      400,
    );
    expect(bad.roundTrips).toBe(1);
    expect(bad.res.headers.get("x-ratelimit-remaining")).toBe(String(before - 1));
  });
});
