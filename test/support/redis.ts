import { freePort, waitForPort } from "../../scripts/lib/ports.js";
import { requireBinary, spawnServer, stopProcess } from "./process.js";

export interface TestRedis {
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** Starts a throwaway redis-server (no persistence) on a free port; with `password`, `requirepass` (in the url too). */
export async function startRedis(opts: { password?: string } = {}): Promise<TestRedis> {
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
    ...(opts.password ? ["--requirepass", opts.password] : []),
  ]);
  await waitForPort(port).catch((e) => {
    child.kill("SIGKILL");
    throw new Error(`${e.message}\n${child.output()}`);
  });
  const auth = opts.password ? `default:${encodeURIComponent(opts.password)}@` : "";
  return {
    url: `redis://${auth}127.0.0.1:${port}`,
    port,
    pid: child.pid ?? 0,
    stop: () => stopProcess(child),
  };
}
