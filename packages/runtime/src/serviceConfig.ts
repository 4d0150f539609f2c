import { type ConfigOf, type ConfigShape, loadConfig, logLevelShape } from "./config.js";
import {
  checkNatsCredentials,
  type DevDefault,
  devModeShape,
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
  /** Cross-field rules, run in this order after the NATS credentials; each throws a ConfigError. */
  rules: ((config: C) => void)[];
  /** The keys only DEV_MODE may go without: refused outside it, after the rules. */
  devDefaults?: DevDefault<C>[];
}

/**
 * Reads a service's configuration: every variable against `shape`, then the NATS
 * credentials, the service's cross-field rules, and last the refusal outside DEV_MODE
 * of what only development may go without. Throws a ConfigError at the first problem.
 */
export function loadServiceConfig<S extends ConfigShape & ReturnType<typeof serviceShape>>(
  shape: S,
  source: NodeJS.ProcessEnv,
  checks: ServiceConfigChecks<ConfigOf<S>>,
): ConfigOf<S> {
  const config = loadConfig(shape, source);
  checkNatsCredentials(config);
  for (const rule of checks.rules) rule(config);
  requireOutsideDevMode(config, checks.devDefaults ?? []);
  return config;
}
