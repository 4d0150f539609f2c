import { type ChildProcess, execFileSync, spawn } from "node:child_process";

/** Throws a clear error when a server binary the tests need is not installed. */
export function requireBinary(name: string): string {
  try {
    return execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim();
  } catch {
    throw new Error(`${name} not found on PATH: install it (see .ci/run) to run these tests`);
  }
}

/** Spawns a server process whose output is kept for error messages. */
export function spawnServer(
  cmd: string,
  args: string[],
  user?: { uid: number; gid: number },
): ChildProcess & { output: () => string } {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...user });
  let out = "";
  child.stdout?.on("data", (d) => {
    out = (out + d).slice(-4000);
  });
  child.stderr?.on("data", (d) => {
    out = (out + d).slice(-4000);
  });
  return Object.assign(child, { output: () => out });
}

/** Sends a signal and waits for the process to exit. */
export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}
