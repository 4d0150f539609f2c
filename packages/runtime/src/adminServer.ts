import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

export interface Readiness {
  ready: boolean;
  detail: Record<string, unknown>;
}

export interface AdminServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Serves /healthz (process alive), /readyz (200 or 503 with detail) and
 * /metrics (Prometheus text) on its own port, away from the service's traffic.
 */
export async function startAdminServer(opts: {
  host: string;
  port: number;
  registry: Registry;
  readiness: () => Readiness | Promise<Readiness>;
}): Promise<AdminServer> {
  const server: Server = createServer(async (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    try {
      if (path === "/healthz") {
        return send(res, 200, "application/json", JSON.stringify({ status: "ok" }));
      }
      if (path === "/readyz") {
        const r = await opts.readiness();
        const body = JSON.stringify({ status: r.ready ? "ready" : "not ready", ...r.detail });
        return send(res, r.ready ? 200 : 503, "application/json", body);
      }
      if (path === "/metrics") {
        return send(res, 200, opts.registry.contentType, await opts.registry.metrics());
      }
      send(res, 404, "application/json", JSON.stringify({ error: "not found" }));
    } catch {
      send(res, 500, "application/json", JSON.stringify({ error: "internal" }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: import("node:http").ServerResponse, status: number, type: string, body: string) {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
  res.end(body);
}
