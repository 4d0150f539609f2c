import { describe, expect, it } from "vitest";
import { type ComposeService, loadCompose, normalisePort } from "../../scripts/check-deploy/composeModel.js";
import { exposureFindings } from "../../scripts/check-deploy/exposureRules.js";

const secured: Record<string, ComposeService> = {
  redis: {
    image: "redis:7.2-alpine",
    command: ["redis-server", "--requirepass", "pw"],
    ports: [{ host_ip: "127.0.0.1", published: 6379, target: 6379 }],
  },
  nats: { image: "nats:2.11-alpine", command: ["-js", "--user", "wallet", "--pass", "pw"] },
  mongo: {
    image: "mongo:8.0",
    command: ["mongod", "--replSet", "rs0", "--keyFile", "/keyfile/mongo.key"],
    environment: { MONGO_INITDB_ROOT_USERNAME: "root", MONGO_INITDB_ROOT_PASSWORD: "pw" },
  },
  "mongo-keyfile": { image: "mongo:8.0", entrypoint: ["sh", "-c", "true"] },
  postgres: { image: "postgres:17", environment: { POSTGRES_PASSWORD: "pw" } },
  gateway: { build: { context: "." }, ports: [{ host_ip: "127.0.0.1", published: 3000, target: 3000 }] },
  wallet: { build: { context: "." }, ports: [{ host_ip: "::1", published: 50051, target: 50051 }] },
};

const problemsOf = (overrides: Record<string, ComposeService>) =>
  exposureFindings({ file: "docker-compose.yml", services: { ...secured, ...overrides } }).map(
    (f) => `${f.where}: ${f.problem}`,
  );

describe("exposure rules", () => {
  it("exposure rules - accept loopback ports and backing services with credentials", () => {
    expect(problemsOf({})).toEqual([]);
  });

  it("exposure rules - report ports published on all interfaces or a public address", () => {
    expect(
      problemsOf({
        gateway: { build: { context: "." }, ports: [{ published: 3000, target: 3000 }] },
        wallet: { build: { context: "." }, ports: [{ host_ip: "0.0.0.0", published: 50051, target: 50051 }] },
      }),
    ).toEqual([
      'docker-compose.yml: gateway: publishes port 3000 on all interfaces: bind it to the loopback ("127.0.0.1:3000:3000")',
      'docker-compose.yml: wallet: publishes port 50051 on 0.0.0.0: bind it to the loopback ("127.0.0.1:50051:50051")',
    ]);
  });

  it("exposure rules - report Redis, NATS, MongoDB and PostgreSQL without credentials", () => {
    expect(
      problemsOf({
        redis: { image: "redis:7.2-alpine", command: ["redis-server", "--save", ""] },
        nats: { image: "nats:2.11-alpine", command: ["-js", "-sd", "/data"] },
        mongo: { image: "mongo:8.0", command: ["mongod", "--replSet", "rs0", "--bind_ip_all"] },
        postgres: { image: "postgres:17", environment: { POSTGRES_HOST_AUTH_METHOD: "trust" } },
      }),
    ).toEqual([
      "docker-compose.yml: redis: runs without credentials: redis-server needs --requirepass (or --aclfile)",
      "docker-compose.yml: nats: runs without credentials: nats-server needs --user and --pass, --auth, or a config file with authorization",
      "docker-compose.yml: mongo: runs without credentials: mongod needs a root user (MONGO_INITDB_ROOT_USERNAME and MONGO_INITDB_ROOT_PASSWORD)",
      "docker-compose.yml: postgres: runs without credentials: postgres needs POSTGRES_PASSWORD (and no POSTGRES_HOST_AUTH_METHOD=trust)",
    ]);
  });

  it("exposure rules - a MongoDB replica set with a root user still needs a keyfile", () => {
    const mongo = { ...secured.mongo, command: ["mongod", "--replSet", "rs0"] };
    expect(problemsOf({ mongo })).toEqual([
      "docker-compose.yml: mongo: runs without credentials: a replica set with authentication needs --keyFile",
    ]);
  });

  it("exposure rules - read the port syntaxes docker-compose config prints", () => {
    expect(
      ["127.0.0.1:3000:3000/tcp", "8080:80", "9000", "[::1]:50051:50051/tcp"].map(normalisePort),
    ).toEqual([
      { host_ip: "127.0.0.1", published: 3000, target: 3000 },
      { published: 8080, target: 80 },
      { target: 9000 },
      { host_ip: "::1", published: 50051, target: 50051 },
    ]);
  });

  it("exposure rules - the repository's docker-compose.yml passes", () => {
    const { project, findings } = loadCompose(new URL("../..", import.meta.url).pathname);
    expect(findings).toEqual([]);
    expect(Object.keys(project?.services ?? {})).toEqual(
      expect.arrayContaining(["redis", "nats", "mongo", "gateway"]),
    );
    expect(exposureFindings(project!)).toEqual([]);
  });
});
