import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import semver from "semver";
import { parse } from "yaml";
import { type Finding, finding } from "./findings.js";
import type { Renderer } from "./helmRender.js";
import { runTool } from "./tools.js";

/** Chart.yaml fields Helm 3 knows (apiVersion v2); anything else is a typo Helm would ignore. */
const CHART_FIELDS = new Set([
  "apiVersion",
  "name",
  "version",
  "kubeVersion",
  "description",
  "type",
  "keywords",
  "home",
  "sources",
  "dependencies",
  "maintainers",
  "icon",
  "appVersion",
  "deprecated",
  "annotations",
]);

const CHART_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * What `helm lint` checks in Chart.yaml and the chart's layout, for machines without helm:
 * apiVersion v2, a lowercase name equal to the directory's, a SemVer 2 version, an appVersion,
 * a description, a known type, a valid kubeVersion, no unknown fields; templates/, values.yaml,
 * values.schema.json and templates/NOTES.txt present. With helm on PATH, `helm lint` runs too.
 */
export function chartLintFindings(root: string, chart: string, renderer?: Renderer): Finding[] {
  const where = `${chart}/Chart.yaml`;
  const dir = join(root, chart);
  const findings: Finding[] = [];
  if (!existsSync(join(dir, "Chart.yaml"))) return [finding(where, "missing")];
  let meta: Record<string, unknown>;
  try {
    meta = parse(readFileSync(join(dir, "Chart.yaml"), "utf8")) ?? {};
  } catch (error) {
    return [finding(where, `YAML: ${(error as Error).message}`)];
  }
  const text = (key: string) => (typeof meta[key] === "string" ? (meta[key] as string) : undefined);
  for (const key of Object.keys(meta))
    if (!CHART_FIELDS.has(key)) findings.push(finding(where, `unknown field ${key}`));
  if (meta.apiVersion !== "v2")
    findings.push(finding(where, `apiVersion must be v2 (Helm 3), found ${String(meta.apiVersion)}`));
  const name = text("name");
  if (!name) findings.push(finding(where, "name is required"));
  else {
    if (!CHART_NAME.test(name))
      findings.push(finding(where, `name ${name} must be lowercase letters, digits and -`));
    if (name !== basename(dir))
      findings.push(finding(where, `name ${name} differs from the directory ${basename(dir)}`));
  }
  const version = text("version");
  if (!version || semver.valid(version) !== version)
    findings.push(finding(where, `version must be a SemVer 2 string, found ${String(meta.version)}`));
  if (!text("appVersion")) findings.push(finding(where, "appVersion is required (as a string: quote it)"));
  if (!text("description")) findings.push(finding(where, "description is required"));
  if (meta.type !== undefined && meta.type !== "application" && meta.type !== "library")
    findings.push(finding(where, `type must be application or library, found ${String(meta.type)}`));
  const kubeVersion = text("kubeVersion");
  if (meta.kubeVersion !== undefined && (!kubeVersion || semver.validRange(kubeVersion) === null))
    findings.push(finding(where, `kubeVersion is not a version constraint: ${String(meta.kubeVersion)}`));
  for (const required of ["values.yaml", "values.schema.json", "templates/NOTES.txt"]) {
    if (!existsSync(join(dir, required))) findings.push(finding(`${chart}/${required}`, "missing"));
  }
  const templates = join(dir, "templates");
  if (!existsSync(templates) || !statSync(templates).isDirectory())
    findings.push(finding(`${chart}/templates`, "missing"));
  else findings.push(...templateNameFindings(templates, `${chart}/templates`));
  if (renderer?.kind === "helm") {
    const lint = runTool("helm", ["lint", "--strict", chart], root, "");
    if (!lint.ok) findings.push(finding(chart, lint.reason));
  }
  return findings;
}

/** Helm renders .yaml, .yml, .tpl and .txt files; anything else in templates/ is a mistake. */
function templateNameFindings(directory: string, where: string): Finding[] {
  const findings: Finding[] = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) findings.push(...templateNameFindings(path, `${where}/${entry.name}`));
    else if (!/\.(ya?ml|tpl|txt)$/.test(entry.name))
      findings.push(finding(`${where}/${entry.name}`, "is not a template (.yaml, .yml, .tpl or NOTES.txt)"));
  }
  return findings;
}
