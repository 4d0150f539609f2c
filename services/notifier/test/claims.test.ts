import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitUntil } from "../../../test/support/wait.js";
import { type DeliveryClaim, openDeliveryRecords } from "../src/deliveryRecords.js";
import { type NatsFixture, startNatsFixture } from "./support/harness.js";

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
  /** A delivery of stream message `seq` (first delivery unless told). */
  const at = (seq: number, deliveryCount = 1) => ({ streamSeq: seq, deliveryCount });

  it("claims - one of two processes claims an event; the other is busy until it completes, then done", async () => {
    const [a, b] = [await open(), await open()];
    const claim = await a.claim("ev-1", "webhook", at(1));
    expect(status(claim)).toBe("claimed");
    expect(status(await b.claim("ev-1", "webhook", at(1)))).toBe("busy");
    if (claim.status !== "claimed") throw new Error("unreachable");
    await claim.complete("delivered");
    expect(status(await b.claim("ev-1", "webhook", at(1)))).toBe("done");
    expect(status(await a.claim("ev-1", "webhook", at(1)))).toBe("done");
    // Another channel of the same event is a separate record.
    expect(status(await b.claim("ev-1", "email", at(1)))).toBe("claimed");
  });

  it("claims - a failed attempt is counted and frees the claim at once; a claim whose holder died lapses", async () => {
    const [a, b] = [await open("notifier", 300), await open("notifier", 300)];
    const failed = await a.claim("ev-2", "webhook", at(2));
    if (failed.status !== "claimed") throw new Error(`expected a claim, got ${failed.status}`);
    expect(failed.failures).toBe(0);
    expect(await failed.fail("HTTP 500")).toBe(1);
    const retried = await b.claim("ev-2", "webhook", at(2, 2));
    if (retried.status !== "claimed") throw new Error(`expected a claim, got ${retried.status}`);
    expect({ failures: retried.failures, lastError: retried.lastError }).toEqual({
      failures: 1,
      lastError: "HTTP 500",
    });

    // b never completes nor fails, as if it crashed mid-delivery. Another copy of the event
    // (another stream message) waits for the claim to lapse.
    expect(status(await a.claim("ev-2", "webhook", at(7)))).toBe("busy");
    await waitUntil(
      "claim lapsed",
      async () => status(await a.claim("ev-2", "webhook", at(7))) === "claimed",
      5_000,
    );
  });

  it("claims - a redelivery of the same message takes over the claim of a holder that stopped at once, with its count", async () => {
    const [a, b] = [await open(), await open()];
    const first = await a.claim("ev-4", "webhook", at(4, 1));
    if (first.status !== "claimed") throw new Error(`expected a claim, got ${first.status}`);
    await first.fail("timed out");
    const second = await a.claim("ev-4", "webhook", at(4, 2));
    if (second.status !== "claimed") throw new Error(`expected a claim, got ${second.status}`);
    // a stalls with delivery 2; the same delivery elsewhere, or another message, waits.
    expect(status(await b.claim("ev-4", "webhook", at(4, 2)))).toBe("busy");
    expect(status(await b.claim("ev-4", "webhook", at(5, 3)))).toBe("busy");
    // Delivery 3 of the same message: the server gave up on a's progress.
    const third = await b.claim("ev-4", "webhook", at(4, 3));
    if (third.status !== "claimed") throw new Error(`expected a claim, got ${third.status}`);
    expect(third.failures).toBe(1);
    // The stalled holder cannot count a failure over it any more.
    expect(await second.fail("late")).toBeUndefined();
    expect(await third.fail("HTTP 503")).toBe(2);
    await (
      await b.claim("ev-4", "webhook", at(4, 4)).then((c) => {
        if (c.status !== "claimed") throw new Error(`expected a claim, got ${c.status}`);
        return c;
      })
    ).complete("dead_lettered");
    expect(await a.claim("ev-4", "webhook", at(9))).toEqual({ status: "done", outcome: "dead_lettered" });
  });

  it("claims - records of different consumers are independent", async () => {
    const main = await open("notifier");
    const demo = await open("notifier-demo");
    const claim = await main.claim("ev-3", "log", at(1));
    if (claim.status !== "claimed") throw new Error(`expected a claim, got ${claim.status}`);
    await claim.complete("delivered");
    expect(status(await demo.claim("ev-3", "log", at(1)))).toBe("claimed");
  });
});
