/**
 * Wallet Credit over gRPC against a fresh PostgreSQL cluster with production durability
 * (fsync and synchronous_commit on), each result beside a ceiling measured in the same run:
 *
 * - 32 clients over 1,000 wallets  vs pgbench running the exact credit statement, 32 clients;
 * - 32 clients on one hot wallet    vs the same pgbench on one row;
 * - the same load                   vs a grpc-js server answering Credit with a fixed response
 *                                     under h2load (when h2load is installed);
 * - Transfer, 32 clients, 1,000 wallets in a ring   vs the same calls to a second wallet process
 *                                     on the same database with group commit off
 *                                     (WALLET_DB_BATCH_MAX=1): what grouping transfers gains.
 *
 * Prints ops/s, p50/p99, CPU µs per credit of the wallet, PostgreSQL, NATS and the load
 * generator (a lean node:http2 client in its own process), the ratio to the ceiling, and the
 * wallet's peak RSS. The wallet runs from dist/ with its production flags at log level info.
 *
 *   --alternate (or BENCH_ALTERNATE=1)  also run service and ceiling back to back three times; print the median ratio
 *   BENCH_SECONDS   per run (default 10); BENCH_CLIENTS (default 32)
 */
import { randomBytes, randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credentials, Metadata } from "@grpc/grpc-js";
import { type CreateWalletResponse, WalletServiceClient } from "@wallet/contracts";
import { SignJWT } from "jose";
import {
  h2loadCredit,
  hasBinary,
  pgbench,
  preparePgbenchCredit,
  startGrpcEcho,
} from "../../../scripts/bench/ceilings.js";
import type { LoadPlan, LoadResult } from "../../../scripts/bench/grpcLoad.js";
import { alternate, type Measurement, measureLoad, printTable } from "../../../scripts/bench/measure.js";
import { benchSettings, processRss, sampleRss, startBenchWallet } from "../../../scripts/bench/process.js";
import { startNats } from "../../../test/support/nats.js";
import { createDatabase, startPostgresCluster } from "../../../test/support/postgres.js";

const { seconds, clients } = benchSettings();
const alternating = process.argv.includes("--alternate") || process.env.BENCH_ALTERNATE === "1";
const secret = randomBytes(32).toString("base64url");
const token = await new SignJWT({ scope: "wallet:admin wallet:credit" })
  .setProtectedHeader({ alg: "HS256" })
  .setSubject("bench-operator")
  .setExpirationTime("2h")
  .sign(new TextEncoder().encode(secret));

const cluster = await startPostgresCluster({ durable: true });
const db = await createDatabase(cluster.url);
const nats = await startNats();
const wallet = await startBenchWallet(db.url, nats.url, { JWT_SECRET: secret });
// The same wallet with group commit off, for the transfer comparison; idle until then.
const ungrouped = await startBenchWallet(db.url, nats.url, { JWT_SECRET: secret, WALLET_DB_BATCH_MAX: "1" });
const { grpcPort, adminPort } = wallet;
const groups = { wallet: [wallet.child.pid ?? 0], postgres: [cluster.pid], nats: [nats.pid()] };
await new Promise((r) => setTimeout(r, 1000));
const idleMb = processRss(wallet.child.pid ?? 0).rssMb;

async function createWallets(count: number) {
  const client = new WalletServiceClient(`127.0.0.1:${grpcPort}`, credentials.createInsecure());
  const metadata = new Metadata();
  metadata.set("authorization", `Bearer ${token}`);
  const run = randomUUID().slice(0, 8);
  const created: { ownerId: string; walletId: string }[] = [];
  for (let i = 0; i < count; i++) {
    const ownerId = `bench-${run}-${i}`;
    const reply = await new Promise<CreateWalletResponse>((resolve, reject) =>
      client.createWallet({ ownerId, currency: "USD", ownerEmail: "" }, metadata, (err, res) =>
        err ? reject(err) : resolve(res),
      ),
    );
    created.push({ ownerId, walletId: reply.wallet?.id ?? "" });
    // Funds for the transfer runs.
    await new Promise((resolve, reject) =>
      client.credit(
        {
          ownerId,
          walletId: reply.wallet?.id ?? "",
          amount: 1_000_000n,
          idempotencyKey: randomUUID(),
          metadata: {},
        },
        metadata,
        (err, res) => (err ? reject(err) : resolve(res)),
      ),
    );
  }
  client.close();
  return created;
}

