import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DeliveryClaim, openDeliveryRecords } from "../src/deliveryRecords.js";
import { type NatsFixture, startNatsFixture, waitUntil } from "./support/harness.js";

describe("notifier delivery claims", () => {
  let fx: NatsFixture;

  beforeAll(async () => {
    fx = await startNatsFixture();
  });

  afterAll(async () => {
    await fx?.close();
  });

  // Two instances stand for two processes of one consumer.
  const open = (consumer = "notifier", claimMs = 60_000) =>
    openDeliveryRecords(fx.nc, { replicas: 1, consumer, claimMs });
  const status = (c: DeliveryClaim) => c.status;

  it("claims - one of two processes claims an event; the other is busy until it completes, then done", async () => {
    const [a, b] = [await open(), await open()];
    const claim = await a.claim("ev-1", "webhook");
    expect(status(claim)).toBe("claimed");
    expect(status(await b.claim("ev-1", "webhook"))).toBe("busy");
    if (claim.status !== "claimed") throw new Error("unreachable");
    await claim.complete("delivered");
    expect(status(await b.claim("ev-1", "webhook"))).toBe("done");
    expect(status(await a.claim("ev-1", "webhook"))).toBe("done");
    // Another channel of the same event is a separate record.
    expect(status(await b.claim("ev-1", "email"))).toBe("claimed");
  });

  it("claims - a released claim can be taken at once; a claim whose holder died lapses", async () => {
    const [a, b] = [await open("notifier", 300), await open("notifier", 300)];
    const failed = await a.claim("ev-2", "webhook");
    if (failed.status !== "claimed") throw new Error(`expected a claim, got ${failed.status}`);
    await failed.release();
    const retried = await b.claim("ev-2", "webhook");
    expect(status(retried)).toBe("claimed");

    // b never completes nor releases, as if it crashed mid-delivery.
    expect(status(await a.claim("ev-2", "webhook"))).toBe("busy");
    await waitUntil(
      "claim lapsed",
      async () => status(await a.claim("ev-2", "webhook")) === "claimed",
      5_000,
    );
  });

  it("claims - records of different consumers are independent", async () => {
    const main = await open("notifier");
    const demo = await open("notifier-demo");
    const claim = await main.claim("ev-3", "log");
    if (claim.status !== "claimed") throw new Error(`expected a claim, got ${claim.status}`);
    await claim.complete("delivered");
    expect(status(await demo.claim("ev-3", "log"))).toBe("claimed");
  });
});
