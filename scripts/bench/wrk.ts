/**
 * wrk (a C load generator, leaner than anything in Node) as the HTTP load of a measured run,
 * with an optional Lua script for requests that must differ, such as unique Idempotency-Keys.
 */
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LoadOutcome, type Measurement, measureLoad } from "./measure.js";

const toMs = (value: string, unit: string) =>
  Number(value) * ({ us: 0.001, ms: 1, s: 1000, m: 60_000 } as Record<string, number>)[unit];

function parseWrk(out: string): LoadOutcome {
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m)/.exec(out);
  const percentile = (p: string) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)`, "m").exec(out);
    return m ? toMs(m[1], m[2]) : Number.NaN;
  };
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  const ops = Number(total?.[1] ?? 0);
  return {
    ops: ops - non2xx,
    seconds: total ? toMs(total[2], total[3]) / 1000 : 0,
    p50: percentile("50"),
    p99: percentile("99"),
    errors: non2xx + socketErrors,
  };
}

export interface WrkOptions {
  connections: number;
  seconds: number;
  headers?: Record<string, string>;
  /** Lua source defining `request()` (and optionally `init`), for requests that vary. */
  lua?: string;
}

export function wrk(
  label: string,
  url: string,
  options: WrkOptions,
  groups: Record<string, number[]>,
): Promise<Measurement> {
  const args = ["-t", "2", "-c", String(options.connections), "-d", `${options.seconds}s`, "--latency"];
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push("-H", `${name}: ${value}`);
  if (options.lua) {
    const file = join(tmpdir(), `bench-wrk-${randomUUID()}.lua`);
    writeFileSync(file, options.lua);
    args.push("-s", file);
  }
  return measureLoad(label, "wrk", [...args, url], groups, parseWrk);
}

/** A Lua string literal. */
export const luaString = (s: string) => JSON.stringify(s);
