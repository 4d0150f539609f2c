import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { credentials, InterceptingCall } from "@grpc/grpc-js";
import { ADMIN_SCOPE, mintToken } from "@wallet/auth";
import { WalletServiceClient } from "@wallet/contracts";
import { freePort, waitForPort } from "../lib/ports.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

/**
 * A gRPC client for a benchmark wallet whose every call carries an operator token
 * (wallet:admin: any owner, may credit) signed with `jwtSecret` (undefined: the
 * development secret, which a DEV_MODE wallet without JWT_SECRET uses).
 */
export async function benchWalletClient(port: number, jwtSecret?: string): Promise<WalletServiceClient> {
  const token = await mintToken(
    { JWT_SECRET: jwtSecret },
    { sub: "bench", scope: ADMIN_SCOPE, ttlSeconds: 86_400 },
  );
  return new WalletServiceClient(`127.0.0.1:${port}`, credentials.createInsecure(), {
    interceptors: [
      (options, nextCall) =>
        new InterceptingCall(nextCall(options), {
          start(metadata, listener, next) {
            metadata.set("authorization", `Bearer ${token}`);
            next(metadata, listener);
          },
        }),
    ],
  });
}

/** Runs a built service (services/<name>/dist/main.js) as a child process. */
export async function startService(
  name: string,
  env: Record<string, string>,
  output: "inherit" | "ignore" = "inherit",
  variant: { nodeArgs?: string[]; main?: string } = {},
): Promise<{ child: ChildProcess; stop(): Promise<void> }> {
  // BENCH_FROM_SOURCE=1 runs the TypeScript sources (no build needed); otherwise the built dist/.
  // BENCH_NODE_ARGS passes node flags to the service, e.g. "--cpu-prof" to profile it.
  // The service's own `npm start` flags come first, so the benchmark measures what production runs;
  // `variant.nodeArgs` come last (V8 takes the last value of a repeated flag), and `variant.main`
  // replaces dist/main.js (a path under services/<name>/), for comparing builds in one run.
  const pkg = JSON.parse(readFileSync(`${root}services/${name}/package.json`, "utf8"));
  const startFlags = String(pkg.scripts.start)
    .split(/\s+/)
    .filter((a) => a.startsWith("--"));
  const nodeArgs = [
    ...startFlags,
    ...(process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean),
    ...(variant.nodeArgs ?? []),
  ];
  const args = process.env.BENCH_FROM_SOURCE
    ? [...nodeArgs, "--conditions=source", "--import", "tsx", `${root}services/${name}/src/main.ts`]
    : [...nodeArgs, `${root}services/${name}/${variant.main ?? "dist/main.js"}`];
  const child = spawn(process.execPath, args, {
    // Benchmarks run local development setups: plaintext gRPC, brokers without credentials.
    env: { DEV_MODE: "true", ...process.env, ...env },
    stdio: ["ignore", output, "inherit"],
  });
  const port = Number(env.WALLET_GRPC_PORT ?? env.GATEWAY_PORT ?? env.NOTIFIER_ADMIN_PORT);
  await waitForPort(port, 30_000);
  return {
    child,
    stop: () =>
      new Promise((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/**
 * The wallet as the benchmarks run it: from dist/ at log level info, gRPC and admin on free
 * loopback ports; `extra` adds settings (JWT_SECRET for token-checked calls).
 */
export async function startBenchWallet(dbUrl: string, natsUrl: string, extra: Record<string, string> = {}) {
  const [grpcPort, adminPort] = [await freePort(), await freePort()];
  const service = await startService(
    "wallet",
    {
      WALLET_DB_URL: dbUrl,
      WALLET_GRPC_HOST: "127.0.0.1",
      WALLET_GRPC_PORT: String(grpcPort),
      WALLET_ADMIN_HOST: "127.0.0.1",
      WALLET_ADMIN_PORT: String(adminPort),
      NATS_URL: natsUrl,
      LOG_LEVEL: "info",
      ...extra,
    },
    "ignore",
  );
  return { ...service, grpcPort, adminPort };
}

/** A process's resident set now and its high-water mark since it started (VmRSS, VmHWM), in MB. */
export function processRss(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { rssMb: kb("VmRSS") / 1024, peakMb: kb("VmHWM") / 1024 };
}

/** Polls process_resident_memory_bytes from an admin /metrics endpoint; stop() gives the peak. */
export function sampleRss(port: number, path = "/metrics") {
  let peak = 0;
  const tick = async () => {
    const text = await fetch(`http://127.0.0.1:${port}${path}`).then(
      (r) => r.text(),
      () => "",
    );
    const m = /^process_resident_memory_bytes(?:\{[^}]*\})? (\d+)/m.exec(text);
    if (m) peak = Math.max(peak, Number(m[1]));
  };
  const timer = setInterval(() => void tick(), 500);
  return {
    stop: async () => {
      clearInterval(timer);
      await tick();
      return peak;
    },
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Settings shared by the benchmarks, from the environment. */
export function benchSettings() {
  return {
    dbUrl: process.env.BENCH_DB_URL ?? "postgres://postgres@127.0.0.1:5432/wallet_bench",
    seconds: Number(process.env.BENCH_SECONDS ?? 10),
    clients: Number(process.env.BENCH_CLIENTS ?? 32),
  };
}

/** Drops the benchmark database so every run starts empty (the wallet creates it again). */
export async function dropDatabase(url: string): Promise<void> {
  const { default: pg } = await import("pg");
  const admin = new URL(url);
  const name = admin.pathname.slice(1);
  admin.pathname = "/postgres";
  const c = new pg.Client({ connectionString: admin.toString() });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await c.end();
}
