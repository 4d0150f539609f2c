import { EVENTS_STREAM } from "@wallet/runtime";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
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
} from "./support/harness.js";
import type { SmtpSink } from "./support/smtpSink.js";

describe("notifier effectively once", () => {
  let sinks: Sinks;
  let fx: NatsFixture;
  let receiver: WebhookReceiver;
  let smtp: SmtpSink;
  let notifier: TestNotifier | undefined;

  beforeEach(async () => {
    sinks = await startSinks();
    ({ fx, receiver, smtp } = sinks);
  });

  afterEach(async () => {
    await notifier?.stop();
    notifier = undefined;
    await sinks.close();
  });

  const start = (env: Record<string, string> = {}) =>
    startTestNotifier(fx.nats.url, { ...allChannels(sinks), ...env });

  const allAcked = (messages: number) =>
    waitUntil(`${messages} messages acked`, async () => {
      const info = await fx.jsm.consumers.info(EVENTS_STREAM, "notifier");
      return info.ack_floor.stream_seq >= messages && info.num_ack_pending === 0;
    });

  it("dedup - the same event published twice with one Nats-Msg-Id is delivered once", async () => {
    notifier = await start();
    const ev = transactionCommitted();
    const first = await publishEvent(fx.js, ev);
    const second = await publishEvent(fx.js, ev);
    expect(second.duplicate).toBe(true);
    expect(second.seq).toBe(first.seq);

    await allAcked(1);
    await settle(500);
    expect(receiver.received).toHaveLength(1);
    expect(smtp.received).toHaveLength(1);
    expect(logChannelLines(notifier.logs)).toHaveLength(1);
  });

  it("dedup - an event redelivered after success sends nothing again", async () => {
    notifier = await start();
    const ev = transactionCommitted();
    await publishEvent(fx.js, ev);
    await allAcked(1);

    // A second copy past the stream's duplicate window (as an outbox sweeper republishing
    // after a lost PubAck would produce) reaches the consumer as a new message.
    const again = await publishEvent(fx.js, ev, { msgId: `${ev.eventId}-republished` });
    expect(again.duplicate).toBe(false);
    await allAcked(2);
    await settle(500);

    expect(receiver.received).toHaveLength(1);
    expect(smtp.received).toHaveLength(1);
    expect(logChannelLines(notifier.logs)).toHaveLength(1);
    const skipped = notifier.logs.filter((l) => l.msg === "already delivered, not sending again");
    expect(skipped.map((l) => l.channel).sort()).toEqual(["email", "log", "webhook"]);
  });

  it("dedup - a redelivery after a partial failure retries only the failed channel", async () => {
    receiver.setBehaviour((_d, i) => ({ status: i === 0 ? 502 : 200 }));
    notifier = await start({ NOTIFIER_BACKOFF_BASE_MS: "100" });
    const ev = transactionCommitted();
    await publishEvent(fx.js, ev);

    await waitUntil("webhook retried", () => receiver.answered().length >= 2);
    await allAcked(1);
    await settle(500);

    expect(receiver.received.map((r) => r.status)).toEqual([502, 200]);
    expect(smtp.received).toHaveLength(1);
    expect(logChannelLines(notifier.logs)).toHaveLength(1);
  });

  it("dedup - two copies of one event in flight at once in one process give one delivery", async () => {
    receiver.setBehaviour(() => ({ status: 200, delayMs: 500 }));
    notifier = await start({ NOTIFIER_CHANNELS: "webhook" });
    const ev = transactionCommitted();
    await publishEvent(fx.js, ev);
    await publishEvent(fx.js, ev, { msgId: `${ev.eventId}-again` });

    await allAcked(2);
    await settle(500);
    expect(receiver.received).toHaveLength(1);
    expect(
      notifier.logs.some((l) => l.msg === "another copy of this event is in flight, waiting for it"),
    ).toBe(true);
  });

  it("dedup - replicas sharing a consumer, each holding a copy of one event, deliver it once", async () => {
    receiver.setBehaviour(() => ({ status: 200, delayMs: 1_000 }));
    const replica = {
      NOTIFIER_CHANNELS: "webhook",
      NOTIFIER_CONCURRENCY: "1",
      NOTIFIER_BACKOFF_BASE_MS: "200",
    };
    notifier = await start(replica);
    const ev = transactionCommitted();
    await publishEvent(fx.js, ev);
    // The first replica's only slot is busy with the first copy, so the second replica takes the second.
    await waitUntil("first copy being delivered", () => receiver.received.length === 1);
    const second = await start(replica);
    try {
      await publishEvent(fx.js, ev, { msgId: `${ev.eventId}-again` });
      await allAcked(2);
      await settle(500);
      expect(receiver.received).toHaveLength(1);
      const waited = second.logs.filter((l) => l.msg === "delivery postponed");
      expect(waited.length).toBeGreaterThanOrEqual(1);
      expect(String(waited[0].reason)).toContain("being delivered by another process");
    } finally {
      await second.stop();
    }
  });
});
