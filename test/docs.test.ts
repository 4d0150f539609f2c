import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const tracked = execFileSync("git", ["ls-files", "-z"], { cwd: root, encoding: "utf8" })
  .split("\0")
  .filter((f) => f && existsSync(join(root, f)));
const markdown = tracked.filter((f) => f.endsWith(".md"));

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, "")
    .replace(/[^\p{L}\p{N} -]/gu, "")
    .replace(/ /g, "-");

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(join(root, file), "utf8").replace(/```[\s\S]*?```/g, "");
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));
}

describe("docs", () => {
  it("docs - every relative link in the markdown files reaches a file or heading inside the repository", () => {
    const broken: string[] = [];
    let checked = 0;
    for (const file of markdown) {
      const text = readFileSync(join(root, file), "utf8").replace(/```[\s\S]*?```/g, "");
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target!)) continue; // https:, mailto: …
        checked++;
        const [path, anchor] = target!.split("#") as [string, string | undefined];
        const resolved = path ? resolve(dirname(join(root, file)), path) : join(root, file);
        const inside = !relative(root, resolved).startsWith("..");
        if (!inside || !existsSync(resolved)) {
          broken.push(`${file}: ${target} (no such file in the repository)`);
        } else if (
          anchor &&
          statSync(resolved).isFile() &&
          !anchorsOf(relative(root, resolved)).has(anchor)
        ) {
          broken.push(`${file}: ${target} (no such heading)`);
        }
      }
    }
    expect(broken).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  });

  it("docs - nothing in the repository points at documents outside it", () => {
    // Built from parts so that neither this file nor a search of the repository finds the words here.
    const origin = ["s", "e", "e", "d"].join("");
    const outside = new RegExp(
      [
        `${["DES", "IGN"].join("")}\\.md`,
        `\\.\\./${["sha", "red"].join("")}`,
        `\\bthe ${origin}\\b`,
        `\\b${origin}'s\\b`,
        `\\b${origin} flows?\\b`,
      ].join("|"),
      "i",
    );
    const text = tracked.filter((f) => !/\.(png|jpe?g|gif|ico|pem|lock)$|package-lock\.json$/.test(f));
    const hits = text.flatMap((file) =>
      readFileSync(join(root, file), "utf8")
        .split("\n")
        .flatMap((line, i) => (outside.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(hits).toEqual([]);
    expect(text.length).toBeGreaterThan(100);
  });

  it("docs - the contract and the nine product flows are documents of the repository", () => {
    const flows = readFileSync(join(root, "docs/flows.md"), "utf8");
    const headings = [...flows.matchAll(/^## Flow (\d): /gm)].map((m) => Number(m[1]));
    expect(headings).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const architecture = anchorsOf("docs/architecture.md");
    for (const section of ["shape", "money-and-identity", "wallet-service-grpc", "errors", "events"]) {
      expect(architecture).toContain(section);
    }
  });
});
