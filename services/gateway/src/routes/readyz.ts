import type { FastifyInstance } from "fastify";

/** The state /readyz reports: `draining` once shutdown began, and the dependencies' states. */
export interface ReadinessSource {
  draining(): boolean;
  detail(): Record<string, string>;
}

/**
 * GET /readyz: 200 while taking traffic, 503 from the moment shutdown begins.
 * Redis, NATS and wallet states are reported but do not fail readiness: the
 * gateway degrades without Redis/NATS, and every replica shares the same wallet.
 */
export function readyz(app: FastifyInstance, source: ReadinessSource): void {
  app.get(
    "/readyz",
    {
      config: { rateLimit: false },
      schema: { tags: ["ops"], summary: "Readiness", security: [] },
    },
    async (_request, reply) => {
      const draining = source.draining();
      return reply
        .code(draining ? 503 : 200)
        .send({ status: draining ? "draining" : "ready", ...source.detail() });
    },
  );
}
