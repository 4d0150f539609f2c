import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadCompose } from "./composeModel.js";
import { composeFindings } from "./composeRules.js";
import { parseDockerfile, withBuildArgs } from "./dockerfileModel.js";
import { dockerfileFindings, installedWorkspaces } from "./dockerfileRules.js";
import { envFindings } from "./envRules.js";
import { exposureFindings } from "./exposureRules.js";
import { type Finding, finding } from "./findings.js";
import { chartChecks } from "./helmChecks.js";
import { imageDependencyFindings } from "./imageDependencies.js";
import type { Rendering } from "./k8sObjects.js";
import { schemaFindings } from "./k8sSchema.js";
import { kustomizeProblem, overlayDirectories, renderOverlay } from "./kustomizeRender.js";
import { networkFindings } from "./networkRules.js";
import { podFindings } from "./podRules.js";
import { listeningPorts, portFindings } from "./portRules.js";
import { referenceFindings } from "./referenceRules.js";
import { loadServiceConfigs, type ServiceConfig } from "./serviceConfig.js";
import { serviceWorkloads } from "./serviceWorkloads.js";
import { urlFindings } from "./urlRules.js";
import { workloadFindings } from "./workloadRules.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

function dockerFindings(configs: ServiceConfig[]): Finding[] {
  const ignorePath = join(root, ".dockerignore");
  if (!existsSync(ignorePath))
    return [finding(".dockerignore", "missing: builds would send node_modules and dist")];
  const dockerignore = readFileSync(ignorePath, "utf8");
  const path = join(root, "Dockerfile");
  if (!existsSync(path)) return [finding("Dockerfile", "missing")];
  const parsed = parseDockerfile(readFileSync(path, "utf8"));
  return configs.flatMap((config, i) => {
    const service = config.facts.name;
    const where = `Dockerfile (SERVICE=${service})`;
    // The linter's diagnostics concern the file, not a service: report them once.
    const model = {
      ...withBuildArgs(parsed, { SERVICE: service }),
      diagnostics: i === 0 ? parsed.diagnostics : [],
    };
    return [
      ...dockerfileFindings(model, { config, root, dockerignore, where }),
      ...imageDependencyFindings(root, installedWorkspaces(model), where),
    ];
  });
}

function renderingFindings(rendering: Rendering, configs: ServiceConfig[]): Finding[] {
  const { objects } = rendering;
  const services = serviceWorkloads(rendering, configs);
  const byName = (name: string) => services.workloads.find((w) => w.config.facts.name === name);
  const wallet = byName("wallet");
  return [
    ...services.findings,
    ...podFindings(objects),
    ...referenceFindings(objects),
    ...services.workloads.flatMap((w) => [
      ...envFindings(w.config, w.env, w.where),
      ...portFindings(w),
      ...workloadFindings(w, objects),
    ]),
    ...urlFindings(rendering, services.workloads),
    ...networkFindings(
      objects,
      wallet && { pod: wallet.pod, container: wallet.container, grpcPort: listeningPorts(wallet).grpc },
      byName("gateway")?.pod,
    ),
  ].map((f) => ({ where: `${rendering.name}: ${f.where}`, problem: f.problem }));
}

async function main(): Promise<number> {
  const loaded = await loadServiceConfigs(root);
  const findings: Finding[] = [...loaded.findings, ...dockerFindings(loaded.configs)];
  const compose = loadCompose(root);
  findings.push(...compose.findings);
  if (compose.project) {
    findings.push(...composeFindings(compose.project, loaded.configs), ...exposureFindings(compose.project));
  }
  const renderings: Rendering[] = [];
  const kubectlProblem = kustomizeProblem(root);
  if (kubectlProblem) findings.push(kubectlProblem);
  for (const directory of kubectlProblem ? [] : overlayDirectories(root)) {
    const rendered = renderOverlay(root, directory);
    findings.push(...rendered.findings);
    if (rendered.rendering) renderings.push(rendered.rendering);
  }
  const chart = chartChecks(root, loaded.configs, renderings);
  findings.push(...chart.findings);
  renderings.push(...chart.renderings);
  findings.push(
    ...(await schemaFindings(
      renderings.map((r) => ({ name: r.name, objects: [...r.objects, ...r.templates] })),
    )),
  );
  for (const rendering of renderings) findings.push(...renderingFindings(rendering, loaded.configs));
  const objectCount = renderings.reduce((n, r) => n + r.objects.length, 0);
  if (findings.length === 0) {
    console.log(
      `check:deploy: ok (${loaded.configs.length} services, docker-compose.yml, ${renderings.length - chart.renderings.length} overlays, ${chart.renderings.length} chart renderings with ${chart.renderer?.kind ?? "no renderer"}, ${objectCount} objects)`,
    );
    return 0;
  }
  console.error(`check:deploy: ${findings.length} problem${findings.length === 1 ? "" : "s"}`);
  for (const f of findings) console.error(`  ${f.where}: ${f.problem}`);
  return 1;
}

process.exitCode = await main();
