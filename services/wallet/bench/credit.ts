/**
 * Credit over gRPC against PostgreSQL: throughput, p50/p99 and the wallet's RSS for
 * 32 clients over 1,000 wallets and 32 clients on one hot wallet. The wallet runs as
 * its own process from dist/ (run `npm run build` first); the load comes from this one.
 *
 *   BENCH_DB_URL (default postgres://postgres@127.0.0.1:5432/wallet_bench)
 *   BENCH_SECONDS (default 10), BENCH_CLIENTS (default 32)
 */
import { randomUUID } from "node:crypto";
import { credentials } from "@grpc/grpc-js";
import { WalletServiceClient } from "@wallet/contracts";
import pg from "pg";
import { startNats } from "../../../test/support/nats.js";
import { freePort } from "../../../test/support/ports.js";
import { call } from "../test/harness.js";
import { percentile, sampleRss, startService } from "./process.js";

const dbUrl = process.env.BENCH_DB_URL ?? "postgres://postgres@127.0.0.1:5432/wallet_bench";
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const clients = Number(process.env.BENCH_CLIENTS ?? 32);

async function resetDatabase(url: string) {
  const admin = new URL(url);
  const name = admin.pathname.slice(1);
  admin.pathname = "/postgres";
  const c = new pg.Client({ connectionString: admin.toString() });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await c.end();
}

async function run(
  label: string,
  client: WalletServiceClient,
  targets: Array<{ ownerId: string; walletId: string }>,
  adminPort: number,
) {
  const latencies: number[] = [];
  let errors = 0;
  const rss = sampleRss(adminPort);
  const deadline = Date.now() + seconds * 1000;
  const worker = async (n: number) => {
    for (let i = n; Date.now() < deadline; i += clients) {
      const t = targets[i % targets.length];
      const started = performance.now();
      try {
        await call(client, client.credit, { ...t, amount: 1n, idempotencyKey: randomUUID(), metadata: {} });
        latencies.push(performance.now() - started);
      } catch {
        errors++;
      }
    }
  };
  const began = performance.now();
  await Promise.all(Array.from({ length: clients }, (_, n) => worker(n)));
  const elapsed = (performance.now() - began) / 1000;
  latencies.sort((a, b) => a - b);
  const peak = await rss.stop();
  console.log(
    `${label.padEnd(34)} ${(latencies.length / elapsed).toFixed(0).padStart(6)} credits/s  p50 ${percentile(latencies, 50).toFixed(2)} ms  p99 ${percentile(latencies, 99).toFixed(2)} ms  errors ${errors}  wallet RSS peak ${(peak / 1048576).toFixed(0)} MB`,
  );
}

const nats = await startNats();
await resetDatabase(dbUrl);
const grpcPort = await freePort();
const adminPort = await freePort();
const wallet = await startService("wallet", {
  WALLET_DB_URL: dbUrl,
  WALLET_GRPC_PORT: String(grpcPort),
  WALLET_ADMIN_PORT: String(adminPort),
  WALLET_DB_POOL_SIZE: process.env.WALLET_DB_POOL_SIZE ?? "20",
  NATS_URL: nats.url,
  LOG_LEVEL: "warn",
});
try {
  const client = new WalletServiceClient(`127.0.0.1:${grpcPort}`, credentials.createInsecure());
  const wallets = [];
  for (let i = 0; i < 1000; i++) {
    const ownerId = `bench-${i}`;
    const w = await call(client, client.createWallet, { ownerId, currency: "USD", ownerEmail: "" });
    wallets.push({ ownerId, walletId: w.wallet!.id });
  }
  console.log(
    `wallet benchmark: ${clients} clients, ${seconds} s per run, PostgreSQL ${new URL(dbUrl).host}`,
  );
  await run("warm-up", client, wallets, adminPort);
  await run("credit, 1,000 wallets", client, wallets, adminPort);
  await run("credit, one hot wallet", client, wallets.slice(0, 1), adminPort);
  client.close();
} finally {
  await wallet.stop();
  await nats.destroy();
}
