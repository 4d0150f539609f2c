/**
 * One measured run: a load generator as its own process, the CPU of every process tree
 * taking part (from /proc), and a table that puts each result beside a ceiling measured in
 * the same run. This machine is shared and noisy, so ratios taken back to back are what
 * counts; absolute figures are printed with them.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { cpuMeter, processCpu } from "./cpu.js";

export interface LoadOutcome {
  ops: number;
  seconds: number;
  /** Milliseconds. */
  p50: number;
  p99: number;
  errors: number;
  detail?: string;
}

export interface Measurement extends LoadOutcome {
  label: string;
  /** CPU microseconds per operation, by process group. */
  cpuPerOp: Record<string, number>;
}

/**
 * Runs `cmd args` as the load generator while metering `groups` (the load generator itself is
 * added as `loadgen`). With `handshake`, the child prints `ready` once set up and starts when it
 * reads a line on stdin, so its start-up is not measured. `parse` turns its stdout into numbers.
 */
export async function measureLoad(
  label: string,
  cmd: string,
  args: string[],
  groups: Record<string, number[]>,
  parse: (stdout: string) => LoadOutcome,
  options: { handshake?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<Measurement> {
  const child = spawn(cmd, args, {
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, ...options.env },
  });
  let stdout = "";
  child.stdout.on("data", (d) => {
    stdout += d;
  });
  const exited = once(child, "exit");
  if (options.handshake) {
    while (!stdout.includes("ready\n")) {
      if (child.exitCode !== null) throw new Error(`${label}: load generator exited before ready`);
      await new Promise((r) => setTimeout(r, 20));
    }
    stdout = stdout.slice(stdout.indexOf("ready\n") + 6);
  }
  // Once reaped, the load generator's time moves into this process's children's time, so it is
  // measured there, less what it had used before the start.
  const loadgenBefore = processCpu(child.pid ?? 0).own;
  const reapedBefore = processCpu(process.pid).reaped;
  const meter = cpuMeter(groups);
  if (options.handshake) child.stdin.write("go\n");
  const [code] = await exited;
  const used = meter.stop();
  used.loadgen = processCpu(process.pid).reaped - reapedBefore - loadgenBefore;
  if (code !== 0) throw new Error(`${label}: ${cmd} exited with ${code}\n${stdout.slice(-2000)}`);
  const outcome = parse(stdout);
  const cpuPerOp = Object.fromEntries(
    Object.entries(used).map(([group, us]) => [group, outcome.ops > 0 ? us / outcome.ops : Number.NaN]),
  );
  return { label, ...outcome, cpuPerOp };
}

/** Runs `service` and `ceiling` back to back `rounds` times; the median ratio of their rates. */
export async function alternate(
  rounds: number,
  service: () => Promise<Measurement>,
  ceiling: () => Promise<Measurement>,
): Promise<{ service: Measurement[]; ceiling: Measurement[]; medianRatio: number }> {
  const s: Measurement[] = [];
  const c: Measurement[] = [];
  for (let i = 0; i < rounds; i++) {
    s.push(await service());
    c.push(await ceiling());
  }
  const ratios = s.map((m, i) => rate(m) / rate(c[i])).sort((a, b) => a - b);
  return { service: s, ceiling: c, medianRatio: ratios[Math.floor(ratios.length / 2)] };
}

export function rate(m: LoadOutcome): number {
  return m.seconds > 0 ? m.ops / m.seconds : 0;
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : "–");

/**
 * Prints measurements as a table: rate, p50/p99, errors, CPU µs per operation of each group,
 * and the ratio to the row's ceiling (by label) when it has one.
 */
export function printTable(
  title: string,
  rows: { m: Measurement; ceiling?: Measurement; note?: string }[],
  groups: string[],
): void {
  const header = [
    "scenario".padEnd(40),
    "ops/s".padStart(8),
    "p50 ms".padStart(7),
    "p99 ms".padStart(7),
    "errors".padStart(7),
    ...groups.map((g) => `${g} µs`.padStart(Math.max(10, g.length + 3))),
    "ratio".padStart(6),
    "  of ceiling",
  ];
  console.log(`\n${title}`);
  console.log(header.join(" "));
  for (const { m, ceiling, note } of rows) {
    const cells = [
      m.label.padEnd(40),
      fmt(rate(m)).padStart(8),
      fmt(m.p50, 1).padStart(7),
      fmt(m.p99, 1).padStart(7),
      String(m.errors).padStart(7),
      ...groups.map((g) => fmt(m.cpuPerOp[g] ?? Number.NaN).padStart(Math.max(10, g.length + 3))),
      (ceiling ? fmt(rate(m) / rate(ceiling), 2) : "").padStart(6),
      ceiling ? `  ${ceiling.label}` : "",
      note ? `  ${note}` : "",
      m.detail ? `  ${m.detail}` : "",
    ];
    console.log(cells.join(" ").trimEnd());
  }
}
