/**
 * Ceilings measured in the same run as the services, on the same machine and servers:
 * - pgbench running the wallet's exact credit statement (same clients, prepared);
 * - a grpc-js server answering Credit with a fixed response, driven by h2load;
 * - Fastify + jose (key imported once) + one Redis GET of the same page (see ceilingServer.ts).
 */
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreditRequest } from "@wallet/contracts";
import pg from "pg";
import { CREDIT_SQL } from "../../services/wallet/src/store/postgres/balanceChange.js";
import { freePort, waitForPort } from "../lib/ports.js";
import { type LoadOutcome, type Measurement, measureLoad } from "./measure.js";

export function hasBinary(name: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * Prepares `bench_targets` (n → wallet id and owner) in the wallet's database and writes a
 * pgbench script running CREDIT_SQL with its parameters filled in by pgbench: the wallet `n`
 * (random over all targets, or always 0 for the hot wallet), fresh time-ordered ids like the
 * wallet's UUID v7, an idempotency key, and the same fingerprint and metadata for every call.
 */
export async function preparePgbenchCredit(
  dbUrl: string,
  wallets: { ownerId: string; walletId: string }[],
): Promise<{ script(hot: boolean): string }> {
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  try {
    await client.query(
      "CREATE TABLE IF NOT EXISTS bench_targets (n int PRIMARY KEY, wallet_id uuid NOT NULL, owner_id text NOT NULL)",
    );
    await client.query("TRUNCATE bench_targets");
    await client.query(
      "INSERT INTO bench_targets SELECT i - 1, w, o FROM unnest($1::uuid[], $2::text[]) WITH ORDINALITY AS t(w, o, i)",
      [wallets.map((w) => w.walletId), wallets.map((w) => w.ownerId)],
    );
    // A UUID v7 lookalike (time-ordered), so index inserts have the wallet's locality.
    await client.query(`
      CREATE OR REPLACE FUNCTION bench_uuid7() RETURNS uuid LANGUAGE sql VOLATILE AS $$
        SELECT (lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0')
                || '7' || substr(md5(random()::text), 1, 19))::uuid
      $$`);
  } finally {
    await client.end();
  }
  const params: Record<string, string> = {
    1: "(SELECT wallet_id FROM bench_targets WHERE n = :n)",
    2: "(SELECT owner_id FROM bench_targets WHERE n = :n)",
    3: "1",
    4: "bench_uuid7()",
    5: "bench_uuid7()::text",
    6: "'bench'",
    7: "'{}'",
    8: "bench_uuid7()",
    9: "NULL",
    10: "''",
  };
  const statement = CREDIT_SQL.replace(/\$(\d+)/g, (_, i: string) => params[i] ?? `$${i}`)
    .replace(/\s+/g, " ")
    .trim();
  return {
    script(hot) {
      const file = join(tmpdir(), `bench-credit-${hot ? "hot" : "spread"}.sql`);
      const pick = hot ? "\\set n 0" : `\\set n random(0, ${wallets.length - 1})`;
      writeFileSync(file, `${pick}\n${statement};\n`);
      return file;
    },
  };
}

/** pgbench output → ops/s; pgbench prints a latency average, not percentiles. */
function parsePgbench(out: string): LoadOutcome {
  const tx = Number(/number of transactions actually processed: (\d+)/.exec(out)?.[1] ?? 0);
  const failed = Number(/number of failed transactions: (\d+)/.exec(out)?.[1] ?? 0);
  const tps = Number(/tps = ([\d.]+)/.exec(out)?.[1] ?? 0);
  const avg = /latency average = ([\d.]+) ms/.exec(out)?.[1];
  return {
    ops: tx,
    seconds: tps > 0 ? tx / tps : 0,
    p50: Number.NaN,
    p99: Number.NaN,
    errors: failed,
    detail: avg ? `(latency avg ${avg} ms)` : undefined,
  };
}

export function pgbench(
  label: string,
  dbUrl: string,
  scriptFile: string,
  clients: number,
  seconds: number,
  groups: Record<string, number[]>,
): Promise<Measurement> {
  const url = new URL(dbUrl);
  return measureLoad(
    label,
    "pgbench",
    [
      ...["-h", url.hostname, "-p", url.port || "5432", "-U", decodeURIComponent(url.username || "postgres")],
      ...["-n", "-c", String(clients), "-j", "2", "-M", "prepared", "-T", String(seconds)],
      ...["-f", scriptFile, url.pathname.slice(1)],
    ],
    groups,
    parsePgbench,
  );
}

/** A ceiling server: a script of scripts/bench run from source as its own process on a free port. */
export async function startBenchServer(
  script: string,
  env: Record<string, string> = {},
): Promise<{ port: number; pid: number; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ["--conditions=source", "--import", "tsx", new URL(script, import.meta.url).pathname, String(port)],
    { stdio: "inherit", env: { ...process.env, ...env } },
  );
  await waitForPort(port, 30_000);
  return {
    port,
    pid: child.pid ?? 0,
    stop: async () => {
      child.kill("SIGTERM");
      await once(child, "exit");
    },
  };
}

/** Starts a grpc-js server (its own process) answering every Credit with a fixed response. */
export function startGrpcEcho() {
  return startBenchServer("./grpcEcho.ts");
}

/** h2load driving unary Credit calls (one connection, `streams` concurrent) at `port`. */
export function h2loadCredit(
  label: string,
  port: number,
  streams: number,
  seconds: number,
  groups: Record<string, number[]>,
): Promise<Measurement> {
  const message = CreditRequest.encode({
    ownerId: "bench-0",
    walletId: "0190f0c2-0000-7000-8000-000000000000",
    amount: 1n,
    idempotencyKey: "echo",
    metadata: {},
  }).finish();
  const body = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), message]);
  body.writeUInt32BE(message.length, 1);
  const file = join(tmpdir(), "bench-credit-request.bin");
  writeFileSync(file, body);
  return measureLoad(
    label,
    "h2load",
    [
      ...["-c", "1", "-m", String(streams), "-D", String(seconds), "-d", file],
      ...["-H", "content-type: application/grpc", "-H", "te: trailers"],
      `http://127.0.0.1:${port}/wallet.v1.WalletService/Credit`,
    ],
    groups,
    (out) => {
      const done = Number(/requests: \d+ total, \d+ started, (\d+) done/.exec(out)?.[1] ?? 0);
      const failed = Number(/(\d+) failed/.exec(out)?.[1] ?? 0);
      const secs = Number(/finished in ([\d.]+)s/.exec(out)?.[1] ?? seconds);
      const mean = /time for request:\s+\S+\s+\S+\s+(\S+)/.exec(out)?.[1];
      return {
        ops: done - failed,
        seconds: secs,
        p50: Number.NaN,
        p99: Number.NaN,
        errors: failed,
        detail: mean ? `(latency mean ${mean})` : undefined,
      };
    },
  );
}
