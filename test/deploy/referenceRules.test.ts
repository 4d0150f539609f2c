import { describe, expect, it } from "vitest";
import type { K8sObject } from "../../scripts/check-deploy/k8sObjects.js";
import { referenceFindings } from "../../scripts/check-deploy/referenceRules.js";
import { hardenedDeployment } from "./fixtures.js";

const object = (apiVersion: string, kind: string, name: string, spec: object): K8sObject => ({
  apiVersion,
  kind,
  metadata: { name },
  spec,
});

/** An Ingress "api" routing every path to `port` of Service "api". */
const ingressTo = (port: { name: string } | { number: number }): K8sObject =>
  object("networking.k8s.io/v1", "Ingress", "api", {
    rules: [
      {
        http: {
          paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "api", port } } }],
        },
      },
    ],
  });

describe("reference rules", () => {
  const deployment = hardenedDeployment("api");

  it("reference rules - accept objects that point at real pods, ports and Services", () => {
    const objects = [
      deployment,
      object("v1", "Service", "api", {
        selector: { app: "api" },
        ports: [{ name: "http", port: 80, targetPort: "http" }],
      }),
      ingressTo({ name: "http" }),
      object("autoscaling/v2", "HorizontalPodAutoscaler", "api", {
        scaleTargetRef: { kind: "Deployment", name: "api" },
      }),
      object("policy/v1", "PodDisruptionBudget", "api", { selector: { matchLabels: { app: "api" } } }),
    ];
    expect(referenceFindings(objects)).toEqual([]);
  });

  it("reference rules - report dangling selectors, ports and targets", () => {
    const objects = [
      deployment,
      object("v1", "Service", "api", {
        selector: { app: "api" },
        ports: [{ port: 80, targetPort: "metrics" }],
      }),
      object("v1", "Service", "ghost", { selector: { app: "ghost" }, ports: [{ port: 80 }] }),
      ingressTo({ number: 8080 }),
      object("autoscaling/v2", "HorizontalPodAutoscaler", "api", {
        scaleTargetRef: { kind: "Deployment", name: "apі" },
      }),
      object("policy/v1", "PodDisruptionBudget", "api", { selector: { matchLabels: { app: "other" } } }),
    ];
    expect(referenceFindings(objects).map((f) => `${f.where}: ${f.problem}`)).toEqual([
      "Service/api: targetPort metrics is not a port of Deployment/api",
      "Service/ghost: selects no pods",
      "Ingress/api: path / routes to a missing Service port",
      "HorizontalPodAutoscaler/api: scales missing Deployment/apі",
      "PodDisruptionBudget/api: selects no pods",
    ]);
  });
});
