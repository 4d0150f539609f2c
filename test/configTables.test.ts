import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ConfigDocsError,
  configRows,
  fillTables,
  GENERATED_FILES,
  generatedFiles,
  renderTable,
  SERVICE_SHAPES,
  WRITE_COMMAND,
} from "../scripts/configTables.js";

const root = fileURLToPath(new URL("..", import.meta.url));

describe("config tables", () => {
  it("config tables - every README table matches the services' config shapes", () => {
    const stale = generatedFiles(root)
      .filter((f) => f.current !== f.expected)
      .map((f) => f.path);
    expect(
      stale,
      `configuration tables differ from services/*/src/config.ts: run \`${WRITE_COMMAND}\` and commit the result`,
    ).toEqual([]);
  });

  it("config tables - the root README has one table per service and each service README its own", () => {
    const found = Object.fromEntries(generatedFiles(root).map((f) => [f.path, f.services]));
    expect(found).toEqual({
      "README.md": ["wallet", "gateway", "notifier"],
      "services/wallet/README.md": ["wallet"],
      "services/gateway/README.md": ["gateway"],
      "services/notifier/README.md": ["notifier"],
    });
    expect(GENERATED_FILES).toHaveLength(Object.keys(found).length);
  });

  it("config tables - every variable of every service is a row with its default and description", () => {
    // Table cells are padded to the column width; compare with single spaces.
    const readme = readFileSync(`${root}/README.md`, "utf8")
      .split("\n")
      .map((line) => (line.startsWith("|") ? line.replace(/ +/g, " ") : line))
      .join("\n");
    const rows = Object.entries(SERVICE_SHAPES).flatMap(([service, shape]) =>
      configRows(service, shape).map((row) => ({ service, ...row })),
    );
    const missing = rows
      .filter((r) => !readme.includes(`| \`${r.name}\` | ${r.default} | ${r.description} |`))
      .map((r) => `${r.service}: ${r.name}`);
    expect(missing, `rows missing from README.md: run \`${WRITE_COMMAND}\``).toEqual([]);
    expect(rows.length).toBeGreaterThanOrEqual(40);
    expect(readme).toContain("| `WALLET_GRPC_PORT` | `50051` | gRPC port |");
  });

  it("config tables - a variable without a description is an error naming the service, the variable and the fix", () => {
    const shape = { DESCRIBED: z.string().default("x").describe("has one"), NEW_SETTING: z.string() };
    expect(() => configRows("wallet", shape)).toThrow(ConfigDocsError);
    expect(() => configRows("wallet", shape)).toThrow(
      /^wallet: NEW_SETTING has no description\. .*services\/wallet\/src\/config\.ts.*\.describe\(/,
    );
    expect(() =>
      fillTables("<!-- config-table wallet: -->\n<!-- end config-table wallet -->", { wallet: shape }),
    ).toThrow(/NEW_SETTING has no description/);
  });

  it("config tables - defaults show as code, (unset) or required, and cells escape pipes", () => {
    const shape = {
      PORT: z.string().default("8080").transform(Number).describe("port"),
      LIST: z
        .string()
        .default("a,b")
        .transform((v) => v.split(","))
        .describe("a | b"),
      OPTIONAL: z.string().optional().describe("optional\nover two lines"),
      NEEDED: z.string().describe("must be set"),
    };
    expect(renderTable(configRows("demo", shape))).toBe(
      [
        "| variable | default | meaning |",
        "| --- | --- | --- |",
        "| `PORT` | `8080` | port |",
        "| `LIST` | `a,b` | a \\| b |",
        "| `OPTIONAL` | (unset) | optional over two lines |",
        "| `NEEDED` | **required** | must be set |",
      ].join("\n"),
    );
  });

  it("config tables - regenerating replaces only the marked table and keeps the text around it", () => {
    const shape = { PORT: z.string().default("1").describe("port") };
    const before =
      "intro\n<!-- config-table demo: old note -->\n| stale |\n<!-- end config-table demo -->\nafter\n";
    const { text, services } = fillTables(before, { demo: shape });
    expect(services).toEqual(["demo"]);
    expect(text.startsWith("intro\n<!-- config-table demo: generated from services/demo/src/config.ts")).toBe(
      true,
    );
    expect(text).toContain("| `PORT` | `1` | port |\n\n<!-- end config-table demo -->\nafter\n");
    expect(text).not.toContain("stale");
    expect(fillTables(text, { demo: shape }).text).toBe(text);
  });

  it("readme - names the test command that CI runs", () => {
    expect(readFileSync(`${root}/README.md`, "utf8")).toContain("npm test");
    expect(readFileSync(`${root}/.ci/run`, "utf8")).toContain("npm test");
  });
});
