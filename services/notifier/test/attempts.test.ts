import { TransactionCommitted } from "@wallet/contracts";
import { DLQ_STREAM, EVENTS_STREAM, TRANSACTION_COMMITTED_SUBJECT } from "@wallet/runtime";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeliveryChannel } from "../src/channels/channel.js";
import type { PulledMessage } from "../src/consumeLoop.js";
import { openDeliveryRecords } from "../src/deliveryRecords.js";
import { createDispatcher, poisonDeliveries } from "../src/dispatch.js";
import { DEAD_LETTER_HEADERS, DEAD_LETTER_SUBJECT } from "../src/index.js";
import { createNotifierMetrics } from "../src/metrics.js";
import { transactionCommitted } from "./support/events.js";
import { type NatsFixture, startNatsFixture } from "./support/harness.js";

/**
 * The dispatcher against real delivery records and a real dead-letter stream, fed
 * deliveries by hand, so that delivery counts a live consumer would take minutes to
 * reach can be given directly.
 */
describe("notifier attempts", () => {
  let fx: NatsFixture;
  const MAX = 3;
  const BASE = 100;

  beforeAll(async () => {
    fx = await startNatsFixture();
  });

  afterAll(async () => {
    await fx?.close();
  });

  /** A webhook stand-in that always fails and counts its attempts. */
  const failingChannel = () => {
    const sent: string[] = [];
    const channel: DeliveryChannel = {
      name: "webhook",
      deliver: async (event) => {
        sent.push(event.eventId);
        throw new Error("HTTP 500");
      },
    };
    return { channel, sent };
  };

  const dispatcher = async (channel: DeliveryChannel) =>
    createDispatcher({
      js: fx.js,
      channels: [channel],
      records: await openDeliveryRecords(fx.nc, { replicas: 1, consumer: "notifier", claimMs: 10_000 }),
      metrics: createNotifierMetrics(new Registry()),
      logger: pino({ level: "silent" }),
      maxDeliver: MAX,
      backoffBaseMs: BASE,
    });

  const delivery = (ev: TransactionCommitted, streamSequence: number, deliveryCount: number) => {
    const calls: string[] = [];
    const msg: PulledMessage = {
      subject: TRANSACTION_COMMITTED_SUBJECT,
      data: TransactionCommitted.encode(ev).finish(),
      info: {
        stream: EVENTS_STREAM,
        consumer: "notifier",
        deliveryCount,
        streamSequence,
        timestampNanos: Date.now() * 1e6,
      },
      ack: () => calls.push("ack"),
      nak: (delayMs) => calls.push(`nak ${delayMs ?? 0}`),
      working: () => {},
      term: () => calls.push("term"),
      settled: () => false,
    };
    return { msg, calls };
  };

  it("attempts - deliveries lost to crashes do not use up attempts: only failures count", async () => {
    const { channel, sent } = failingChannel();
    const dispatch = await dispatcher(channel);
    const ev = transactionCommitted();
    // Deliveries 1-4 never reached a handler (stalls, crashes); the 5th is the first attempt.
    const fifth = delivery(ev, 101, 5);
    await dispatch(fifth.msg);
    expect(fifth.calls).toEqual([`nak ${BASE}`]);
    const sixth = delivery(ev, 101, 6);
    await dispatch(sixth.msg);
    expect(sixth.calls).toEqual([`nak ${2 * BASE}`]);
    // The third failure is the last: dead-lettered after the stream's PubAck, then terminated.
    const seventh = delivery(ev, 101, 7);
    await dispatch(seventh.msg);
    expect(seventh.calls).toEqual(["term"]);
    expect(sent).toHaveLength(MAX);
    const letter = await fx.jsm.streams.getMessage(DLQ_STREAM, { last_by_subj: DEAD_LETTER_SUBJECT });
    expect(letter!.header.get("Nats-Msg-Id")).toBe(ev.eventId);
    expect(letter!.header.get(DEAD_LETTER_HEADERS.deliveryCount)).toBe("7");

    // Another copy of the event (published again) is not dead-lettered a second time.
    const before = (await fx.jsm.streams.info(DLQ_STREAM)).state.messages;
    const copy = delivery(ev, 102, 1);
    await dispatch(copy.msg);
    expect(copy.calls).toEqual(["ack"]);
    expect((await fx.jsm.streams.info(DLQ_STREAM)).state.messages).toBe(before);
    expect(sent).toHaveLength(MAX);
  });

  it("attempts - a poison message (delivered again and again without an outcome) is dead-lettered without another attempt", async () => {
    const { channel, sent } = failingChannel();
    const dispatch = await dispatcher(channel);
    const ev = transactionCommitted();
    const poisoned = delivery(ev, 201, poisonDeliveries(MAX));
    await dispatch(poisoned.msg);
    expect(poisoned.calls).toEqual(["term"]);
    expect(sent).toHaveLength(0);
    const letter = await fx.jsm.streams.getMessage(DLQ_STREAM, { last_by_subj: DEAD_LETTER_SUBJECT });
    expect(letter!.header.get("Nats-Msg-Id")).toBe(ev.eventId);
    expect(letter!.header.get(DEAD_LETTER_HEADERS.reason)).toContain(
      `delivered ${poisonDeliveries(MAX)} times without an outcome`,
    );
  });
});
