import { ConfigError } from "@wallet/runtime";
import { describe, expect, it } from "vitest";
import { loadGatewayConfig, usesDevJwtSecret } from "./config.js";

describe("config - gateway environment", () => {
  it("starts with local defaults and flags the development JWT secret", () => {
    const config = loadGatewayConfig({});
    expect(config).toMatchObject({
      GATEWAY_HOST: "0.0.0.0",
      GATEWAY_PORT: 3000,
      WALLET_GRPC_URL: "127.0.0.1:50051",
      GATEWAY_UPSTREAM_TIMEOUT_MS: 5000,
      REDIS_URL: "redis://127.0.0.1:6379",
      NATS_URL: "nats://127.0.0.1:4222",
      JWT_ALGORITHMS: ["HS256"],
      RATE_LIMIT_MAX: 100,
      RATE_LIMIT_WINDOW_MS: 60000,
      IDEMPOTENCY_TTL_SECONDS: 86400,
      CACHE_TTL_SECONDS: 30,
      BODY_LIMIT_BYTES: 65536,
      SHUTDOWN_GRACE_MS: 25000,
    });
    expect(usesDevJwtSecret(config)).toBe(true);
    expect(usesDevJwtSecret(loadGatewayConfig({ JWT_SECRET: "s".repeat(32) }))).toBe(false);
  });

  it.each([
    [{ JWT_ALGORITHMS: "none" }, "JWT_ALGORITHMS"],
    [{ JWT_ALGORITHMS: "HS256,none" }, "JWT_ALGORITHMS"],
    [{ JWT_SECRET: "short" }, "JWT_SECRET"],
    [{ JWT_ALGORITHMS: "RS256" }, "JWT_PUBLIC_KEY or JWT_JWKS_URL"],
    [{ JWT_ALGORITHMS: "ES256", JWT_JWKS_URL: "file:///etc/keys" }, "JWT_JWKS_URL"],
    [{ GATEWAY_PORT: "http" }, "GATEWAY_PORT"],
    [{ REDIS_URL: "localhost:6379" }, "REDIS_URL"],
  ])("rejects %o naming %s", (env, name) => {
    expect(() => loadGatewayConfig(env)).toThrow(ConfigError);
    expect(() => loadGatewayConfig(env)).toThrow(name);
  });

  it("accepts an asymmetric allow-list with a key source", () => {
    const config = loadGatewayConfig({
      JWT_ALGORITHMS: "RS256, ES256",
      JWT_JWKS_URL: "https://id.example/jwks",
    });
    expect(config.JWT_ALGORITHMS).toEqual(["RS256", "ES256"]);
    expect(usesDevJwtSecret(config)).toBe(false);
  });
});
