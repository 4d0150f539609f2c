import { describe, expect, it } from "vitest";
import { type ComposeService, durationSeconds } from "../../scripts/check-deploy/composeModel.js";
import { composeFindings } from "../../scripts/check-deploy/composeRules.js";
import { gatewayConfig, walletConfig } from "./fixtures.js";

const hardened: ComposeService = {
  read_only: true,
  cap_drop: ["ALL"],
  security_opt: ["no-new-privileges:true"],
  tmpfs: ["/tmp"],
  stop_grace_period: "30s",
};

function project(overrides: Record<string, ComposeService> = {}) {
  const services: Record<string, ComposeService> = {
    mongo: { image: "mongo:8.0", healthcheck: { test: ["CMD", "true"] } },
    wallet: {
      ...hardened,
      build: { context: "/repo", dockerfile: "Dockerfile", args: { SERVICE: "wallet" } },
      environment: { API_TOKEN: "t", WALLET_DB_URL: "mongodb://mongo:27017/wallet?replicaSet=rs0" },
      ports: [{ published: 50051, target: 50051 }],
      depends_on: { mongo: { condition: "service_healthy" } },
    },
    gateway: {
      ...hardened,
      build: { context: "/repo", dockerfile: "Dockerfile", args: { SERVICE: "gateway" } },
      environment: { WALLET_GRPC_URL: "dns:///wallet:50051" },
      ports: [{ published: 3000, target: 3000 }],
      depends_on: { wallet: { condition: "service_healthy" } },
    },
    ...overrides,
  };
  return { file: "docker-compose.yml", services };
}

const problemsOf = (overrides: Record<string, ComposeService>) =>
  composeFindings(project(overrides), [walletConfig(), gatewayConfig()]).map(
    (f) => `${f.where}: ${f.problem}`,
  );

describe("compose rules", () => {
  it("compose rules - accept hardened services wired to healthy dependencies", () => {
    expect(problemsOf({})).toEqual([]);
  });

  it("compose rules - report unhardened services, a short stop grace and an unconditional dependency", () => {
    const base = project().services.gateway;
    const gateway = { ...base, read_only: false, stop_grace_period: "10s", depends_on: { wallet: {} } };
    expect(problemsOf({ gateway })).toEqual([
      "docker-compose.yml: gateway: must wait for wallet with condition service_healthy on a healthcheck",
      "docker-compose.yml: gateway: must run with read_only: true",
      "docker-compose.yml: gateway: stop_grace_period 10s must exceed SHUTDOWN_GRACE_MS 25000 ms",
    ]);
  });

  it("compose rules - report hosts that are not services and a gRPC URL off the wallet's port", () => {
    const gateway = { ...project().services.gateway, environment: { WALLET_GRPC_URL: "dns:///wallet:9464" } };
    const wallet = { ...project().services.wallet };
    wallet.environment = { ...wallet.environment, WALLET_DB_URL: "mongodb://db:27017/wallet?replicaSet=rs0" };
    expect(problemsOf({ gateway, wallet })).toEqual([
      "docker-compose.yml: wallet: WALLET_DB_URL names host db, which is no service of the project",
      "docker-compose.yml: gateway: WALLET_GRPC_URL must reach the wallet's gRPC port 50051",
    ]);
  });

  it("compose rules - report published ports where nothing listens and a missing HTTP port", () => {
    const gateway = { ...project().services.gateway, ports: [{ published: 8080, target: 8080 }] };
    expect(problemsOf({ gateway })).toEqual([
      "docker-compose.yml: gateway: publishes container port 8080, where nothing listens",
      "docker-compose.yml: gateway: does not publish its HTTP port 3000",
    ]);
  });

  it("compose rules - read compose durations", () => {
    expect([
      durationSeconds("30s"),
      durationSeconds("1m30s"),
      durationSeconds("500ms"),
      durationSeconds("soon"),
    ]).toEqual([30, 90, 0.5, undefined]);
  });
});
