import { balanceChangeFingerprint, transferFingerprint } from "@wallet/contracts";
import { describe, expect, it } from "vitest";
import { fingerprints } from "./fingerprint.js";

const walletId = "0192f7d2-8c4a-7b21-9a3e-1f2d3c4b5a69";

describe("fingerprint - request identity", () => {
  it("is the wallet's fingerprint of the same request", () => {
    expect(fingerprints.credit({ walletId, amount: 5, metadata: { a: "1" } })).toBe(
      balanceChangeFingerprint("credit", { walletId, amount: 5n, metadata: { a: "1" } }),
    );
    expect(fingerprints.debit({ walletId, amount: 5, expectedVersion: 3 })).toBe(
      balanceChangeFingerprint("debit", { walletId, amount: 5n, metadata: {}, expectedVersion: 3n }),
    );
    expect(fingerprints.transfer({ fromWalletId: walletId, toWalletId: "w2", amount: 9 })).toBe(
      transferFingerprint({ fromWalletId: walletId, toWalletId: "w2", amount: 9n, metadata: {} }),
    );
  });

  it("normalises: absent metadata is {}, key order does not matter", () => {
    expect(fingerprints.credit({ walletId, amount: 5 })).toBe(
      fingerprints.credit({ walletId, amount: 5, metadata: {} }),
    );
    expect(fingerprints.credit({ metadata: { b: "2", a: "1" }, amount: 5, walletId })).toBe(
      fingerprints.credit({ walletId, amount: 5, metadata: { a: "1", b: "2" } }),
    );
  });

  it("differs by operation and by any meaningful field", () => {
    const base = fingerprints.credit({ walletId, amount: 5 });
    expect(fingerprints.debit({ walletId, amount: 5 })).not.toBe(base);
    expect(fingerprints.credit({ walletId, amount: 6 })).not.toBe(base);
    expect(fingerprints.credit({ walletId, amount: 5, metadata: { a: "" } })).not.toBe(base);
    expect(fingerprints.debit({ walletId, amount: 5, expectedVersion: 0 })).not.toBe(
      fingerprints.debit({ walletId, amount: 5 }),
    );
    // A metadata key that is special in JavaScript is an ordinary entry.
    expect(fingerprints.credit({ walletId, amount: 5, metadata: JSON.parse('{"__proto__":"x"}') })).not.toBe(
      base,
    );
    expect(fingerprints.createWallet({ currency: "USD" })).not.toBe(
      fingerprints.createWallet({ currency: "EUR" }),
    );
  });

  it("holds and reversals: the hold or transaction in the path is part of the request; absent fields are defaults", () => {
    const hold = { holdId: "h-1" };
    expect(fingerprints.voidHold({}, hold)).toBe(fingerprints.voidHold({}, { holdId: "h-1" }));
    expect(fingerprints.voidHold({}, hold)).not.toBe(fingerprints.voidHold({}, { holdId: "h-2" }));
    expect(fingerprints.captureHold({}, hold)).toBe(
      fingerprints.captureHold({ amount: 0, destinationWalletId: "", metadata: {} }, hold),
    );
    expect(fingerprints.captureHold({ amount: 5 }, hold)).not.toBe(fingerprints.captureHold({}, hold));
    expect(fingerprints.captureHold({}, hold)).not.toBe(fingerprints.captureHold({}, { holdId: "h-2" }));
    expect(fingerprints.captureHold({ destinationWalletId: walletId }, hold)).not.toBe(
      fingerprints.captureHold({}, hold),
    );
    expect(fingerprints.captureHold({}, hold)).not.toBe(fingerprints.voidHold({}, hold));
    expect(fingerprints.placeHold({ walletId, amount: 5 })).toBe(
      fingerprints.placeHold({ walletId, amount: 5, expiresInSeconds: 0, metadata: {} }),
    );
    expect(fingerprints.placeHold({ walletId, amount: 5, expiresInSeconds: 60 })).not.toBe(
      fingerprints.placeHold({ walletId, amount: 5 }),
    );
    const tx = { transactionId: "t-1" };
    expect(fingerprints.reverseTransaction({}, tx)).toBe(fingerprints.reverseTransaction({ amount: 0 }, tx));
    expect(fingerprints.reverseTransaction({}, tx)).not.toBe(
      fingerprints.reverseTransaction({}, { transactionId: "t-2" }),
    );
    expect(fingerprints.reverseTransaction({ amount: 1 }, tx)).not.toBe(
      fingerprints.reverseTransaction({}, tx),
    );
  });
});
