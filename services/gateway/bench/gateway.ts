import { randomBytes, randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { SignJWT } from "jose";
import { startBenchServer } from "../../../scripts/bench/ceilings.js";
import { alternate, type Measurement, printTable, rate } from "../../../scripts/bench/measure.js";
import {
  benchSettings,
  processRss,
  sampleRss,
  startBenchWallet,
  startService,
} from "../../../scripts/bench/process.js";
import { luaString, wrk } from "../../../scripts/bench/wrk.js";
import { freePort } from "../../../scripts/lib/ports.js";
import { startNats } from "../../../test/support/nats.js";
import { createDatabase, startPostgresCluster } from "../../../test/support/postgres.js";
import { startRedis } from "../../../test/support/redis.js";

const { seconds } = benchSettings();
const alternating = process.argv.includes("--alternate") || process.env.BENCH_ALTERNATE === "1";
// Gateway variants measured back to back in one run, each in a fresh gateway process:
// BENCH_SEMI_SPACES=1,2,4 (young-generation semi-space MB, after the `npm start` flags),
// BENCH_GATEWAY_FLAGS="--max-semi-space-size=4 --max-old-space-size=48|--optimize-for-size" (node flag
// sets separated by "|", after the `npm start` flags) and
// BENCH_GATEWAY_BUILDS=dist,dist-before (entry directories under services/gateway, to compare builds).
const list = (v: string | undefined, sep = ",") => (v ?? "").split(sep).filter(Boolean);
const flagSets = [
  ...list(process.env.BENCH_SEMI_SPACES).map((mb) => `--max-semi-space-size=${mb}`),
  ...list(process.env.BENCH_GATEWAY_FLAGS, "|"),
].map((set) => set.trim());
const builds = list(process.env.BENCH_GATEWAY_BUILDS);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const WALLETS = 32;
const secret = randomBytes(32).toString("base64url");
const sign = (sub: string, scope?: string) =>
  new SignJWT(scope ? { scope } : {})
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setExpirationTime("2h")
    .sign(new TextEncoder().encode(secret));

const cluster = await startPostgresCluster({ durable: true });
const db = await createDatabase(cluster.url);
const [redis, nats] = await Promise.all([startRedis(), startNats()]);
const gatewayPort = await freePort();
const wallet = await startBenchWallet(db.url, nats.url, { JWT_SECRET: secret });
const { grpcPort } = wallet;
const gatewayEnv = {
  GATEWAY_HOST: "127.0.0.1",
  GATEWAY_PORT: String(gatewayPort),
  WALLET_GRPC_URL: `127.0.0.1:${grpcPort}`,
  REDIS_URL: redis.url,
  NATS_URL: nats.url,
  JWT_SECRET: secret,
  RATE_LIMIT_MAX: "1000000000",
  LOG_LEVEL: "info",
};
const settle = () => new Promise((r) => setTimeout(r, 2000));
async function startGatewayProcess(variant: { flags?: string; build?: string } = {}) {
  const service = await startService("gateway", gatewayEnv, "ignore", {
    nodeArgs: list(variant.flags, " "),
    main: variant.build ? `${variant.build}/main.js` : undefined,
  });
  // In place: the CPU meters hold this array (and copies of `groups` share it).
  groups.gateway.splice(0, groups.gateway.length, service.child.pid ?? 0);
  return service;
}
const base = `http://127.0.0.1:${gatewayPort}`;
const groups = {
  gateway: [] as number[],
  wallet: [wallet.child.pid ?? 0],
  postgres: [cluster.pid],
  redis: [redis.pid],
  nats: [nats.pid()],
};

let gateway = await startGatewayProcess();
await settle();
const idleMb = processRss(groups.gateway[0]).rssMb;

async function api(token: string, method: string, path: string, body?: unknown, key?: string) {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (key) headers["idempotency-key"] = key;
  const res = await fetch(base + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as { data: { id: string } };
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json.data;
}

/** Fastify + jose + one Redis GET of `page`, as its own process. */
async function startCeiling(page: Buffer) {
  const client = new Redis(redis.url);
  await client.set("bench:page", page);
  client.disconnect();
  const server = await startBenchServer("./ceilingServer.ts", {
    BENCH_REDIS_URL: redis.url,
    BENCH_JWT_SECRET: secret,
    BENCH_PAGE_KEY: "bench:page",
  });
  return { ...server, url: `http://127.0.0.1:${server.port}/page` };
}

try {
  const run = randomUUID().slice(0, 8);
  const tokens: string[] = [];
  const wallets: string[] = [];
  for (let i = 0; i < WALLETS; i++) {
    // The funding side of a wallet: tokens carry the credit scope, as a payment backend's would.
    const token = await sign(`bench-${run}-${i}`, "wallet:credit");
    tokens.push(token);
    wallets.push((await api(token, "POST", "/api/wallets", { currency: "USD" })).id);
  }
  for (let i = 0; i < 25; i++) {
    await api(
      tokens[0],
      "POST",
      "/api/wallets/credit",
      { walletId: wallets[0], amount: 100 + i },
      `${run}-history-${i}`,
    );
  }
  const historyUrl = `${base}/api/transactions?walletId=${wallets[0]}&limit=20`;
  const auth = { authorization: `Bearer ${tokens[0]}` };
  await fetch(historyUrl, { headers: auth });
  const probe = await fetch(historyUrl, { headers: auth });
  const page = Buffer.from(await probe.arrayBuffer());
  console.log(
    `gateway benchmark: ${seconds} s per run; history page ${page.length} bytes, second read x-cache=${probe.headers.get("x-cache")}; ` +
      "fresh PostgreSQL cluster (fsync on), services from dist/ at log level info, wrk as the load",
  );

  const ceiling = await startCeiling(page);
  const withCeiling = { ...groups, ceiling: [ceiling.pid] };
  const cachedGet = (secs = seconds) =>
    wrk(
      "GET /api/transactions (cached), c50",
      historyUrl,
      { connections: 50, seconds: secs, headers: auth },
      withCeiling,
    );
  const ceilingGet = (secs = seconds) =>
    wrk(
      "Fastify + jose + Redis GET, same page, c50",
      ceiling.url,
      { connections: 50, seconds: secs, headers: auth },
      withCeiling,
    );
  // Every run gets its own Idempotency-Key prefix: a run reusing the previous run's keys would
  // measure replays, not credits.
  const creditLua = (nonce: string) => `
local tokens = { ${tokens.map(luaString).join(", ")} }
local wallets = { ${wallets.map(luaString).join(", ")} }
local counter = 0
local prefix = ""
local threads = 0
-- setup() runs in the main Lua state; each thread gets its own number for unique keys.
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function init(args)
  prefix = ${luaString(`${run}-${nonce}`)} .. "-" .. tostring(tid) .. "-"
end
function request()
  counter = counter + 1
  local i = (counter % #tokens) + 1
  return wrk.format("POST", "/api/wallets/credit", {
    ["authorization"] = "Bearer " .. tokens[i],
    ["content-type"] = "application/json",
    ["idempotency-key"] = prefix .. counter,
  }, '{"walletId":"' .. wallets[i] .. '","amount":1}')
end
`;
  const creditRun = (secs = seconds) =>
    wrk(
      "POST /api/wallets/credit, c32",
      `${base}/api/wallets/credit`,
      { connections: 32, seconds: secs, lua: creditLua(randomUUID().slice(0, 8)) },
      groups,
    );

  const rss = sampleRss(gatewayPort);
  const pid = groups.gateway[0];
  await cachedGet(3);
  const get = await cachedGet();
  const getCeiling = await ceilingGet();
  await creditRun(3);
  const credit = await creditRun();
  const peakMb = (await rss.stop()) / 1048576;
  const chain = ["gateway", "wallet", "postgres", "redis", "nats"].reduce(
    (sum, g) => sum + (credit.cpuPerOp[g] ?? 0),
    0,
  );
  const columns = ["gateway", "wallet", "postgres", "redis", "nats", "loadgen", "ceiling"];
  const rows: { m: Measurement; ceiling?: Measurement; note?: string }[] = [
    { m: get, ceiling: getCeiling },
    { m: getCeiling },
    { m: credit, note: `(CPU across the chain ${chain.toFixed(0)} µs per credit)` },
  ];
  printTable("same-run results (CPU in µs per request)", rows, columns);
  console.log(
    `gateway RSS: ${idleMb.toFixed(0)} MB idle after start-up; peak ${peakMb.toFixed(0)} MB sampled from /metrics ` +
      `during the measured runs, ${processRss(pid).peakMb.toFixed(0)} MB kernel high-water mark (VmHWM)`,
  );

  if (alternating) {
    const r = await alternate(
      3,
      () => cachedGet(),
      () => ceilingGet(),
    );
    printTable(
      "alternating ×3, cached GET",
      r.service.flatMap((m, i) => [{ m, ceiling: r.ceiling[i] }, { m: r.ceiling[i] }]),
      columns,
    );
    console.log(`median ratio, cached GET: ${r.medianRatio.toFixed(2)}`);
  }
  await ceiling.stop();

  if (flagSets.length > 0 || builds.length > 0) {
    const variants = (builds.length > 0 ? builds : [undefined]).flatMap((build) =>
      (flagSets.length > 0 ? flagSets : [undefined]).map((flags) => ({ build, flags })),
    );
    const name = (v: (typeof variants)[number]) => [v.build, v.flags].filter(Boolean).join(", ");
    type Run = { idle: number; peak: number; get: Measurement; credit: Measurement };
    const results = new Map<string, Run[]>();
    console.log(`\ngateway variants, ${rounds} rounds back to back, each a fresh gateway process`);
    console.log(
      `${"variant".padEnd(44)} round  idle MB  peak MB    GET/s  µs CPU/GET  credit/s  µs CPU/credit`,
    );
    /** A run's columns: idle and peak MB, then GET/s, µs CPU/GET, credit/s and µs CPU/credit. */
    const columns = (r: Run) => [
      r.idle,
      r.peak,
      rate(r.get),
      r.get.cpuPerOp.gateway,
      rate(r.credit),
      r.credit.cpuPerOp.gateway,
    ];
    const widths = [8, 8, 8, 11, 9, 14];
    const row = (label: string, round: string, values: number[]) => {
      const cells = values.map((v, i) => v.toFixed(0).padStart(widths[i]));
      console.log([label.padEnd(44), round.padStart(5), ...cells].join(" "));
    };
    await gateway.stop();
    for (let round = 1; round <= rounds; round++) {
      for (const variant of variants) {
        gateway = await startGatewayProcess(variant);
        await settle();
        const variantPid = groups.gateway[0];
        const idle = processRss(variantPid).rssMb;
        await cachedGet(3);
        const get = await cachedGet();
        await creditRun(3);
        const credit = await creditRun();
        const peak = processRss(variantPid).peakMb;
        await gateway.stop();
        const r = { idle, peak, get, credit };
        results.set(name(variant), [...(results.get(name(variant)) ?? []), r]);
        row(name(variant), String(round), columns(r));
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    console.log("medians per variant (idle, peak = VmHWM over start-up and load)");
    for (const [label, rs] of results) {
      const runs = rs.map(columns);
      const medians = widths.map((_, i) => median(runs.map((run) => run[i])));
      row(label, "med", medians);
    }
    gateway = await startGatewayProcess();
  }
} finally {
  await gateway.stop();
  await wallet.stop();
  await Promise.all([redis.stop(), nats.destroy()]);
  await db.drop().catch(() => {});
  await cluster.stop();
}
