import { type ContainerEnv, settingOf } from "./containerEnv.js";
import { type Finding, finding } from "./findings.js";
import { isRequired, type ServiceConfig } from "./serviceConfig.js";
import { ALL_INTERFACES, PLATFORM_VARIABLES } from "./serviceFacts.js";

/**
 * Compares what a container sets with what its service reads: nothing set that the service
 * ignores, nothing required left unset, every known value accepted by the service's own schema,
 * and listen addresses reachable from outside the container.
 */
export function envFindings(config: ServiceConfig, env: ContainerEnv, where: string): Finding[] {
  const findings: Finding[] = [];
  const service = config.facts.name;
  for (const name of env.keys()) {
    if (!(name in config.shape) && !PLATFORM_VARIABLES.includes(name)) {
      findings.push(finding(where, `sets ${name}, which the ${service} does not read`));
    }
  }
  for (const name of Object.keys(config.shape)) {
    const entry = env.get(name);
    if (isRequired(config, name) && (!entry || entry.optional)) {
      findings.push(finding(where, `does not set ${name}, which the ${service} requires`));
    }
  }
  let allValid = true;
  for (const [name, entry] of env) {
    const schema = config.shape[name];
    if (!schema || entry.value === undefined) continue;
    const result = schema.safeParse(entry.value === "" ? undefined : entry.value);
    if (!result.success) {
      allValid = false;
      const shown = entry.secret ? "(secret value)" : JSON.stringify(entry.value);
      findings.push(
        finding(where, `${name}=${shown} is rejected by the ${service}: ${result.error.issues[0]?.message}`),
      );
    }
  }
  const knowsEverything = [...env.values()].every((e) => e.value !== undefined);
  if (allValid && knowsEverything && config.load) {
    try {
      config.load(Object.fromEntries([...env].map(([k, e]) => [k, e.value])));
    } catch (error) {
      findings.push(finding(where, `the ${service} refuses this configuration: ${(error as Error).message}`));
    }
  }
  const databaseUrl = env.get("WALLET_DB_URL")?.value;
  if (databaseUrl?.startsWith("mongodb") && !/[?&](replicaSet|directConnection)=/.test(databaseUrl)) {
    findings.push(
      finding(
        where,
        "WALLET_DB_URL names no replicaSet: the wallet's MongoDB transactions need a replica set",
      ),
    );
  }
  for (const name of config.facts.hostVariables) {
    if (!(name in config.shape)) continue;
    const setting = settingOf(config, env, name);
    if (setting.known && !ALL_INTERFACES.includes(String(setting.value))) {
      findings.push(
        finding(where, `${name} is ${setting.value}: other containers cannot reach it (use 0.0.0.0)`),
      );
    }
  }
  return findings;
}
