import { inspect } from "node:util";
import { ConfigError } from "./config.js";

/**
 * Runs a service's start function; a configuration error prints one line naming
 * the variable and exits 1, any other start failure prints its stack (with its
 * cause chain and properties such as `code`) and exits 1.
 */
export function runMain(service: string, start: () => Promise<void>): void {
  start().catch((err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${service}: ${err.message}\n`);
    } else {
      process.stderr.write(`${service}: failed to start: ${inspect(err, { depth: 6 })}\n`);
    }
    process.exit(1);
  });
}
