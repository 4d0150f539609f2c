import { describe, expect, it } from "vitest";
import { schemaFindings } from "../../scripts/check-deploy/k8sSchema.js";
import { firstContainer, hardenedDeployment } from "./fixtures.js";

const problemsOf = async (objects: ReturnType<typeof hardenedDeployment>[]) =>
  (await schemaFindings([{ name: "test", objects }])).map((f) => `${f.where}: ${f.problem}`);

describe("kubernetes schema", () => {
  it("schema - accepts a valid Deployment", async () => {
    expect(await problemsOf([hardenedDeployment("api")])).toEqual([]);
  });

  it("schema - rejects unknown fields at any depth, naming their path", async () => {
    const deployment = hardenedDeployment("api");
    Object.assign(deployment.metadata, { bogus: true });
    firstContainer(deployment).readinesProbe = { httpGet: { path: "/readyz", port: 3000 } };
    const problems = await problemsOf([deployment]);
    expect(problems).toContain("test: Deployment/api: unknown field metadata.bogus");
    expect(problems).toContain(
      "test: Deployment/api: unknown field spec.template.spec.containers[0].readinesProbe",
    );
  });

  it("schema - rejects values of the wrong type and missing required fields", async () => {
    const deployment = hardenedDeployment("api");
    firstContainer(deployment).ports = [{ containerPort: "3000" }];
    delete firstContainer(deployment).image;
    const service = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "api" },
      spec: { ports: [{ name: "http" }] },
    };
    const problems = await problemsOf([deployment, service]);
    expect(problems.some((p) => p.includes("containerPort") && p.includes("must be integer"))).toBe(true);
    expect(problems.some((p) => p.startsWith("test: Service/api: schema:") && p.includes("port"))).toBe(true);
  });

  it("schema - rejects kinds the Kubernetes API does not have", async () => {
    const object = { apiVersion: "apps/v1", kind: "Deploymnet", metadata: { name: "api" } };
    expect(await problemsOf([object])).toEqual([
      "test: Deploymnet/api: apps/v1 Deploymnet is not a built-in Kubernetes kind",
    ]);
  });
});
