import type { FastifyInstance } from "fastify";
import { ApiError } from "../http/apiError.js";

declare module "fastify" {
  interface FastifyInstance {
    /**
     * Starts the shutdown: readiness turns 503 and new requests get 503 at once,
     * then resolves when the requests already admitted have finished (or `graceMs` passed).
     */
    drain(): Promise<void>;
  }
}

// Probes and scrapes keep working while draining, so the orchestrator sees the state.
const ALWAYS_SERVED = new Set(["/healthz", "/readyz", "/metrics"]);

/**
 * Shutdown behaviour. While draining, the server keeps listening so that late
 * requests get a clear 503 (with `Connection: close`) instead of a refused
 * connection, and the requests admitted before keep running to completion.
 * `close()` also drains (through preClose) for callers that skip `drain()`.
 */
export function registerDraining(app: FastifyInstance, graceMs: number): { draining(): boolean } {
  let draining = false;
  let inFlight = 0;
  let onIdle: (() => void) | undefined;

  app.addHook("onRequest", async (request, reply) => {
    if (ALWAYS_SERVED.has(request.url.split("?")[0]!)) return;
    if (draining) {
      reply.header("connection", "close");
      throw new ApiError(503, "UNAVAILABLE", "Shutting down, retry on another instance");
    }
    inFlight += 1;
    // 'close' fires whether the response finished or the client went away.
    reply.raw.once("close", () => {
      inFlight -= 1;
      if (inFlight === 0) onIdle?.();
    });
  });

  app.decorate("drain", async () => {
    draining = true;
    if (inFlight === 0) return;
    await new Promise<void>((resolve) => {
      onIdle = resolve;
      setTimeout(resolve, graceMs).unref();
    });
  });
  app.addHook("preClose", async () => {
    draining = true;
  });
  return { draining: () => draining };
}
