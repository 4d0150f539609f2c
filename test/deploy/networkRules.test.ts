import { describe, expect, it } from "vitest";
import type { K8sObject } from "../../scripts/check-deploy/k8sObjects.js";
import { networkFindings } from "../../scripts/check-deploy/networkRules.js";
import { gatewayConfig, hardenedDeployment, walletConfig, walletDeployment, workloadOf } from "./fixtures.js";

function policy(name: string, ingress: unknown[]): K8sObject {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name },
    spec: { podSelector: { matchLabels: { app: "wallet" } }, policyTypes: ["Ingress"], ingress },
  };
}

function problemsWith(...policies: K8sObject[]): string[] {
  const wallet = workloadOf(walletConfig(), walletDeployment());
  const gateway = workloadOf(gatewayConfig(), hardenedDeployment("gateway"));
  const objects = [wallet.pod.owner, gateway.pod.owner, ...policies];
  return networkFindings(objects, { ...wallet, grpcPort: 50051 }, gateway.pod).map(
    (f) => `${f.where}: ${f.problem}`,
  );
}

const fromGateway = { podSelector: { matchLabels: { app: "gateway" } } };

describe("network rules", () => {
  it("network rules - accept gRPC from gateway pods and metrics from elsewhere", () => {
    const metrics = { from: [{ namespaceSelector: {} }], ports: [{ port: 9464 }] };
    expect(
      problemsWith(policy("wallet", [{ from: [fromGateway], ports: [{ port: 50051 }] }, metrics])),
    ).toEqual([]);
  });

  it("network rules - report wallet pods no policy guards", () => {
    expect(problemsWith()).toEqual([
      "Deployment/wallet: no NetworkPolicy restricts ingress to the wallet pods",
    ]);
  });

  it("network rules - report gRPC reachable from other pods, by port name or by omitting ports", () => {
    expect(problemsWith(policy("open", [{ ports: [{ port: "grpc" }] }]))).toEqual([
      "NetworkPolicy/open: admits the wallet's gRPC port 50051 from pods other than the gateway",
    ]);
    const gatewayInAnyNamespace = { ...fromGateway, namespaceSelector: {} };
    expect(problemsWith(policy("wide", [{ from: [gatewayInAnyNamespace] }]))).toEqual([
      "NetworkPolicy/wide: admits the wallet's gRPC port 50051 from pods other than the gateway",
    ]);
  });

  it("network rules - admit the helm test Pod, and only a Pod that is a test hook", () => {
    const testPod = (annotations: Record<string, string>): K8sObject => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "smoke-test", labels: { app: "smoke-test" }, annotations },
      spec: { containers: [{ name: "smoke-test", image: "gateway" }] },
    });
    const rule = {
      from: [fromGateway, { podSelector: { matchLabels: { app: "smoke-test" } } }],
      ports: [{ port: 50051 }],
    };
    const wallet = workloadOf(walletConfig(), walletDeployment());
    const gateway = workloadOf(gatewayConfig(), hardenedDeployment("gateway"));
    const problems = (pod: K8sObject) =>
      networkFindings(
        [wallet.pod.owner, gateway.pod.owner, pod, policy("wallet", [rule])],
        { ...wallet, grpcPort: 50051 },
        gateway.pod,
      ).map((f) => `${f.where}: ${f.problem}`);
    expect(problems(testPod({ "helm.sh/hook": "test" }))).toEqual([]);
    expect(problems(testPod({}))).toEqual([
      "NetworkPolicy/wallet: admits the wallet's gRPC port 50051 from pods other than the gateway",
    ]);
  });

  it("network rules - report ports the selected pods do not expose", () => {
    expect(problemsWith(policy("wallet", [{ from: [fromGateway], ports: [{ port: 50052 }] }]))).toEqual([
      "NetworkPolicy/wallet: admits port 50052, which Deployment/wallet does not expose",
    ]);
  });
});
