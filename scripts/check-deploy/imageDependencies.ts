import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { join } from "node:path";
import { type Finding, finding } from "./findings.js";

const IMPORT_PATTERNS = [
  /(?:^|[\n;])\s*(?:import|export)\s+(?!type\s)[^;]*?\sfrom\s*["']([^"']+)["']/g,
  /(?:^|[\n;])\s*import\s*["']([^"']+)["']/g,
  /\b(?:import|require(?:\.resolve)?)\(\s*["']([^"']+)["']/g,
];

/** The package a bare import names: "@scope/name" or "name"; undefined for relative and built-in imports. */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith(".") || specifier.startsWith("/") || specifier.startsWith("node:"))
    return undefined;
  const parts = specifier.split("/");
  const name = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
  return builtinModules.includes(name) ? undefined : name;
}

/** Packages a source file loads at run time; `import type` and comments are ignored. */
export function runtimeImports(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
  const names = new Set<string>();
  for (const pattern of IMPORT_PATTERNS) {
    for (const match of code.matchAll(pattern)) {
      const name = packageOf(match[1]);
      if (name) names.add(name);
    }
  }
  return [...names];
}

/**
 * Every package the image's code imports is installed by its production install: a dependency
 * of one of the workspaces the Dockerfile installs, or one of those workspaces itself. A package
 * that only a devDependency or another workspace brings would be missing at run time.
 */
export function imageDependencyFindings(root: string, workspaces: string[], where: string): Finding[] {
  const available = new Set<string>();
  for (const workspace of workspaces) {
    const manifest = JSON.parse(readFileSync(join(root, workspace, "package.json"), "utf8"));
    available.add(manifest.name);
    for (const field of ["dependencies", "optionalDependencies", "peerDependencies"]) {
      for (const name of Object.keys(manifest[field] ?? {})) available.add(name);
    }
  }
  const missing = new Map<string, string[]>();
  for (const workspace of workspaces) {
    for (const file of sourceFiles(join(root, workspace, "src"))) {
      for (const name of runtimeImports(readFileSync(file, "utf8"))) {
        if (!available.has(name))
          missing.set(name, [...(missing.get(name) ?? []), file.slice(root.length + 1)]);
      }
    }
  }
  return [...missing].map(([name, files]) => {
    const more = files.length > 1 ? ` (and ${files.length - 1} more)` : "";
    const installed = workspaces.join(", ");
    return finding(
      where,
      `${files[0]}${more} imports ${name}, which no installed workspace (${installed}) depends on`,
    );
  });
}

function sourceFiles(directory: string): string[] {
  let entries: import("node:fs").Dirent[];
  try {
    entries = readdirSync(directory, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return entry.name === "test" ? [] : sourceFiles(path);
    return /\.(ts|mts|js|mjs)$/.test(entry.name) &&
      !/\.(test|spec)\.\w+$/.test(entry.name) &&
      !entry.name.endsWith(".d.ts")
      ? [path]
      : [];
  });
}
