import type { FastifyInstance } from "fastify";
import type { Registry } from "prom-client";

/** GET /metrics: Prometheus text; never rate limited. */
export function metrics(app: FastifyInstance, registry: Registry): void {
  app.get(
    "/metrics",
    { config: { rateLimit: false }, schema: { tags: ["ops"], summary: "Prometheus metrics", security: [] } },
    async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  );
}
