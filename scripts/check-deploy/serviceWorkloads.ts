import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { ContainerEnv } from "./containerEnv.js";
import { type Finding, finding } from "./findings.js";
import { containerEnv } from "./k8sEnv.js";
import { findObject, type PodTemplate, podTemplates, type Rendering } from "./k8sObjects.js";
import type { ServiceConfig } from "./serviceConfig.js";

/** One of the platform's services as a rendering deploys it: its Deployment, pod, container and variables. */
export interface ServiceWorkload {
  config: ServiceConfig;
  deployment: IDeployment;
  pod: PodTemplate;
  container: IContainer;
  env: ContainerEnv;
  /** How findings name the container. */
  where: string;
}

/** Finds each service's Deployment (named after the service) and its container of the same name. */
export function serviceWorkloads(
  rendering: Rendering,
  configs: ServiceConfig[],
): { workloads: ServiceWorkload[]; findings: Finding[] } {
  const workloads: ServiceWorkload[] = [];
  const findings: Finding[] = [];
  const pods = podTemplates(rendering.objects);
  for (const config of configs) {
    const name = config.facts.name;
    const owner = findObject(rendering.objects, "Deployment", name);
    const pod = pods.find((p) => p.owner === owner);
    const container = pod?.spec.containers.find((c) => c.name === name);
    if (!owner || !pod || !container) {
      findings.push(finding(`Deployment/${name}`, `is not rendered, or has no container named ${name}`));
      continue;
    }
    const where = `Deployment/${name}`;
    const resolved = containerEnv(rendering, container, where);
    findings.push(...resolved.findings);
    workloads.push({ config, deployment: owner as IDeployment, pod, container, env: resolved.env, where });
  }
  return { workloads, findings };
}
