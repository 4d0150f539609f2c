import { spawnSync } from "node:child_process";

/** The result of running a command-line tool, or why it could not run. */
export type ToolRun = { ok: true; stdout: string } | { ok: false; reason: string };

/**
 * Runs a tool with a minimal environment, so values from the caller's shell
 * (a WALLET_DB_URL exported for local work, say) never leak into the rendered files.
 */
export function runTool(
  command: string,
  args: string[],
  cwd: string,
  installHint: string,
  extraEnv: Record<string, string> = {},
): ToolRun {
  const result = spawnSync(command, args, {
    cwd,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", ...extraEnv },
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000,
  });
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === "ENOENT";
    return {
      ok: false,
      reason: missing ? `${command} not found on PATH (${installHint})` : result.error.message,
    };
  }
  if (result.status !== 0) {
    return {
      ok: false,
      reason: `${command} ${args.join(" ")} failed: ${(result.stderr || result.stdout).trim()}`,
    };
  }
  return { ok: true, stdout: result.stdout };
}
