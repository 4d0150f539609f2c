/**
 * Notifier throughput and memory: a private nats-server, the built notifier
 * (dist/main.js, run with the node flags of its `npm start` and Dockerfile) as a child
 * process, TransactionCommitted events published as the wallet does. Phase 1 publishes
 * a burst and measures delivered events/s and the notifier's peak RSS; phase 2
 * publishes at a steady rate below capacity and measures publish -> ack latency.
 * Acks are observed on the `$JS.ACK` subjects the notifier answers on. With the
 * webhook channel (the default) the receiver is a local HTTP server in a child
 * process of its own, answering 204 at once.
 *
 *   npm run build && npm run bench -w services/notifier
 *   BENCH_EVENTS=20000 BENCH_RATE=1000 BENCH_PACED_SECONDS=5 BENCH_CHANNEL=webhook|log
 *   BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" npm run bench -w services/notifier
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { ensureWalletStreams } from "@wallet/runtime";
import { freePort, waitForPort } from "../../../scripts/lib/ports.js";
import { startNats } from "../../../test/support/nats.js";
import { publishEvent, transactionCommitted } from "../test/support/events.js";
import { WEBHOOK_SECRET } from "../test/support/harness.js";

const BURST = Number(process.env.BENCH_EVENTS ?? 20_000);
const RATE = Number(process.env.BENCH_RATE ?? 1_000);
const PACED_SECONDS = Number(process.env.BENCH_PACED_SECONDS ?? 5);
const CHANNEL = process.env.BENCH_CHANNEL ?? "webhook";
const PUBLISH_WINDOW = 256;
const serviceDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const main = join(serviceDir, "dist/main.js");
if (!existsSync(main)) throw new Error(`${main} not found: run \`npm run build\` first`);

// The production node flags, from the service's start script.
const pkg = JSON.parse(readFileSync(join(serviceDir, "package.json"), "utf8"));
const startFlags = String(pkg.scripts.start)
  .split(/\s+/)
  .filter((a) => a.startsWith("--"));

const nats = await startNats();
const nc = await connect({ servers: nats.url });
const js = jetstream(nc);
await ensureWalletStreams(await jetstreamManager(nc), 1);

// The webhook receiver: a separate process, so its work does not skew the publisher's timing.
const receiverPort = await freePort();
const receiver = spawn(
  process.execPath,
  [
    "-e",
    `require("node:http").createServer((req, res) => { req.resume(); req.on("end", () => { res.writeHead(204); res.end(); }); }).listen(${receiverPort}, "127.0.0.1");`,
  ],
  { stdio: "inherit" },
);
await waitForPort(receiverPort);

// Stream sequence -> publish / ack time; the ack subject carries the stream sequence.
// An ack can arrive before the publisher has seen its PubAck, so both sides are kept.
const publishedAt = new Map<number, number>();
const ackedAt = new Map<number, number>();
let acked = 0;
let lastAckAt = 0;
const acks = nc.subscribe("$JS.ACK.WALLET_EVENTS.notifier.>", {
  callback: (_err, msg) => {
    if (msg.string() !== "+ACK") return;
    const tokens = msg.subject.split(".");
    // $JS.ACK.<stream>.<consumer>.<delivered>.<streamSeq>... (v1) or with domain/account hash (v2).
    const seq = Number(tokens.length >= 12 ? tokens[7] : tokens[5]);
    if (ackedAt.has(seq)) return;
    lastAckAt = performance.now();
    ackedAt.set(seq, lastAckAt);
    acked++;
  },
});

const adminPort = await freePort();
// BENCH_NODE_ARGS passes extra flags to the notifier's node, e.g. "--cpu-prof" to profile it.
const extraNodeArgs = (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean);
const child = spawn(process.execPath, [...startFlags, ...extraNodeArgs, main], {
  cwd: serviceDir,
  env: {
    ...process.env,
    NODE_ENV: "production",
    DEV_MODE: "true",
    NATS_URL: nats.url,
    NOTIFIER_ADMIN_HOST: "127.0.0.1",
    NOTIFIER_ADMIN_PORT: String(adminPort),
    NOTIFIER_CHANNELS: CHANNEL,
    NOTIFIER_WEBHOOK_URL: `http://127.0.0.1:${receiverPort}/hooks/wallet`,
    NOTIFIER_WEBHOOK_SECRET: WEBHOOK_SECRET,
    LOG_LEVEL: "info",
  },
  stdio: ["ignore", "ignore", "inherit"],
});
await waitForPort(adminPort, 20_000);
await waitReady(adminPort);

// Peak RSS: the kernel's high-water mark of the notifier process.
function childRss(): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMb: kb("VmRSS") / 1024, peakMb: kb("VmHWM") / 1024 };
}

/** CPU time the notifier process has used so far, in ms (user + system). */
function childCpuMs(): number {
  const fields = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1].split(" ");
  // utime and stime are fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100/s).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function publishAll(count: number, ratePerSecond?: number): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    if (ratePerSecond) {
      const due = started + (i * 1000) / ratePerSecond;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    }
    while (inFlight.size >= PUBLISH_WINDOW) await Promise.race(inFlight);
    const sent = performance.now();
    const p = publishEvent(js, transactionCommitted({ ownerEmail: "" }))
      .then((ack) => {
        publishedAt.set(ack.seq, sent);
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
}

async function waitAcked(target: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (acked < target) {
    if (Date.now() > deadline) throw new Error(`only ${acked}/${target} events acked in time`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Publish -> ack latencies of the events published so far, forgetting them for the next phase. */
function takeLatencies(): number[] {
  const out: number[] = [];
  for (const [seq, sent] of publishedAt) {
    const ack = ackedAt.get(seq);
    if (ack !== undefined) out.push(ack - sent);
  }
  publishedAt.clear();
  return out;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

try {
  const atStart = childRss();
  const cpuAtStart = childCpuMs();
  const t0 = performance.now();
  await publishAll(BURST);
  const publishedIn = performance.now() - t0;
  await waitAcked(BURST, 300_000);
  const burstSeconds = (lastAckAt - t0) / 1000;
  const burstLatency = takeLatencies();
  const afterBurst = childRss();
  const burstCpuMs = childCpuMs() - cpuAtStart;

  const pacedCount = RATE * PACED_SECONDS;
  await publishAll(pacedCount, RATE);
  await waitAcked(BURST + pacedCount, 120_000);
  const memory = childRss();
  const latencies = takeLatencies();

  const f = (n: number) => n.toFixed(1);
  console.log(
    `notifier (dist, node ${[...startFlags, ...extraNodeArgs].join(" ")}), ${CHANNEL} channel${CHANNEL === "webhook" ? " to a local receiver answering 204" : ""}`,
  );
  console.log(
    `burst: ${BURST} events published in ${f(publishedIn)} ms (${Math.round(BURST / (publishedIn / 1000))}/s)`,
  );
  console.log(`burst: delivered + acked ${Math.round(BURST / burstSeconds)} events/s (${f(burstSeconds)} s)`);
  console.log(
    `burst: notifier CPU ${f(burstCpuMs / 1000)} s, ${f((burstCpuMs * 1000) / BURST)} µs per event (machine load does not change it much)`,
  );
  console.log(
    `burst: publish->ack p50 ${f(percentile(burstLatency, 50))} ms, p99 ${f(percentile(burstLatency, 99))} ms (includes queueing behind the burst)`,
  );
  console.log(
    `paced ${RATE}/s for ${PACED_SECONDS} s: publish->ack p50 ${f(percentile(latencies, 50))} ms, p99 ${f(percentile(latencies, 99))} ms`,
  );
  console.log(
    `notifier RSS: ${f(atStart.rssMb)} MB idle, ${f(afterBurst.rssMb)} MB after burst (peak during burst ${f(afterBurst.peakMb)} MB), ${f(memory.rssMb)} MB at end, peak ${f(memory.peakMb)} MB`,
  );
} finally {
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  child.kill("SIGTERM");
  const code = await exited;
  if (code !== 0) console.error(`notifier exited with ${code}`);
  receiver.kill("SIGTERM");
  acks.unsubscribe();
  await nc.close();
  await nats.destroy();
}

async function waitReady(port: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
    if (res?.status === 200) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("notifier did not become ready");
}
