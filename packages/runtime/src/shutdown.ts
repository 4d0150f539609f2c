import type { Logger } from "pino";
import { env } from "./config.js";

/**
 * `SHUTDOWN_GRACE_MS` means the same in every service: the whole time from SIGTERM/SIGINT
 * to exit. In-flight work gets `inFlightBudgetMs(grace)` of it; the rest (a quarter of
 * the grace, at most 2 s) is kept for handing work back and closing connections.
 * Deploy files give the process at least this long (Kubernetes: preStop pause plus
 * `SHUTDOWN_GRACE_MS` below `terminationGracePeriodSeconds`; Compose: below `stop_grace_period`).
 */
export const CLOSE_RESERVE_MAX_MS = 2_000;

/** SHUTDOWN_GRACE_MS as every service reads it; `work` names what finishes first (requests, calls…). */
export function shutdownGraceShape(work: string, minMs = 0) {
  return {
    SHUTDOWN_GRACE_MS: env
      .int(25_000, minMs, 600_000)
      .describe(
        `whole time from SIGTERM/SIGINT to exit: in-flight ${work} finish first, the last quarter (at most 2 s) closes connections`,
      ),
  };
}

/** The part of the grace period in which in-flight work may finish; see above. */
export function inFlightBudgetMs(graceMs: number): number {
  return graceMs - Math.min(CLOSE_RESERVE_MAX_MS, Math.floor(graceMs / 4));
}

/**
 * Runs `stop` once on SIGTERM or SIGINT, then exits 0; exits 1 if it takes longer
 * than the grace period (`SHUTDOWN_GRACE_MS`, the whole time to exit) or throws.
 * `stop` should refuse new work first, finish in-flight work within
 * `inFlightBudgetMs(graceMs)`, then close connections (drain).
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
