import type { FastifyInstance } from "fastify";

/** GET /openapi.json: the OpenAPI 3 document built from the route schemas. */
export function openapi(app: FastifyInstance): void {
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
}
