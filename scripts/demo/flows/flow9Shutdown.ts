import type { Exchange } from "../../lib/http.js";
import { freePort } from "../../lib/ports.js";
import { spawnService, waitUntilReady } from "../../lib/serviceProcess.js";
import { startPausableProxy } from "../pausableProxy.js";
import type { Session } from "../session.js";
import { check, heading, say, showExchange } from "../transcript.js";

const GRACE_MS = 10_000;
const HOLD_MS = 1500;

/**
 * Flow 9: a second gateway (same wallet, Redis and NATS) gets SIGTERM while a
 * credit is in flight. The credit is held on its way to the wallet by a pausable
 * relay, so it is still running when the signal arrives.
 */
export async function flow9Shutdown(s: Session): Promise<void> {
  heading(
    "Flow 9",
    "Graceful shutdown",
    `A second gateway process is started on a free port and sent SIGTERM with a credit in flight: readiness turns 503 at once, new requests get 503, the credit in flight completes with 200, and the process exits 0 within its grace period (SHUTDOWN_GRACE_MS=${GRACE_MS}). The platform's own gateway is not touched.`,
  );
  const proxy = await startPausableProxy(s.config.walletGrpcUrl);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    GATEWAY_HOST: "127.0.0.1",
    GATEWAY_PORT: String(port),
    WALLET_GRPC_URL: `127.0.0.1:${proxy.port}`,
    REDIS_URL: s.config.redisUrl,
    NATS_URL: s.config.natsUrl,
    SHUTDOWN_GRACE_MS: String(GRACE_MS),
    ...s.config.serviceEnv,
  };
  for (const [name, value] of Object.entries({
    JWT_SECRET: s.config.jwtSecret,
    JWT_ISSUER: s.config.jwtIssuer,
    JWT_AUDIENCE: s.config.jwtAudience,
  })) {
    if (value) env[name] = value;
  }
  const gateway = spawnService("gateway", env);
  try {
    say(`second gateway: pid ${gateway.pid} on ${url}, reaching the wallet through a pausable relay`);
    await waitUntilReady(gateway, `${url}/readyz`, 30_000);
    const { token, walletId } = s.user;
    await s.call("GET", "/api/wallets", { token, baseUrl: url, label: "warm-up" });

    proxy.pause();
    const sent = performance.now();
    const inFlight = s.call("POST", "/api/wallets/credit", {
      token,
      baseUrl: url,
      body: { walletId, amount: 1 },
      headers: { "idempotency-key": s.key("flow-9") },
      quiet: true,
    });
    await new Promise((r) => setTimeout(r, 300));
    say(`credit sent; the relay holds it for ${HOLD_MS / 1000} s. kill -TERM ${gateway.pid}`);
    gateway.signal("SIGTERM");
    const signalled = performance.now();
    await gateway.waitForLog((l) => l.msg === "shutting down", 5000);
    const resume = setTimeout(() => proxy.resume(), HOLD_MS - 300);

    const ready = await s.call("GET", "/readyz", { baseUrl: url, label: "during drain" }).catch(refused);
    check(ready.status === 503, "readiness: 503 at once (a load balancer stops sending traffic)");
    const fresh = await s
      .call("GET", "/api/wallets", { token, baseUrl: url, label: "new request" })
      .catch(refused);
    check(
      fresh.status === 503 && fresh.body?.error?.code === "UNAVAILABLE",
      fresh.status === 0
        ? "new request: connection refused (expected 503 UNAVAILABLE)"
        : "new request: 503 UNAVAILABLE",
    );

    const credit = await inFlight;
    clearTimeout(resume);
    proxy.resume();
    say(`in flight (sent ${((signalled - sent) / 1000).toFixed(1)} s before SIGTERM):`);
    showExchange(credit, { label: "in flight" });
    check(credit.status === 200, "the credit in flight completed with 200");

    const exit = await Promise.race([
      gateway.exited,
      new Promise<undefined>((r) => setTimeout(() => r(undefined), GRACE_MS + 5000)),
    ]);
    const took = (performance.now() - signalled) / 1000;
    for (const line of gateway.logs.filter((l) =>
      ["shutting down", "shutdown complete"].includes(String(l.msg)),
    )) {
      say(`gateway log: ${line.msg}${line.signal ? ` (${line.signal})` : ""}`);
    }
    check(
      exit?.code === 0,
      `exit ${exit ? (exit.signal ?? exit.code) : "(still running)"} ${took.toFixed(1)} s after SIGTERM (grace ${GRACE_MS / 1000} s)`,
    );
  } finally {
    await gateway.stop("SIGKILL", 5000);
    await proxy.close();
  }
}

function refused(err: Error): Exchange {
  say(`(connection failed: ${err.cause instanceof Error ? err.cause.message : err.message})`);
  return {
    method: "",
    path: "",
    requestHeaders: {},
    status: 0,
    headers: new Headers(),
    text: "",
    body: undefined,
    ms: 0,
  };
}
