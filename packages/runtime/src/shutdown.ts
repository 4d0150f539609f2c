import type { Logger } from "pino";

/**
 * Runs `stop` once on SIGTERM or SIGINT, then exits 0; exits 1 if it takes longer
 * than the grace period or throws. `stop` should refuse new work first, finish
 * in-flight work, then close connections (drain).
 */
export function handleShutdownSignals(logger: Logger, graceMs: number, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, graceMs }, "shutting down");
    const timer = setTimeout(() => {
      logger.error({ graceMs }, "grace period exceeded, exiting");
      logger.flush(() => process.exit(1));
    }, graceMs);
    timer.unref();
    const exit = (code: number) => logger.flush(() => process.exit(code));
    stop().then(
      () => {
        logger.info("shutdown complete");
        exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, "shutdown failed");
        exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}