function credits(
  label: string,
  wallets: LoadPlan["wallets"],
  secs = seconds,
  target: { port: number; pid: number; method?: LoadPlan["method"] } = {
    port: grpcPort,
    pid: wallet.child.pid ?? 0,
  },
): Promise<Measurement> {
  const plan: LoadPlan = {
    target: `127.0.0.1:${target.port}`,
    token,
    seconds: secs,
    concurrency: clients,
    connections: 1,
    wallets,
    method: target.method,
  };
  const file = join(tmpdir(), `bench-plan-${randomUUID()}.json`);
  writeFileSync(file, JSON.stringify(plan));
  const script = new URL("../../../scripts/bench/grpcLoad.ts", import.meta.url).pathname;
  return measureLoad(
    label,
    process.execPath,
    ["--conditions=source", "--import", "tsx", script, file],
    { ...groups, wallet: [target.pid] },
    (out) => {
      const r = JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as LoadResult;
      const detail = r.errors > 0 ? `(grpc-status ${JSON.stringify(r.statuses)})` : undefined;
      return { ops: r.calls, seconds: r.seconds, p50: r.p50, p99: r.p99, errors: r.errors, detail };
    },
    { handshake: true },
  );
}

const columns = ["wallet", "postgres", "nats", "loadgen"];
try {
  const wallets = await createWallets(1000);
  const hot = wallets.slice(0, 1);
  const statement = await preparePgbenchCredit(db.url, wallets);
  const spreadCeiling = () =>
    pgbench(
      `pgbench credit statement, 1,000 rows, c${clients}`,
      db.url,
      statement.script(false),
      clients,
      seconds,
      groups,
    );
  const hotCeiling = () =>
    pgbench(
      `pgbench credit statement, one row, c${clients}`,
      db.url,
      statement.script(true),
      clients,
      seconds,
      groups,
    );

  console.log(
    `wallet benchmark: Credit over gRPC, ${clients} concurrent calls, ${seconds} s per run, ` +
      "fresh PostgreSQL cluster (fsync on, synchronous_commit on), wallet from dist/ at log level info",
  );
  await credits("warm-up", wallets, 3);
  const rss = sampleRss(adminPort);
  const spread = await credits(`wallet Credit, 1,000 wallets, c${clients}`, wallets);
  const spreadPg = await spreadCeiling();
  const hotRun = await credits(`wallet Credit, one hot wallet, c${clients}`, hot);
  const hotPg = await hotCeiling();
  const peakMb = (await rss.stop()) / 1048576;

  const rows: { m: Measurement; ceiling?: Measurement; note?: string }[] = [
    { m: spread, ceiling: spreadPg },
    { m: spreadPg },
    { m: hotRun, ceiling: hotPg },
    { m: hotPg },
  ];
  if (hasBinary("h2load")) {
    const echo = await startGrpcEcho();
    try {
      const echoRun = await h2loadCredit(
        `grpc-js Credit echo under h2load, c${clients}`,
        echo.port,
        clients,
        seconds,
        {
          ...groups,
          echo: [echo.pid],
        },
      );
      rows.push(
        { m: spread, ceiling: echoRun, note: "(the wallet's rate against pure gRPC)" },
        { m: echoRun },
      );
    } finally {
      await echo.stop();
    }
  } else {
    console.log("grpc-js echo ceiling skipped: h2load not installed (apt-get install nghttp2-client)");
  }
  const grouped = { port: grpcPort, pid: wallet.child.pid ?? 0, method: "transfer" as const };
  const single = { port: ungrouped.grpcPort, pid: ungrouped.child.pid ?? 0, method: "transfer" as const };
  const transferRun = await credits(`wallet Transfer, 1,000 wallets, c${clients}`, wallets, seconds, grouped);
  const transferOff = await credits(`  the same, group commit off`, wallets, seconds, single);
  rows.push({ m: transferRun, ceiling: transferOff, note: "(group commit on vs off)" }, { m: transferOff });
  printTable("same-run results (CPU in µs per operation)", rows, [...columns, "echo"]);
  console.log(
    `wallet RSS: ${idleMb.toFixed(0)} MB idle after start-up; peak ${peakMb.toFixed(0)} MB sampled from /metrics ` +
      `during the measured runs, ${processRss(wallet.child.pid ?? 0).peakMb.toFixed(0)} MB kernel high-water mark (VmHWM)`,
  );

  if (alternating) {
    for (const [name, service, ceiling] of [
      ["1,000 wallets", () => credits(`wallet Credit, 1,000 wallets, c${clients}`, wallets), spreadCeiling],
      ["one hot wallet", () => credits(`wallet Credit, one hot wallet, c${clients}`, hot), hotCeiling],
    ] as const) {
      const r = await alternate(3, service, ceiling);
      printTable(
        `alternating ×3, ${name}`,
        r.service.flatMap((m, i) => [{ m, ceiling: r.ceiling[i] }, { m: r.ceiling[i] }]),
        columns,
      );
      console.log(`median ratio, ${name}: ${r.medianRatio.toFixed(2)}`);
    }
  }
} finally {
  await wallet.stop();
  await ungrouped.stop();
  await nats.destroy();
  await db.drop().catch(() => {});
  await cluster.stop();
}
