/**
 * CPU time of process trees from /proc, so a benchmark can say how many microseconds of
 * CPU each layer (service, PostgreSQL, Redis, NATS, load generator) spent per operation.
 *
 * A tree's time is the user + system time of its root and of every live descendant, plus
 * the time of the children its root has already reaped (`cutime`/`cstime`), so PostgreSQL
 * backends and load-generator children that exit during a run are still counted.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

const ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

interface ProcStat {
  ppid: number;
  /** utime + stime, in ticks. */
  own: number;
  /** cutime + cstime, in ticks. */
  reaped: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces and parentheses: fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state): ppid is field 4, utime..cstime are fields 14..17.
  const n = (field: number) => Number(fields[field - 3]);
  return { ppid: n(4), own: n(14) + n(15), reaped: n(16) + n(17) };
}

function allStats(): Map<number, ProcStat> {
  const stats = new Map<number, ProcStat>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat) stats.set(Number(name), stat);
  }
  return stats;
}

/** CPU microseconds used so far by each group: the trees rooted at the group's pids. */
function snapshot(groups: Record<string, number[]>): Record<string, number> {
  const stats = allStats();
  const children = new Map<number, number[]>();
  for (const [pid, stat] of stats) {
    const list = children.get(stat.ppid) ?? [];
    list.push(pid);
    children.set(stat.ppid, list);
  }
  const result: Record<string, number> = {};
  for (const [group, roots] of Object.entries(groups)) {
    let ticks = 0;
    for (const root of roots) {
      const rootStat = stats.get(root);
      if (!rootStat) continue;
      ticks += rootStat.reaped;
      const pending = [root];
      while (pending.length > 0) {
        const pid = pending.pop() as number;
        ticks += stats.get(pid)?.own ?? 0;
        pending.push(...(children.get(pid) ?? []));
      }
    }
    result[group] = (ticks * 1e6) / ticksPerSecond;
  }
  return result;
}

/** One process's CPU microseconds: its own, and its reaped children's (0s once it is gone). */
export function processCpu(pid: number): { own: number; reaped: number } {
  const stat = readStat(pid);
  const us = (ticks: number) => (ticks * 1e6) / ticksPerSecond;
  return stat ? { own: us(stat.own), reaped: us(stat.reaped) } : { own: 0, reaped: 0 };
}

export interface CpuMeter {
  /** CPU microseconds each group used since the meter started. */
  stop(): Record<string, number>;
}

/**
 * Starts measuring the CPU time of each group of process trees, e.g.
 * `{ wallet: [walletPid], postgres: [postmasterPid], loadgen: [process.pid] }`.
 */
export function cpuMeter(groups: Record<string, number[]>): CpuMeter {
  const before = snapshot(groups);
  return {
    stop() {
      const after = snapshot(groups);
      return Object.fromEntries(Object.keys(groups).map((g) => [g, after[g] - before[g]]));
    },
  };
}
