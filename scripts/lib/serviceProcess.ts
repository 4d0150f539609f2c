import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** The three services of the platform. */
export type ServiceName = "wallet" | "gateway" | "notifier";

/** One pino JSON line of a service's stdout (a non-JSON line becomes `{ msg, unparsed: true }`). */
export type LogLine = Record<string, unknown> & { msg?: string; level?: string };

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A service running from its TypeScript sources in a child process of its own. */
export interface ServiceProcess {
  readonly name: ServiceName;
  readonly pid: number;
  /** Every stdout line so far, parsed. */
  readonly logs: LogLine[];
  /** Every stderr line so far. */
  readonly stderr: string[];
  /** Resolves when the process has exited. */
  readonly exited: Promise<Exit>;
  running(): boolean;
  signal(signal: NodeJS.Signals): void;
  /** Resolves with the first line (already written or to come) that `match` accepts. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Sends `signal` and waits for the exit; SIGKILL after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
}

/** The repository root, where `--import tsx` and the services' source paths resolve. */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

// Only what node itself needs: a service must see the environment it is given and nothing of ours.
const INHERITED = ["PATH", "HOME", "TMPDIR", "LANG", "TZ"];

/**
 * Starts `node --conditions=source --import tsx services/<name>/src/main.ts` with
 * exactly `env` (plus PATH and friends), capturing its JSON log lines.
 */
export function spawnService(
  name: ServiceName,
  env: Record<string, string>,
  opts: { echo?: (name: ServiceName, line: string) => void } = {},
): ServiceProcess {
  const base = Object.fromEntries(INHERITED.flatMap((k) => (process.env[k] ? [[k, process.env[k]]] : [])));
  const child: ChildProcess = spawn(
    process.execPath,
    ["--conditions=source", "--import", "tsx", `services/${name}/src/main.ts`],
    { cwd: REPO_ROOT, env: { ...base, ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  const logs: LogLine[] = [];
  const stderr: string[] = [];
  const waiters = new Set<(line: LogLine) => void>();
  let exit: Exit | undefined;
  const exited = new Promise<Exit>((resolve) =>
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    }),
  );

  createInterface({ input: child.stdout! }).on("line", (text) => {
    opts.echo?.(name, text);
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      line = { msg: text, unparsed: true };
    }
    logs.push(line);
    for (const waiter of waiters) waiter(line);
  });
  createInterface({ input: child.stderr! }).on("line", (text) => {
    opts.echo?.(name, text);
    stderr.push(text);
  });

  const service: ServiceProcess = {
    name,
    pid: child.pid ?? -1,
    logs,
    stderr,
    exited,
    running: () => exit === undefined,
    signal: (signal) => {
      if (exit === undefined) child.kill(signal);
    },
    waitForLog: (match, timeoutMs = 15_000) => {
      const seen = logs.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${name}: no matching log line after ${timeoutMs} ms\n${tail(service)}`));
        }, timeoutMs);
        const check = (line: LogLine) => {
          if (!match(line)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(line);
        };
        waiters.add(check);
      });
    },
    stop: async (signal = "SIGTERM", timeoutMs = 30_000) => {
      if (exit) return exit;
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
  return service;
}

/** The last lines a service wrote, for error messages. */
export function tail(service: ServiceProcess, lines = 15): string {
  const out = service.logs.slice(-lines).map((l) => JSON.stringify(l));
  return [...out, ...service.stderr.slice(-lines)].join("\n");
}

/**
 * Polls `url` until it answers 200; fails early with the service's output if it
 * exits, or after `timeoutMs`.
 */
export async function waitUntilReady(
  service: ServiceProcess,
  url: string,
  timeoutMs = 45_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!service.running()) {
      const { code, signal } = await service.exited;
      throw new Error(`${service.name} exited (${signal ?? code}) before it was ready:\n${tail(service)}`);
    }
    const status = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    if (Date.now() > deadline) {
      throw new Error(`${service.name} not ready at ${url} after ${timeoutMs} ms:\n${tail(service)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
