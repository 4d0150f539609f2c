/**
 * Credit over gRPC against PostgreSQL: throughput, p50/p99 and the wallet's RSS for
 * 32 clients over 1,000 wallets and 32 clients on one hot wallet. The wallet runs as
 * its own process from dist/ (run `npm run build` first, or set BENCH_FROM_SOURCE=1);
 * the load comes from this one.
 *
 *   BENCH_DB_URL (default postgres://postgres@127.0.0.1:5432/wallet_bench, dropped first)
 *   BENCH_SECONDS (default 10), BENCH_CLIENTS (default 32)
 */
import { credentials } from "@grpc/grpc-js";
import { WalletServiceClient } from "@wallet/contracts";
import {
  benchSettings,
  dropDatabase,
  percentile,
  sampleRss,
  startService,
} from "../../../scripts/bench/process.js";
import { startNats } from "../../../test/support/nats.js";
import { freePort } from "../../../test/support/ports.js";
import { createWallets, driveCredits, type Target } from "./load.js";

const { dbUrl, seconds, clients } = benchSettings();

async function run(label: string, client: WalletServiceClient, targets: Target[], adminPort: number) {
  const rss = sampleRss(adminPort);
  const r = await driveCredits(client, targets, clients, seconds);
  const peak = await rss.stop();
  console.log(
    `${label.padEnd(26)} ${r.rate.toFixed(0).padStart(6)} credits/s  p50 ${percentile(r.latencies, 50).toFixed(2)} ms  p99 ${percentile(r.latencies, 99).toFixed(2)} ms  errors ${r.errors}  wallet RSS peak ${(peak / 1048576).toFixed(0)} MB`,
  );
}

const nats = await startNats();
await dropDatabase(dbUrl);
const grpcPort = await freePort();
const adminPort = await freePort();
const wallet = await startService(
  "wallet",
  {
    WALLET_DB_URL: dbUrl,
    WALLET_GRPC_PORT: String(grpcPort),
    WALLET_ADMIN_PORT: String(adminPort),
    NATS_URL: nats.url,
    LOG_LEVEL: "info",
  },
  "ignore",
);
try {
  const client = new WalletServiceClient(`127.0.0.1:${grpcPort}`, credentials.createInsecure());
  const wallets = await createWallets(client, 1000);
  console.log(
    `wallet benchmark: Credit over gRPC, ${clients} clients, ${seconds} s per run, PostgreSQL ${new URL(dbUrl).host}`,
  );
  await run("warm-up", client, wallets, adminPort);
  await run("credit, 1,000 wallets", client, wallets, adminPort);
  await run("credit, one hot wallet", client, wallets.slice(0, 1), adminPort);
  client.close();
} finally {
  await wallet.stop();
  await nats.destroy();
}
