import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { imageDependencyFindings, runtimeImports } from "../../scripts/check-deploy/imageDependencies.js";

describe("image dependencies", () => {
  const root = mkdtempSync(join(tmpdir(), "image-deps-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("image dependencies - find run-time imports, not types, built-ins or comments", () => {
    const source = [
      'import type { Logger } from "pino";',
      'import { z } from "zod";',
      'import {\n  a,\n  b,\n} from "@scope/pkg/sub";',
      'export { c } from "exported";',
      'export type { D } from "types-only";',
      'import "side-effect";',
      'const x = await import("lazy");',
      'const p = require.resolve("resolved/package.json");',
      'import { readFileSync } from "node:fs";',
      'import path from "path";',
      'import { local } from "./local.js";',
      '// import { gone } from "commented";',
      '/** import { doc } from "jsdoc"; */',
    ].join("\n");
    expect(runtimeImports(source).sort()).toEqual([
      "@scope/pkg",
      "exported",
      "lazy",
      "resolved",
      "side-effect",
      "zod",
    ]);
  });

  it("image dependencies - report imports no installed workspace declares", () => {
    const workspace = (dir: string, manifest: object, files: Record<string, string>) => {
      mkdirSync(join(root, dir, "src", "test"), { recursive: true });
      writeFileSync(join(root, dir, "package.json"), JSON.stringify(manifest));
      for (const [file, text] of Object.entries(files)) writeFileSync(join(root, dir, "src", file), text);
    };
    workspace(
      "services/api",
      { name: "@x/api", dependencies: { zod: "1" } },
      {
        "main.ts": 'import { z } from "zod";\nimport { shared } from "@x/shared";',
        "main.test.ts": 'import { it } from "vitest";',
      },
    );
    workspace(
      "packages/shared",
      { name: "@x/shared" },
      {
        "a.ts": 'import { wire } from "@bufbuild/protobuf";',
        "b.ts": 'import { wire } from "@bufbuild/protobuf/wire";',
      },
    );
    writeFileSync(join(root, "packages/shared/src/test/c.ts"), 'import "fixture-only";');
    expect(
      imageDependencyFindings(root, ["services/api", "packages/shared"], "w").map((f) => f.problem),
    ).toEqual([
      "packages/shared/src/a.ts (and 1 more) imports @bufbuild/protobuf, which no installed workspace (services/api, packages/shared) depends on",
    ]);
  });
});
