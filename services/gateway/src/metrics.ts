import { Counter, Histogram, type Registry } from "prom-client";

/** The gateway's own series, registered beside the process metrics in `registry`. */
export function createGatewayMetrics(registry: Registry) {
  const registers = [registry];
  const labelNames = ["method", "route", "status"] as const;
  return {
    registry,
    httpRequests: new Counter({
      name: "http_requests_total",
      help: "HTTP requests by method, route template and status",
      labelNames,
      registers,
    }),
    httpDuration: new Histogram({
      name: "http_request_duration_seconds",
      help: "HTTP request latency by method, route template and status",
      labelNames,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    upstreamErrors: new Counter({
      name: "gateway_upstream_errors_total",
      help: "Failed wallet gRPC calls by RPC and error code",
      labelNames: ["rpc", "code"] as const,
      registers,
    }),
    redisFailures: new Counter({
      name: "gateway_redis_failures_total",
      help: "Redis failures bypassed (fail open), by use (connection, rate_limit, idempotency, history_cache)",
      labelNames: ["use"] as const,
      registers,
    }),
    cacheLookups: new Counter({
      name: "gateway_history_cache_lookups_total",
      help: "Transaction history cache lookups by result (hit, miss)",
      labelNames: ["result"] as const,
      registers,
    }),
    cacheInvalidations: new Counter({
      name: "gateway_history_cache_invalidations_total",
      help: "Wallet history invalidations by source: write through this gateway, committed event, or event_skipped (an event of this gateway's own write, already invalidated)",
      labelNames: ["source"] as const,
      registers,
    }),
    idempotency: new Counter({
      name: "gateway_idempotency_outcomes_total",
      help: "Idempotency-Key claims by outcome (claimed, replay, in_flight, reused)",
      labelNames: ["outcome"] as const,
      registers,
    }),
  };
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;
