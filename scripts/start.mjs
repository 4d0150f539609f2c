// Runs wallet, notifier and gateway from their built dist/ against local infrastructure,
// with one readable log stream, and stops them all cleanly on Ctrl-C.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { createInterface } from "node:readline";

// Development mode (the public development JWT secret, plaintext gRPC, brokers without credentials),
// so every listener defaults to loopback: anyone who can reach a port could mint tokens with that secret.
const env = {
  DEV_MODE: "true",
  GATEWAY_HOST: "127.0.0.1",
  WALLET_GRPC_HOST: "127.0.0.1",
  WALLET_ADMIN_HOST: "127.0.0.1",
  NOTIFIER_ADMIN_HOST: "127.0.0.1",
  ...process.env,
};
const dbUrl = env.WALLET_DB_URL ?? "postgres://postgres@127.0.0.1:5432/wallet";
const needs = [
  {
    name: dbUrl.startsWith("mongodb") ? "MongoDB" : "PostgreSQL",
    url: dbUrl,
    defaultPort: dbUrl.startsWith("mongodb") ? 27017 : 5432,
    hint: dbUrl.startsWith("mongodb")
      ? "start a replica set (docker compose up -d mongo) or point WALLET_DB_URL at one"
      : "start it: pg_ctlcluster 15 main start (or docker compose --profile postgres up -d postgres)",
  },
  {
    name: "Redis",
    url: env.REDIS_URL ?? "redis://127.0.0.1:6379",
    defaultPort: 6379,
    hint:
      "start it: redis-server --daemonize yes (or docker compose up -d redis, with " +
      "REDIS_URL=redis://default:dev-redis-password-change-me@127.0.0.1:6379)",
  },
  {
    name: "NATS JetStream",
    url: env.NATS_URL ?? "nats://127.0.0.1:4222",
    defaultPort: 4222,
    hint:
      "start it: nats-server -js -sd /tmp/nats & (or docker compose up -d nats, with " +
      "NATS_USER=wallet NATS_PASSWORD=dev-nats-password-change-me)",
  },
];

const reachable = ({ url, defaultPort }) => {
  const u = new URL(url.replace(/^mongodb\+srv:/, "mongodb:"));
  const host = (u.hostname || "127.0.0.1").replace(/^\[|\]$/g, "");
  const port = Number(u.port || defaultPort);
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: 2000 });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("timeout", () => {
      s.destroy();
      resolve(false);
    });
    s.once("error", () => resolve(false));
  });
};

const missing = [];
for (const need of needs) if (!(await reachable(need))) missing.push(need);
if (missing.length > 0) {
  for (const m of missing) console.error(`✗ ${m.name} is not reachable at ${m.url}\n  ${m.hint}`);
  process.exit(1);
}

const COLORS = { wallet: 36, notifier: 35, gateway: 33 };
const LEVELS = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };
const SKIP = new Set(["level", "time", "service", "msg", "pid", "hostname"]);
const pretty = (service, line) => {
  let text = line;
  try {
    const rec = JSON.parse(line);
    const level = typeof rec.level === "number" ? LEVELS[rec.level] : String(rec.level ?? "").toUpperCase();
    const extra = Object.entries(rec)
      .filter(([k]) => !SKIP.has(k))
      .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`)
      .join(" ");
    text = `${level.padEnd(5)} ${rec.msg ?? ""}${extra ? `  ${extra}` : ""}`;
  } catch {}
  const time = new Date().toISOString().slice(11, 23);
  process.stdout.write(`${time} \x1b[${COLORS[service]}m${service.padEnd(8)}\x1b[0m ${text}\n`);
};

// Each service's node flags (heap sizing) come from its own `npm start` script.
const nodeFlags = (service) =>
  JSON.parse(readFileSync(`services/${service}/package.json`, "utf8"))
    .scripts.start.split(/\s+/)
    .filter((arg) => arg.startsWith("--"));

const children = new Map();
let stopping = false;
const start = (service) => {
  const child = spawn(process.execPath, [...nodeFlags(service), `services/${service}/dist/main.js`], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.set(service, child);
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on("line", (line) => pretty(service, line));
  }
  child.on("exit", (code, signal) => {
    children.delete(service);
    pretty(service, `exited (${signal ?? code})`);
    if (!stopping) shutdown(code === 0 ? 1 : (code ?? 1));
    else if (children.size === 0) process.exit(exitCode);
  });
};

let exitCode = 0;
const shutdown = (code = 0) => {
  if (stopping) return;
  stopping = true;
  exitCode = code;
  console.log("\nstopping: SIGTERM to every service (in-flight work finishes first)");
  for (const child of children.values()) child.kill("SIGTERM");
  if (children.size === 0) process.exit(code);
};
process.on("SIGINT", () => shutdown(0));
process.on("SIGTERM", () => shutdown(0));

if (env.DEV_MODE === "true" || env.DEV_MODE === "1") {
  console.log(
    "DEV_MODE=true: development mode (public development JWT secret unless JWT_SECRET is set, plaintext gRPC, " +
      "brokers without credentials unless configured); listening on 127.0.0.1 only",
  );
}
for (const service of ["wallet", "notifier", "gateway"]) start(service);
console.log(
  "platform starting: gateway http://127.0.0.1:3000 (docs at /docs), wallet gRPC 127.0.0.1:50051 — Ctrl-C stops",
);
