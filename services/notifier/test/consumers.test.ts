import { AckPolicy, DeliverPolicy } from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { EVENTS_STREAM, TRANSACTION_COMMITTED_SUBJECT } from "@wallet/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WebhookReceiver } from "../../../scripts/lib/webhookReceiver.js";
import { waitUntil } from "../../../test/support/wait.js";
import { holdChanged, publishEvent, publishHoldEvent, transactionCommitted } from "./support/events.js";
import {
  type NatsFixture,
  settle,
  startTestNotifier,
  startWebhookFixture,
  type TestNotifier,
  type WebhookFixture,
} from "./support/harness.js";

describe("notifier consumers", () => {
  let fixture: WebhookFixture;
  let fx: NatsFixture;
  let receiver: WebhookReceiver;
  const notifiers: TestNotifier[] = [];

  beforeAll(async () => {
    fixture = await startWebhookFixture();
    ({ fx, receiver } = fixture);
  });

  afterAll(async () => {
    for (const n of notifiers) await n.stop();
    await fixture?.close();
  });

  const start = async (consumer: string) => {
    const n = await fixture.startNotifier({ NOTIFIER_CONSUMER_NAME: consumer });
    notifiers.push(n);
    return n;
  };
  const acked = (consumer: string, messages: number) =>
    waitUntil(`${consumer} acked ${messages}`, async () => {
      const info = await fx.jsm.consumers.info(EVENTS_STREAM, consumer);
      return info.ack_floor.stream_seq >= messages && info.num_ack_pending === 0;
    });

  it("consumers - consumers with different names keep their own records, so each delivers every event once", async () => {
    await start("notifier");
    const events = [transactionCommitted(), transactionCommitted()];
    await publishEvent(fx.js, events[0]);
    await acked("notifier", 1);

    // Started after the first consumer delivered the first event: it must deliver it too.
    await start("notifier-demo");
    await publishEvent(fx.js, events[1]);
    await acked("notifier", 2);
    await acked("notifier-demo", 2);
    await settle(500);

    const ids = receiver.received.map((r) => r.headers["webhook-id"]).sort();
    expect(ids).toEqual([...events, ...events].map((e) => e.eventId).sort());
  });

  it("consumers - a durable consumer made by an earlier version (max_deliver 6, ack wait 70 s, transactions only) is updated on start", async () => {
    const name = "notifier-upgraded";
    await fx.jsm.consumers.add(EVENTS_STREAM, {
      durable_name: name,
      filter_subject: TRANSACTION_COMMITTED_SUBJECT,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(70_000),
      max_deliver: 6,
      max_ack_pending: 1_000,
    });
    // The earlier version delivered and acked one event already.
    const done = transactionCommitted();
    await publishEvent(fx.js, done);
    const earlier = await fx.js.consumers.get(EVENTS_STREAM, name);
    const doneSeq = (await fx.jsm.streams.info(EVENTS_STREAM)).state.last_seq;
    for (let seq = 0; seq < doneSeq; ) {
      const m = await earlier.next({ expires: 5_000 });
      expect(m).not.toBeNull();
      await m!.ackAck();
      seq = m!.seq;
    }
    const ev = transactionCommitted();
    const hold = holdChanged();
    await publishEvent(fx.js, ev);
    await publishHoldEvent(fx.js, hold);
    // The log channel: the other consumers of this file deliver to the shared webhook receiver.
    const upgraded = await startTestNotifier(fx.nats.url, {
      NOTIFIER_CHANNELS: "log",
      NOTIFIER_CONSUMER_NAME: name,
    });
    notifiers.push(upgraded);
    const { config } = await fx.jsm.consumers.info(EVENTS_STREAM, name);
    expect({
      maxDeliver: config.max_deliver,
      ackWaitMs: Number(config.ack_wait) / 1e6,
      filter: config.filter_subject,
    }).toEqual({ maxDeliver: -1, ackWaitMs: 10_000, filter: "wallet.events.>" });
    // Same consumer, same position: it goes on from where it was, now with hold events too.
    await acked(name, (await fx.jsm.streams.info(EVENTS_STREAM)).state.last_seq);
    await settle(300);
    const lines = upgraded.logs.filter((l) => l.channel === "log");
    expect(lines.map((l) => [l.eventId, l.msg])).toEqual([
      [ev.eventId, "transaction committed"],
      [hold.eventId, "hold captured"],
    ]);
  });
});
