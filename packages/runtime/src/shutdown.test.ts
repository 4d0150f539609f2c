import { describe, expect, it } from "vitest";
import { inFlightBudgetMs } from "./shutdown.js";

describe("SHUTDOWN_GRACE_MS split", () => {
  it("keeps a quarter of the grace, at most 2 s, for closing connections", () => {
    expect(inFlightBudgetMs(25_000)).toBe(23_000);
    expect(inFlightBudgetMs(5_000)).toBe(3_750);
    expect(inFlightBudgetMs(1_000)).toBe(750);
    expect(inFlightBudgetMs(0)).toBe(0);
  });
});
