import { describe, expect, it } from "vitest";
import { containerEnv } from "../../scripts/check-deploy/k8sEnv.js";
import type { K8sObject, Rendering } from "../../scripts/check-deploy/k8sObjects.js";
import { parseObjects } from "../../scripts/check-deploy/kustomizeRender.js";

const configMap: K8sObject = {
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "api-config" },
  data: { LOG_LEVEL: "info", PORT: "3000" },
};
const template: K8sObject = {
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name: "external" },
  stringData: { DB_URL: "placeholder" },
};

describe("kubernetes environment", () => {
  it("k8s env - resolve ConfigMaps, literals, rendered Secrets and templated Secrets", () => {
    const [secret] = parseObjects(
      "apiVersion: v1\nkind: Secret\nmetadata:\n  name: local\ndata:\n  TOKEN: |\n    c2Vj\n    cmV0\n",
      "test",
    ).objects;
    const rendering: Rendering = { name: "dev", objects: [configMap, secret], templates: [template] };
    const container = {
      name: "api",
      envFrom: [{ configMapRef: { name: "api-config" } }],
      env: [
        { name: "PORT", value: "4000" },
        { name: "TOKEN", valueFrom: { secretKeyRef: { name: "local", key: "TOKEN" } } },
        { name: "DB_URL", valueFrom: { secretKeyRef: { name: "external", key: "DB_URL" } } },
        { name: "HOOK", valueFrom: { secretKeyRef: { name: "external", key: "HOOK", optional: true } } },
      ],
    };
    const { env, findings } = containerEnv(rendering, container, "Deployment/api");
    expect(findings).toEqual([]);
    expect(Object.fromEntries(env)).toEqual({
      LOG_LEVEL: { value: "info", optional: false, secret: false },
      PORT: { value: "4000", optional: false, secret: false },
      TOKEN: { value: "secret", optional: false, secret: true },
      DB_URL: { value: undefined, optional: false, secret: true },
      HOOK: { value: undefined, optional: true, secret: true },
    });
  });

  it("k8s env - report references to objects and keys that do not exist", () => {
    const rendering: Rendering = { name: "prod", objects: [configMap], templates: [template] };
    const container = {
      name: "api",
      envFrom: [{ configMapRef: { name: "missing-config" } }],
      env: [{ name: "API_KEY", valueFrom: { secretKeyRef: { name: "external", key: "API_KEY" } } }],
    };
    expect(containerEnv(rendering, container, "Deployment/api").findings.map((f) => f.problem)).toEqual([
      "refers to ConfigMap missing-config, which is neither rendered nor templated",
      "API_KEY refers to key API_KEY missing from Secret external",
    ]);
  });
});
