import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fromBinary, toJson } from "@bufbuild/protobuf";
import {
  DescriptorProtoSchema,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
} from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { descriptorSetBase64, type WalletServiceServer, WalletServiceService } from "@wallet/contracts";
import { service as healthService } from "grpc-health-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHealth, type WalletHealth } from "../src/grpc/health.js";
import { addReflectionService } from "../src/grpc/reflection.js";
import { bufCurl } from "./harness.js";

const createdAt = new Date("2024-05-06T07:08:09.123Z");

// The published .proto files: an independent v1alpha client, and the reference our descriptors must match.
const require = createRequire(import.meta.url);
const reflectionProtos = join(dirname(require.resolve("@grpc/reflection/package.json")), "build/proto");
const healthProtos = join(dirname(require.resolve("grpc-health-check/package.json")), "proto");
const upstream = loadSync(
  [
    "grpc/reflection/v1/reflection.proto",
    "grpc/reflection/v1alpha/reflection.proto",
    "health/v1/health.proto",
  ],
  { keepCase: true, arrays: true, includeDirs: [reflectionProtos, healthProtos] },
);
const ReflectionV1Alpha = grpc.makeGenericClientConstructor(
  upstream["grpc.reflection.v1alpha.ServerReflection"] as grpc.ServiceDefinition,
  "ServerReflection",
);
const HealthClient = grpc.makeGenericClientConstructor(healthService as grpc.ServiceDefinition, "Health");

let server: grpc.Server;
let health: WalletHealth;
let target: string;

type ReflectionReply = Record<string, { file_descriptor_proto?: Buffer[]; error_code?: number } & object>;

/** Sends requests on one v1alpha ServerReflectionInfo stream and collects the replies in order. */
function reflect(requests: object[]): Promise<ReflectionReply[]> {
  const client = new ReflectionV1Alpha(target, grpc.credentials.createInsecure());
  const replies: ReflectionReply[] = [];
  return new Promise<ReflectionReply[]>((resolve, reject) => {
    const call = client.ServerReflectionInfo();
    call.on("data", (reply: ReflectionReply) => replies.push(reply));
    call.on("error", reject);
    call.on("end", () => resolve(replies));
    for (const request of requests) call.write(request);
    call.end();
  }).finally(() => client.close());
}

function fileNames(reply: ReflectionReply): string[] {
  const files = reply.file_descriptor_response?.file_descriptor_proto ?? [];
  return files.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name);
}

beforeAll(async () => {
  server = new grpc.Server();
  // Only what one call needs: the thing under test is reflection and health, not the wallet.
  const listWallets: WalletServiceServer["listWallets"] = (call, callback) => {
    const wallet = { id: "w-1", ownerId: call.request.ownerId, currency: "EUR", balance: 1500n, version: 2n };
    const held = { heldBalance: 500n, availableBalance: 1000n };
    callback(null, { wallets: [{ ...wallet, ...held, createdAt, updatedAt: createdAt }] });
  };
  server.addService(WalletServiceService, { listWallets });
  addReflectionService(server, descriptorSetBase64);
  health = createHealth(server);
  health.setServing();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  target = `127.0.0.1:${port}`;
});

afterAll(() => server?.forceShutdown());

