import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { protoPath } from "grpc-health-check";

const healthProto = grpc.loadPackageDefinition(loadSync(protoPath, { keepCase: true, enums: String }));
// biome-ignore lint/suspicious/noExplicitAny: shape comes from the loaded health.proto
const HealthClient = (healthProto as any).grpc.health.v1.Health as typeof grpc.Client;

type HealthStub = grpc.Client & {
  check(req: { service: string }, cb: (err: Error | null, res: { status: string }) => void): void;
  watch(req: { service: string }): grpc.ClientReadableStream<{ status: string }>;
};

const connect = (port: number) =>
  new HealthClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as HealthStub;

/** grpc.health.v1.Health/Check with an independent, proto-loaded client. */
export function healthCheck(port: number, service = ""): Promise<string> {
  const client = connect(port);
  return new Promise((resolve, reject) =>
    client.check({ service }, (err, res) => {
      client.close();
      if (err) reject(err);
      else resolve(res.status);
    }),
  );
}

/** Opens grpc.health.v1.Health/Watch; `statuses` fills as updates arrive, `ended` settles when the stream ends. */
export function healthWatch(port: number, service = "") {
  const client = connect(port);
  const stream = client.watch({ service });
  const statuses: string[] = [];
  stream.on("data", (m: { status: string }) => statuses.push(m.status));
  const ended = new Promise<void>((resolve) => {
    stream.on("error", () => resolve());
    stream.on("end", () => resolve());
  }).finally(() => client.close());
  return { statuses, ended };
}
