import { describe, expect, it } from "vitest";
import { redeliveryDelayMs } from "./backoff.js";

describe("backoff", () => {
  it("backoff - doubles from the base on each failed attempt", () => {
    expect([1, 2, 3, 4, 5].map((a) => redeliveryDelayMs(a, 2_000))).toEqual([
      2_000, 4_000, 8_000, 16_000, 32_000,
    ]);
  });

  it("backoff - is capped", () => {
    expect(redeliveryDelayMs(60, 2_000)).toBe(15 * 60_000);
    expect(redeliveryDelayMs(10, 2_000, 10_000)).toBe(10_000);
  });
});
