import { createRequire } from "node:module";
import type { Ignore } from "@balena/dockerignore";

// CommonJS (module.exports = factory) while its types declare an ES default export: require it.
const ignore = createRequire(import.meta.url)("@balena/dockerignore") as () => Ignore;

/** A .dockerignore, read with Docker's own matching rules (patterns, `**`, `!` exceptions, last match wins). */
export type IgnoreRules = Ignore;

/** Reads .dockerignore text into rules. */
export function parseDockerignore(text: string): IgnoreRules {
  return ignore().add(text.split("\n"));
}

/** True when the build context leaves the path out: it or a directory above it is excluded. */
export function isIgnored(rules: IgnoreRules, path: string): boolean {
  return rules.ignores(path.replace(/^\.?\/+|\/+$/g, ""));
}
