import { describe, expect, it } from "vitest";
import { workloadFindings } from "../../scripts/check-deploy/workloadRules.js";
import { firstContainer, gatewayConfig, hardenedDeployment, podSpec, workloadOf } from "./fixtures.js";

function gatewayObjects() {
  const deployment = hardenedDeployment("gateway");
  podSpec(deployment).serviceAccountName = "gateway";
  podSpec(deployment).terminationGracePeriodSeconds = 40;
  firstContainer(deployment).lifecycle = { preStop: { exec: { command: ["sleep", "5"] } } };
  const account = {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: "gateway" },
    automountServiceAccountToken: false,
  };
  const budget = {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name: "gateway" },
    spec: { maxUnavailable: 1, selector: { matchLabels: { app: "gateway" } } },
  };
  const autoscaler = {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: { name: "gateway" },
    spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "gateway" }, maxReplicas: 3 },
  };
  return { deployment, objects: [deployment, account, budget, autoscaler] };
}

describe("workload rules", () => {
  it("workload rules - accept a surge-only rollout with preStop, grace period, budget and autoscaler", () => {
    const { deployment, objects } = gatewayObjects();
    expect(workloadFindings(workloadOf(gatewayConfig(), deployment), objects)).toEqual([]);
  });

  it("workload rules - the grace period must outlast the preStop pause plus SHUTDOWN_GRACE_MS", () => {
    const { deployment, objects } = gatewayObjects();
    podSpec(deployment).terminationGracePeriodSeconds = 30;
    expect(workloadFindings(workloadOf(gatewayConfig(), deployment), objects).map((f) => f.problem)).toEqual([
      "terminationGracePeriodSeconds 30 must exceed the preStop pause (5 s) plus SHUTDOWN_GRACE_MS (25000 ms)",
    ]);
  });

  it("workload rules - report a rollout that can drop capacity and missing companions", () => {
    const { deployment } = gatewayObjects();
    (deployment.spec as { strategy: unknown }).strategy = {
      type: "RollingUpdate",
      rollingUpdate: { maxUnavailable: 1 },
    };
    delete firstContainer(deployment).lifecycle;
    expect(
      workloadFindings(workloadOf(gatewayConfig(), deployment), [deployment]).map((f) => f.problem),
    ).toEqual([
      "must roll out with strategy RollingUpdate and maxUnavailable: 0",
      "has no preStop hook to leave endpoints before shutdown",
      "must run under its own ServiceAccount, rendered alongside",
      "has no PodDisruptionBudget selecting its pods",
      "has no autoscaling/v2 HorizontalPodAutoscaler targeting it",
    ]);
  });
});
