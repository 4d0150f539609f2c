import type { IIngress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import type { IService } from "kubernetes-models/v1/Service";
import { type Finding, finding } from "./findings.js";
import {
  containersOf,
  describe,
  findObject,
  type K8sObject,
  podTemplates,
  resolvePort,
  selects,
} from "./k8sObjects.js";

/**
 * Objects that point at other objects point at something real: Services select pods and target
 * ports those pods declare, Ingress backends name existing Service ports, autoscalers and
 * disruption budgets find their workloads.
 */
export function referenceFindings(objects: K8sObject[]): Finding[] {
  const findings: Finding[] = [];
  const pods = podTemplates(objects);
  for (const object of objects) {
    const where = describe(object);
    if (object.kind === "Service") {
      const service = object as K8sObject & IService;
      const selector = service.spec?.selector;
      if (!selector) continue;
      const selected = pods.filter((p) => selects(selector, p.labels));
      if (selected.length === 0) findings.push(finding(where, "selects no pods"));
      for (const port of service.spec?.ports ?? []) {
        for (const pod of selected) {
          const target = port.targetPort ?? port.port;
          const served = containersOf(pod).some(({ container, init }) => {
            const resolved = resolvePort(container, target);
            return (
              !init &&
              resolved !== undefined &&
              (container.ports ?? []).some((p) => p.containerPort === resolved)
            );
          });
          if (!served)
            findings.push(finding(where, `targetPort ${target} is not a port of ${describe(pod.owner)}`));
        }
      }
    }
    if (object.kind === "Ingress") {
      for (const rule of (object as K8sObject & IIngress).spec?.rules ?? []) {
        for (const path of rule.http?.paths ?? []) {
          const backend = path.backend.service;
          const service =
            backend && (findObject(objects, "Service", backend.name) as (K8sObject & IService) | undefined);
          const port = service?.spec?.ports?.find((p) =>
            backend?.port?.name !== undefined
              ? p.name === backend.port.name
              : p.port === backend?.port?.number,
          );
          if (!service || !port)
            findings.push(finding(where, `path ${path.path} routes to a missing Service port`));
        }
      }
    }
    if (object.kind === "HorizontalPodAutoscaler") {
      const target = (object.spec as { scaleTargetRef: { kind: string; name: string } }).scaleTargetRef;
      if (!findObject(objects, target.kind, target.name))
        findings.push(finding(where, `scales missing ${target.kind}/${target.name}`));
    }
    if (object.kind === "PodDisruptionBudget") {
      const selector = (object.spec as { selector?: { matchLabels?: Record<string, string> } }).selector
        ?.matchLabels;
      if (!pods.some((p) => selects(selector, p.labels))) findings.push(finding(where, "selects no pods"));
    }
  }
  return findings;
}
