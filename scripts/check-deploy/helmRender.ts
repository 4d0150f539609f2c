import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { join, relative } from "node:path";
import { type Finding, finding } from "./findings.js";
import type { K8sObject, Rendering } from "./k8sObjects.js";
import { parseObjects } from "./kustomizeRender.js";
import { runTool } from "./tools.js";

/** The chart, relative to the repository root. */
export const CHART = "deploy/helm/wallet-platform";

/** The Secret created out of band that a chart rendering refers to when it does not render one. */
export const SECRET_TEMPLATE = "deploy/k8s/overlays/prod/secret.template.yaml";

/** Kubernetes version the chart is rendered for: the oldest with GA native gRPC probes and the Chart's kubeVersion. */
export const KUBE_VERSION = "1.30.0";

/** One way of installing the chart: values files on top of values.yaml, and the overlay it must match. */
export interface ValueSet {
  /** How findings name the set: the values file, or values.yaml for the defaults. */
  name: string;
  files: string[];
  namespace: string;
  /** The kustomize overlay that deploys the same workloads, when there is one. */
  overlay?: string;
  /** Objects other charts install beside this release (never applied from here): the URLs' targets. */
  outOfBand?: string;
}

export const VALUE_SETS: readonly ValueSet[] = [
  { name: `${CHART}/values.yaml`, files: [], namespace: "wallet" },
  {
    name: "deploy/helm/values/dev.yaml",
    files: ["deploy/helm/values/dev.yaml"],
    namespace: "wallet-dev",
    overlay: "deploy/k8s/overlays/dev",
    outOfBand: "deploy/helm/values/dev.upstream-services.yaml",
  },
  {
    name: "deploy/helm/values/prod.yaml",
    files: ["deploy/helm/values/prod.yaml"],
    namespace: "wallet",
    overlay: "deploy/k8s/overlays/prod",
  },
];

/** How the chart gets rendered: the real helm, or the Go stand-in built from scripts/helm-render. */
export interface Renderer {
  kind: "helm" | "stand-in";
  command: string;
}

const GOPATH = "/usr/share/gocode";
const STAND_IN_SOURCE = "scripts/helm-render/main.go";
const GO_HINT =
  "install helm, or the stand-in's Go packages: apt-get install golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v2-dev";

/**
 * Finds a renderer: `helm` when it is on PATH, otherwise the stand-in, built once per source
 * version into node_modules/.cache/helm-render/<hash of main.go>/ (GOPATH mode, offline).
 */
export function findRenderer(root: string, options: { preferHelm?: boolean } = {}): Renderer | Finding {
  if (options.preferHelm !== false) {
    const helm = runTool("helm", ["version", "--short"], root, "");
    if (helm.ok) return { kind: "helm", command: "helm" };
  }
  return buildStandIn(root);
}

export function buildStandIn(root: string): Renderer | Finding {
  const source = readFileSync(join(root, STAND_IN_SOURCE));
  const hash = createHash("sha256").update(source).digest("hex").slice(0, 16);
  const cache = join(root, "node_modules", ".cache", "helm-render");
  const binary = join(cache, hash, "helm-render");
  if (existsSync(binary)) return { kind: "stand-in", command: binary };
  if (!existsSync(join(GOPATH, "src", "github.com", "Masterminds", "sprig"))) {
    return finding(STAND_IN_SOURCE, `helm is not on PATH and sprig is not in ${GOPATH} (${GO_HINT})`);
  }
  mkdirSync(join(cache, hash), { recursive: true });
  // Built under a temporary name and renamed, so a concurrent run never sees half a binary.
  const partial = `${binary}.${process.pid}`;
  const build = runTool("go", ["build", "-o", partial, "./scripts/helm-render"], root, GO_HINT, {
    GO111MODULE: "off",
    GOPATH,
    GOCACHE: join(cache, "go-build"),
    GOFLAGS: "",
    CGO_ENABLED: "0",
  });
  if (!build.ok) return finding(STAND_IN_SOURCE, build.reason);
  renameSync(partial, binary);
  return { kind: "stand-in", command: binary };
}

/** `template` arguments both renderers take. */
export function templateArgs(
  chart: string,
  set: Pick<ValueSet, "files" | "namespace">,
  extra: string[] = [],
): string[] {
  return [
    "template",
    "wallet-platform",
    chart,
    "--namespace",
    set.namespace,
    "--kube-version",
    KUBE_VERSION,
    ...set.files.flatMap((f) => ["-f", f]),
    ...extra,
  ];
}

/**
 * Renders the chart with one value set. Helm's own errors (a template that does not parse or
 * execute, YAML it cannot read) name the template file; they are reported against the chart.
 * When the rendering does not create the credentials Secret, the Secret template applied out of
 * band stands for it, as it does for the prod overlay.
 */
export function renderChart(
  root: string,
  renderer: Renderer,
  set: ValueSet,
  chart: string = CHART,
): { rendering?: Rendering; findings: Finding[] } {
  const name = `${relative(root, join(root, chart)) || chart} (${set.name})`;
  const run = runTool(renderer.command, templateArgs(chart, set), root, GO_HINT);
  if (!run.ok) return { findings: [finding(name, run.reason.replace(/^\S+ template .*? failed: /s, ""))] };
  const parsed = parseObjects(run.stdout, name);
  const templates: K8sObject[] = [];
  const outOfBand = [
    ...(parsed.objects.some((o) => o.kind === "Secret") ? [] : [SECRET_TEMPLATE]),
    ...(set.outOfBand ? [set.outOfBand] : []),
  ];
  for (const file of outOfBand) {
    const read = parseObjects(readFileSync(join(root, file), "utf8"), file);
    templates.push(...read.objects);
    parsed.findings.push(...read.findings);
  }
  return { rendering: { name, objects: parsed.objects, templates }, findings: parsed.findings };
}
