import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WebhookReceiver } from "../../../scripts/lib/webhookReceiver.js";
import { waitUntil } from "../../../test/support/wait.js";
import { publishEvent, transactionCommitted } from "./support/events.js";
import {
  type NatsFixture,
  startWebhookFixture,
  type TestNotifier,
  type WebhookFixture,
} from "./support/harness.js";

describe("notifier resilience", () => {
  let fixture: WebhookFixture;
  let fx: NatsFixture;
  let receiver: WebhookReceiver;
  let notifier: TestNotifier;

  beforeAll(async () => {
    fixture = await startWebhookFixture();
    ({ fx, receiver } = fixture);
    notifier = await fixture.startNotifier();
  });

  afterAll(async () => {
    await notifier?.stop();
    await fixture?.close();
  });

  const readyStatus = async () => (await fetch(`${notifier.adminUrl}/readyz`)).status;

  it("resilience - a NATS restart makes it unready, then it reconnects and keeps consuming", async () => {
    const before = transactionCommitted();
    await publishEvent(fx.js, before);
    await waitUntil("first delivery", () => receiver.answered().length === 1);
    expect(await readyStatus()).toBe(200);

    await fx.nats.stop();
    await waitUntil("unready while NATS is down", async () => (await readyStatus()) === 503);
    await fx.nats.restart();
    await waitUntil("ready again", async () => (await readyStatus()) === 200, 20_000);

    const after = transactionCommitted();
    await waitUntil(
      "publish after restart",
      async () =>
        publishEvent(fx.js, after).then(
          () => true,
          () => false,
        ),
      20_000,
    );
    await waitUntil("delivery after restart", () => receiver.answered().length === 2, 30_000);
    expect(receiver.received.map((r) => r.headers["webhook-id"])).toEqual([before.eventId, after.eventId]);
  }, 60_000);
});
