/**
 * Gateway benchmark with autocannon: cached GET /api/transactions at 50
 * connections, then POST /api/wallets/credit with unique Idempotency-Keys at 32
 * connections over 32 wallets; prints req/s, p50, p99, errors and the gateway's
 * peak RSS (process_resident_memory_bytes from its /metrics).
 *
 *   GATEWAY_URL   a running gateway on 127.0.0.1 (its RATE_LIMIT_MAX must be far above the load);
 *                 when unset, a stack is started: Redis and NATS on free ports, the wallet on
 *                 BENCH_DB_URL (default postgres://postgres@127.0.0.1:5432/wallet_bench, dropped
 *                 first) and the gateway, each as its own process (from dist/, or from source
 *                 with BENCH_FROM_SOURCE=1).
 *   JWT_SECRET, JWT_ISSUER, JWT_AUDIENCE   how to sign tokens for GATEWAY_URL.
 *   BENCH_SECONDS (default 10) per measured run, after a 3 s warm-up.
 *   Build first (`npm run build`), or set BENCH_FROM_SOURCE=1.
 *
 * First it measures a bare node:http server answering the same page, as this
 * machine's ceiling for the cached read (the load generator shares the CPU).
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import autocannon from "autocannon";
import { benchSettings, dropDatabase, sampleRss, startService } from "../../../scripts/bench/process.js";
import { startNats } from "../../../test/support/nats.js";
import { freePort, waitForPort } from "../../../test/support/ports.js";
import { startRedis } from "../../../test/support/redis.js";
import { mintToken } from "../src/auth/mintToken.js";

const { dbUrl, seconds: SECONDS } = benchSettings();
const WALLETS = 32;
const TARGETS = {
  get: { rps: 10_000, p99: 10 },
  credit: { rps: 2_500, p99: 30 },
  rssMb: 100,
};

interface Stack {
  url: string;
  tokenConfig: { JWT_SECRET?: string; JWT_ISSUER?: string; JWT_AUDIENCE?: string };
  stop(): Promise<void>;
}

async function startPrivateStack(): Promise<Stack> {
  const secret = `bench-${randomUUID()}`;
  const [redis, nats] = await Promise.all([startRedis(), startNats()]);
  await dropDatabase(dbUrl);
  const [grpcPort, adminPort, gatewayPort] = [await freePort(), await freePort(), await freePort()];
  const wallet = await startService(
    "wallet",
    {
      WALLET_DB_URL: dbUrl,
      WALLET_GRPC_HOST: "127.0.0.1",
      WALLET_GRPC_PORT: String(grpcPort),
      WALLET_ADMIN_HOST: "127.0.0.1",
      WALLET_ADMIN_PORT: String(adminPort),
      NATS_URL: nats.url,
      LOG_LEVEL: "info",
    },
    "ignore",
  );
  const gateway = await startService(
    "gateway",
    {
      GATEWAY_HOST: "127.0.0.1",
      GATEWAY_PORT: String(gatewayPort),
      WALLET_GRPC_URL: `127.0.0.1:${grpcPort}`,
      REDIS_URL: redis.url,
      NATS_URL: nats.url,
      JWT_SECRET: secret,
      RATE_LIMIT_MAX: "1000000000",
      LOG_LEVEL: "info",
    },
    "ignore",
  );
  return {
    url: `http://127.0.0.1:${gatewayPort}`,
    tokenConfig: { JWT_SECRET: secret },
    stop: async () => {
      await gateway.stop();
      await wallet.stop();
      await Promise.all([redis.stop(), nats.destroy()]);
    },
  };
}

/** req/s of a bare node:http process serving `body` at 50 connections: what the machine allows at best. */
async function machineCeiling(body: string): Promise<autocannon.Result> {
  const port = await freePort();
  const server = `require("node:http").createServer((q, s) => { s.writeHead(200, { "content-type": "application/json" }); s.end(process.env.BODY); }).listen(${port}, "127.0.0.1")`;
  const child = spawn(process.execPath, ["-e", server], {
    env: { ...process.env, BODY: body },
    stdio: "ignore",
  });
  try {
    await waitForPort(port);
    await autocannon({ url: `http://127.0.0.1:${port}/`, connections: 50, duration: 3 });
    return await autocannon({ url: `http://127.0.0.1:${port}/`, connections: 50, duration: SECONDS });
  } finally {
    child.kill();
    await once(child, "exit");
  }
}

