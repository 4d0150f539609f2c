import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IContainer } from "kubernetes-models/v1/Container";
import { type Finding, finding } from "./findings.js";
import { findObject, type K8sObject, type Rendering } from "./k8sObjects.js";
import { SERVICES } from "./serviceFacts.js";

/**
 * The chart and the kustomize overlays are two ways of deploying the same workloads, so what runs
 * must not differ between them: for each service, the Deployment's rollout, pod and container
 * settings (image, variables and where they come from, ports, probes, resources, security
 * contexts, volumes), the Services, ServiceAccount, HPA, PDB and Ingress beside it, and the
 * pods the NetworkPolicies (the default deny too) guard and their ports. Labels, annotations,
 * generated names (kustomize's hash suffixes, Helm's checksums) and policy peers (the chart
 * admits its test Pod) are not compared; a Secret's entries are compared by key, not content.
 */
export function driftFindings(chart: Rendering, overlay: Rendering): Finding[] {
  const findings: Finding[] = [];
  const differ = (what: string, a: unknown, b: unknown) => {
    const left = stable(a);
    const right = stable(b);
    if (left !== right)
      findings.push(finding(what, `differs from ${overlay.name}: chart ${left}, overlay ${right}`));
  };
  for (const { name } of SERVICES) {
    const ours = findObject(chart.objects, "Deployment", name) as IDeployment | undefined;
    const theirs = findObject(overlay.objects, "Deployment", name) as IDeployment | undefined;
    if (!ours || !theirs) {
      differ(`Deployment/${name}`, ours ? "rendered" : "missing", theirs ? "rendered" : "missing");
      continue;
    }
    const where = `Deployment/${name}`;
    for (const field of ["replicas", "revisionHistoryLimit", "strategy"] as const)
      differ(`${where} spec.${field}`, ours.spec?.[field], theirs.spec?.[field]);
    const ourPod = ours.spec?.template.spec;
    const theirPod = theirs.spec?.template.spec;
    for (const field of [
      "serviceAccountName",
      "automountServiceAccountToken",
      "terminationGracePeriodSeconds",
      "securityContext",
      "topologySpreadConstraints",
      "volumes",
      "initContainers",
    ] as const)
      differ(`${where} pod ${field}`, ourPod?.[field], theirPod?.[field]);
    const ourContainers = ourPod?.containers ?? [];
    const theirContainers = theirPod?.containers ?? [];
    differ(
      `${where} containers`,
      ourContainers.map((c) => c.name),
      theirContainers.map((c) => c.name),
    );
    for (const container of ourContainers) {
      const other = theirContainers.find((c) => c.name === container.name);
      if (!other) continue;
      const at = `${where} container ${container.name}`;
      for (const field of [
        "image",
        "imagePullPolicy",
        "command",
        "args",
        "ports",
        "startupProbe",
        "readinessProbe",
        "livenessProbe",
        "lifecycle",
        "resources",
        "securityContext",
        "volumeMounts",
      ] as const)
        differ(`${at} ${field}`, container[field], other[field]);
      const ourEnv = environment(chart, container);
      const theirEnv = environment(overlay, other);
      for (const variable of new Set([...ourEnv.keys(), ...theirEnv.keys()]))
        differ(`${at} env ${variable}`, ourEnv.get(variable) ?? "unset", theirEnv.get(variable) ?? "unset");
    }
  }
  const names = new Set<string>(SERVICES.map((s) => s.name));
  const beside = (r: Rendering, kind: string) =>
    r.objects.filter(
      (o) =>
        o.kind === kind &&
        (names.has(o.metadata.name) || names.has(o.metadata.name.replace(/-headless$/, ""))),
    );
  for (const kind of [
    "Service",
    "ServiceAccount",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "Ingress",
  ]) {
    const ours = beside(chart, kind);
    const theirs = beside(overlay, kind);
    differ(`${kind} objects`, names0(ours), names0(theirs));
    for (const object of ours) {
      const other = theirs.find((o) => o.metadata.name === object.metadata.name);
      if (!other) continue;
      const field = kind === "ServiceAccount" ? "automountServiceAccountToken" : "spec";
      differ(`${kind}/${object.metadata.name} ${field}`, object[field], other[field]);
    }
  }
  const policyNames = new Set([...names, "default-deny-ingress"]);
  const policies = (r: Rendering) =>
    r.objects.filter((o) => o.kind === "NetworkPolicy" && policyNames.has(o.metadata.name));
  differ("NetworkPolicy objects", names0(policies(chart)), names0(policies(overlay)));
  for (const object of policies(chart)) {
    const other = findObject(overlay.objects, "NetworkPolicy", object.metadata.name);
    if (other) differ(`NetworkPolicy/${object.metadata.name} ports`, policyPorts(object), policyPorts(other));
  }
  return findings.map((f) => ({ where: `${chart.name}: ${f.where}`, problem: f.problem }));
}

const names0 = (objects: K8sObject[]) => objects.map((o) => o.metadata.name).sort();

/** Which pods a policy guards and the ports it opens; its peers may differ (the chart admits its test Pod). */
function policyPorts(policy: K8sObject): unknown {
  const spec = policy.spec as {
    podSelector?: unknown;
    ingress?: { ports?: unknown[] }[];
    policyTypes?: string[];
  };
  return {
    podSelector: spec.podSelector,
    policyTypes: spec.policyTypes,
    ports: (spec.ingress ?? []).map((rule) => rule.ports ?? []),
  };
}

/** A container's variables as their source says: a ConfigMap's value, a literal, or a Secret's key. */
function environment(rendering: Rendering, container: IContainer): Map<string, string> {
  const env = new Map<string, string>();
  const data = (kind: string, name: string) => {
    const object = findObject(rendering.objects, kind, name);
    return (object?.data ?? {}) as Record<string, string>;
  };
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef?.name)
      for (const [key, value] of Object.entries(data("ConfigMap", from.configMapRef.name)))
        env.set(`${from.prefix ?? ""}${key}`, JSON.stringify(value));
    if (from.secretRef?.name) env.set(`${from.prefix ?? ""}*`, `all keys of Secret ${from.secretRef.name}`);
  }
  for (const variable of container.env ?? []) {
    const secret = variable.valueFrom?.secretKeyRef;
    const configMap = variable.valueFrom?.configMapKeyRef;
    if (secret)
      env.set(
        variable.name,
        `Secret ${generatorName(rendering, secret.name ?? "")} key ${secret.key}${secret.optional ? " (optional)" : ""}`,
      );
    else if (configMap)
      env.set(variable.name, JSON.stringify(data("ConfigMap", configMap.name ?? "")[configMap.key]));
    else if (variable.valueFrom) env.set(variable.name, stable(variable.valueFrom));
    else env.set(variable.name, JSON.stringify(variable.value ?? ""));
  }
  return env;
}

/** A Secret's name without the hash suffix kustomize's secretGenerator appends to the objects it renders. */
function generatorName(rendering: Rendering, name: string): string {
  const base = /^(.+)-[a-z0-9]{10}$/.exec(name)?.[1];
  return base && findObject(rendering.objects, "Secret", name) ? base : name;
}

/** JSON with sorted keys, so that key order never counts as a difference. */
function stable(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}
