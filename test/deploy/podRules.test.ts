import { describe, expect, it } from "vitest";
import { podFindings } from "../../scripts/check-deploy/podRules.js";
import { firstContainer, hardenedDeployment, podSpec } from "./fixtures.js";

const problemsOf = (deployment: ReturnType<typeof hardenedDeployment>) =>
  podFindings([deployment]).map((f) => f.problem);

describe("pod rules", () => {
  it("pod rules - accept a hardened container", () => {
    expect(problemsOf(hardenedDeployment("api"))).toEqual([]);
  });

  it("pod rules - require probes, requests and limits", () => {
    const deployment = hardenedDeployment("api");
    const container = firstContainer(deployment);
    delete container.readinessProbe;
    delete container.livenessProbe;
    container.resources = { requests: { cpu: "100m" } };
    expect(problemsOf(deployment)).toEqual([
      "has no readinessProbe",
      "has no livenessProbe",
      "sets no requests.memory",
      "sets no limits.cpu",
      "sets no limits.memory",
    ]);
  });

  it("pod rules - require the hardened security context and an emptyDir /tmp", () => {
    const deployment = hardenedDeployment("api");
    const container = firstContainer(deployment);
    container.securityContext = { capabilities: { add: ["NET_ADMIN"] } };
    container.volumeMounts = [];
    podSpec(deployment).securityContext = { runAsUser: 0 };
    expect(problemsOf(deployment)).toEqual([
      "does not set runAsNonRoot: true",
      "runs as uid 0",
      "does not set readOnlyRootFilesystem: true",
      "does not set allowPrivilegeEscalation: false",
      "does not drop ALL capabilities",
      "adds capabilities NET_ADMIN",
      "has no RuntimeDefault seccompProfile",
      "mounts no emptyDir at /tmp",
    ]);
  });

  it("pod rules - refuse a mounted service account token unless the account disables it", () => {
    const deployment = hardenedDeployment("api");
    delete podSpec(deployment).automountServiceAccountToken;
    podSpec(deployment).serviceAccountName = "api";
    expect(problemsOf(deployment)).toEqual([
      "mounts a service account token (set automountServiceAccountToken: false)",
    ]);
    const account = {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "api" },
      automountServiceAccountToken: false,
    };
    expect(podFindings([deployment, account])).toEqual([]);
  });
});
