import { usesDevJwtSecret } from "@wallet/auth";
import { ConfigError } from "@wallet/runtime";
import { describe, expect, it } from "vitest";
import { gatewayDevDefaults, loadGatewayConfig } from "./config.js";

const DEV = { DEV_MODE: "true" };
const ASYMMETRIC = { JWT_ISSUER: "https://id.example/", JWT_AUDIENCE: "wallet-api" };

describe("config - gateway environment", () => {
  it("starts with local defaults in DEV_MODE and flags the development JWT secret", () => {
    const config = loadGatewayConfig(DEV);
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
      DEV_MODE: true,
      CREDIT_SCOPE: "wallet:credit",
      TRUST_PROXY: false,
    });
    expect(usesDevJwtSecret(config)).toBe(true);
    expect(usesDevJwtSecret(loadGatewayConfig({ ...DEV, JWT_SECRET: "s".repeat(32) }))).toBe(false);
  });

  it.each([
    [{ JWT_ALGORITHMS: "none" }, "JWT_ALGORITHMS"],
    [{ JWT_ALGORITHMS: "HS256,none" }, "JWT_ALGORITHMS"],
    [{ JWT_SECRET: "short" }, "JWT_SECRET"],
    [{ JWT_ALGORITHMS: "RS256" }, "JWT_PUBLIC_KEY or JWT_JWKS_URL"],
    [{ JWT_ALGORITHMS: "ES256", JWT_JWKS_URL: "file:///etc/keys" }, "JWT_JWKS_URL"],
    [{ GATEWAY_PORT: "http" }, "GATEWAY_PORT"],
    [{ REDIS_URL: "localhost:6379" }, "REDIS_URL"],
    [{ NATS_URL: "http://127.0.0.1:4222" }, "NATS_URL"],
    [{ SHUTDOWN_GRACE_MS: "600001" }, "SHUTDOWN_GRACE_MS"],
  ])("rejects %o naming %s", (env, name) => {
    expect(() => loadGatewayConfig({ ...DEV, ...env })).toThrow(ConfigError);
    expect(() => loadGatewayConfig({ ...DEV, ...env })).toThrow(name);
  });

  it("accepts an asymmetric allow-list with a key source", () => {
    const config = loadGatewayConfig({
      ...DEV,
      ...ASYMMETRIC,
      JWT_ALGORITHMS: "RS256, ES256",
      JWT_JWKS_URL: "https://id.example/jwks",
    });
    expect(config.JWT_ALGORITHMS).toEqual(["RS256", "ES256"]);
    expect(usesDevJwtSecret(config)).toBe(false);
  });
});

describe("config - production-safe defaults", () => {
  const production = {
    JWT_SECRET: "s".repeat(32),
    NATS_USER: "gateway",
    NATS_PASSWORD: "nats-pass",
    REDIS_URL: "redis://default:redis-pass@redis:6379",
    WALLET_GRPC_CA_FILE: "/etc/wallet-tls/ca.crt",
  };

  it("a fully configured gateway starts without DEV_MODE", () => {
    expect(loadGatewayConfig(production)).toMatchObject({ DEV_MODE: false, NATS_USER: "gateway" });
  });

  it("names the development defaults it falls back to, and none when fully configured", () => {
    expect(gatewayDevDefaults(loadGatewayConfig(DEV))).toEqual([
      "NATS without credentials",
      "JWT_SECRET",
      "Redis without password",
      "plaintext gRPC",
    ]);
    expect(gatewayDevDefaults(loadGatewayConfig(production))).toEqual([]);
  });

  it.each([
    ["JWT_SECRET", { JWT_SECRET: undefined }],
    ["NATS_USER and NATS_PASSWORD (or NATS_TOKEN)", { NATS_USER: undefined, NATS_PASSWORD: undefined }],
    ["REDIS_URL must carry a password", { REDIS_URL: "redis://redis:6379" }],
    ["WALLET_GRPC_CA_FILE", { WALLET_GRPC_CA_FILE: undefined }],
  ])("without DEV_MODE, refuses to start naming %s", (name, change) => {
    const env = { ...production, ...change };
    expect(() => loadGatewayConfig(env)).toThrow(ConfigError);
    expect(() => loadGatewayConfig(env)).toThrow(name);
    expect(() => loadGatewayConfig({ ...env, DEV_MODE: "true" })).not.toThrow();
  });

  it("never verifies HS tokens with the development secret next to other keys, even in DEV_MODE", () => {
    const env = {
      ...DEV,
      ...ASYMMETRIC,
      JWT_ALGORITHMS: "RS256,HS256",
      JWT_JWKS_URL: "https://id.example/jwks",
    };
    expect(() => loadGatewayConfig(env)).toThrow(/JWT_SECRET is required for JWT_ALGORITHMS HS256/);
    const withSecret = loadGatewayConfig({ ...env, JWT_SECRET: "s".repeat(32) });
    expect(usesDevJwtSecret(withSecret)).toBe(false);
  });

  it.each([
    [{ JWT_PUBLIC_KEY: "-----BEGIN PUBLIC KEY-----" }],
    [{ JWT_JWKS_URL: "https://id.example/jwks" }],
  ])("with %o, JWT_ISSUER and JWT_AUDIENCE are required", (keys) => {
    const env = { ...DEV, JWT_ALGORITHMS: "RS256", ...keys };
    expect(() => loadGatewayConfig(env)).toThrow("JWT_ISSUER and JWT_AUDIENCE are required");
    expect(() => loadGatewayConfig({ ...env, JWT_ISSUER: "https://id.example/" })).toThrow("JWT_AUDIENCE");
    expect(loadGatewayConfig({ ...env, ...ASYMMETRIC }).JWT_AUDIENCE).toBe("wallet-api");
  });

  it.each([
    ["false", false],
    ["2", 2],
    ["10.0.0.0/8, 192.168.1.7", ["10.0.0.0/8", "192.168.1.7"]],
    ["::1,fd00::/8", ["::1", "fd00::/8"]],
  ])("TRUST_PROXY=%s", (value, parsed) => {
    expect(loadGatewayConfig({ ...DEV, TRUST_PROXY: value }).TRUST_PROXY).toEqual(parsed);
  });

  it.each(["true", "proxy.local", "10.0.0.0/33", "10.0.0.1/8/2"])("TRUST_PROXY=%s is refused", (value) => {
    expect(() => loadGatewayConfig({ ...DEV, TRUST_PROXY: value })).toThrow("TRUST_PROXY");
  });
});
