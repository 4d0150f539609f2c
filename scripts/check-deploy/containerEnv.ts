import { effectiveValue, type ServiceConfig } from "./serviceConfig.js";

/** One variable a container sets. */
export interface EnvEntry {
  /** The value, when the deployment files hold it; undefined when it lives elsewhere (an external Secret). */
  value?: string;
  /** The variable may end up unset: an optional Secret or ConfigMap key. */
  optional: boolean;
  /** The value comes from a Secret and is never printed. */
  secret: boolean;
}

/** Variables by name, as the container's process will see them. */
export type ContainerEnv = Map<string, EnvEntry>;

/** What a service will use for a variable: known (the set value or the default) or not knowable from the files. */
export type Setting = { known: true; value: unknown } | { known: false };

/** The value a service ends up with for one variable, given what the container sets. */
export function settingOf(config: ServiceConfig, env: ContainerEnv, name: string): Setting {
  const entry = env.get(name);
  if (entry && entry.value === undefined) return { known: false };
  return { known: true, value: effectiveValue(config, name, entry?.value) };
}

/** A port variable's value, or undefined when it cannot be known or parsed. */
export function portOf(config: ServiceConfig, env: ContainerEnv, name: string): number | undefined {
  const setting = settingOf(config, env, name);
  return setting.known && typeof setting.value === "number" ? setting.value : undefined;
}
