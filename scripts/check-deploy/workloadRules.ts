import { settingOf } from "./containerEnv.js";
import { type Finding, finding } from "./findings.js";
import { findObject, type K8sObject, selects } from "./k8sObjects.js";
import type { ServiceWorkload } from "./serviceWorkloads.js";

/** Services whose replica count follows load. */
const AUTOSCALED = new Set(["wallet", "gateway"]);

/**
 * Rollout and disruption rules for a service's Deployment: surge-only rolling updates, a preStop
 * pause and a termination grace period longer than the pause plus SHUTDOWN_GRACE_MS (each service's
 * whole time from SIGTERM to exit),
 * its own token-less ServiceAccount, a PodDisruptionBudget, and an autoscaler where it scales.
 */
export function workloadFindings(workload: ServiceWorkload, objects: K8sObject[]): Finding[] {
  const { deployment, pod, container, config, where } = workload;
  const findings: Finding[] = [];
  const strategy = deployment.spec?.strategy;
  if (strategy?.type !== "RollingUpdate" || String(strategy.rollingUpdate?.maxUnavailable) !== "0") {
    findings.push(finding(where, "must roll out with strategy RollingUpdate and maxUnavailable: 0"));
  }
  const preStop = container.lifecycle?.preStop;
  const pauseSeconds = preStopSeconds(preStop);
  if (!preStop) findings.push(finding(where, "has no preStop hook to leave endpoints before shutdown"));
  const grace = settingOf(config, workload.env, "SHUTDOWN_GRACE_MS");
  const terminationSeconds = pod.spec.terminationGracePeriodSeconds ?? 30;
  if (
    grace.known &&
    typeof grace.value === "number" &&
    terminationSeconds * 1000 <= pauseSeconds * 1000 + grace.value
  ) {
    findings.push(
      finding(
        where,
        `terminationGracePeriodSeconds ${terminationSeconds} must exceed the preStop pause (${pauseSeconds} s) plus SHUTDOWN_GRACE_MS (${grace.value} ms)`,
      ),
    );
  }
  const accountName = pod.spec.serviceAccountName;
  const account = accountName ? findObject(objects, "ServiceAccount", accountName) : undefined;
  if (!account) findings.push(finding(where, "must run under its own ServiceAccount, rendered alongside"));
  else if (account.automountServiceAccountToken !== false) {
    findings.push(finding(`ServiceAccount/${accountName}`, "must set automountServiceAccountToken: false"));
  }
  const guarded = objects.some((o) => o.kind === "PodDisruptionBudget" && selects(selectorOf(o), pod.labels));
  if (!guarded) findings.push(finding(where, "has no PodDisruptionBudget selecting its pods"));
  const name = deployment.metadata?.name;
  const scaled = objects.some(
    (o) =>
      o.kind === "HorizontalPodAutoscaler" &&
      o.apiVersion === "autoscaling/v2" &&
      (o.spec as { scaleTargetRef?: { kind?: string; name?: string } }).scaleTargetRef?.name === name,
  );
  if (AUTOSCALED.has(config.facts.name) && !scaled) {
    findings.push(finding(where, "has no autoscaling/v2 HorizontalPodAutoscaler targeting it"));
  }
  return findings;
}

function selectorOf(object: K8sObject): Record<string, string> | undefined {
  return (object.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined)?.selector
    ?.matchLabels;
}

/** Seconds a preStop hook pauses for: `sleep N` as a command or the native sleep action. */
function preStopSeconds(
  hook: { exec?: { command?: string[] }; sleep?: { seconds: number } } | undefined,
): number {
  if (hook?.sleep) return hook.sleep.seconds;
  const command = hook?.exec?.command ?? [];
  const index = command.indexOf("sleep");
  return index >= 0 ? Number(command[index + 1]) || 0 : 0;
}
