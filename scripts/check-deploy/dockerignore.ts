/** A .dockerignore pattern as a regular expression over context-relative paths. */
interface IgnoreRule {
  pattern: RegExp;
  exception: boolean;
}

/** Reads .dockerignore text into rules, in order (a later match wins, as in Docker). */
export function parseDockerignore(text: string): IgnoreRule[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"))
    .map((line) => {
      const exception = line.startsWith("!");
      const glob = (exception ? line.slice(1) : line).replace(/^\/+|\/+$/g, "");
      const source = glob
        .split("/")
        .map((part) =>
          part === "**"
            ? "(?:.*)"
            : part
                .replace(/[.+^${}()|[\]\\]/g, "\\$&")
                .replace(/\*/g, "[^/]*")
                .replace(/\?/g, "[^/]"),
        )
        .join("/")
        .replace(/\(\?:\.\*\)\//g, "(?:.*/)?");
      return { pattern: new RegExp(`^${source}$`), exception };
    });
}

/** True when the build context leaves the path out: it or a directory above it is excluded. */
export function isIgnored(rules: IgnoreRule[], path: string): boolean {
  const parts = path.replace(/^\.?\/+|\/+$/g, "").split("/");
  let ignored = false;
  for (let depth = 1; depth <= parts.length; depth++) {
    const candidate = parts.slice(0, depth).join("/");
    for (const rule of rules) if (rule.pattern.test(candidate)) ignored = !rule.exception;
    if (ignored) return true;
  }
  return ignored;
}
