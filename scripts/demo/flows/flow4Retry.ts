import { AckPolicy, DeliverPolicy, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { EVENTS_STREAM, EVENTS_SUBJECTS } from "@wallet/runtime";
import { freePort } from "../../lib/ports.js";
import { spawnService, waitUntilReady } from "../../lib/serviceProcess.js";
import { type ReceivedWebhook, startWebhookReceiver } from "../../lib/webhookReceiver.js";
import type { Session } from "../session.js";
import { check, heading, say } from "../transcript.js";

const BACKOFF_BASE_MS = 2000;

/**
 * Flow 4: a webhook that fails twice, then succeeds. A short-lived notifier of the
 * demo's own (its own durable consumer, starting at new events) delivers to a local
 * receiver; JetStream redelivers after 2 s, then 4 s.
 */
export async function flow4Retry(s: Session): Promise<void> {
  heading(
    "Flow 4",
    "Background notification with retry",
    "The notifier consumes TransactionCommitted from JetStream and POSTs a signed webhook. This receiver fails the first two attempts (HTTP 503); each failure is a nak with an exponential delay (2 s, then 4 s), and the third attempt succeeds. A demo notifier runs for this flow only, with its own consumer and NOTIFIER_BACKOFF_BASE_MS=2000.",
  );
  const marker = `flow-4-${s.runId}`;
  const attempts: ReceivedWebhook[] = [];
  const receiver = await startWebhookReceiver((d) => {
    if (d.json?.data?.metadata?.demo !== marker) return { status: 204 };
    const n = attempts.length + 1;
    attempts.push({ ...d, status: n <= 2 ? 503 : 204 });
    return { status: n <= 2 ? 503 : 204 };
  });
  const consumer = `demo-flow4-${s.runId}`;
  const nc = await connect({ servers: s.config.natsUrl, ...s.config.natsAuth, name: "demo", timeout: 3000 });
  const jsm = await jetstreamManager(nc);
  // Created here first so that it starts at new events instead of replaying the stream's history.
  await jsm.consumers.add(EVENTS_STREAM, {
    durable_name: consumer,
    filter_subject: EVENTS_SUBJECTS,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.New,
  });
  const adminPort = await freePort();
  const notifier = spawnService("notifier", {
    ...s.config.serviceEnv,
    NATS_URL: s.config.natsUrl,
    NOTIFIER_CONSUMER_NAME: consumer,
    NOTIFIER_CHANNELS: "webhook",
    NOTIFIER_WEBHOOK_URL: receiver.url,
    NOTIFIER_WEBHOOK_SECRET: receiver.secret,
    NOTIFIER_BACKOFF_BASE_MS: String(BACKOFF_BASE_MS),
    NOTIFIER_ADMIN_HOST: "127.0.0.1",
    NOTIFIER_ADMIN_PORT: String(adminPort),
    SHUTDOWN_GRACE_MS: "10000",
  });
  try {
    say(`demo notifier (pid ${notifier.pid}): consumer ${consumer}, webhook → ${receiver.url}`);
    await waitUntilReady(notifier, `http://127.0.0.1:${adminPort}/readyz`, 30_000);
    const res = await s.call("POST", "/api/wallets/credit", {
      token: s.user.token,
      body: { walletId: s.user.walletId, amount: 100, metadata: { demo: marker } },
      headers: { "idempotency-key": s.key("flow-4") },
    });
    check(res.status === 200, "credit committed; the notification runs in the background");

    const deadline = Date.now() + 20_000;
    while (!(attempts.length >= 3 || Date.now() > deadline)) await new Promise((r) => setTimeout(r, 50));
    const t0 = attempts[0]?.receivedAt ?? 0;
    for (const [i, a] of attempts.entries()) {
      const gap = i === 0 ? "" : `  (+${((a.receivedAt - attempts[i - 1]!.receivedAt) / 1000).toFixed(1)} s)`;
      const verdict = a.status >= 300 ? "receiver fails on purpose" : "delivered";
      say(
        `attempt ${i + 1} at ${((a.receivedAt - t0) / 1000).toFixed(1).padStart(4)} s${gap.padEnd(11)} → HTTP ${a.status} ${verdict}   webhook-id ${a.webhookId}, signature ${a.signatureValid ? "valid" : "INVALID"}`,
      );
    }
    for (const line of notifier.logs.filter((l) => l.msg === "delivery failed, retry scheduled")) {
      say(
        `notifier log: "${line.msg}" attempt=${line.attempt} retryInMs=${line.retryInMs} reason="${line.reason}"`,
      );
    }
    const gaps = attempts.slice(1).map((a, i) => (a.receivedAt - attempts[i]!.receivedAt) / 1000);
    check(attempts.length === 3 && attempts[2]!.status === 204, "three attempts: fail, fail, success");
    check(
      gaps[0] !== undefined && gaps[0] >= 1.5 && gaps[0] < 3.5,
      `retry #1 after ~2 s (${gaps[0]?.toFixed(1)} s)`,
    );
    check(
      gaps[1] !== undefined && gaps[1] >= 3.5 && gaps[1] < 6,
      `retry #2 after ~4 s (${gaps[1]?.toFixed(1)} s)`,
    );
    check(
      attempts.every((a) => a.signatureValid && a.webhookId === attempts[0]!.webhookId),
      "every attempt is the same event (one webhook-id) with a valid Standard Webhooks signature",
    );
  } finally {
    const exit = await notifier.stop("SIGTERM", 15_000);
    check(exit.code === 0, `demo notifier stopped (exit ${exit.signal ?? exit.code})`);
    await jsm.consumers.delete(EVENTS_STREAM, consumer).catch(() => false);
    await nc.close();
    await receiver.close();
    say(`consumer ${consumer} deleted`);
  }
}
