import type { FastifyInstance } from "fastify";

/** GET /openapi.json: the OpenAPI 3 document built from the route schemas (on first request). */
export function openapi(app: FastifyInstance, document: () => Promise<unknown>): void {
  app.get("/openapi.json", { schema: { hide: true } }, () => document());
}