describe("grpc reflection", () => {
  it("reflection - buf curl lists wallet, health and reflection services", async () => {
    const services = (await bufCurl("--list-services", `http://${target}`)).trim().split("\n");
    expect(services).toEqual(
      expect.arrayContaining([
        "wallet.v1.WalletService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
      ]),
    );
  });

  it("reflection - buf curl lists methods of every service", async () => {
    const methods = await bufCurl("--list-methods", `http://${target}`);
    const wallet = methods
      .trim()
      .split("\n")
      .filter((m) => m.startsWith("wallet.v1.WalletService/"))
      .sort();
    expect(wallet).toEqual(
      [
        "CaptureHold",
        "CreateWallet",
        "Credit",
        "Debit",
        "GetHold",
        "GetTransaction",
        "GetWallet",
        "ListHolds",
        "ListTransactions",
        "ListWallets",
        "PlaceHold",
        "ReverseTransaction",
        "Transfer",
        "VoidHold",
      ].map((m) => `wallet.v1.WalletService/${m}`),
    );
    expect(methods).toContain("grpc.health.v1.Health/Check");
  });

  it("reflection - buf curl calls ListWallets without a local schema, timestamp included", async () => {
    const out = await bufCurl(
      "-d",
      '{"ownerId":"alice"}',
      `http://${target}/wallet.v1.WalletService/ListWallets`,
    );
    const [wallet] = JSON.parse(out).wallets;
    expect(wallet).toMatchObject({
      id: "w-1",
      ownerId: "alice",
      balance: "1500",
      heldBalance: "500",
      availableBalance: "1000",
    });
    expect(wallet.createdAt).toBe(createdAt.toISOString());
  });

  it("reflection - buf curl also works over v1alpha reflection", async () => {
    const out = await bufCurl(
      "--reflect-protocol",
      "grpc-v1alpha",
      "-d",
      '{"ownerId":"bob"}',
      `http://${target}/wallet.v1.WalletService/ListWallets`,
    );
    expect(JSON.parse(out).wallets[0].createdAt).toBe(createdAt.toISOString());
  });

  it("reflection - vendored health and reflection descriptors match the libraries' .proto files", () => {
    type FieldShape = { name: string; number: number; label: string; type: string; typeName?: string };
    // Type names by their last segment: protobufjs writes them relative, and map entries without "Entry".
    const simple = (typeName = "") =>
      typeName
        .split(".")
        .at(-1)
        ?.replace(/Entry$/, "");
    const shape = (fields: FieldShape[]) =>
      fields.map((f) => `${f.name}=${f.number} ${f.label} ${f.type} ${simple(f.typeName)}`);
    const set = fromBinary(FileDescriptorSetSchema, Buffer.from(descriptorSetBase64, "base64"));
    const vendored = set.file.filter((f) => f.name.startsWith("grpc/"));
    expect(vendored.map((f) => f.name).sort()).toEqual([
      "grpc/health/v1/health.proto",
      "grpc/reflection/v1/reflection.proto",
      "grpc/reflection/v1alpha/reflection.proto",
    ]);
    let compared = 0;
    for (const file of vendored) {
      for (const message of file.messageType) {
        const ours = toJson(DescriptorProtoSchema, message) as { field?: FieldShape[] };
        const theirs = upstream[`${file.package}.${message.name}`] as unknown as {
          type: { field: FieldShape[] };
        };
        expect(theirs, `${file.package}.${message.name} upstream`).toBeDefined();
        expect(shape(ours.field ?? []), `${file.package}.${message.name}`).toEqual(shape(theirs.type.field));
        compared += 1;
      }
    }
    expect(compared).toBeGreaterThanOrEqual(20);
  });

  it("reflection - v1alpha file_containing_symbol returns the file with its imports", async () => {
    const [wallet, method, nested, enumValue] = await reflect([
      { file_containing_symbol: "wallet.v1.Wallet" },
      { file_containing_symbol: "wallet.v1.WalletService.ListWallets" },
      { file_containing_symbol: "wallet.v1.Transaction.MetadataEntry" },
      { file_containing_symbol: "wallet.v1.TransactionType" },
    ]);
    for (const reply of [wallet, method, nested, enumValue]) {
      expect(fileNames(reply)[0]).toBe("wallet/v1/wallet.proto");
      expect(fileNames(reply)).toContain("google/protobuf/timestamp.proto");
    }
  });

  it("reflection - file_by_filename serves imports, including health's own descriptor", async () => {
    const [events, healthFile] = await reflect([
      { file_by_filename: "wallet/v1/events.proto" },
      { file_by_filename: "grpc/health/v1/health.proto" },
    ]);
    expect(fileNames(events)[0]).toBe("wallet/v1/events.proto");
    expect(fileNames(events)).toContain("google/protobuf/timestamp.proto");
    expect(fileNames(healthFile)).toEqual(["grpc/health/v1/health.proto"]);
  });

  it("reflection - unknown names, and extensions (the wallet declares none), answer NOT_FOUND", async () => {
    const replies = await reflect([
      { file_containing_symbol: "wallet.v1.Nope" },
      { file_by_filename: "nope.proto" },
      { file_containing_extension: { containing_type: "wallet.v1.Wallet", extension_number: 100 } },
      { all_extension_numbers_of_type: "wallet.v1.Wallet" },
      { all_extension_numbers_of_type: "wallet.v1.Nope" },
    ]);
    expect(replies.map((reply) => reply.error_response?.error_code)).toEqual(
      Array(5).fill(grpc.status.NOT_FOUND),
    );
  });
});

describe("grpc health", () => {
  it("health - buf curl Check follows setServing and setNotServing", async () => {
    const check = async (service: string) =>
      JSON.parse(
        await bufCurl("-d", JSON.stringify({ service }), `http://${target}/grpc.health.v1.Health/Check`),
      );
    expect(await check("")).toEqual({ status: "SERVING" });
    expect(await check("wallet.v1.WalletService")).toEqual({ status: "SERVING" });
    health.setNotServing();
    expect(await check("")).toEqual({ status: "NOT_SERVING" });
    expect(await check("wallet.v1.WalletService")).toEqual({ status: "NOT_SERVING" });
    health.setServing();
  });

  it("health - Watch streams each change once", async () => {
    const client = new HealthClient(target, grpc.credentials.createInsecure());
    const call = client.Watch({ service: "wallet.v1.WalletService" });
    call.on("error", () => {});
    const seen: string[] = [];
    const statuses = new Promise<void>((resolve) =>
      call.on("data", ({ status }: { status: string }) => {
        seen.push(status);
        if (seen.length === 1) {
          health.setNotServing();
          health.setNotServing();
          health.setServing();
        }
        if (seen.length === 3) resolve();
      }),
    );
    await statuses;
    call.cancel();
    client.close();
    expect(seen).toEqual(["SERVING", "NOT_SERVING", "SERVING"]);
  });
});
