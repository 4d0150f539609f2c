import { describe, expect, it } from "vitest";
import { loadWalletConfig } from "./config.js";

const base = { DEV_MODE: "true", JWT_SECRET: "config-test-secret-at-least-32-characters" };

describe("wallet config: holds", () => {
  it("holds - defaults are 7 days, 30 days and a sweep every second", () => {
    const config = loadWalletConfig(base);
    expect([
      config.HOLD_DEFAULT_TTL_SECONDS,
      config.HOLD_MAX_TTL_SECONDS,
      config.HOLD_EXPIRY_INTERVAL_MS,
    ]).toEqual([604_800, 2_592_000, 1000]);
    expect(loadWalletConfig({ ...base, HOLD_EXPIRY_INTERVAL_MS: "0" }).HOLD_EXPIRY_INTERVAL_MS).toBe(0);
  });

  it("holds - a default above the maximum, or values out of range, stop the start naming the variable", () => {
    expect(() =>
      loadWalletConfig({ ...base, HOLD_DEFAULT_TTL_SECONDS: "100", HOLD_MAX_TTL_SECONDS: "99" }),
    ).toThrow(/HOLD_DEFAULT_TTL_SECONDS must not exceed HOLD_MAX_TTL_SECONDS/);
    for (const [name, value] of [
      ["HOLD_DEFAULT_TTL_SECONDS", "0"],
      ["HOLD_MAX_TTL_SECONDS", "-1"],
      ["HOLD_EXPIRY_INTERVAL_MS", "abc"],
    ])
      expect(() => loadWalletConfig({ ...base, [name]: value }), name).toThrow(new RegExp(name));
  });
});
