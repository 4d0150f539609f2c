import { describe, expect, it } from "vitest";
import { canonicalJson, requestFingerprint } from "./fingerprint.js";

describe("fingerprint - request identity", () => {
  it("ignores key order at every level", () => {
    expect(canonicalJson({ b: 1, a: { d: "x", c: [2, { f: 1, e: 0 }] } })).toBe(
      '{"a":{"c":[2,{"e":0,"f":1}],"d":"x"},"b":1}',
    );
    expect(requestFingerprint("POST", "/api/wallets/credit", { walletId: "w", amount: 5 })).toBe(
      requestFingerprint("POST", "/api/wallets/credit", { amount: 5, walletId: "w" }),
    );
  });

  it("differs by route, method and body", () => {
    const base = requestFingerprint("POST", "/api/wallets/credit", { walletId: "w", amount: 5 });
    expect(requestFingerprint("POST", "/api/wallets/debit", { walletId: "w", amount: 5 })).not.toBe(base);
    expect(requestFingerprint("PUT", "/api/wallets/credit", { walletId: "w", amount: 5 })).not.toBe(base);
    expect(requestFingerprint("POST", "/api/wallets/credit", { walletId: "w", amount: 6 })).not.toBe(base);
    expect(requestFingerprint("POST", "/api/wallets/credit", undefined)).not.toBe(base);
  });
});
