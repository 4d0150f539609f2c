import { type ConfigOf, type ConfigShape, loadConfig, logLevelShape } from "./config.js";
import {
  checkNatsCredentials,
  type DevDefault,
  devDefaultsInUse,
  devModeShape,
  natsDevDefault,
  natsShape,
  requireOutsideDevMode,
} from "./security.js";
import { shutdownGraceShape } from "./shutdown.js";

/** What tells one service's common variables from another's, in their descriptions and bounds. */
export interface ServiceShapeOptions {
  /** What the service uses NATS for ("for events"). */
  nats: string;
  /** What finishes first on shutdown ("requests", "calls", "deliveries"). */
  work: string;
  /** The shortest SHUTDOWN_GRACE_MS it accepts. */
  minGraceMs?: number;
}

/**
 * The variables every service of the platform reads: NATS and its credentials (all of them
 * speak it), DEV_MODE, LOG_LEVEL and SHUTDOWN_GRACE_MS.
 */
export function serviceShape({ nats, work, minGraceMs }: ServiceShapeOptions) {
  return {
    ...natsShape(nats),
    ...devModeShape,
    ...logLevelShape,
    ...shutdownGraceShape(work, minGraceMs),
  };
}

/** What a service checks in its configuration beyond each variable's own shape. */
export interface ServiceConfigChecks<C> {
  /** Cross-field rules, run in this order before the NATS credentials; each throws a ConfigError. */
  rules: ((config: C) => void)[];
  /** The keys besides NATS credentials that only DEV_MODE may go without: refused outside it, after the rules. */
  devDefaults?: DevDefault<C>[];
}

/** A service's configuration: how it is read and checked, and what it falls back to in development. */
export interface ServiceConfig<C> {
  /**
   * Reads every variable against the shape, then checks the service's cross-field rules,
   * the NATS credentials, and last refuses outside DEV_MODE what else only development
   * may go without. Throws a ConfigError naming the variable at the first problem.
   */
  load(source?: NodeJS.ProcessEnv): C;
  /** The development fallbacks `config` uses, NATS without credentials first (logged at start in DEV_MODE). */
  devDefaultsInUse(config: C): string[];
}

export function serviceConfig<S extends ConfigShape & ReturnType<typeof serviceShape>>(
  shape: S,
  { rules, devDefaults = [] }: ServiceConfigChecks<ConfigOf<S>>,
): ServiceConfig<ConfigOf<S>> {
  return {
    load(source = process.env) {
      const config = loadConfig(shape, source);
      for (const rule of rules) rule(config);
      checkNatsCredentials(config);
      requireOutsideDevMode(config, devDefaults);
      return config;
    },
    devDefaultsInUse: (config) => devDefaultsInUse(config, [natsDevDefault, ...devDefaults]),
  };
}
