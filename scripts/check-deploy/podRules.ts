import { type Finding, finding } from "./findings.js";
import { containersOf, describe, type K8sObject, type PodTemplate, podTemplates } from "./k8sObjects.js";

/**
 * Every container in every pod: probes, requests and limits, and the hardened security
 * context (non-root, read-only root filesystem with an emptyDir /tmp, no privilege
 * escalation, no capabilities, the runtime's seccomp profile). The pod gets no API token.
 */
export function podFindings(objects: K8sObject[]): Finding[] {
  const findings: Finding[] = [];
  for (const pod of podTemplates(objects)) {
    findings.push(...tokenFindings(pod, objects));
    const podSecurity = pod.spec.securityContext ?? {};
    for (const { container, where, init } of containersOf(pod)) {
      const problems: string[] = [];
      if (!init && !container.readinessProbe) problems.push("has no readinessProbe");
      if (!init && !container.livenessProbe) problems.push("has no livenessProbe");
      for (const kind of ["requests", "limits"] as const) {
        for (const resource of ["cpu", "memory"]) {
          if (container.resources?.[kind]?.[resource] === undefined)
            problems.push(`sets no ${kind}.${resource}`);
        }
      }
      const security = container.securityContext ?? {};
      if ((security.runAsNonRoot ?? podSecurity.runAsNonRoot) !== true)
        problems.push("does not set runAsNonRoot: true");
      if ((security.runAsUser ?? podSecurity.runAsUser) === 0) problems.push("runs as uid 0");
      if (security.readOnlyRootFilesystem !== true)
        problems.push("does not set readOnlyRootFilesystem: true");
      if (security.allowPrivilegeEscalation !== false)
        problems.push("does not set allowPrivilegeEscalation: false");
      if (security.privileged) problems.push("is privileged");
      if (!security.capabilities?.drop?.includes("ALL")) problems.push("does not drop ALL capabilities");
      if (security.capabilities?.add?.length)
        problems.push(`adds capabilities ${security.capabilities.add.join(", ")}`);
      const seccomp = security.seccompProfile?.type ?? podSecurity.seccompProfile?.type;
      if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost")
        problems.push("has no RuntimeDefault seccompProfile");
      if (!mountsEmptyDirTmp(pod, container.volumeMounts)) problems.push("mounts no emptyDir at /tmp");
      findings.push(...problems.map((p) => finding(where, p)));
    }
  }
  return findings;
}

function mountsEmptyDirTmp(
  pod: PodTemplate,
  mounts: { name: string; mountPath: string }[] | undefined,
): boolean {
  const mount = mounts?.find((m) => m.mountPath === "/tmp");
  return Boolean(mount && pod.spec.volumes?.find((v) => v.name === mount.name)?.emptyDir);
}

function tokenFindings(pod: PodTemplate, objects: K8sObject[]): Finding[] {
  if (pod.spec.automountServiceAccountToken === false) return [];
  const accountName = pod.spec.serviceAccountName ?? "default";
  const account = objects.find((o) => o.kind === "ServiceAccount" && o.metadata.name === accountName);
  if (account?.automountServiceAccountToken === false && pod.spec.automountServiceAccountToken === undefined)
    return [];
  return [
    finding(describe(pod.owner), "mounts a service account token (set automountServiceAccountToken: false)"),
  ];
}
