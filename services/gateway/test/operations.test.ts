import { connect, type NatsConnection } from "@nats-io/transport-node";
import { TransactionCommitted } from "@wallet/contracts";
import { TRANSACTION_COMMITTED_SUBJECT } from "@wallet/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GatewayStack, newKey, startStack } from "./stack.js";

describe("gateway operations - correlation, headers, metrics, docs", () => {
  let stack: GatewayStack;
  let nc: NatsConnection;
  let alice: string;

  beforeAll(async () => {
    stack = await startStack();
    nc = await connect({ servers: stack.nats.url });
    alice = await stack.token("alice", { email: "alice@example.com" });
  });
  afterAll(async () => {
    await nc?.close();
    await stack?.stop();
  });

  it("x-request-id - echoed when given, generated when absent or unsafe", async () => {
    const given = await stack.gateway.call("GET", "/healthz", { headers: { "x-request-id": "req-123" } });
    expect(given.headers.get("x-request-id")).toBe("req-123");
    const made = await stack.gateway.call("GET", "/healthz");
    expect(made.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const unsafe = await stack.gateway.call("GET", "/healthz", { headers: { "x-request-id": "a b\tc" } });
    expect(unsafe.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("x-request-id travels to the wallet and into its event; the JWT email becomes the owner's email", async () => {
    const created = await stack.gateway.call("POST", "/api/wallets", {
      token: alice,
      body: { currency: "USD" },
    });
    const walletId = created.body.data.id;
    const sub = nc.subscribe(TRANSACTION_COMMITTED_SUBJECT, { max: 1 });
    await nc.flush();
    const res = await stack.gateway.call("POST", "/api/wallets/credit", {
      token: alice,
      body: { walletId, amount: 100, metadata: { ref: "order-456" } },
      headers: { "idempotency-key": newKey(), "x-request-id": "corr-flow-1" },
    });
    expect(res.status).toBe(200);
    for await (const msg of sub) {
      const event = TransactionCommitted.decode(msg.data);
      expect(event).toMatchObject({
        walletId,
        ownerId: "alice",
        ownerEmail: "alice@example.com",
        amount: 100n,
      });
      expect(event.metadata).toEqual({ ref: "order-456" });
      expect(msg.headers?.get("x-request-id")).toBe("corr-flow-1");
    }
  });

  it("security headers on every response, and no stack traces in errors", async () => {
    for (const res of [
      await stack.gateway.call("GET", "/healthz"),
      await stack.gateway.call("GET", "/api/wallets"),
      await stack.gateway.call("GET", "/no/such/route"),
    ]) {
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("content-security-policy")).toContain("default-src 'self'");
      expect(res.headers.get("x-frame-options")).toBe("SAMEORIGIN");
      expect(res.headers.get("x-powered-by")).toBeNull();
      expect(res.text).not.toMatch(/\n\s+at /);
    }
    const missing = await stack.gateway.call("GET", "/no/such/route");
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("NOT_FOUND");
  });

  it("/metrics - request counts and latency by route, upstream errors, RSS", async () => {
    await stack.gateway.call("GET", "/api/wallets/00000000-0000-4000-8000-000000000000", { token: alice });
    const metrics = (await stack.gateway.call("GET", "/metrics")).text;
    expect(metrics).toMatch(
      /http_requests_total\{[^}]*method="GET"[^}]*route="\/api\/wallets\/:walletId"[^}]*status="404"/,
    );
    expect(metrics).toMatch(/http_request_duration_seconds_bucket\{[^}]*route="\/api\/wallets\/:walletId"/);
    expect(metrics).toMatch(
      /gateway_upstream_errors_total\{[^}]*rpc="getWallet"[^}]*code="WALLET_NOT_FOUND"/,
    );
    expect(metrics).toMatch(/process_resident_memory_bytes\{[^}]*\} \d+/);
  });

  it("/readyz reports its dependencies; /openapi.json and /docs describe every route", async () => {
    const ready = await stack.gateway.call("GET", "/readyz");
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: "ready", redis: "ready", nats: "connected" });
    const doc = await stack.gateway.call("GET", "/openapi.json");
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        "/api/wallets",
        "/api/wallets/{walletId}",
        "/api/wallets/credit",
        "/api/wallets/debit",
        "/api/transfers",
        "/api/transactions",
      ]),
    );
    expect(
      doc.body.paths["/api/wallets/credit"].post.requestBody.content["application/json"].schema.properties
        .amount,
    ).toMatchObject({ type: "integer", minimum: 1, maximum: 9007199254740991 });
    const ui = await stack.gateway.call("GET", "/docs");
    expect(ui.status).toBe(200);
    expect(ui.text).toContain("swagger-ui");
  });
});
