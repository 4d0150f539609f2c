import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { z } from "zod";
import { type Finding, finding } from "./findings.js";
import { SERVICES, type ServiceFacts } from "./serviceFacts.js";

/** A service's configuration as its own code declares it: the truth the deployment files are checked against. */
export interface ServiceConfig {
  facts: ServiceFacts;
  /** configShape from services/<name>/src/config.ts: keys are the variables the service reads. */
  shape: Record<string, z.ZodType>;
  /** The service's exported load…Config(env), which also applies rules across variables. */
  load?: (env: Record<string, string | undefined>) => unknown;
}

/** Imports each service's config module; a missing module or configShape is a finding, not a crash. */
export async function loadServiceConfigs(
  root: string,
): Promise<{ configs: ServiceConfig[]; findings: Finding[] }> {
  const configs: ServiceConfig[] = [];
  const findings: Finding[] = [];
  for (const facts of SERVICES) {
    const file = join(root, "services", facts.name, "src", "config.ts");
    const where = `services/${facts.name}/src/config.ts`;
    if (!existsSync(file)) {
      findings.push(
        finding(where, "missing: the deploy check needs its exported configShape to know the variables"),
      );
      continue;
    }
    let module: Record<string, unknown>;
    try {
      module = await import(pathToFileURL(file).href);
    } catch (error) {
      findings.push(finding(where, `cannot be imported: ${(error as Error).message}`));
      continue;
    }
    const shape = module.configShape;
    if (!shape || typeof shape !== "object") {
      findings.push(finding(where, "does not export configShape"));
      continue;
    }
    const loaderName = Object.keys(module).find(
      (k) => /^load\w*Config$/.test(k) && typeof module[k] === "function",
    );
    configs.push({
      facts,
      shape: shape as ServiceConfig["shape"],
      load: loaderName ? (module[loaderName] as ServiceConfig["load"]) : undefined,
    });
  }
  return { configs, findings };
}

/** True when the variable has no default, so the service refuses to start without it. */
export function isRequired(config: ServiceConfig, name: string): boolean {
  return !config.shape[name].safeParse(undefined).success;
}

/** The parsed value the service would use: the given raw value, or the default when unset. */
export function effectiveValue(config: ServiceConfig, name: string, raw: string | undefined): unknown {
  const schema = config.shape[name];
  if (!schema) return undefined;
  const result = schema.safeParse(raw === "" ? undefined : raw);
  return result.success ? result.data : undefined;
}
