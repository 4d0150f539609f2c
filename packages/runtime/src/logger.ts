import { type Logger, pino } from "pino";

export type { Logger };

/**
 * JSON logger with the service name on every line. Writes to stdout
 * asynchronously (lines written while a write is pending are coalesced), so one
 * line per request stays cheap; call `logger.flush()` before exiting.
 */
export function createLogger(service: string, level = "info"): Logger {
  return pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: ["authorization", "*.authorization", "headers.authorization"], remove: true },
    },
    pino.destination({ dest: 1, sync: false }),
  );
}
