import type { Exchange } from "../lib/http.js";

// What the demo prints: one section per flow, each request and answer, and a ✓/✗ per expectation.

const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number) => (text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
export const bold = paint(1);
export const dim = paint(2);
const green = paint(32);
const red = paint(31);
const cyan = paint(36);
const yellow = paint(33);

/** Response headers worth showing whenever they are present. */
const INTERESTING = [
  "x-request-id",
  "idempotent-replayed",
  "x-cache",
  "x-ratelimit-limit",
  "x-ratelimit-remaining",
  "x-ratelimit-reset",
  "retry-after",
  "www-authenticate",
];

const results: Array<{ flow: string; ok: boolean; text: string }> = [];
let currentFlow = "setup";

const out = (text = "") => process.stdout.write(`${text}\n`);

/** Starts a flow's section. */
export function heading(flow: string, title: string, why: string): void {
  currentFlow = flow;
  out();
  out(bold(cyan(`━━ ${flow} · ${title} ${"━".repeat(Math.max(4, 70 - flow.length - title.length))}`)));
  for (const line of wrap(why, 96)) out(`   ${dim(line)}`);
}

/** A line of narration. */
export function say(text: string): void {
  out(`   ${text}`);
}

/** Prints a request and its answer: method, path, key headers and body; status, time, headers, body. */
export function showExchange(ex: Exchange, opts: { bodyChars?: number; label?: string } = {}): void {
  const label = opts.label ? `${dim(opts.label)} ` : "";
  out(`   ${label}${yellow("→")} ${bold(ex.method)} ${ex.path}`);
  const shown = Object.entries(ex.requestHeaders).filter(([k]) =>
    ["idempotency-key", "x-request-id"].includes(k.toLowerCase()),
  );
  const auth = ex.requestHeaders.authorization;
  if (auth) shown.unshift(["authorization", auth.length > 40 ? `${auth.slice(0, 28)}…` : auth]);
  if (shown.length) out(`       ${dim(shown.map(([k, v]) => `${k}: ${v}`).join("   "))}`);
  if (ex.requestBody) out(`       ${dim(ex.requestBody)}`);
  const status =
    ex.status < 300
      ? green(String(ex.status))
      : ex.status < 500
        ? yellow(String(ex.status))
        : red(String(ex.status));
  out(`   ${label}${yellow("←")} ${status} ${dim(`(${ex.ms.toFixed(1)} ms)`)}`);
  const headers = INTERESTING.flatMap((h) =>
    ex.headers.get(h) === null ? [] : [`${h}: ${ex.headers.get(h)}`],
  );
  if (headers.length) out(`       ${headers.join("   ")}`);
  if (ex.text) out(`       ${clip(ex.text, opts.bodyChars ?? 220)}`);
}

/** Records and prints whether an expectation held. */
export function check(ok: boolean, text: string): boolean {
  results.push({ flow: currentFlow, ok, text });
  out(`   ${ok ? green("✓") : red("✗")} ${text}`);
  return ok;
}

/** Records a step that could not run at all. */
export function failStep(err: unknown): void {
  check(false, `step failed: ${err instanceof Error ? err.message : String(err)}`);
}

/** Prints the totals; returns true when every expectation held. */
export function summary(seconds: number): boolean {
  const failed = results.filter((r) => !r.ok);
  out();
  out(bold(`━━ Summary ${"━".repeat(70)}`));
  const flows = [...new Set(results.map((r) => r.flow))];
  for (const flow of flows) {
    const mine = results.filter((r) => r.flow === flow);
    const bad = mine.filter((r) => !r.ok).length;
    out(
      `   ${bad ? red("✗") : green("✓")} ${flow.padEnd(8)} ${mine.length - bad}/${mine.length} expectations met`,
    );
  }
  out();
  out(
    failed.length === 0
      ? green(bold(`   All ${results.length} expectations met in ${seconds.toFixed(1)} s.`))
      : red(bold(`   ${failed.length} of ${results.length} expectations not met:`)),
  );
  for (const f of failed) out(red(`     ${f.flow}: ${f.text}`));
  return failed.length === 0;
}

/** Shortens long text (bodies, cursors) for display. */
export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}${dim(`… (${text.length} chars)`)}` : text;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}