async function api(url: string, token: string, method: string, path: string, body?: unknown, key?: string) {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (key) headers["idempotency-key"] = key;
  const res = await fetch(url + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as { data: { id: string } };
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json.data;
}

function report(label: string, r: autocannon.Result, target: { rps: number; p99: number }) {
  const errors = r.errors + r.timeouts + r.non2xx;
  const verdict = r.requests.average >= target.rps && r.latency.p99 <= target.p99 ? "meets" : "misses";
  console.log(
    `${label.padEnd(34)} ${r.requests.average.toFixed(0).padStart(6)} req/s  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms  errors ${errors} (non-2xx ${r.non2xx})  ${verdict} target ${target.rps}/s p99<=${target.p99} ms`,
  );
}

const external = process.env.GATEWAY_URL;
const stack: Stack = external
  ? {
      url: external.replace(/\/$/, ""),
      tokenConfig: {
        JWT_SECRET: process.env.JWT_SECRET,
        JWT_ISSUER: process.env.JWT_ISSUER,
        JWT_AUDIENCE: process.env.JWT_AUDIENCE,
      },
      stop: async () => {},
    }
  : await startPrivateStack();

try {
  const run = randomUUID().slice(0, 8);
  const tokens: string[] = [];
  const wallets: string[] = [];
  for (let i = 0; i < WALLETS; i++) {
    const token = await mintToken(stack.tokenConfig, { sub: `bench-${run}-${i}`, ttlSeconds: 3600 });
    tokens.push(token);
    wallets.push((await api(stack.url, token, "POST", "/api/wallets", { currency: "USD" })).id);
  }
  for (let i = 0; i < 25; i++) {
    await api(
      stack.url,
      tokens[0]!,
      "POST",
      "/api/wallets/credit",
      { walletId: wallets[0], amount: 100 + i },
      `${run}-seed-${i}`,
    );
  }

  const historyUrl = `${stack.url}/api/transactions?walletId=${wallets[0]}&limit=20`;
  const cachedGet = (duration: number) =>
    autocannon({
      url: historyUrl,
      connections: 50,
      duration,
      headers: { authorization: `Bearer ${tokens[0]}` },
    });
  let seq = 0;
  const credits = (duration: number) =>
    autocannon({
      url: `${stack.url}/api/wallets/credit`,
      connections: 32,
      duration,
      requests: [
        {
          method: "POST",
          setupRequest: (req) => {
            const i = seq++ % WALLETS;
            return {
              ...req,
              headers: {
                authorization: `Bearer ${tokens[i]}`,
                "content-type": "application/json",
                "idempotency-key": `${run}-${seq}`,
              },
              body: JSON.stringify({ walletId: wallets[i], amount: 1 }),
            };
          },
        },
      ],
    });

  const probe = await fetch(historyUrl, { headers: { authorization: `Bearer ${tokens[0]}` } });
  const page = await probe.text();
  console.log(
    `gateway benchmark: ${stack.url}, ${SECONDS} s per run; history page ${page.length} bytes, first read x-cache=${probe.headers.get("x-cache")}`,
  );
  report("bare node:http, same page, 50c", await machineCeiling(page), TARGETS.get);
  const rss = sampleRss(Number(new URL(stack.url).port));
  await cachedGet(3);
  report("GET /api/transactions (cached), 50c", await cachedGet(SECONDS), TARGETS.get);
  await credits(3);
  report("POST /api/wallets/credit, 32c", await credits(SECONDS), TARGETS.credit);
  const peak = (await rss.stop()) / 1048576;
  const after = await fetch(historyUrl, { headers: { authorization: `Bearer ${tokens[0]}` } });
  const metrics = await (await fetch(`${stack.url}/metrics`)).text();
  const mb = (name: string) => {
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, "m").exec(metrics);
    return m ? (Number(m[1]) / 1048576).toFixed(0) : "?";
  };
  console.log(
    `gateway RSS peak ${peak.toFixed(0)} MB (target <= ${TARGETS.rssMb} MB), now ${mb("process_resident_memory_bytes")} MB, ` +
      `heap used ${mb("nodejs_heap_size_used_bytes")} / total ${mb("nodejs_heap_size_total_bytes")} MB; ` +
      `history after credits x-cache=${after.headers.get("x-cache")}`,
  );
} finally {
  await stack.stop();
}
