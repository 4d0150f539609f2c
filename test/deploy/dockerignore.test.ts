import { describe, expect, it } from "vitest";
import { isIgnored, parseDockerignore } from "../../scripts/check-deploy/dockerignore.js";

describe("dockerignore", () => {
  const rules = parseDockerignore("# comment\n**/node_modules\n**/*.test.ts\ndeploy/k8s\n*.md\n!README.md\n");

  it("dockerignore - exclude matches at any depth and everything under an excluded directory", () => {
    expect(isIgnored(rules, "node_modules")).toBe(true);
    expect(isIgnored(rules, "packages/runtime/node_modules/pino/index.js")).toBe(true);
    expect(isIgnored(rules, "services/wallet/src/app.test.ts")).toBe(true);
    expect(isIgnored(rules, "deploy/k8s/base/kustomization.yaml")).toBe(true);
    expect(isIgnored(rules, "CHANGES.md")).toBe(true);
  });

  it("dockerignore - keep what no pattern names and what an exception restores", () => {
    expect(isIgnored(rules, "deploy/docker/healthcheck.mjs")).toBe(false);
    expect(isIgnored(rules, "services/wallet/src/app.ts")).toBe(false);
    expect(isIgnored(rules, "README.md")).toBe(false);
    expect(isIgnored(rules, "docs/guide.md")).toBe(false);
  });
});
