import { describe, expect, it } from "vitest";
import { portFindings } from "../../scripts/check-deploy/portRules.js";
import {
  firstContainer,
  gatewayConfig,
  hardenedDeployment,
  walletConfig,
  walletDeployment,
  workloadOf,
} from "./fixtures.js";

const problemsOf = (...args: Parameters<typeof workloadOf>) =>
  portFindings(workloadOf(...args)).map((f) => f.problem);

describe("port rules", () => {
  it("port rules - accept the wallet's gRPC readiness probe and admin liveness probe", () => {
    expect(problemsOf(walletConfig(), walletDeployment())).toEqual([]);
  });

  it("port rules - follow a port variable the container overrides", () => {
    const env = new Map([["WALLET_ADMIN_PORT", { value: "9999", optional: false, secret: false }]]);
    expect(problemsOf(walletConfig(), walletDeployment(), env)).toEqual([
      "does not declare containerPort 9999",
      "declares containerPort 9464, where nothing listens",
      "liveness probes port admin, not the HTTP port 9999",
    ]);
  });

  it("port rules - reject a gRPC health name the wallet does not report", () => {
    const deployment = walletDeployment();
    firstContainer(deployment).readinessProbe = { grpc: { port: 50051, service: "wallet.WalletService" } };
    expect(problemsOf(walletConfig(), deployment)).toEqual([
      'readiness asks grpc.health.v1 for "wallet.WalletService", which is not one of ["","wallet.v1.WalletService"]',
    ]);
  });

  it("port rules - the wallet's readiness must be a native gRPC probe", () => {
    const deployment = walletDeployment();
    firstContainer(deployment).readinessProbe = { httpGet: { path: "/readyz", port: 9464 } };
    expect(problemsOf(walletConfig(), deployment)).toEqual([
      "readiness must be a native grpc probe on the gRPC port",
    ]);
  });

  it("port rules - a wallet serving TLS (which the kubelet's gRPC probe cannot speak) is probed on /readyz", () => {
    const tls = new Map([
      ["WALLET_TLS_CERT_FILE", { value: "/etc/wallet-tls/tls.crt", optional: false, secret: false }],
    ]);
    const deployment = walletDeployment();
    firstContainer(deployment).readinessProbe = { httpGet: { path: "/readyz", port: 9464 } };
    expect(problemsOf(walletConfig(), deployment, tls)).toEqual([]);
    firstContainer(deployment).readinessProbe = { httpGet: { path: "/healthz", port: 9464 } };
    expect(problemsOf(walletConfig(), deployment, tls)).toEqual([
      "readiness of gRPC over TLS must be an HTTP probe of /readyz",
    ]);
  });

  it("port rules - reject unknown health paths and liveness on /readyz", () => {
    const deployment = hardenedDeployment("gateway");
    firstContainer(deployment).readinessProbe = { httpGet: { path: "/health", port: "http" } };
    firstContainer(deployment).livenessProbe = { httpGet: { path: "/readyz", port: 3000 } };
    expect(problemsOf(gatewayConfig(), deployment)).toEqual([
      "readiness probes /health, not /healthz or /readyz",
      "liveness probes /readyz: a dependency outage would restart pods",
      "readiness must be an HTTP probe of /readyz",
    ]);
  });
});
