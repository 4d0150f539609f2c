/**
 * Reference points for this machine, to read the platform's numbers against:
 * pgbench doing one UPDATE + one INSERT per transaction at 32 clients (when
 * pgbench is installed), Fastify + jose HS256 verification + one Redis GET, and
 * Fastify + one Redis GET, with the gateway benchmark's load generator.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import Fastify from "fastify";
import { Redis } from "ioredis";
import { jwtVerify, SignJWT } from "jose";
import { startRedis } from "../../test/support/redis.js";
import { benchSettings, dropDatabase } from "./process.js";

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const redisServer = await startRedis();
const redis = new Redis(redisServer.url);
await redis.set("page", JSON.stringify({ data: { items: [], nextCursor: null } }));
const secret = new TextEncoder().encode("reference-secret-of-at-least-32-chars!!");
const token = await new SignJWT({ sub: "alice" })
  .setProtectedHeader({ alg: "HS256" })
  .setExpirationTime("1h")
  .sign(secret);

async function measure(label: string, verify: boolean) {
  const app = Fastify({ logger: false });
  app.get("/page", async (request, reply) => {
    if (verify)
      await jwtVerify(String(request.headers.authorization).slice(7), secret, { algorithms: ["HS256"] });
    reply.type("application/json");
    return redis.get("page");
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const port = (app.server.address() as { port: number }).port;
  const r = await autocannon({
    url: `http://127.0.0.1:${port}/page`,
    connections: 50,
    duration: seconds,
    headers: { authorization: `Bearer ${token}` },
  });
  console.log(
    `${label.padEnd(40)} ${Math.round(r.requests.average).toString().padStart(6)} req/s  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms`,
  );
  await app.close();
}

async function pgbench() {
  const url = new URL(benchSettings().dbUrl);
  url.pathname = "/wallet_reference";
  await dropDatabase(url.toString()).catch(() => {});
  const script = join(tmpdir(), "reference-update-insert.sql");
  writeFileSync(
    script,
    "\\set aid random(1, 100000)\nBEGIN;\nUPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :aid;\n" +
      "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, :aid, 1, now());\nEND;\n",
  );
  const conn = ["-h", url.hostname, "-p", url.port || "5432", "-U", url.username || "postgres"];
  try {
    execFileSync("psql", [...conn, "-d", "postgres", "-qc", "CREATE DATABASE wallet_reference"], {
      stdio: "ignore",
    });
    execFileSync("pgbench", [...conn, "-i", "-q", "-s", "1", "wallet_reference"], { stdio: "ignore" });
    const out = execFileSync(
      "pgbench",
      [
        ...conn,
        "-n",
        "-c",
        "32",
        "-j",
        "2",
        "-M",
        "prepared",
        "-T",
        String(seconds),
        "-f",
        script,
        "wallet_reference",
      ],
      { encoding: "utf8" },
    );
    const tps = /tps = ([\d.]+)/.exec(out)?.[1];
    console.log(
      `${"pgbench UPDATE + INSERT, 32 clients".padEnd(40)} ${Math.round(Number(tps)).toString().padStart(6)} tps`,
    );
  } catch (err) {
    console.log(`pgbench reference skipped: ${(err as Error).message.split("\n")[0]}`);
  }
}

try {
  console.log(`reference (this machine, ${seconds} s per run)`);
  await pgbench();
  await measure("Fastify + jose HS256 + one Redis GET", true);
  await measure("Fastify + one Redis GET", false);
} finally {
  redis.disconnect();
  await redisServer.stop();
}
