import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { INetworkPolicyPeer } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer";
import type { IContainer } from "kubernetes-models/v1/Container";
import { type Finding, finding } from "./findings.js";
import {
  containersOf,
  describe,
  type K8sObject,
  type PodTemplate,
  podTemplates,
  resolvePort,
} from "./k8sObjects.js";

type IngressRule = NonNullable<NonNullable<INetworkPolicy["spec"]>["ingress"]>[number];

/**
 * Only gateway pods may open connections to the wallet's gRPC port: every policy rule that
 * admits that port must name gateway pods and nothing else, besides the Pods `helm test` runs
 * (helm.sh/hook: test), which check the wallet's health. Ports in policies must exist.
 */
export function networkFindings(
  objects: K8sObject[],
  wallet: { pod: PodTemplate; container: IContainer; grpcPort: number | undefined } | undefined,
  gateway: PodTemplate | undefined,
): Finding[] {
  const testPods = objects
    .filter((o) => o.kind === "Pod" && isTestHook(o))
    .map((o) => (o.metadata.labels ?? {}) as Record<string, string>);
  const findings: Finding[] = [];
  const policies = objects.filter((o) => o.kind === "NetworkPolicy") as (K8sObject & INetworkPolicy)[];
  const pods = podTemplates(objects);
  for (const policy of policies) {
    for (const pod of pods.filter((p) => appliesTo(policy, p))) {
      const ports = containersOf(pod).flatMap(({ container }) =>
        (container.ports ?? []).map((p) => p.containerPort),
      );
      for (const port of (policy.spec?.ingress ?? []).flatMap((r) => r.ports ?? [])) {
        if (typeof port.port === "number" && !ports.includes(port.port) && !policySelectsAll(policy)) {
          findings.push(
            finding(
              describe(policy),
              `admits port ${port.port}, which ${describe(pod.owner)} does not expose`,
            ),
          );
        }
      }
    }
  }
  if (!wallet || wallet.grpcPort === undefined) return findings;
  const guarding = policies.filter((p) => appliesTo(p, wallet.pod) && isIngressPolicy(p));
  if (guarding.length === 0) {
    findings.push(
      finding(describe(wallet.pod.owner), "no NetworkPolicy restricts ingress to the wallet pods"),
    );
  }
  for (const policy of guarding) {
    for (const rule of policy.spec?.ingress ?? []) {
      const admitsGrpc =
        !rule.ports?.length ||
        rule.ports.some((p) => resolvePort(wallet.container, p.port) === wallet.grpcPort);
      if (admitsGrpc && !onlyGateway(rule, gateway, testPods)) {
        findings.push(
          finding(
            describe(policy),
            `admits the wallet's gRPC port ${wallet.grpcPort} from pods other than the gateway`,
          ),
        );
      }
    }
  }
  return findings;
}

function policySelectsAll(policy: INetworkPolicy): boolean {
  const selector = policy.spec?.podSelector;
  return !selector?.matchLabels && !selector?.matchExpressions;
}

function appliesTo(policy: INetworkPolicy, pod: PodTemplate): boolean {
  if (policySelectsAll(policy)) return true;
  const labels = policy.spec?.podSelector.matchLabels ?? {};
  return Object.entries(labels).every(([k, v]) => pod.labels[k] === v);
}

function isIngressPolicy(policy: INetworkPolicy): boolean {
  const types = policy.spec?.policyTypes;
  return types ? types.includes("Ingress") : true;
}

function onlyGateway(
  rule: IngressRule,
  gateway: PodTemplate | undefined,
  testPods: Record<string, string>[],
): boolean {
  const peers: INetworkPolicyPeer[] = rule.from ?? [];
  if (peers.length === 0 || !gateway) return false;
  return peers.every((peer) => {
    if (peer.ipBlock || peer.namespaceSelector || !peer.podSelector || peer.podSelector.matchExpressions)
      return false;
    const labels = Object.entries(peer.podSelector.matchLabels ?? {});
    const selectsAll = (podLabels: Record<string, string>) =>
      labels.length > 0 && labels.every(([k, v]) => podLabels[k] === v);
    return selectsAll(gateway.labels) || testPods.some(selectsAll);
  });
}

/** Objects `helm test` creates (hook annotation "test"), outside the release's workloads. */
export function isTestHook(object: K8sObject): boolean {
  const hook = object.metadata.annotations?.["helm.sh/hook"] ?? "";
  return hook.split(",").some((h) => h.trim() === "test" || h.trim() === "test-success");
}
