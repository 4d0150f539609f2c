import type { FastifyInstance } from "fastify";
import { ApiError } from "../http/apiError.js";

const ALWAYS_SERVED = new Set(["/healthz", "/readyz", "/metrics"]);

/**
 * Shutdown behaviour: from the moment `close()` starts, readiness reports 503
 * and new requests get 503 (with `Connection: close`) while the requests
 * already running finish; Fastify then closes the server and the onClose hooks
 * release NATS, Redis and the gRPC channel.
 */
export function registerDraining(app: FastifyInstance): { draining(): boolean } {
  let draining = false;
  app.addHook("preClose", async () => {
    draining = true;
  });
  app.addHook("onRequest", async (request, reply) => {
    if (!draining || ALWAYS_SERVED.has(request.url.split("?")[0]!)) return;
    reply.header("connection", "close");
    throw new ApiError(503, "UNAVAILABLE", "Shutting down, retry on another instance");
  });
  return { draining: () => draining };
}
