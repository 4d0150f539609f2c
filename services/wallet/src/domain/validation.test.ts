import { MAX_AMOUNT } from "@wallet/contracts";
import { describe, expect, it } from "vitest";
import { ValidationError } from "./errors.js";
import {
  isIssuedId,
  validateAmount,
  validateCurrency,
  validateMetadata,
  validateOwnerEmail,
  validatePageSize,
} from "./validation.js";

describe("validation", () => {
  it("amount - positive integers up to 2^53-1 only", () => {
    expect(validateAmount(1n)).toBe(1n);
    expect(validateAmount(MAX_AMOUNT)).toBe(MAX_AMOUNT);
    for (const bad of [0n, -1n, MAX_AMOUNT + 1n]) expect(() => validateAmount(bad)).toThrow(ValidationError);
  });

  it("currency - ISO 4217 alpha-3 upper case", () => {
    expect(validateCurrency("USD")).toBe("USD");
    for (const bad of ["usd", "US", "USDD", "", "U$D"])
      expect(() => validateCurrency(bad)).toThrow(ValidationError);
  });

  it("page size - 0 means the default, 1..100 allowed", () => {
    expect(validatePageSize(0)).toBe(20);
    expect(validatePageSize(100)).toBe(100);
    for (const bad of [-1, 101]) expect(() => validatePageSize(bad)).toThrow(ValidationError);
  });

  it("metadata - bounded string map", () => {
    expect(validateMetadata({ ref: "order-456" })).toEqual({ ref: "order-456" });
    const many = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, "v"]));
    expect(() => validateMetadata(many)).toThrow(ValidationError);
    expect(() => validateMetadata({ k: "v".repeat(513) })).toThrow(ValidationError);
  });

  it("metadata - text the store cannot hold is refused: NUL, lone surrogates, control characters in keys", () => {
    // gRPC clients encode a lone surrogate as U+FFFD, so only in-process callers can pass one; still refused.
    const bad: Record<string, string>[] = [
      { k: "a\u0000" },
      { k: "\ud800" },
      { k: "x\udc00y" },
      { "k\u0000": "v" },
      { "k\n": "v" },
    ];
    for (const metadata of bad) expect(() => validateMetadata(metadata)).toThrow(ValidationError);
    expect(validateMetadata({ k: "line\nbreak \u{1F600}" })).toEqual({ k: "line\nbreak \u{1F600}" });
  });

  it("owner email - empty or printable, at most 320 characters", () => {
    expect(validateOwnerEmail("")).toBe("");
    expect(validateOwnerEmail("a@example.com")).toBe("a@example.com");
    for (const bad of ["a\u0000@x", "a@x\r\nBcc: y", "\ud800@x", "a".repeat(321)])
      expect(() => validateOwnerEmail(bad)).toThrow(ValidationError);
  });

  it("ids - only UUIDs are ids this service issued", () => {
    expect(isIssuedId("0192f7d2-8c4a-7b21-9a3e-1f2d3c4b5a69")).toBe(true);
    expect(isIssuedId("wrong")).toBe(false);
  });
});
