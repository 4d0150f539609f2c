import { EVENTS_STREAM } from "@wallet/runtime";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WebhookReceiver } from "../../../scripts/lib/webhookReceiver.js";
import { waitUntil } from "../../../test/support/wait.js";
import { publishEvent, transactionCommitted } from "./support/events.js";
import {
  allChannels,
  logChannelLines,
  type NatsFixture,
  type Sinks,
  settle,
  startSinks,
  startTestNotifier,
  type TestNotifier,
  WEBHOOK_SECRET,
} from "./support/harness.js";
import type { SmtpSink } from "./support/smtpSink.js";

describe("notifier delivery", () => {
  let sinks: Sinks;
  let fx: NatsFixture;
  let receiver: WebhookReceiver;
  let smtp: SmtpSink;
  let notifier: TestNotifier;

  beforeAll(async () => {
    sinks = await startSinks();
    ({ fx, receiver, smtp } = sinks);
    notifier = await startTestNotifier(fx.nats.url, allChannels(sinks));
  });

  afterAll(async () => {
    await notifier?.stop();
    await sinks?.close();
  });

  it("delivery - N events give exactly N deliveries per channel, signed and correlated", async () => {
    const n = 25;
    const events = Array.from({ length: n }, (_, i) =>
      transactionCommitted({ ownerEmail: i === 0 ? "" : `owner${i}@example.test`, amount: BigInt(100 + i) }),
    );
    for (const ev of events) await publishEvent(fx.js, ev);

    await waitUntil("all webhooks", () => receiver.received.length >= n);
    await waitUntil("all emails", () => smtp.received.length >= n - 1);
    await waitUntil("all log lines", () => logChannelLines(notifier.logs).length >= n);
    await waitUntil("all acked", async () => {
      const info = await fx.jsm.consumers.info(EVENTS_STREAM, "notifier");
      return info.num_pending === 0 && info.num_ack_pending === 0;
    });
    await settle(500);

    expect(receiver.received).toHaveLength(n);
    const ids = receiver.received.map((r) => r.headers["webhook-id"]);
    expect(new Set(ids)).toEqual(new Set(events.map((e) => e.eventId)));

    const verifier = new Webhook(WEBHOOK_SECRET);
    for (const r of receiver.received) {
      const body = verifier.verify(r.body, r.headers as Record<string, string>) as {
        type: string;
        data: Record<string, unknown>;
      };
      const ev = events.find((e) => e.eventId === r.headers["webhook-id"])!;
      expect(body.type).toBe("wallet.transaction.committed");
      expect(body.data).toMatchObject({
        eventId: ev.eventId,
        amount: ev.amount.toString(),
        balanceAfter: "9007199254740993",
        currency: "USD",
        type: "CREDIT",
      });
    }
    expect(() =>
      verifier.verify(
        receiver.received[0].body.replace("USD", "EUR"),
        receiver.received[0].headers as Record<string, string>,
      ),
    ).toThrow();

    // The event without an owner email is skipped, every other owner gets exactly one email.
    expect(smtp.received).toHaveLength(n - 1);
    expect(new Set(smtp.received.flatMap((m) => m.to))).toEqual(
      new Set(events.slice(1).map((e) => e.ownerEmail)),
    );
    expect(smtp.received.map((m) => m.from)).toEqual(Array(n - 1).fill("wallet@example.test"));

    const lines = logChannelLines(notifier.logs);
    expect(lines).toHaveLength(n);
    for (const ev of events) {
      const line = lines.find((l) => l.eventId === ev.eventId);
      expect(line?.requestId).toBe(`req-${ev.eventId}`);
    }
  });

  it("delivery - admin server reports readiness and delivery metrics", async () => {
    const ready = await fetch(`${notifier.adminUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ nats: "connected", consuming: true });
    const metrics = await (await fetch(`${notifier.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /notifier_deliveries_total\{[^}]*channel="webhook"[^}]*outcome="delivered"[^}]*\} 25/,
    );
    expect(metrics).toMatch(/notifier_deliveries_total\{[^}]*channel="email"[^}]*outcome="skipped"[^}]*\} 1/);
    expect(metrics).toContain("notifier_consumer_pending_messages");
    expect(metrics).toContain("notifier_delivery_duration_seconds_bucket");
  });
});
