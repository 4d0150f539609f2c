import { describe, expect, it } from "vitest";
import type { ContainerEnv } from "../../scripts/check-deploy/containerEnv.js";
import type { K8sObject } from "../../scripts/check-deploy/k8sObjects.js";
import { urlFindings } from "../../scripts/check-deploy/urlRules.js";
import { gatewayConfig, hardenedDeployment, walletConfig, walletDeployment, workloadOf } from "./fixtures.js";

function service(name: string, headless: boolean, targetPort: string): K8sObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: "dev" },
    spec: {
      ...(headless ? { clusterIP: "None" } : {}),
      selector: { app: "wallet" },
      ports: [{ port: 50051, targetPort }],
    },
  };
}

function problemsFor(url: string, services: K8sObject[]): string[] {
  const wallet = workloadOf(walletConfig(), walletDeployment());
  const gatewayDeployment = hardenedDeployment("gateway");
  gatewayDeployment.metadata.namespace = "dev";
  const env: ContainerEnv = new Map([["WALLET_GRPC_URL", { value: url, optional: false, secret: false }]]);
  const gateway = workloadOf(gatewayConfig(), gatewayDeployment, env);
  const rendering = {
    name: "dev",
    objects: [wallet.pod.owner, gatewayDeployment, ...services],
    templates: [],
  };
  return urlFindings(rendering, [wallet, gateway]).map((f) => f.problem);
}

describe("url rules", () => {
  it("url rules - accept the wallet's headless Service by short or full name", () => {
    expect(problemsFor("dns:///wallet-headless:50051", [service("wallet-headless", true, "grpc")])).toEqual(
      [],
    );
    const full = "dns:///wallet-headless.dev.svc.cluster.local:50051";
    expect(problemsFor(full, [service("wallet-headless", true, "grpc")])).toEqual([]);
  });

  it("url rules - report a missing Service, another namespace, a port the Service lacks", () => {
    expect(problemsFor("dns:///wallet:50051", [])).toEqual([
      "WALLET_GRPC_URL: wallet names Service wallet, which is not rendered",
    ]);
    expect(
      problemsFor("dns:///wallet-headless.prod.svc:50051", [service("wallet-headless", true, "grpc")]),
    ).toEqual([
      "WALLET_GRPC_URL: wallet-headless.prod.svc is in namespace prod, but this overlay deploys to dev",
    ]);
    expect(problemsFor("dns:///wallet-headless:50052", [service("wallet-headless", true, "grpc")])).toEqual([
      "WALLET_GRPC_URL: wallet-headless uses port 50052, which Service wallet-headless lacks",
    ]);
  });

  it("url rules - the wallet's gRPC target must be headless and reach the gRPC port", () => {
    expect(problemsFor("dns:///wallet:50051", [service("wallet", false, "admin")])).toEqual([
      "WALLET_GRPC_URL: wallet must be a headless Service (clusterIP: None) for round_robin",
      "WALLET_GRPC_URL: wallet does not reach the wallet's gRPC port",
    ]);
  });
});
