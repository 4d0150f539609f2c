// The README's configuration tables, generated from each service's configShape:
// the variable name is the key, the default comes from parsing "unset", the
// meaning from the schema's `.describe()`. `npm run config:table` uses this, and
// test/configTables.test.ts fails when a README drifts from it.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { configShape as gateway } from "@wallet/gateway";
import { configShape as notifier } from "@wallet/notifier";
import { configShape as wallet } from "@wallet/wallet";
import type { z } from "zod";

export type ConfigShapeLike = Record<string, z.ZodType>;

/** Every service's configShape, in the order the README lists them. */
export const SERVICE_SHAPES: Record<string, ConfigShapeLike> = { wallet, gateway, notifier };

/** Files whose marked tables are generated; paths relative to the repository root. */
export const GENERATED_FILES = [
  "README.md",
  "services/wallet/README.md",
  "services/gateway/README.md",
  "services/notifier/README.md",
];

/** The command that rewrites the tables; failure messages name it. */
export const WRITE_COMMAND = "npm run config:table -- --write";

export interface ConfigRow {
  name: string;
  /** Markdown for the default: a code span, "(unset)" or "**required**". */
  default: string;
  description: string;
}

/** A variable cannot be documented (no description); names the service and the variable. */
export class ConfigDocsError extends Error {
  override name = "ConfigDocsError";
}

function defaultOf(schema: z.ZodType): string {
  const parsed = schema.safeParse(undefined);
  if (!parsed.success) return "**required**";
  if (parsed.data === undefined) return "(unset)";
  const value = Array.isArray(parsed.data) ? parsed.data.join(",") : String(parsed.data);
  return `\`${value}\``;
}

/** One row per variable, in declaration order; throws ConfigDocsError for a variable without a description. */
export function configRows(service: string, shape: ConfigShapeLike): ConfigRow[] {
  return Object.entries(shape).map(([name, schema]) => {
    const description = schema.description?.trim();
    if (!description) {
      throw new ConfigDocsError(
        `${service}: ${name} has no description. Add one where it is declared in the configShape ` +
          `of services/${service}/src/config.ts, e.g. ${name}: env.string("…").describe("what it sets"), ` +
          `then run \`${WRITE_COMMAND}\`.`,
      );
    }
    return { name, default: defaultOf(schema), description };
  });
}

const cell = (text: string) => text.replace(/\s*\n\s*/g, " ").replace(/\|/g, "\\|");

/** A markdown table: variable, default, meaning. */
export function renderTable(rows: ConfigRow[]): string {
  const lines = ["| variable | default | meaning |", "| --- | --- | --- |"];
  for (const row of rows) {
    lines.push(`| \`${row.name}\` | ${cell(row.default)} | ${cell(row.description)} |`);
  }
  return lines.join("\n");
}

const startMarker = (service: string) =>
  `<!-- config-table ${service}: generated from services/${service}/src/config.ts by \`${WRITE_COMMAND}\`; edit the descriptions there -->`;
const endMarker = (service: string) => `<!-- end config-table ${service} -->`;
const MARKED_TABLE = /<!-- config-table ([a-z-]+)[:\s][^\n]*-->\n[\s\S]*?<!-- end config-table \1 -->/g;

/**
 * Replaces every marked table in a markdown text with the table generated from the
 * named service's shape. Returns the new text and the services it found, in order.
 */
export function fillTables(
  markdown: string,
  shapes: Record<string, ConfigShapeLike> = SERVICE_SHAPES,
): { text: string; services: string[] } {
  const services: string[] = [];
  const text = markdown.replace(MARKED_TABLE, (_, service: string) => {
    const shape = shapes[service];
    if (!shape) {
      throw new ConfigDocsError(
        `config-table marker names "${service}", which is not one of ${Object.keys(shapes).join(", ")}`,
      );
    }
    services.push(service);
    return `${startMarker(service)}\n\n${renderTable(configRows(service, shape))}\n\n${endMarker(service)}`;
  });
  return { text, services };
}

export interface GeneratedFile {
  path: string;
  current: string;
  expected: string;
  services: string[];
}

/** Formats markdown the way `npm run lint` expects it (biome pads table columns). */
function formatMarkdown(root: string, path: string, text: string): string {
  const biome = spawnSync(join(root, "node_modules/.bin/biome"), ["format", `--stdin-file-path=${path}`], {
    cwd: root,
    input: text,
    encoding: "utf8",
  });
  if (biome.status !== 0) throw new Error(`biome format ${path} failed: ${biome.stderr || biome.error}`);
  return biome.stdout;
}

/** Each generated file as it is on disk and as the shapes say it should be. */
export function generatedFiles(root: string): GeneratedFile[] {
  return GENERATED_FILES.map((path) => {
    const current = readFileSync(join(root, path), "utf8");
    const { text, services } = fillTables(current);
    return { path, current, expected: formatMarkdown(root, path, text), services };
  });
}
