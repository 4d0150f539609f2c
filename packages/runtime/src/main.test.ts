import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const mainModule = new URL("./main.ts", import.meta.url).href;
const configModule = new URL("./config.ts", import.meta.url).href;

/** Runs `runMain("demo", start)` in a child process and returns how it ended. */
function runMainWith(start: string) {
  const code = `
    import { runMain } from ${JSON.stringify(mainModule)};
    import { ConfigError } from ${JSON.stringify(configModule)};
    runMain("demo", async () => { ${start} });
  `;
  const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "--eval", code], {
    encoding: "utf8",
    timeout: 20_000,
  });
  return { status: child.status, stderr: child.stderr };
}

describe("runMain", () => {
  it("runMain - a start failure prints its stack and its cause's, and exits 1", () => {
    const { status, stderr } = runMainWith(`
      const cause = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
      throw new Error("database unreachable", { cause });
    `);
    expect(status).toBe(1);
    expect(stderr).toMatch(/^demo: failed to start: Error: database unreachable\n\s+at /);
    expect(stderr).toMatch(/\[cause\]: Error: connect ECONNREFUSED 127\.0\.0\.1:5432\n\s+at /);
    expect(stderr).toContain("code: 'ECONNREFUSED'");
  });

  it("runMain - a configuration error prints one line naming the variable, without a stack", () => {
    const { status, stderr } = runMainWith(`
      throw new ConfigError("invalid configuration: WALLET_GRPC_PORT: must be a whole number");
    `);
    expect(status).toBe(1);
    expect(stderr).toBe("demo: invalid configuration: WALLET_GRPC_PORT: must be a whole number\n");
  });
});
