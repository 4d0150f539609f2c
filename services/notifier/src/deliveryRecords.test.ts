import { describe, expect, it } from "vitest";
import { recordKey } from "./deliveryRecords.js";

// The KV key grammar: dot-separated tokens of these characters.
const VALID_KEY = /^[-/_=.a-zA-Z0-9]+$/;

describe("deliveryRecords", () => {
  it("deliveryRecords - keys name the consumer, the channel and the event", () => {
    expect(recordKey("notifier", "webhook", "01a2143d-a260-727a")).toBe(
      "notifier.webhook.e.01a2143d-a260-727a",
    );
    expect(recordKey("notifier-demo", "webhook", "ev1")).not.toBe(recordKey("notifier", "webhook", "ev1"));
    expect(recordKey("notifier", "email", "ev1")).not.toBe(recordKey("notifier", "webhook", "ev1"));
  });

  it("deliveryRecords - event ids outside the key alphabet are hex-encoded and cannot collide", () => {
    const odd = recordKey("notifier", "log", "a.b c/ü");
    expect(odd).toMatch(VALID_KEY);
    expect(odd).toBe(`notifier.log.x.${Buffer.from("a.b c/ü").toString("hex")}`);
    // An id that happens to look like a hex token still lands under `e.`.
    const hexLooking = Buffer.from("a.b c/ü").toString("hex");
    expect(recordKey("notifier", "log", hexLooking)).not.toBe(odd);
  });
});
