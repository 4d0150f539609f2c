import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { isValidRequestId, type Logger, REQUEST_ID_HEADER } from "@wallet/runtime";
import type { FastifyInstance } from "fastify";
import type { GatewayMetrics } from "../metrics.js";

/** The caller's x-request-id when it is sane, else a new UUID (Fastify's genReqId). */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return isValidRequestId(given) ? given : randomUUID();
}

/**
 * Echoes x-request-id on every response, and on completion writes one log line
 * (carrying reqId) and the request's metrics, labelled by route template. The
 * line is at info, except for cache hits (`x-cache: HIT`), logged at debug.
 */
export function registerRequestTelemetry(app: FastifyInstance, metrics: GatewayMetrics): void {
  app.addHook("onRequest", async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });

  app.addHook("onResponse", async (request, reply) => {
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? "unmatched",
      status: String(reply.statusCode),
    };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
    // A history page served from the cache is the hot path: its line is at debug, so at
    // the production level it costs neither the object nor the write.
    const level = reply.getHeader("x-cache") === "HIT" ? "debug" : "info";
    if (!(request.log as Logger).isLevelEnabled(level)) return;
    request.log[level](
      {
        method: request.method,
        url: request.url,
        statusCode: reply.statusCode,
        responseTime: reply.elapsedTime,
      },
      "request completed",
    );
  });
}
