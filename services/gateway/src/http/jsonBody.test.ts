import { describe, expect, it } from "vitest";
import { ApiError } from "./apiError.js";
import { parseJsonBody } from "./jsonBody.js";

describe("jsonBody - integer literals", () => {
  it("keeps plain integers as numbers", () => {
    expect(parseJsonBody('{"amount":100,"n":-5,"big":9007199254740991}')).toEqual({
      amount: 100,
      n: -5,
      big: 9007199254740991,
    });
  });

  it("turns fractions and exponents into non-numbers", () => {
    const body = parseJsonBody('{"a":1e3,"b":100.0,"c":1.5E-2,"d":2}') as Record<string, unknown>;
    expect(typeof body.a).toBe("object");
    expect(typeof body.b).toBe("object");
    expect(typeof body.c).toBe("object");
    expect(body.d).toBe(2);
  });

  it("leaves number-like text inside strings alone", () => {
    expect(parseJsonBody('{"metadata":{"v":"1.5e3 \\" 2.0"},"amount":7}')).toEqual({
      metadata: { v: '1.5e3 " 2.0' },
      amount: 7,
    });
  });

  it("rejects malformed JSON with a validation error", () => {
    expect(() => parseJsonBody('{"amount":')).toThrow(ApiError);
    expect(() => parseJsonBody("")).toThrow("Body is not valid JSON");
  });
});

describe("jsonBody - prototype poisoning", () => {
  it.each([
    ['{"walletId":"w","__proto__":{"admin":true}}'],
    ['{"metadata":{"\\u005f_proto__":{"x":"1"}}}'],
    ['{"a":{"constructor":{"prototype":{"polluted":"yes"}}}}'],
  ])("refuses %s with VALIDATION_FAILED and pollutes nothing", (raw) => {
    expect(() => parseJsonBody(raw)).toThrow(/forbidden key/);
    try {
      parseJsonBody(raw);
    } catch (err) {
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).statusCode).toBe(400);
      expect((err as ApiError).code).toBe("VALIDATION_FAILED");
    }
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("still accepts a plain constructor key and keeps the number checks", () => {
    expect(parseJsonBody('{"metadata":{"constructor":"x"},"amount":3}')).toEqual({
      metadata: { constructor: "x" },
      amount: 3,
    });
    expect(typeof (parseJsonBody('{"amount":1e2}') as { amount: unknown }).amount).toBe("object");
  });
});
