import { describe, expect, it } from "vitest";
import { clusterName, endpointsOf } from "../../scripts/check-deploy/endpoints.js";

describe("endpoints", () => {
  it("endpoints - read hosts and ports from connection strings, with scheme defaults", () => {
    expect(endpointsOf("mongodb://u:p@a:27018,b/wallet?replicaSet=rs0")).toEqual({
      scheme: "mongodb",
      endpoints: [
        { host: "a", port: 27018 },
        { host: "b", port: 27017 },
      ],
    });
    expect(endpointsOf("dns:///wallet-headless.dev.svc.cluster.local:50051")?.endpoints).toEqual([
      { host: "wallet-headless.dev.svc.cluster.local", port: 50051 },
    ]);
    expect(endpointsOf("redis://:secret@redis")?.endpoints).toEqual([{ host: "redis", port: 6379 }]);
    expect(endpointsOf("wallet:50051")?.endpoints).toEqual([{ host: "wallet", port: 50051 }]);
    expect(endpointsOf("log,email")).toBeUndefined();
  });

  it("endpoints - tell in-cluster names from external ones", () => {
    expect(clusterName("nats")).toEqual({ service: "nats" });
    expect(clusterName("nats.dev.svc")).toEqual({ service: "nats", namespace: "dev" });
    expect(clusterName("mongo-0.mongo.dev.svc.cluster.local")).toEqual({
      pod: "mongo-0",
      service: "mongo",
      namespace: "dev",
    });
    expect(clusterName("mongo.example.internal")).toBeUndefined();
  });
});
