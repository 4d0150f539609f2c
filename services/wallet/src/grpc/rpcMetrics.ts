import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** Requests and latency by method and gRPC status code, and the unary calls in flight. */
export class RpcMetrics {
  private readonly handled: Counter<"method" | "code">;
  private readonly latency: Histogram<"method" | "code">;

  constructor(registry: Registry, inFlight: { readonly size: number }) {
    new Gauge({
      name: "grpc_server_in_flight",
      help: "Unary RPCs being handled (received, not yet answered)",
      registers: [registry],
      collect() {
        this.set(inFlight.size);
      },
    });
    this.handled = new Counter({
      name: "grpc_server_handled_total",
      help: "RPCs completed, by method and status code",
      labelNames: ["method", "code"],
      registers: [registry],
    });
    this.latency = new Histogram({
      name: "grpc_server_handling_seconds",
      help: "RPC latency, by method and status code",
      labelNames: ["method", "code"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
  }

  observe(method: string, code: string, seconds: number): void {
    this.handled.inc({ method, code });
    this.latency.observe({ method, code }, seconds);
  }
}
