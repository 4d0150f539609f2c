/**
 * Event pipeline: Credit over gRPC (the wallet benchmark's load) -> outbox -> relay ->
 * JetStream -> notifier (log channel). Prints events/s acknowledged by the notifier,
 * commit -> delivered latency (transaction time to the notifier's ack) p50/p99, and the
 * largest outbox backlog and consumer lag seen. Services run from dist/ (`npm run build`).
 */
import { DeliverPolicy, jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { TransactionCommitted } from "@wallet/contracts";
import { EVENTS_STREAM } from "@wallet/runtime";
import { createWallets, driveCredits } from "../../services/wallet/bench/load.js";
import { startNats } from "../../test/support/nats.js";
import { freePort } from "../lib/ports.js";
import {
  benchSettings,
  benchWalletClient,
  dropDatabase,
  percentile,
  startBenchWallet,
  startService,
} from "./process.js";

const { dbUrl, seconds, clients } = benchSettings();
const nats = await startNats();
await dropDatabase(dbUrl);
const notifierAdmin = await freePort();
const wallet = await startBenchWallet(dbUrl, nats.url);
const { grpcPort, adminPort: walletAdmin } = wallet;
const notifier = await startService(
  "notifier",
  {
    NATS_URL: nats.url,
    NOTIFIER_ADMIN_PORT: String(notifierAdmin),
    NOTIFIER_CHANNELS: "log",
    LOG_LEVEL: "info",
  },
  "ignore",
);
const nc = await connect({ servers: nats.url });
// The notifier acks on $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>...: time each ack by sequence.
const ackedAt = new Map<number, number>();
nc.subscribe(`$JS.ACK.${EVENTS_STREAM}.notifier.>`, {
  callback: (_err, msg) => {
    const t = msg.subject.split(".");
    ackedAt.set(Number(t.length >= 12 ? t[7] : t[5]), Date.now());
  },
});

let maxBacklog = 0;
let maxLag = 0;
const watch = setInterval(async () => {
  const ready = await fetch(`http://127.0.0.1:${walletAdmin}/readyz`)
    .then((r) => r.json() as Promise<{ outboxBacklog?: number }>)
    .catch(() => null);
  maxBacklog = Math.max(maxBacklog, ready?.outboxBacklog ?? 0);
  const metrics = await fetch(`http://127.0.0.1:${notifierAdmin}/metrics`).then(
    (r) => r.text(),
    () => "",
  );
  const lag = /^notifier_consumer_pending_messages(?:\{[^}]*\})? (\d+)/m.exec(metrics);
  if (lag) maxLag = Math.max(maxLag, Number(lag[1]));
}, 500);

try {
  const client = await benchWalletClient(grpcPort);
  const targets = await createWallets(client, 1000);
  const started = Date.now();
  const load = await driveCredits(client, targets, clients, seconds);
  const committed = load.latencies.length;
  // Wait (bounded) for the pipeline to deliver everything that was committed.
  for (let i = 0; i < 600 && ackedAt.size < committed; i++) await new Promise((r) => setTimeout(r, 100));
  clearInterval(watch);
  // Commit times come from the events themselves, read back from the stream in order.
  const js = jetstream(nc);
  const reader = await js.consumers.get(EVENTS_STREAM, { deliver_policy: DeliverPolicy.All });
  const latencies: number[] = [];
  let deliveredDuringLoad = 0;
  const messages = await reader.fetch({ max_messages: 1_000_000, expires: 5000 });
  for await (const m of messages) {
    const ev = TransactionCommitted.decode(m.data);
    const at = ackedAt.get(m.seq);
    if (at !== undefined && ev.occurredAt) latencies.push(at - ev.occurredAt.getTime());
    if (at !== undefined && at <= started + seconds * 1000) deliveredDuringLoad++;
    if (m.info.pending === 0) break;
  }
  latencies.sort((a, b) => a - b);
  const drainMs = Math.max(...ackedAt.values()) - (started + seconds * 1000);
  console.log(`event pipeline: Credit load ${clients} clients for ${seconds} s, notifier log channel`);
  console.log(
    `  committed ${committed} (${load.rate.toFixed(0)}/s)  delivered ${ackedAt.size}  delivered during load ${(deliveredDuringLoad / seconds).toFixed(0)} events/s`,
  );
  console.log(
    `  commit -> delivered p50 ${percentile(latencies, 50).toFixed(1)} ms  p99 ${percentile(latencies, 99).toFixed(1)} ms  max outbox backlog ${maxBacklog}  max consumer lag ${maxLag}  drained ${Math.max(0, drainMs)} ms after load`,
  );
  client.close();
} finally {
  clearInterval(watch);
  await nc.close();
  await notifier.stop();
  await wallet.stop();
  await nats.destroy();
}
