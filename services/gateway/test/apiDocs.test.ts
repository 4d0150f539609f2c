import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GatewayStack, startStack } from "./stack.js";

// The documentation is built on first request (not at start-up); these check it is still all there.
describe("gateway API documentation - /openapi.json and Swagger UI at /docs, built on first use", () => {
  let stack: GatewayStack;

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("/docs serves Swagger UI, its assets and the same document as /openapi.json, with the security headers", async () => {
    // Concurrent first requests share one build of the documentation.
    const [ui, doc] = await Promise.all([
      stack.gateway.call("GET", "/docs"),
      stack.gateway.call("GET", "/openapi.json"),
    ]);
    expect(ui.status).toBe(200);
    expect(ui.headers.get("content-type")).toMatch(/^text\/html/);
    expect(ui.text).toContain("swagger-ui");
    expect(ui.headers.get("x-content-type-options")).toBe("nosniff");
    expect(ui.headers.get("content-security-policy")).toMatch(/default-src 'self'/);

    const initializer = await stack.gateway.call("GET", "/docs/static/swagger-initializer.js");
    expect(initializer.status).toBe(200);
    expect(initializer.text).toContain("SwaggerUIBundle");
    const bundle = await stack.gateway.call("GET", "/docs/static/swagger-ui-bundle.js");
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get("content-type")).toMatch(/javascript/);
    expect(bundle.text.length).toBeGreaterThan(100_000);
    expect((await stack.gateway.call("GET", "/docs/static/no-such-file.js")).status).toBe(404);

    expect(doc.status).toBe(200);
    const fromUi = await stack.gateway.call("GET", "/docs/json");
    expect(fromUi.status).toBe(200);
    expect(fromUi.body).toEqual(doc.body);
  });

  it("the OpenAPI document lists every API route, holds and reversals included, and none of the documentation's own (/docs, /openapi.json)", async () => {
    const doc = (await stack.gateway.call("GET", "/openapi.json")).body;
    expect(doc.openapi).toBe("3.0.3");
    expect(doc.info.title).toBe("Wallet gateway");
    expect(Object.keys(doc.paths).sort()).toEqual([
      "/api/holds",
      "/api/holds/{holdId}",
      "/api/holds/{holdId}/capture",
      "/api/holds/{holdId}/void",
      "/api/transactions",
      "/api/transactions/{transactionId}/reversals",
      "/api/transfers",
      "/api/wallets",
      "/api/wallets/credit",
      "/api/wallets/debit",
      "/api/wallets/{walletId}",
      "/healthz",
      "/metrics",
      "/readyz",
    ]);
    expect(Object.keys(doc.paths["/api/holds"]).sort()).toEqual(["get", "post"]);
    expect(Object.keys(doc.paths["/api/holds/{holdId}"])).toEqual(["get"]);
    expect(Object.keys(doc.paths["/api/holds/{holdId}/capture"])).toEqual(["post"]);
    expect(Object.keys(doc.paths["/api/holds/{holdId}/void"])).toEqual(["post"]);
    // Capture may come without a body (x-optional-body), placing a hold may not.
    expect(doc.paths["/api/holds/{holdId}/capture"].post.requestBody.required).toBe(false);
    expect(doc.paths["/api/holds/{holdId}/capture"].post).not.toHaveProperty("x-optional-body");
    expect(doc.paths["/api/holds"].post.requestBody.required).toBe(true);
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
  });
});
