import fastifyHelmet from "@fastify/helmet";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, describe, expect, it } from "vitest";
import { helmetHeaders, registerSecurityHeaders } from "./securityHeaders.js";

/** The headers of a real HTTP response from `app`, minus the ones that vary per response. */
async function headersOf(app: FastifyInstance, path: string): Promise<Record<string, string>> {
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  await res.text();
  const headers: Record<string, string> = {};
  for (const [name, value] of res.headers) {
    if (!["date", "connection", "keep-alive", "content-length"].includes(name)) headers[name] = value;
  }
  return headers;
}

function appWith(register: (app: FastifyInstance) => void): FastifyInstance {
  const app = Fastify();
  register(app);
  app.get("/thing", async () => ({ ok: true }));
  return app;
}

describe("security headers computed once", () => {
  const apps: FastifyInstance[] = [];
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
  });

  it("sends exactly the headers @fastify/helmet sent, on a route and on a 404", async () => {
    for (const path of ["/thing", "/missing"]) {
      const before = appWith((app) => app.register(fastifyHelmet));
      const after = appWith(registerSecurityHeaders);
      apps.push(before, after);
      const expected = await headersOf(before, path);
      expect(await headersOf(after, path)).toEqual(expected);
      expect(expected["content-security-policy"]).toContain("default-src 'self'");
      expect(expected["strict-transport-security"]).toMatch(/^max-age=\d+; includeSubDomains$/);
      expect(expected["x-content-type-options"]).toBe("nosniff");
      expect(expected["x-frame-options"]).toBe("SAMEORIGIN");
      expect(expected["cross-origin-opener-policy"]).toBe("same-origin");
    }
  });

  it("records the full default set once, and strips X-Powered-By", () => {
    const { set, removed } = helmetHeaders();
    expect(Object.keys(set).sort()).toEqual(
      [
        "content-security-policy",
        "cross-origin-opener-policy",
        "cross-origin-resource-policy",
        "origin-agent-cluster",
        "referrer-policy",
        "strict-transport-security",
        "x-content-type-options",
        "x-dns-prefetch-control",
        "x-download-options",
        "x-frame-options",
        "x-permitted-cross-domain-policies",
        "x-xss-protection",
      ].sort(),
    );
    expect(removed).toEqual(["x-powered-by"]);
  });
});
