import { execFileSync } from "node:child_process";
import { chownSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort, waitForPort } from "../../scripts/lib/ports.js";
import { spawnServer, stopProcess } from "./process.js";

export interface TestPostgresCluster {
  /** Superuser URL of the `postgres` database. */
  url: string;
  port: number;
  /** The postmaster's pid (its backends are its children), for benchmarks that measure CPU. */
  pid: number;
  stop(): Promise<void>;
}

function pgBin(name: string): string {
  for (const dir of [
    "/usr/local/bin",
    "/usr/lib/postgresql/17/bin",
    "/usr/lib/postgresql/16/bin",
    "/usr/lib/postgresql/15/bin",
  ]) {
    try {
      execFileSync("test", ["-x", join(dir, name)]);
      return join(dir, name);
    } catch {}
  }
  throw new Error(`${name} not found: install PostgreSQL server binaries (see .ci/run) to run these tests`);
}

/**
 * Starts a private PostgreSQL cluster on a free port. PostgreSQL refuses to run as root,
 * so as root it runs as the `postgres` user. Tests run it with fsync and synchronous
 * commit off; `durable: true` keeps PostgreSQL's defaults (fsync on, synchronous_commit
 * on), as production runs it, for benchmarks.
 */
export async function startPostgresCluster(
  options: { durable?: boolean } = {},
): Promise<TestPostgresCluster> {
  const dir = mkdtempSync(join(tmpdir(), "pg-test-"));
  let user: { uid: number; gid: number } | undefined;
  if (userInfo().uid === 0) {
    user = {
      uid: Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" })),
      gid: Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" })),
    };
    chownSync(dir, user.uid, user.gid);
  }
  const data = join(dir, "data");
  execFileSync(pgBin("initdb"), ["-D", data, "-U", "postgres", "-A", "trust", "-N", "-E", "UTF8"], {
    stdio: "pipe",
    ...user,
  });
  const port = await freePort();
  const child = spawnServer(
    pgBin("postgres"),
    [
      "-D",
      data,
      "-p",
      String(port),
      "-h",
      "127.0.0.1",
      "-k",
      dir,
      ...(options.durable
        ? []
        : ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]),
      "-c",
      "max_connections=300",
    ],
    user,
  );
  await waitForPort(port, 20_000).catch((e) => {
    child.kill("SIGKILL");
    throw new Error(`${e.message}\n${child.output()}`);
  });
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  // The port opens before the server accepts logins; wait until it does.
  for (let i = 0; ; i++) {
    const c = new pg.Client({ connectionString: url });
    try {
      await c.connect();
      await c.end();
      break;
    } catch (e) {
      await c.end().catch(() => {});
      if (i > 100) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    port,
    pid: child.pid ?? 0,
    stop: async () => {
      await stopProcess(child, "SIGINT");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Creates a fresh database in the cluster; returns its URL and a drop function. */
export async function createDatabase(clusterUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: clusterUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(clusterUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: clusterUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
