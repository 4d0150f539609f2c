import { ConfigError } from "@wallet/runtime";
import { describe, expect, it } from "vitest";
import type { ContainerEnv } from "../../scripts/check-deploy/containerEnv.js";
import { envFindings } from "../../scripts/check-deploy/envRules.js";
import { walletConfig } from "./fixtures.js";

const envOf = (values: Record<string, string | undefined>, secret = false): ContainerEnv =>
  new Map(Object.entries(values).map(([k, value]) => [k, { value, optional: false, secret }]));

/** The problems found in a container setting `values` (not secret) for the wallet, loaded by `config`. */
const problemsOf = (values: Record<string, string | undefined>, config = walletConfig()) =>
  envFindings(config, envOf(values), "w").map((f) => f.problem);

describe("environment rules", () => {
  it("env rules - accept variables the service reads with values it accepts", () => {
    const env = envOf({
      API_TOKEN: "t",
      WALLET_DB_URL: "mongodb://mongo:27017/wallet?replicaSet=rs0",
      NODE_ENV: "production",
    });
    expect(envFindings(walletConfig(), env, "w")).toEqual([]);
  });

  it("env rules - report variables the service does not read and required ones left unset", () => {
    expect(problemsOf({ REDIS_URL: "redis://redis:6379" })).toEqual([
      "sets REDIS_URL, which the wallet does not read",
      "does not set API_TOKEN, which the wallet requires",
    ]);
  });

  it("env rules - an optional reference does not satisfy a required variable", () => {
    const env: ContainerEnv = new Map([["API_TOKEN", { value: undefined, optional: true, secret: true }]]);
    expect(envFindings(walletConfig(), env, "w").map((f) => f.problem)).toEqual([
      "does not set API_TOKEN, which the wallet requires",
    ]);
  });

  it("env rules - report values the service's schema rejects, never printing secrets", () => {
    expect(problemsOf({ API_TOKEN: "t", LOG_LEVEL: "loud" })[0]).toMatch(
      /^LOG_LEVEL="loud" is rejected by the wallet: /,
    );
    const secret = envFindings(
      walletConfig(),
      envOf({ API_TOKEN: "t", WALLET_DB_URL: "mysql://u:hunter2@db/w" }, true),
      "w",
    );
    expect(secret.map((f) => f.problem)[0]).toMatch(
      /^WALLET_DB_URL=\(secret value\) is rejected by the wallet: /,
    );
    expect(JSON.stringify(secret)).not.toContain("hunter2");
  });

  it("env rules - run the service's own loader for rules across variables", () => {
    const config = walletConfig((env) => {
      if (env.LOG_LEVEL === "debug")
        throw new ConfigError("invalid configuration: LOG_LEVEL: debug needs a sink");
      return env;
    });
    expect(problemsOf({ API_TOKEN: "t", LOG_LEVEL: "debug" }, config)).toEqual([
      "the wallet refuses this configuration: invalid configuration: LOG_LEVEL: debug needs a sink",
    ]);
  });

  it("env rules - listen addresses must accept connections from other containers", () => {
    expect(problemsOf({ API_TOKEN: "t", WALLET_ADMIN_HOST: "127.0.0.1" })).toEqual([
      "WALLET_ADMIN_HOST is 127.0.0.1: other containers cannot reach it (use 0.0.0.0)",
    ]);
  });

  it("env rules - a MongoDB URL must name its replica set", () => {
    expect(problemsOf({ API_TOKEN: "t", WALLET_DB_URL: "mongodb://mongo:27017/wallet" })).toEqual([
      "WALLET_DB_URL names no replicaSet: the wallet's MongoDB transactions need a replica set",
    ]);
  });
});
