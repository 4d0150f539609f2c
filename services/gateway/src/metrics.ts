import { Counter, Histogram, type Registry } from "prom-client";

/** The gateway's own series, registered beside the process metrics in `registry`. */
export function createGatewayMetrics(registry: Registry) {
  const registers = [registry];
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter({ name, help, labelNames, registers });
  const labelNames = ["method", "route", "status"] as const;
  return {
    registry,
    httpRequests: counter(
      "http_requests_total",
      "HTTP requests by method, route template and status",
      labelNames,
    ),
    httpDuration: new Histogram({
      name: "http_request_duration_seconds",
      help: "HTTP request latency by method, route template and status",
      labelNames,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    upstreamErrors: counter(
      "gateway_upstream_errors_total",
      "Failed wallet gRPC calls by RPC and error code",
      ["rpc", "code"],
    ),
    redisFailures: counter(
      "gateway_redis_failures_total",
      "Redis failures bypassed (fail open), by use (connection, rate_limit, idempotency, history_cache)",
      ["use"],
    ),
    cacheLookups: counter(
      "gateway_history_cache_lookups_total",
      "Transaction history cache lookups by result (hit, miss)",
      ["result"],
    ),
    cacheInvalidations: counter(
      "gateway_history_cache_invalidations_total",
      "Wallet history invalidations by source: write through this gateway, committed event, or event_skipped (an event of this gateway's own write, already invalidated)",
      ["source"],
    ),
    idempotency: counter(
      "gateway_idempotency_outcomes_total",
      "Idempotency-Key claims by outcome (claimed, replay, in_flight, reused)",
      ["outcome"],
    ),
  };
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;
