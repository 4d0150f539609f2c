import { EVENTS_STREAM } from "@wallet/runtime";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { WebhookReceiver } from "../../../scripts/lib/webhookReceiver.js";
import { waitUntil } from "../../../test/support/wait.js";
import { publishEvent, transactionCommitted } from "./support/events.js";
import { type NatsFixture, settle, startWebhookFixture, type WebhookFixture } from "./support/harness.js";

describe("notifier shutdown", () => {
  let fixture: WebhookFixture;
  let fx: NatsFixture;
  let receiver: WebhookReceiver;
  const stops: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    fixture = await startWebhookFixture();
    ({ fx, receiver } = fixture);
  });

  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });

  afterAll(async () => {
    await fixture?.close();
  });

  const start = async (env: Record<string, string> = {}) => {
    const n = await fixture.startNotifier(env);
    stops.push(n.stop);
    return n;
  };
  const consumerInfo = () => fx.jsm.consumers.info(EVENTS_STREAM, "notifier");

  it("shutdown - a slow in-flight delivery completes and is acked; nothing is lost or repeated after restart", async () => {
    receiver.setBehaviour((_d, i) => ({ status: 200, delayMs: i === 0 ? 1_500 : 0 }));
    const first = await start();
    const slow = transactionCommitted();
    await publishEvent(fx.js, slow);
    await waitUntil("slow request received", () => receiver.received.length === 1);

    const stopping = first.stop();
    await waitUntil(
      "not ready while stopping",
      async () => (await fetch(`${first.adminUrl}/readyz`)).status === 503,
    );
    // Published during shutdown: delivered by the stopping process if a pull request it
    // had already made takes it, else after the next start; never lost, never stranded.
    const later = transactionCommitted();
    await publishEvent(fx.js, later);
    await stopping;

    expect(receiver.answered().length).toBeGreaterThanOrEqual(1);
    const afterStop = await consumerInfo();
    expect(afterStop.ack_floor.stream_seq).toBeGreaterThanOrEqual(1);
    expect(afterStop.num_ack_pending).toBe(0);

    await start();
    await waitUntil("later event delivered", () => receiver.answered().length === 2);
    await waitUntil("all acked", async () => {
      const info = await consumerInfo();
      return info.ack_floor.stream_seq === 2 && info.num_ack_pending === 0 && info.num_pending === 0;
    });
    await settle();
    expect(receiver.received.map((r) => r.headers["webhook-id"])).toEqual([slow.eventId, later.eventId]);
  });

  it("shutdown - events queued behind busy slots are not held by the stopped process and arrive promptly after a restart", async () => {
    receiver.setBehaviour(() => ({ status: 200, delayMs: 500 }));
    // A long ack wait, so that a stranded message would show as a long delay.
    const first = await start({ NOTIFIER_CONCURRENCY: "2", NOTIFIER_ACK_WAIT_MS: "45000" });
    const info = await consumerInfo();
    const ackWaitMs = Number(info.config.ack_wait) / 1e6;
    const floor = info.ack_floor.stream_seq;
    const before = receiver.received.length;
    const events = Array.from({ length: 8 }, () => transactionCommitted());
    for (const ev of events) await publishEvent(fx.js, ev);
    await waitUntil("two deliveries in flight", () => receiver.received.length >= before + 2);

    await first.stop();
    // Nothing the stopped process was handed is left waiting for the ack wait.
    expect((await consumerInfo()).num_ack_pending).toBe(0);

    await start({ NOTIFIER_CONCURRENCY: "2", NOTIFIER_ACK_WAIT_MS: "45000" });
    const ours = () =>
      receiver.answered().filter((r) => events.some((e) => e.eventId === r.headers["webhook-id"]));
    // A generous bound, yet far below the ack wait that a stranded message would need.
    await waitUntil("all queued events delivered", () => ours().length >= events.length, ackWaitMs / 3);
    await waitUntil("all acked", async () => {
      const now = await consumerInfo();
      return now.ack_floor.stream_seq === floor + events.length && now.num_ack_pending === 0;
    });
    await settle();
    expect(
      ours()
        .map((r) => r.headers["webhook-id"])
        .sort(),
    ).toEqual(events.map((e) => e.eventId).sort());
  }, 60_000);
});
