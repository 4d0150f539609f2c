import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { balanceOf, fundedWallet, type GatewayStack, newKey, startStackForAlice } from "./stack.js";

describe("gateway request validation - bodies, amounts, content types", () => {
  let stack: GatewayStack;
  let alice: string;
  let walletId: string;

  beforeAll(async () => {
    ({ stack, alice, walletId } = await startStackForAlice(1000));
  });
  afterAll(() => stack?.stop());

  const credit = (rawBody: string, headers: Record<string, string> = {}) =>
    stack.gateway.call("POST", "/api/wallets/credit", {
      token: alice,
      rawBody,
      headers: { "idempotency-key": newKey("invalid"), ...headers },
    });

  it.each([
    ["negative", "-10"],
    ["zero", "0"],
    ["fractional", "10.5"],
    ["integral with a fraction part", "100.0"],
    ["string", '"100"'],
    ["exponent", "1e3"],
    ["upper-case exponent", "1E3"],
    ["above 2^53-1", "9007199254740992"],
    ["far above 2^53-1", "123456789012345678901234567890"],
    ["null", "null"],
    ["boolean", "true"],
  ])("amount %s (%s) - 400 VALIDATION_FAILED naming amount, balance unchanged", async (_name, literal) => {
    for (const path of ["/api/wallets/credit", "/api/wallets/debit"]) {
      const res = await stack.gateway.call("POST", path, {
        token: alice,
        rawBody: `{"walletId":"${walletId}","amount":${literal}}`,
        headers: { "idempotency-key": newKey("amount") },
      });
      expect(res.status, path).toBe(400);
      expect(res.body.error.code).toBe("VALIDATION_FAILED");
      expect(res.body.error.message).toMatch(/^amount /);
    }
    expect(await balanceOf(stack.gateway, alice, walletId)).toBe(1000);
  });

  it("the largest amount, 2^53-1, is accepted and round-trips exactly", async () => {
    const rich = await fundedWallet(stack.gateway, alice, "EUR", 0);
    const res = await stack.gateway.call("POST", "/api/wallets/credit", {
      token: alice,
      rawBody: `{"walletId":"${rich}","amount":9007199254740991}`,
      headers: { "idempotency-key": newKey("max") },
    });
    expect(res.status).toBe(200);
    expect(res.text).toContain('"balance":9007199254740991');
  });

  it("expectedVersion must be a plain integer too", async () => {
    const res = await stack.gateway.call("POST", "/api/wallets/debit", {
      token: alice,
      rawBody: `{"walletId":"${walletId}","amount":1,"expectedVersion":1e0}`,
      headers: { "idempotency-key": newKey("version") },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^expectedVersion /);
  });

  it("malformed JSON - 400 VALIDATION_FAILED", async () => {
    const res = await credit(`{"walletId":"${walletId}","amount":`);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "VALIDATION_FAILED", message: "Body is not valid JSON" });
  });

  it("1 MB body - 413 PAYLOAD_TOO_LARGE", async () => {
    const res = await credit(
      JSON.stringify({ walletId, amount: 1, metadata: { blob: "x".repeat(1024 * 1024) } }),
    );
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it.each(["text/plain", "application/x-www-form-urlencoded", "application/xml"])(
    "content type %s - 415 UNSUPPORTED_MEDIA_TYPE",
    async (type) => {
      const res = await credit(`{"walletId":"${walletId}","amount":1}`, { "content-type": type });
      expect(res.status).toBe(415);
      expect(res.body.error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
    },
  );

  it.each([
    ["unknown field", { amount: 1, extra: true }, "extra is not allowed"],
    ["missing walletId", { amount: 1, walletId: undefined }, "walletId is required"],
    ["metadata with a number", { amount: 1, metadata: { n: 1 } }, "metadata.n must be string"],
    ["metadata with a fraction", { amount: 1, metadata: { n: 1.5 } }, "metadata.n must be string"],
  ])("%s - 400 naming the field", async (_name, body, message) => {
    const res = await credit(JSON.stringify({ walletId, ...body }));
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "VALIDATION_FAILED", message });
  });

  it("invalid currency - 400 naming currency", async () => {
    const res = await stack.gateway.call("POST", "/api/wallets", { token: alice, body: { currency: "usd" } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^currency /);
  });

  it("nothing above changed the balance", async () => {
    expect(await balanceOf(stack.gateway, alice, walletId)).toBe(1000);
  });
});
