import type { IStatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import type { IService } from "kubernetes-models/v1/Service";
import { clusterName, endpointsOf } from "./endpoints.js";
import { type Finding, finding } from "./findings.js";
import { findObject, type K8sObject, type Rendering, resolvePort, selects } from "./k8sObjects.js";
import { listeningPorts } from "./portRules.js";
import type { ServiceWorkload } from "./serviceWorkloads.js";

/**
 * Connection URLs that name in-cluster hosts point at Services of the rendering (or of the objects
 * applied out of band beside it, such as an upstream chart's Services), in its namespace,
 * on a port the Service has; a StatefulSet pod's name at one of its pods. WALLET_GRPC_URL must name a
 * headless Service of the wallet pods, so the gateway can balance over every pod.
 */
export function urlFindings(rendering: Rendering, workloads: ServiceWorkload[]): Finding[] {
  const findings: Finding[] = [];
  const wallet = workloads.find((w) => w.config.facts.name === "wallet");
  const known = [...rendering.objects, ...rendering.templates];
  for (const workload of workloads) {
    const namespace = workload.deployment.metadata?.namespace;
    for (const [name, entry] of workload.env) {
      const parsed = entry.value === undefined ? undefined : endpointsOf(entry.value);
      for (const endpoint of parsed?.endpoints ?? []) {
        const target = clusterName(endpoint.host);
        if (!target) continue;
        const problem = (text: string) =>
          findings.push(finding(workload.where, `${name}: ${endpoint.host} ${text}`));
        if (target.namespace && namespace && target.namespace !== namespace) {
          problem(`is in namespace ${target.namespace}, but this overlay deploys to ${namespace}`);
          continue;
        }
        const service = findObject(known, "Service", target.service) as (K8sObject & IService) | undefined;
        if (!service) {
          problem(`names Service ${target.service}, which is not rendered`);
          continue;
        }
        const port = service.spec?.ports?.find((p) => p.port === endpoint.port);
        if (endpoint.port !== undefined && !port)
          problem(`uses port ${endpoint.port}, which Service ${target.service} lacks`);
        if (target.pod && !isStatefulSetPod(known, target.service, target.pod)) {
          problem(`names pod ${target.pod}, which no StatefulSet governed by ${target.service} creates`);
        }
        if (name === "WALLET_GRPC_URL") {
          if (service.spec?.clusterIP !== "None")
            problem("must be a headless Service (clusterIP: None) for round_robin");
          if (!wallet || !selects(service.spec?.selector, wallet.pod.labels))
            problem("does not select the wallet pods");
          else if (
            port &&
            resolvePort(wallet.container, port.targetPort ?? port.port) !== listeningPorts(wallet).grpc
          ) {
            problem("does not reach the wallet's gRPC port");
          }
        }
      }
    }
  }
  return findings;
}

function isStatefulSetPod(objects: K8sObject[], service: string, pod: string): boolean {
  return objects.some((o) => {
    if (o.kind !== "StatefulSet") return false;
    const spec = (o as K8sObject & IStatefulSet).spec;
    const match = new RegExp(`^${o.metadata.name}-(\\d+)$`).exec(pod);
    return spec?.serviceName === service && match !== null && Number(match[1]) < (spec.replicas ?? 1);
  });
}
