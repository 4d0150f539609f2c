import type { FastifyInstance } from "fastify";

/** GET /healthz: the process is alive (liveness); never rate limited. */
export function healthz(app: FastifyInstance): void {
  app.get(
    "/healthz",
    {
      config: { rateLimit: false },
      schema: { tags: ["ops"], summary: "Liveness", security: [] },
    },
    async () => ({ status: "ok" }),
  );
}
