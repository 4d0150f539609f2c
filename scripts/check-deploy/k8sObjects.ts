import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";

export type ObjectMeta = NonNullable<IDeployment["metadata"]>;

/** A rendered Kubernetes object, read loosely: rules narrow it with `as` after checking `kind`. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta & { name: string };
  [field: string]: unknown;
}

/** The objects of one overlay: what `kubectl kustomize` renders, plus Secret templates applied out of band. */
export interface Rendering {
  /** The overlay's directory, as shown in findings. */
  name: string;
  objects: K8sObject[];
  templates: K8sObject[];
}

/** A pod template inside a workload object. */
export interface PodTemplate {
  owner: K8sObject;
  labels: Record<string, string>;
  spec: IPodSpec;
}

const WORKLOAD_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"]);

/** "Kind/name" as findings name an object. */
export function describe(object: K8sObject): string {
  return `${object.kind}/${object.metadata.name}`;
}

/** Pod templates of every workload in the rendering. */
export function podTemplates(objects: K8sObject[]): PodTemplate[] {
  const templates: PodTemplate[] = [];
  for (const owner of objects) {
    if (!WORKLOAD_KINDS.has(owner.kind)) continue;
    const template = (owner.spec as { template?: { metadata?: ObjectMeta; spec?: IPodSpec } } | undefined)
      ?.template;
    if (template?.spec)
      templates.push({ owner, labels: template.metadata?.labels ?? {}, spec: template.spec });
  }
  return templates;
}

/** Every container of a pod, init containers included, with the label used in findings. */
export function containersOf(pod: PodTemplate): { container: IContainer; where: string; init: boolean }[] {
  const all = (list: IContainer[] | undefined, init: boolean) =>
    (list ?? []).map((container) => ({
      container,
      where: `${describe(pod.owner)} container ${container.name}`,
      init,
    }));
  return [...all(pod.spec.initContainers, true), ...all(pod.spec.containers, false)];
}

/** True when every key/value of the selector is among the labels (an empty selector matches nothing here). */
export function selects(
  selector: Record<string, string> | undefined,
  labels: Record<string, string>,
): boolean {
  const pairs = Object.entries(selector ?? {});
  return pairs.length > 0 && pairs.every(([k, v]) => labels[k] === v);
}

/** Finds an object by kind and name. */
export function findObject(objects: K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name);
}

/** The container port a probe, Service or policy port refers to, by number or by name. */
export function resolvePort(container: IContainer, port: number | string | undefined): number | undefined {
  if (typeof port === "number") return port;
  if (port === undefined) return undefined;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

/** The kubernetes-models module that holds an apiVersion's kind, e.g. kubernetes-models/apps/v1/Deployment. */
export function modelModule(apiVersion: string, kind: string): string {
  return `kubernetes-models/${apiVersion}/${kind}`;
}
