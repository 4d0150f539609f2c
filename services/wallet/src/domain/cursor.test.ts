import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor } from "./cursor.js";
import { ValidationError } from "./errors.js";

describe("cursor", () => {
  it("cursor - round-trips a wallet version and is opaque", () => {
    const c = encodeCursor(42n);
    expect(c).not.toContain("42");
    expect(decodeCursor(c)).toBe(42n);
    expect(decodeCursor("")).toBeUndefined();
    expect(decodeCursor(encodeCursor(9223372036854775807n))).toBe(9223372036854775807n);
  });

  it("cursor - rejects anything this service did not issue", () => {
    for (const bad of [
      "garbage!",
      "507f1f77bcf86cd799439011",
      Buffer.from("v1.-1").toString("base64url"),
      // Above int64: PostgreSQL would fail on it and MongoDB would wrap it to a negative Long.
      Buffer.from("v1.9999999999999999999").toString("base64url"),
      Buffer.from("v1.9223372036854775808").toString("base64url"),
      "x".repeat(200),
    ]) {
      expect(() => decodeCursor(bad)).toThrow(ValidationError);
    }
  });
});
