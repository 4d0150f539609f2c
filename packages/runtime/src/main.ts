import { ConfigError } from "./config.js";

/**
 * Runs a service's start function; a configuration error prints one line naming
 * the variable and exits 1, any other start failure is logged and exits 1.
 */
export function runMain(service: string, start: () => Promise<void>): void {
  start().catch((err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${service}: ${err.message}\n`);
    } else {
      process.stderr.write(
        `${service}: failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
      );
    }
    process.exit(1);
  });
}
