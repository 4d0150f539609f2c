/**
 * A lean gRPC load generator for the wallet, run as its own process so its CPU is measured
 * apart from the service's: plain node:http2 streams carrying length-prefixed protobuf
 * messages, no grpc-js client machinery (which cost 2.5x the server's CPU per call).
 *
 * Usage: node --conditions=source --import tsx scripts/bench/grpcLoad.ts <plan.json>
 * The plan is a `LoadPlan`. Once connected it prints `ready` and waits for a line on stdin, so
 * its start-up is not measured; then it runs and prints the `LoadResult` as JSON on stdout.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import http2 from "node:http2";
import { CreditRequest, TransferRequest } from "@wallet/contracts";

export interface LoadPlan {
  /** host:port of the wallet's plaintext gRPC port. */
  target: string;
  /** Sent as `authorization: Bearer <token>` when set. */
  token?: string;
  seconds: number;
  /** Concurrent calls in flight. */
  concurrency: number;
  /** HTTP/2 connections the calls are spread over. */
  connections: number;
  /**
   * Credits of 1 cent go round-robin over these wallets; with `method: "transfer"`, each call
   * moves 1 cent from one wallet to the next in the list (which must hold the money).
   */
  wallets: { ownerId: string; walletId: string }[];
  method?: "credit" | "transfer";
}

export interface LoadResult {
  calls: number;
  errors: number;
  /** grpc-status → count, for the failed calls. */
  statuses: Record<string, number>;
  seconds: number;
  p50: number;
  p99: number;
}

/** The 5-byte gRPC message prefix (uncompressed, big-endian length) followed by the message. */
function frame(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out.writeUInt8(0, 0);
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

async function run(plan: LoadPlan): Promise<LoadResult> {
  const sessions = Array.from({ length: plan.connections }, () =>
    http2.connect(`http://${plan.target}`, { settings: { enablePush: false } }),
  );
  const headers: http2.OutgoingHttpHeaders = {
    ":method": "POST",
    ":path": `/wallet.v1.WalletService/${plan.method === "transfer" ? "Transfer" : "Credit"}`,
    "content-type": "application/grpc",
    te: "trailers",
    ...(plan.token ? { authorization: `Bearer ${plan.token}` } : {}),
  };
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  const call = (session: http2.ClientHttp2Session, body: Buffer) =>
    new Promise<string>((resolve) => {
      const stream = session.request(headers);
      let status = "";
      stream.on("response", (h) => {
        if (h["grpc-status"] !== undefined) status = String(h["grpc-status"]);
      });
      stream.on("trailers", (t) => {
        status = String(t["grpc-status"] ?? status);
      });
      stream.on("data", () => {});
      stream.on("error", () => {
        status = status || "stream-error";
      });
      stream.on("close", () => resolve(status || "no-status"));
      stream.end(body);
    });
  await Promise.all(sessions.map((s) => new Promise((resolve) => s.once("connect", resolve))));
  process.stdout.write("ready\n");
  await new Promise((resolve) => process.stdin.once("data", resolve));
  const deadline = Date.now() + plan.seconds * 1000;
  const began = performance.now();
  const worker = async (n: number) => {
    const session = sessions[n % sessions.length];
    for (let i = n; Date.now() < deadline; i += plan.concurrency) {
      const wallet = plan.wallets[i % plan.wallets.length];
      const body = frame(
        plan.method === "transfer"
          ? TransferRequest.encode({
              ownerId: wallet.ownerId,
              fromWalletId: wallet.walletId,
              toWalletId: plan.wallets[(i + 1) % plan.wallets.length].walletId,
              amount: 1n,
              idempotencyKey: randomUUID(),
              metadata: {},
            }).finish()
          : CreditRequest.encode({
              ownerId: wallet.ownerId,
              walletId: wallet.walletId,
              amount: 1n,
              idempotencyKey: randomUUID(),
              metadata: {},
            }).finish(),
      );
      const started = performance.now();
      const status = await call(session, body);
      if (status === "0") latencies.push(performance.now() - started);
      else {
        errors += 1;
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: plan.concurrency }, (_, n) => worker(n)));
  const seconds = (performance.now() - began) / 1000;
  for (const s of sessions) s.close();
  latencies.sort((a, b) => a - b);
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return { calls: latencies.length, errors, statuses, seconds, p50: at(0.5), p99: at(0.99) };
}

const planFile = process.argv[2];
if (!planFile) {
  console.error("usage: grpcLoad.ts <plan.json>");
  process.exit(2);
}
const result = await run(JSON.parse(readFileSync(planFile, "utf8")) as LoadPlan);
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
