import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitForPort } from "../../scripts/lib/ports.js";
import { requireBinary, spawnServer, stopProcess } from "./process.js";

export interface TestNats {
  url: string;
  port: number;
  /** The running server's pid (0 while stopped). */
  pid(): number;
  /** Stops the server (SIGTERM, or e.g. SIGKILL) but keeps its JetStream storage, for a later restart(). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port with the same storage. */
  restart(): Promise<void>;
  /** Stops it and removes its storage. */
  destroy(): Promise<void>;
}

/** Starts a nats-server with JetStream (file storage in a temp dir) on a free port; `auth` requires that user. */
export async function startNats(auth?: { user: string; pass: string }): Promise<TestNats> {
  const bin = requireBinary("nats-server");
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), "nats-test-"));
  let child: ChildProcess | undefined;
  const start = async () => {
    const credentials = auth ? ["--user", auth.user, "--pass", auth.pass] : [];
    const c = spawnServer(bin, [
      "-a",
      "127.0.0.1",
      "-p",
      String(port),
      "-js",
      "-sd",
      storeDir,
      ...credentials,
    ]);
    child = c;
    await waitForPort(port).catch((e) => {
      c.kill("SIGKILL");
      throw new Error(`${e.message}\n${c.output()}`);
    });
  };
  await start();
  const stop = async (signal?: NodeJS.Signals) => {
    if (child) await stopProcess(child, signal);
    child = undefined;
  };
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    pid: () => child?.pid ?? 0,
    stop,
    restart: start,
    destroy: async () => {
      await stop();
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
