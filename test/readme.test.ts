import { readFileSync } from "node:fs";
import { configShape as gateway } from "@wallet/gateway";
import { configShape as notifier } from "@wallet/notifier";
import { configShape as wallet } from "@wallet/wallet";
import { describe, expect, it } from "vitest";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

describe("readme", () => {
  it("readme - documents every environment variable each service reads, with its default", () => {
    const missing: string[] = [];
    for (const [service, shape] of Object.entries({ wallet, gateway, notifier })) {
      for (const [name, schema] of Object.entries(shape)) {
        const row = readme.split("\n").find((line) => line.startsWith(`| \`${name}\``));
        if (!row) {
          missing.push(`${service}: ${name} has no row`);
          continue;
        }
        const parsed = (schema as { safeParse(v: unknown): { success: boolean; data?: unknown } }).safeParse(
          undefined,
        );
        const shown = parsed.success && parsed.data !== undefined ? String(parsed.data) : "";
        if (shown && !row.includes(shown))
          missing.push(`${service}: ${name} row does not show default ${shown}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("readme - names the test command that CI runs", () => {
    expect(readme).toContain("npm test");
    expect(readFileSync(new URL("../.ci/run", import.meta.url), "utf8")).toContain("npm test");
  });
});
