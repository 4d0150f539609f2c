// `npm run config:table`: prints each service's configuration table, generated from its
// configShape (services/*/src/config.ts). `-- --write` rewrites the marked tables in the
// READMEs; `-- --check` exits 1 when one of them differs (test/configTables.test.ts does
// the same in `npm test`).
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  ConfigDocsError,
  configRows,
  GENERATED_FILES,
  generatedFiles,
  renderTable,
  SERVICE_SHAPES,
  WRITE_COMMAND,
} from "./configTables.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const mode = process.argv[2] ?? "--print";

try {
  if (mode === "--print") {
    for (const [service, shape] of Object.entries(SERVICE_SHAPES)) {
      process.stdout.write(`\n#### ${service}\n\n${renderTable(configRows(service, shape))}\n`);
    }
  } else if (mode === "--write" || mode === "--check") {
    const stale = generatedFiles(root).filter((f) => f.current !== f.expected);
    for (const file of stale) {
      if (mode === "--write") writeFileSync(`${root}/${file.path}`, file.expected);
      process.stdout.write(`${mode === "--write" ? "updated" : "out of date"}: ${file.path}\n`);
    }
    if (mode === "--check" && stale.length > 0) {
      process.stdout.write(`run \`${WRITE_COMMAND}\` to regenerate the configuration tables\n`);
      process.exit(1);
    }
    if (stale.length === 0) process.stdout.write(`up to date: ${GENERATED_FILES.join(", ")}\n`);
  } else {
    process.stderr.write("usage: npm run config:table [-- --write | -- --check]\n");
    process.exit(2);
  }
} catch (err) {
  if (!(err instanceof ConfigDocsError)) throw err;
  process.stderr.write(`config:table: ${err.message}\n`);
  process.exit(1);
}
