import { z } from "zod";

/** Raised when an environment variable is missing or malformed; names the variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Environment variable helpers: each returns a zod schema that parses the raw string. */
export const env = {
  string: (def?: string) => (def === undefined ? z.string().min(1) : z.string().min(1).default(def)),
  optionalString: () => z.string().optional(),
  int: (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
    z
      .string()
      .regex(/^\d+$/, "must be a whole number")
      .transform(Number)
      .pipe(z.number().int().min(min).max(max))
      .default(def),
  number: (def: number, min: number, max: number) =>
    z
      .string()
      .regex(/^\d+(\.\d+)?$/, "must be a number")
      .transform(Number)
      .pipe(z.number().min(min).max(max))
      .default(def),
  bool: (def: boolean) =>
    z
      .enum(["true", "false", "1", "0"])
      .transform((v) => v === "true" || v === "1")
      .default(def),
  url: (def: string, protocols: string[]) =>
    z
      .string()
      .default(def)
      .refine(
        (v) => {
          try {
            return protocols.includes(new URL(v).protocol);
          } catch {
            return false;
          }
        },
        `must be a URL with scheme ${protocols.join(" or ")}`,
      ),
  logLevel: () => z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  oneOf: <T extends [string, ...string[]]>(values: T, def: T[number]) => z.enum(values).default(def as never),
};

/** LOG_LEVEL, the same setting in every service. */
export const logLevelShape = {
  LOG_LEVEL: env.logLevel().describe("pino level: fatal, error, warn, info, debug, trace, silent"),
};

export type ConfigShape = Record<string, z.ZodType>;
export type ConfigOf<S extends ConfigShape> = { [K in keyof S]: z.output<S[K]> };

/**
 * Parses the environment once against a shape whose keys are the variable names.
 * Empty strings count as unset, so `FOO=` falls back to the default.
 */
export function loadConfig<S extends ConfigShape>(
  shape: S,
  source: NodeJS.ProcessEnv = process.env,
): ConfigOf<S> {
  const raw: Record<string, string | undefined> = {};
  for (const key of Object.keys(shape)) raw[key] = source[key] === "" ? undefined : source[key];
  const result = z.object(shape).safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join("; ")}`);
  }
  return result.data as ConfigOf<S>;
}
