import { DLQ_STREAM, EVENTS_STREAM, ensureWalletStreams, REQUEST_ID_HEADER } from "@wallet/runtime";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { WebhookReceiver } from "../../../scripts/lib/webhookReceiver.js";
import { waitUntil } from "../../../test/support/wait.js";
import { DEAD_LETTER_HEADERS, DEAD_LETTER_SUBJECT } from "../src/index.js";
import { publishEvent, publishRaw, transactionCommitted } from "./support/events.js";
import {
  type NatsFixture,
  settle,
  startWebhookFixture,
  type TestNotifier,
  type WebhookFixture,
} from "./support/harness.js";

describe("notifier retries", () => {
  let fixture: WebhookFixture;
  let fx: NatsFixture;
  let receiver: WebhookReceiver;
  let notifier: TestNotifier | undefined;

  beforeEach(async () => {
    fixture = await startWebhookFixture();
    ({ fx, receiver } = fixture);
  });

  afterEach(async () => {
    await notifier?.stop();
    notifier = undefined;
    await fixture.close();
  });

  const start = (env: Record<string, string>) => fixture.startNotifier(env);

  it("retry - receiver failing twice gets one delivery after growing redelivery gaps", async () => {
    receiver.setBehaviour((_d, i) => ({ status: i < 2 ? 500 : 200 }));
    // Delays long enough that a busy machine's scheduling noise cannot reorder the gaps.
    notifier = await start({ NOTIFIER_BACKOFF_BASE_MS: "1000", NOTIFIER_MAX_DELIVER: "6" });
    const ev = transactionCommitted();
    await publishEvent(fx.js, ev);

    await waitUntil("third attempt", () => receiver.answered().length >= 3);
    await waitUntil(
      "ack",
      async () => (await fx.jsm.consumers.info(EVENTS_STREAM, "notifier")).num_ack_pending === 0,
    );
    await settle();

    const attempts = receiver.received;
    expect(attempts.map((a) => a.status)).toEqual([500, 500, 200]);
    expect(new Set(attempts.map((a) => a.headers["webhook-id"]))).toEqual(new Set([ev.eventId]));
    const gap1 = attempts[1].receivedAt - attempts[0].receivedAt;
    const gap2 = attempts[2].receivedAt - attempts[1].receivedAt;
    expect(gap2).toBeGreaterThan(gap1);

    const retries = notifier.logs.filter((l) => l.msg === "delivery failed, retry scheduled");
    expect(retries.map((l) => l.retryInMs)).toEqual([1_000, 2_000]);
    expect(retries.map((l) => [l.requestId, l.eventId])).toEqual(
      Array(2).fill([`req-${ev.eventId}`, ev.eventId]),
    );
  });

  it("retry - a webhook slower than its timeout counts as failed and is retried", async () => {
    receiver.setBehaviour((_d, i) => ({ status: 200, delayMs: i === 0 ? 2_000 : 0 }));
    notifier = await start({
      NOTIFIER_BACKOFF_BASE_MS: "100",
      NOTIFIER_WEBHOOK_TIMEOUT_MS: "300",
    });
    const ev = transactionCommitted();
    await publishEvent(fx.js, ev);

    await waitUntil("retried after timeout", () => receiver.received.length >= 2);
    await waitUntil(
      "ack",
      async () => (await fx.jsm.consumers.info(EVENTS_STREAM, "notifier")).num_ack_pending === 0,
    );
    const retries = notifier.logs.filter((l) => l.msg === "delivery failed, retry scheduled");
    expect(retries).toHaveLength(1);
    expect(retries[0].reason).toBe("webhook: webhook request failed: timed out after 300 ms");
    // The line keeps the error itself: its type, and a stack that goes on into its cause.
    expect(retries[0].err).toMatchObject({
      type: "DeliveryFailedError",
      stack: expect.stringMatching(
        /^DeliveryFailedError: webhook request failed[\s\S]*\ncaused by: TimeoutError/,
      ),
    });
  });

  it("retry - receiver always failing sends the event to the dead-letter stream once", async () => {
    receiver.setBehaviour(() => ({ status: 503 }));
    notifier = await start({ NOTIFIER_BACKOFF_BASE_MS: "100", NOTIFIER_MAX_DELIVER: "3" });
    const ev = transactionCommitted();
    const ack = await publishEvent(fx.js, ev, { requestId: "req-always-fails" });

    await waitUntil("dead letter", async () => (await fx.jsm.streams.info(DLQ_STREAM)).state.messages === 1);
    await settle();

    expect(receiver.received).toHaveLength(3);
    const letter = await fx.jsm.streams.getMessage(DLQ_STREAM, { last_by_subj: DEAD_LETTER_SUBJECT });
    const original = await fx.jsm.streams.getMessage(EVENTS_STREAM, { seq: ack.seq });
    expect(letter!.data).toEqual(original!.data);
    const h = letter!.header;
    expect(h.get(DEAD_LETTER_HEADERS.reason)).toContain("webhook: webhook answered HTTP 503");
    expect(h.get(DEAD_LETTER_HEADERS.failedChannels)).toBe("webhook");
    expect(h.get(DEAD_LETTER_HEADERS.deliveryCount)).toBe("3");
    expect(h.get(DEAD_LETTER_HEADERS.streamSequence)).toBe(String(ack.seq));
    expect(h.get(DEAD_LETTER_HEADERS.stream)).toBe(EVENTS_STREAM);
    expect(h.get(REQUEST_ID_HEADER)).toBe("req-always-fails");
    expect(h.get("Nats-Msg-Id")).toBe(ev.eventId);

    const info = await fx.jsm.consumers.info(EVENTS_STREAM, "notifier");
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_pending).toBe(0);
    const metrics = await (await fetch(`${notifier.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/notifier_dead_letters_total\{cause="max_deliver"[^}]*\} 1/);
    // The server's advisory for the terminated message is counted too.
    await waitUntil("MSG_TERMINATED advisory counted", async () =>
      /notifier_consumer_advisories_total\{kind="msg_terminated"[^}]*\} 1/.test(
        await (await fetch(`${notifier!.adminUrl}/metrics`)).text(),
      ),
    );
  });

  it("retry - a dead letter that cannot be published is handed back and dead-lettered later, never left pending", async () => {
    receiver.setBehaviour(() => ({ status: 503 }));
    notifier = await start({ NOTIFIER_BACKOFF_BASE_MS: "100", NOTIFIER_MAX_DELIVER: "2" });
    // The dead-letter stream is gone: publishing to it fails.
    await fx.jsm.streams.delete(DLQ_STREAM);
    const ev = transactionCommitted();
    await publishEvent(fx.js, ev);

    await waitUntil(
      "dead letter failed",
      () => notifier!.logs.some((l) => l.msg === "dead letter could not be published, retrying later"),
      20_000,
    );
    const info = await fx.jsm.consumers.info(EVENTS_STREAM, "notifier");
    expect(info.num_ack_pending).toBe(1);
    // Back again: the next delivery publishes the dead letter and terminates the message.
    await ensureWalletStreams(fx.jsm, 1);
    await waitUntil(
      "dead letter",
      async () => (await fx.jsm.streams.info(DLQ_STREAM)).state.messages === 1,
      20_000,
    );
    await waitUntil(
      "terminated",
      async () => (await fx.jsm.consumers.info(EVENTS_STREAM, "notifier")).num_ack_pending === 0,
    );
    // Failed attempts were counted once each: the receiver saw exactly NOTIFIER_MAX_DELIVER.
    expect(receiver.received).toHaveLength(2);
    const letter = await fx.jsm.streams.getMessage(DLQ_STREAM, { last_by_subj: DEAD_LETTER_SUBJECT });
    expect(letter!.header.get("Nats-Msg-Id")).toBe(ev.eventId);
    const metrics = await (await fetch(`${notifier.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/notifier_dead_letter_failures_total(\{[^}]*\})? [1-9]/);
  });

  it("retry - a MAX_DELIVERIES advisory (the server gave up on a message) is counted for alerting", async () => {
    receiver.setBehaviour(() => ({ status: 503 }));
    notifier = await start({ NOTIFIER_BACKOFF_BASE_MS: "100", NOTIFIER_MAX_DELIVER: "5" });
    // An operator limits the consumer's deliveries by hand: the server now gives up after one.
    await fx.jsm.consumers.update(EVENTS_STREAM, "notifier", { max_deliver: 1 });
    await publishEvent(fx.js, transactionCommitted());
    await waitUntil("MAX_DELIVERIES advisory counted", async () =>
      /notifier_consumer_advisories_total\{kind="max_deliveries"[^}]*\} 1/.test(
        await (await fetch(`${notifier!.adminUrl}/metrics`)).text(),
      ),
    );
    expect(
      notifier.logs.some((l) => l.msg === "JetStream gave up on a message (MAX_DELIVERIES advisory)"),
    ).toBe(true);
  });

  it("retry - an undecodable message goes to the dead-letter stream without delivery", async () => {
    notifier = await start({ NOTIFIER_BACKOFF_BASE_MS: "100", NOTIFIER_MAX_DELIVER: "3" });
    await publishRaw(fx.js, new Uint8Array([0xff, 0xff, 0xff, 0x01]), {
      msgId: "garbage-1",
      requestId: "req-garbage",
    });

    await waitUntil("dead letter", async () => (await fx.jsm.streams.info(DLQ_STREAM)).state.messages === 1);
    await settle(300);
    const letter = await fx.jsm.streams.getMessage(DLQ_STREAM, { last_by_subj: DEAD_LETTER_SUBJECT });
    expect(letter!.header.get(DEAD_LETTER_HEADERS.reason)).toContain("not a TransactionCommitted");
    expect(letter!.header.get(DEAD_LETTER_HEADERS.deliveryCount)).toBe("1");
    expect(letter!.header.get(REQUEST_ID_HEADER)).toBe("req-garbage");
    expect(receiver.received).toHaveLength(0);
    expect((await fx.jsm.consumers.info(EVENTS_STREAM, "notifier")).num_ack_pending).toBe(0);
  });
});
