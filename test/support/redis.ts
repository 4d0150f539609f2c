import { freePort, waitForPort } from "./ports.js";
import { requireBinary, spawnServer, stopProcess } from "./process.js";

export interface TestRedis {
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** Starts a throwaway redis-server (no persistence) on a free port. */
export async function startRedis(): Promise<TestRedis> {
  const bin = requireBinary("redis-server");
  const port = await freePort();
  const child = spawnServer(bin, [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
  ]);
  await waitForPort(port).catch((e) => {
    child.kill("SIGKILL");
    throw new Error(`${e.message}\n${child.output()}`);
  });
  return { url: `redis://127.0.0.1:${port}`, port, pid: child.pid ?? 0, stop: () => stopProcess(child) };
}
