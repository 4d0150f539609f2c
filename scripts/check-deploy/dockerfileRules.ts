import { existsSync } from "node:fs";
import { join } from "node:path";
import { type DockerfileModel, execForm, finalStage, type Stage } from "./dockerfileModel.js";
import { isIgnored, parseDockerignore } from "./dockerignore.js";
import { type Finding, finding } from "./findings.js";
import { effectiveValue, type ServiceConfig } from "./serviceConfig.js";
import { HEALTH_PATHS } from "./serviceFacts.js";

/** What the rules need besides the Dockerfile: the service it builds, the repository and its .dockerignore. */
export interface DockerfileContext {
  config: ServiceConfig;
  root: string;
  dockerignore: string;
  where: string;
}

/** The workspaces whose production dependencies the image installs (`npm ci --omit=dev -w …`). */
export function installedWorkspaces(model: DockerfileModel): string[] {
  const install = model.stages.flatMap((s) => s.steps).find((s) => isProductionInstall(s.args));
  return [...(install?.args.matchAll(/(?:-w|--workspace)[ =](\S+)/g) ?? [])].map((m) =>
    m[1].replace(/\/$/, ""),
  );
}

function isProductionInstall(args: string): boolean {
  return /\bnpm ci\b/.test(args) && /--omit[ =]dev\b/.test(args);
}

/**
 * The Dockerfile, as built for one service (withBuildArgs), lints clean and builds the image the design asks for: multi-stage on
 * the Node LTS line, production dependencies only, the service's dist, a numeric non-root user,
 * node started in exec form, a HEALTHCHECK on the service's own port and health path, the
 * ports it listens on, and context files the .dockerignore does not drop.
 */
export function dockerfileFindings(model: DockerfileModel, context: DockerfileContext): Finding[] {
  const { config, where } = context;
  const name = config.facts.name;
  const problems: string[] = model.diagnostics.map((d) => `line ${d.line}: ${d.message}`);
  const nodeVersion = model.globalArgs.get("NODE_VERSION");
  if (
    !nodeVersion ||
    !/^\d+$/.test(nodeVersion) ||
    Number(nodeVersion) % 2 !== 0 ||
    Number(nodeVersion) < 22
  ) {
    problems.push("must declare ARG NODE_VERSION=<even LTS major ≥ 22> before the first FROM");
  }
  const stageNames = new Set(model.stages.map((s) => s.name).filter(Boolean));
  for (const stage of model.stages) {
    if (!stageNames.has(stage.image) && !/^node:\$\{NODE_VERSION\}-/.test(stage.image)) {
      problems.push(`FROM ${stage.image}: stages must start from node:\${NODE_VERSION}-<variant>`);
    }
  }
  const final = finalStage(model);
  if (model.stages.length < 2 || !final) {
    problems.push("must be multi-stage: build in one stage, run from another");
    return problems.map((p) => finding(where, p));
  }
  problems.push(...finalStageProblems(final, model, context));
  for (const stage of model.stages) {
    for (const step of stage.steps.filter((s) => (s.keyword === "COPY" || s.keyword === "ADD") && !s.from)) {
      const sources = step.args.split(/\s+/).slice(0, -1);
      for (const source of sources) {
        if (!existsSync(join(context.root, source)))
          problems.push(`line ${step.line}: COPY source ${source} does not exist`);
        else if (isIgnored(parseDockerignore(context.dockerignore), source)) {
          problems.push(`line ${step.line}: COPY source ${source} is excluded by .dockerignore`);
        }
      }
    }
  }
  if (!installedWorkspaces(model).includes(`services/${name}`)) {
    problems.push(`must install production dependencies with npm ci --omit=dev -w services/${name}`);
  }
  return problems.map((p) => finding(where, p));
}

function finalStageProblems(final: Stage, model: DockerfileModel, context: DockerfileContext): string[] {
  const { config } = context;
  const name = config.facts.name;
  const problems: string[] = [];
  const steps = (keyword: string) => final.steps.filter((s) => s.keyword === keyword);
  const user = steps("USER").at(-1)?.args.split(":")[0];
  if (!user || !/^\d+$/.test(user) || user === "0")
    problems.push("the final stage must switch to a numeric non-root USER");
  if (
    final.steps.some(
      (s) => s.keyword === "RUN" && /\bnpm (ci|install|i)\b/.test(s.args) && !isProductionInstall(s.args),
    )
  ) {
    problems.push("the final stage installs dev dependencies");
  }
  const modulesFrom = steps("COPY").find((s) => s.from && /(^|\/)node_modules\b/.test(s.args))?.from;
  const modulesStage = model.stages.find((s) => s.name === modulesFrom);
  if (!modulesStage?.steps.some((s) => s.keyword === "RUN" && isProductionInstall(s.args))) {
    problems.push("the final stage must copy node_modules from a stage that ran npm ci --omit=dev");
  }
  if (!steps("COPY").some((s) => s.args.includes(`services/${name}/dist`))) {
    problems.push(`the final stage does not copy services/${name}/dist`);
  }
  const cmd = execForm(steps("CMD").at(-1)?.args ?? "");
  const entrypoint = execForm(steps("ENTRYPOINT").at(-1)?.args ?? "");
  const runsNode = cmd?.[0] === "node" && !entrypoint;
  const runsTini = entrypoint?.some((a) => /(^|\/)tini$/.test(a)) && cmd?.[0] === "node";
  if (!runsNode && !runsTini)
    problems.push('must start node in exec form (CMD ["node", …], or tini), so SIGTERM reaches it');
  if (cmd && !cmd.includes(`services/${name}/dist/main.js`))
    problems.push(`CMD must run services/${name}/dist/main.js`);
  const health = /^CMD\s+(\[.*\])$/s.exec(steps("HEALTHCHECK").at(-1)?.args ?? "");
  const probe = health ? execForm(health[1]) : undefined;
  const portVariable = config.facts.httpPortVariable;
  const defaultPort = String(effectiveValue(config, portVariable, undefined));
  if (probe?.[0] !== "node" || !/healthcheck\.mjs$/.test(probe[1] ?? "")) {
    problems.push(
      'HEALTHCHECK must run CMD ["node", "healthcheck.mjs", <PORT_VARIABLE>, <default port>, <path>]',
    );
  } else if (!steps("COPY").some((s) => s.args.includes(probe[1]))) {
    problems.push(`the final stage does not copy ${probe[1]}, which its HEALTHCHECK runs`);
  } else if (
    probe[2] !== portVariable ||
    probe[3] !== defaultPort ||
    !HEALTH_PATHS.includes(probe[4] ?? "")
  ) {
    problems.push(
      `HEALTHCHECK must probe ${portVariable} (default ${defaultPort}) at one of ${HEALTH_PATHS.join(", ")}`,
    );
  }
  const exposed = steps("EXPOSE")
    .flatMap((s) => s.args.split(/\s+/))
    .map((p) => p.split("/")[0]);
  const listening = [config.facts.httpPortVariable, config.facts.grpcPortVariable]
    .filter((v): v is string => Boolean(v))
    .map((v) => String(effectiveValue(config, v, undefined)));
  if ([...exposed].sort().join() !== [...listening].sort().join()) {
    problems.push(
      `EXPOSE ${exposed.join(" ")} differs from the ports the ${name} listens on (${listening.join(" ")})`,
    );
  }
  return problems;
}
