import { MAX_OWNER_ID_LENGTH } from "@wallet/contracts";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fundedWallet, type GatewayStack, newKey, startStackForAlice } from "./stack.js";

/*
 * Values that used to pass the gateway and then fail in PostgreSQL (500) or be
 * refused by the wallet on every call (a subject one character longer than the
 * wallet's limit) are refused or handled at the gateway, with nothing applied.
 */
describe("gateway inputs the store cannot hold", () => {
  let stack: GatewayStack;
  let alice: string;
  let walletId: string;
  let otherId: string;

  beforeAll(async () => {
    ({ stack, alice, walletId } = await startStackForAlice(1000));
    otherId = await fundedWallet(stack.gateway, await stack.token("bob"), "USD", 0);
  });
  afterAll(() => stack?.stop());

  const snapshot = async () => {
    const wallet = await stack.gateway.call("GET", `/api/wallets/${walletId}`, { token: alice });
    const history = await stack.gateway.call("GET", `/api/transactions?walletId=${walletId}&limit=100`, {
      token: alice,
    });
    return { wallet: wallet.body.data, history: history.body.data.items };
  };

  // Raw JSON text: "\u0000" and "\ud800" are JSON escapes the body parser turns into NUL / a lone surrogate.
  it.each([
    ["a metadata value with NUL", '{"note":"a\\u0000b"}'],
    ["a metadata value with a lone high surrogate", '{"note":"\\ud800"}'],
    ["a metadata value with a lone low surrogate", '{"note":"x\\udfffy"}'],
    ["a metadata key with NUL", '{"k\\u0000":"v"}'],
  ])("%s - 400 VALIDATION_FAILED on credit, debit and transfer, nothing applied", async (_name, metadata) => {
    const before = await snapshot();
    for (const [path, body] of [
      ["/api/wallets/credit", `{"walletId":"${walletId}","amount":5,"metadata":${metadata}}`],
      ["/api/wallets/debit", `{"walletId":"${walletId}","amount":5,"metadata":${metadata}}`],
      [
        "/api/transfers",
        `{"fromWalletId":"${walletId}","toWalletId":"${otherId}","amount":5,"metadata":${metadata}}`,
      ],
    ] as const) {
      const res = await stack.gateway.call("POST", path, {
        token: alice,
        rawBody: body,
        headers: { "idempotency-key": newKey("text") },
      });
      expect(res.status, `${path} ${res.text}`).toBe(400);
      expect(res.body.error.code).toBe("VALIDATION_FAILED");
      expect(res.body.error.message).toMatch(/^metadata/);
    }
    expect(await snapshot()).toEqual(before);
  });

  it("a paired surrogate (an emoji) is a character like any other, up to 512 of them", async () => {
    const note = "\u{1F600}".repeat(512);
    const res = await stack.gateway.call("POST", "/api/wallets/credit", {
      token: alice,
      body: { walletId, amount: 1, metadata: { note } },
      headers: { "idempotency-key": newKey("emoji") },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.data.metadata).toEqual({ note });
  });

  it("a cursor naming a version above 2^63-1 - 400 VALIDATION_FAILED", async () => {
    for (const version of ["9999999999999999999", "9223372036854775808"]) {
      const cursor = Buffer.from(`v1.${version}`).toString("base64url");
      const res = await stack.gateway.call("GET", `/api/transactions?walletId=${walletId}&cursor=${cursor}`, {
        token: alice,
      });
      expect(res.status, res.text).toBe(400);
      expect(res.body.error).toMatchObject({ code: "VALIDATION_FAILED" });
    }
  });

  it("a JWT email claim with control characters is ignored: the wallet is created without an email", async () => {
    for (const [i, email] of [
      "carol\u0000@example.com",
      "carol@example.com\r\nBcc: x@example.com",
    ].entries()) {
      const sub = `carol-${i}`;
      const token = await stack.token(sub, { email });
      const res = await stack.gateway.call("POST", "/api/wallets", { token, body: { currency: "USD" } });
      expect(res.status, res.text).toBe(201);
      const db = new pg.Client({ connectionString: stack.dbUrl });
      await db.connect();
      try {
        const { rows } = await db.query("SELECT owner_email FROM wallets WHERE owner_id = $1", [sub]);
        expect(rows).toEqual([{ owner_email: "" }]);
      } finally {
        await db.end();
      }
    }
    // A clean claim is kept.
    const token = await stack.token("dave", { email: "dave@example.com" });
    expect(
      (await stack.gateway.call("POST", "/api/wallets", { token, body: { currency: "USD" } })).status,
    ).toBe(201);
  });

  it("subjects - the wallet's limit is the gateway's: 255 characters work, 256 are an invalid token", async () => {
    const longest = "s".repeat(MAX_OWNER_ID_LENGTH);
    const ok = await stack.token(longest);
    const created = await stack.gateway.call("POST", "/api/wallets", {
      token: ok,
      body: { currency: "USD" },
    });
    expect(created.status, created.text).toBe(201);
    const credited = await stack.gateway.call("POST", "/api/wallets/credit", {
      token: ok,
      body: { walletId: created.body.data.id, amount: 3 },
      headers: { "idempotency-key": newKey("long-sub") },
    });
    expect(credited.status, credited.text).toBe(200);

    for (const sub of [`${longest}s`, "a\u0000b", "tab\there"]) {
      const token = await stack.token(sub);
      for (const [method, path] of [
        ["GET", "/api/wallets"],
        ["POST", "/api/wallets"],
      ] as const) {
        const res = await stack.gateway.call(method, path, {
          token,
          body: method === "POST" ? { currency: "USD" } : undefined,
        });
        expect(res.status, `${sub.length} ${method} ${path}: ${res.text}`).toBe(401);
        expect(res.body.error.code).toBe("UNAUTHORIZED");
      }
    }
  });
});
