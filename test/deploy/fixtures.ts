import { env } from "@wallet/runtime";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import type { ContainerEnv } from "../../scripts/check-deploy/containerEnv.js";
import type { K8sObject } from "../../scripts/check-deploy/k8sObjects.js";
import type { ServiceConfig } from "../../scripts/check-deploy/serviceConfig.js";
import { serviceFacts } from "../../scripts/check-deploy/serviceFacts.js";
import type { ServiceWorkload } from "../../scripts/check-deploy/serviceWorkloads.js";

/** A wallet-like configuration: the real facts with a small shape of the same kinds of variables. */
export function walletConfig(load?: ServiceConfig["load"]): ServiceConfig {
  return {
    facts: serviceFacts("wallet")!,
    shape: {
      WALLET_DB_URL: env.url("postgres://127.0.0.1:5432/wallet", ["postgres:", "mongodb:"]),
      WALLET_GRPC_HOST: env.string("0.0.0.0"),
      WALLET_GRPC_PORT: env.int(50051, 0, 65535),
      WALLET_ADMIN_HOST: env.string("0.0.0.0"),
      WALLET_ADMIN_PORT: env.int(9464, 0, 65535),
      LOG_LEVEL: env.logLevel(),
      SHUTDOWN_GRACE_MS: env.int(25_000),
      API_TOKEN: env.string(),
    },
    load,
  };
}

/** A gateway-like configuration with one HTTP port. */
export function gatewayConfig(): ServiceConfig {
  return {
    facts: serviceFacts("gateway")!,
    shape: {
      GATEWAY_HOST: env.string("0.0.0.0"),
      GATEWAY_PORT: env.int(3000, 0, 65535),
      WALLET_GRPC_URL: env.string("127.0.0.1:50051"),
      SHUTDOWN_GRACE_MS: env.int(25_000),
    },
  };
}

/** A Deployment that passes every pod rule; tests break one thing at a time. */
export function hardenedDeployment(name: string, labels: Record<string, string> = { app: name }): K8sObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, labels },
    spec: {
      selector: { matchLabels: labels },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 1000,
            seccompProfile: { type: "RuntimeDefault" },
          },
          containers: [
            {
              name,
              image: `example/${name}:1`,
              ports: [{ name: "http", containerPort: 3000 }],
              readinessProbe: { httpGet: { path: "/readyz", port: "http" } },
              livenessProbe: { httpGet: { path: "/healthz", port: "http" } },
              resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "1", memory: "256Mi" } },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"] },
              },
              volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
            },
          ],
          volumes: [{ name: "tmp", emptyDir: {} }],
        },
      },
    },
  };
}

/** The first container of a Deployment built by hardenedDeployment, for tests to edit in place. */
export function firstContainer(deployment: K8sObject): Record<string, unknown> {
  const spec = deployment.spec as { template: { spec: { containers: Record<string, unknown>[] } } };
  return spec.template.spec.containers[0];
}

/** The pod spec of a Deployment built by hardenedDeployment. */
export function podSpec(deployment: K8sObject): Record<string, unknown> {
  return (deployment.spec as { template: { spec: Record<string, unknown> } }).template.spec;
}

/** A ServiceWorkload for a Deployment built by hardenedDeployment. */
export function workloadOf(
  config: ServiceConfig,
  deployment: K8sObject,
  env: ContainerEnv = new Map(),
): ServiceWorkload {
  const spec = deployment.spec as {
    template: { metadata: { labels: Record<string, string> }; spec: IPodSpec };
  };
  return {
    config,
    deployment: deployment as IDeployment,
    pod: { owner: deployment, labels: spec.template.metadata.labels, spec: spec.template.spec },
    container: spec.template.spec.containers[0],
    env,
    where: `Deployment/${deployment.metadata.name}`,
  };
}

/** Turns hardenedDeployment's container into the wallet's: gRPC and admin ports with their probes. */
export function walletDeployment(): K8sObject {
  const deployment = hardenedDeployment("wallet", { app: "wallet" });
  Object.assign(firstContainer(deployment), {
    ports: [
      { name: "grpc", containerPort: 50051 },
      { name: "admin", containerPort: 9464 },
    ],
    readinessProbe: { grpc: { port: 50051, service: "" } },
    livenessProbe: { httpGet: { path: "/healthz", port: "admin" } },
  });
  return deployment;
}
