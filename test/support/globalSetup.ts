import type { TestProject } from "vitest/node";
import { startPostgresCluster } from "./postgres.js";

declare module "vitest" {
  export interface ProvidedContext {
    pgClusterUrl: string;
  }
}

/** One private PostgreSQL cluster per test run; each test file makes its own database in it. */
export default async function setup(project: TestProject) {
  const cluster = await startPostgresCluster();
  project.provide("pgClusterUrl", cluster.url);
  return () => cluster.stop();
}
