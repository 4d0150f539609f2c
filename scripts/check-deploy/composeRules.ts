import { type ComposeProject, type ComposeService, durationSeconds } from "./composeModel.js";
import { type ContainerEnv, settingOf } from "./containerEnv.js";
import { endpointsOf } from "./endpoints.js";
import { envFindings } from "./envRules.js";
import { type Finding, finding } from "./findings.js";
import { listeningPorts } from "./portRules.js";
import type { ServiceConfig } from "./serviceConfig.js";

/** Variables of a compose service; a variable passed through from the host without a value is unknown. */
export function composeEnv(service: ComposeService): ContainerEnv {
  const env: ContainerEnv = new Map();
  for (const [name, value] of Object.entries(service.environment ?? {})) {
    env.set(name, { value: value ?? undefined, optional: false, secret: false });
  }
  return env;
}

/**
 * The three services in docker-compose.yml: built from their Dockerfiles, configured with
 * variables they read, started after healthy dependencies, hardened like the Kubernetes pods,
 * given time to drain, and pointed at hosts that exist in the project.
 */
export function composeFindings(project: ComposeProject, configs: ServiceConfig[]): Finding[] {
  const findings: Finding[] = [];
  const names = configs.map((c) => c.facts.name as string);
  for (const config of configs) {
    const name = config.facts.name;
    const where = `${project.file}: ${name}`;
    const service = project.services[name];
    if (!service) {
      findings.push(finding(project.file, `has no service ${name}`));
      continue;
    }
    const problem = (text: string) => findings.push(finding(where, text));
    if (service.build?.dockerfile !== "Dockerfile" || service.build.args?.SERVICE !== name)
      problem(`must build from Dockerfile with the build arg SERVICE=${name}`);
    const env = composeEnv(service);
    findings.push(...envFindings(config, env, where));
    if (name === "wallet" && !env.get("WALLET_DB_URL")?.value?.startsWith("mongodb")) {
      problem("must run on MongoDB by default (WALLET_DB_URL=mongodb://…?replicaSet=…)");
    }
    const ports = listeningPorts({ config, env });
    findings.push(...ports.findings.map((p) => finding(where, p)));
    const listening = [ports.http, ports.grpc];
    for (const port of service.ports ?? []) {
      if (!listening.includes(port.target))
        problem(`publishes container port ${port.target}, where nothing listens`);
    }
    if (name === "gateway" && !(service.ports ?? []).some((p) => p.target === ports.http)) {
      problem(`does not publish its HTTP port ${ports.http}`);
    }
    for (const [dependency, condition] of Object.entries(service.depends_on ?? {})) {
      const healthChecked = names.includes(dependency) || project.services[dependency]?.healthcheck?.test;
      if (condition.condition !== "service_healthy" || !healthChecked) {
        problem(`must wait for ${dependency} with condition service_healthy on a healthcheck`);
      }
    }
    if (service.healthcheck?.disable) problem("disables the image's HEALTHCHECK");
    if (!service.read_only) problem("must run with read_only: true");
    if (!service.cap_drop?.includes("ALL")) problem("must drop ALL capabilities");
    if (!service.security_opt?.some((o) => o.startsWith("no-new-privileges")))
      problem("must set no-new-privileges");
    if (![service.tmpfs ?? []].flat().some((t) => t.split(":")[0] === "/tmp"))
      problem("must mount a tmpfs at /tmp");
    // SHUTDOWN_GRACE_MS is the whole time from SIGTERM to exit, closing connections included.
    const grace = settingOf(config, env, "SHUTDOWN_GRACE_MS");
    const stopSeconds = durationSeconds(service.stop_grace_period) ?? 10;
    if (grace.known && typeof grace.value === "number" && stopSeconds * 1000 <= grace.value) {
      problem(`stop_grace_period ${stopSeconds}s must exceed SHUTDOWN_GRACE_MS ${grace.value} ms`);
    }
    findings.push(...hostFindings(project, configs, env, where));
  }
  return findings;
}

function hostFindings(
  project: ComposeProject,
  configs: ServiceConfig[],
  env: ContainerEnv,
  where: string,
): Finding[] {
  const findings: Finding[] = [];
  for (const [name, entry] of env) {
    for (const endpoint of (entry.value && endpointsOf(entry.value)?.endpoints) || []) {
      if (endpoint.host.includes(".") || endpoint.host === "localhost") continue;
      const target = project.services[endpoint.host];
      if (!target) {
        findings.push(
          finding(where, `${name} names host ${endpoint.host}, which is no service of the project`),
        );
        continue;
      }
      if (name !== "WALLET_GRPC_URL") continue;
      const wallet = configs.find((c) => c.facts.name === "wallet");
      const grpcPort = wallet && listeningPorts({ config: wallet, env: composeEnv(target) }).grpc;
      if (endpoint.host !== "wallet" || endpoint.port !== grpcPort) {
        findings.push(finding(where, `WALLET_GRPC_URL must reach the wallet's gRPC port ${grpcPort}`));
      }
    }
  }
  return findings;
}
