import { EVENTS_STREAM } from "@wallet/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishEvent, transactionCommitted } from "./support/events.js";
import {
  type NatsFixture,
  settle,
  startNatsFixture,
  startTestNotifier,
  waitUntil,
} from "./support/harness.js";
import { startWebhookReceiver, type WebhookReceiver } from "./support/webhookReceiver.js";

describe("notifier shutdown", () => {
  let fx: NatsFixture;
  let receiver: WebhookReceiver;
  const stops: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    fx = await startNatsFixture();
    receiver = await startWebhookReceiver();
  });

  afterAll(async () => {
    for (const stop of stops) await stop();
    await receiver?.close();
    await fx?.close();
  });

  const start = async () => {
    const n = await startTestNotifier(fx.nats.url, {
      NOTIFIER_CHANNELS: "webhook",
      NOTIFIER_WEBHOOK_URL: receiver.url,
    });
    stops.push(n.stop);
    return n;
  };

  it("shutdown - a slow in-flight delivery completes and is acked; nothing is lost or repeated after restart", async () => {
    receiver.setBehaviour((i) => ({ status: 200, delayMs: i === 0 ? 1_500 : 0 }));
    const first = await start();
    const slow = transactionCommitted();
    await publishEvent(fx.js, slow);
    await waitUntil("slow request received", () => receiver.received.length === 1);

    const stopping = first.stop();
    await waitUntil(
      "not ready while stopping",
      async () => (await fetch(`${first.adminUrl}/readyz`)).status === 503,
    );
    // Published during shutdown: must wait for the next start, not be lost.
    const later = transactionCommitted();
    await publishEvent(fx.js, later);
    await stopping;

    expect(receiver.answered()).toHaveLength(1);
    const afterStop = await fx.jsm.consumers.info(EVENTS_STREAM, "notifier");
    expect(afterStop.ack_floor.stream_seq).toBeGreaterThanOrEqual(1);
    expect(afterStop.num_ack_pending).toBe(0);

    await start();
    await waitUntil("later event delivered", () => receiver.answered().length === 2);
    await waitUntil("all acked", async () => {
      const info = await fx.jsm.consumers.info(EVENTS_STREAM, "notifier");
      return info.ack_floor.stream_seq === 2 && info.num_ack_pending === 0 && info.num_pending === 0;
    });
    await settle();
    expect(receiver.received.map((r) => r.headers["webhook-id"])).toEqual([slow.eventId, later.eventId]);
  });
});
