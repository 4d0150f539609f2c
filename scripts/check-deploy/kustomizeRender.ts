import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parseAllDocuments } from "yaml";
import { type Finding, finding } from "./findings.js";
import type { K8sObject, Rendering } from "./k8sObjects.js";
import { runTool } from "./tools.js";

/** Files beside an overlay, named *.template.yaml, that describe objects applied out of band. */
const TEMPLATE_SUFFIX = ".template.yaml";

const KUBECTL_HINT = "kubectl 1.27 or newer is needed; see deploy/README.md";

/**
 * Checks that kubectl embeds kustomize v5: the overlays use `labels`, `replicas` and inline
 * `patches`, which older kustomize (Debian's kubectl 1.20 has v2) cannot read.
 */
export function kustomizeProblem(root: string): Finding | undefined {
  const run = runTool("kubectl", ["version", "--client", "-o", "json"], root, KUBECTL_HINT);
  if (!run.ok) return finding("kubectl", run.reason);
  const version = JSON.parse(run.stdout) as {
    clientVersion?: { gitVersion?: string };
    kustomizeVersion?: string;
  };
  const major = Number(/^v(\d+)/.exec(version.kustomizeVersion ?? "")?.[1] ?? 0);
  if (major >= 5) return undefined;
  const found = `kubectl ${version.clientVersion?.gitVersion} embeds kustomize ${version.kustomizeVersion ?? "older than v4"}`;
  return finding("kubectl", `${found}; the overlays need kustomize v5 (kubectl 1.27 or newer)`);
}

/** The overlays of deploy/k8s, each a directory with a kustomization. */
export function overlayDirectories(root: string): string[] {
  const overlays = join(root, "deploy", "k8s", "overlays");
  return readdirSync(overlays, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => join(overlays, e.name))
    .sort();
}

/** Renders an overlay with `kubectl kustomize` and reads its templates. */
export function renderOverlay(
  root: string,
  directory: string,
): { rendering?: Rendering; findings: Finding[] } {
  const name = relative(root, directory);
  const run = runTool("kubectl", ["kustomize", directory], root, KUBECTL_HINT);
  if (!run.ok) return { findings: [finding(name, run.reason)] };
  const parsed = parseObjects(run.stdout, name);
  const templates: K8sObject[] = [];
  const findings = parsed.findings;
  for (const file of readdirSync(directory).filter((f) => f.endsWith(TEMPLATE_SUFFIX))) {
    const result = parseObjects(readFileSync(join(directory, file), "utf8"), join(name, file));
    templates.push(...result.objects);
    findings.push(...result.findings);
  }
  return { rendering: { name, objects: parsed.objects, templates }, findings };
}

/** Parses a multi-document YAML stream into Kubernetes objects. */
export function parseObjects(text: string, where: string): { objects: K8sObject[]; findings: Finding[] } {
  const objects: K8sObject[] = [];
  const findings: Finding[] = [];
  for (const document of parseAllDocuments(text)) {
    if (document.errors.length > 0) {
      findings.push(...document.errors.map((e) => finding(where, `YAML: ${e.message}`)));
      continue;
    }
    const value = document.toJS() as K8sObject | null;
    if (value === null) continue;
    if (!value.apiVersion || !value.kind || !value.metadata?.name) {
      findings.push(finding(where, "an object without apiVersion, kind or metadata.name"));
      continue;
    }
    objects.push(value.kind === "Secret" ? unwrapSecretData(value) : value);
  }
  return { objects, findings };
}

/**
 * kustomize folds long base64 values over several lines; the API server's decoder skips the
 * line breaks, so they are removed here before the schema's strict "byte" format sees them.
 */
function unwrapSecretData(secret: K8sObject): K8sObject {
  const data = secret.data as Record<string, string> | undefined;
  if (!data) return secret;
  return {
    ...secret,
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v.replace(/\s+/g, "")])),
  };
}
