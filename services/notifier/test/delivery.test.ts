import { EVENTS_STREAM } from "@wallet/runtime";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { waitUntil } from "../../../test/support/wait.js";
import { publishEvent, transactionCommitted } from "./support/events.js";
import { allChannelsPerSuite, logChannelLines, settle, WEBHOOK_SECRET } from "./support/harness.js";

describe("notifier delivery", () => {
  const suite = allChannelsPerSuite();

  it("delivery - N events give exactly N deliveries per channel, signed and correlated", async () => {
    const n = 25;
    const events = Array.from({ length: n }, (_, i) =>
      transactionCommitted({ ownerEmail: i === 0 ? "" : `owner${i}@example.test`, amount: BigInt(100 + i) }),
    );
    for (const ev of events) await publishEvent(suite.fx.js, ev);

    await waitUntil("all webhooks", () => suite.receiver.received.length >= n);
    await waitUntil("all emails", () => suite.smtp.received.length >= n - 1);
    await waitUntil("all log lines", () => logChannelLines(suite.notifier.logs).length >= n);
    await waitUntil("all acked", async () => {
      const info = await suite.fx.jsm.consumers.info(EVENTS_STREAM, "notifier");
      return info.num_pending === 0 && info.num_ack_pending === 0;
    });
    await settle(500);

    expect(suite.receiver.received).toHaveLength(n);
    const ids = suite.receiver.received.map((r) => r.headers["webhook-id"]);
    expect(new Set(ids)).toEqual(new Set(events.map((e) => e.eventId)));

    const verifier = new Webhook(WEBHOOK_SECRET);
    for (const r of suite.receiver.received) {
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
        suite.receiver.received[0].body.replace("USD", "EUR"),
        suite.receiver.received[0].headers as Record<string, string>,
      ),
    ).toThrow();

    // The event without an owner email is skipped, every other owner gets exactly one email.
    expect(suite.smtp.received).toHaveLength(n - 1);
    expect(new Set(suite.smtp.received.flatMap((m) => m.to))).toEqual(
      new Set(events.slice(1).map((e) => e.ownerEmail)),
    );
    expect(suite.smtp.received.map((m) => m.from)).toEqual(Array(n - 1).fill("wallet@example.test"));

    const lines = logChannelLines(suite.notifier.logs);
    expect(lines).toHaveLength(n);
    for (const ev of events) {
      const line = lines.find((l) => l.eventId === ev.eventId);
      expect(line?.requestId).toBe(`req-${ev.eventId}`);
    }
  });

  it("delivery - admin server reports readiness and delivery metrics", async () => {
    const ready = await fetch(`${suite.notifier.adminUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ nats: "connected", consuming: true });
    const metrics = await (await fetch(`${suite.notifier.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /notifier_deliveries_total\{[^}]*channel="webhook"[^}]*outcome="delivered"[^}]*\} 25/,
    );
    expect(metrics).toMatch(/notifier_deliveries_total\{[^}]*channel="email"[^}]*outcome="skipped"[^}]*\} 1/);
    expect(metrics).toContain("notifier_consumer_pending_messages");
    expect(metrics).toContain("notifier_delivery_duration_seconds_bucket");
  });
});
