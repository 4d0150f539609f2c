import { randomUUID } from "node:crypto";
import type { WalletServiceClient } from "@wallet/contracts";
import { call } from "../test/harness.js";

export interface Target {
  ownerId: string;
  walletId: string;
}

/** Creates `count` USD wallets, one per owner `${prefix}-i`. */
export async function createWallets(
  client: WalletServiceClient,
  count: number,
  prefix = "bench",
): Promise<Target[]> {
  const targets: Target[] = [];
  for (let i = 0; i < count; i++) {
    const ownerId = `${prefix}-${i}`;
    const w = await call(client, client.createWallet, { ownerId, currency: "USD", ownerEmail: "" });
    targets.push({ ownerId, walletId: w.wallet!.id });
  }
  return targets;
}

/** `clients` concurrent loops crediting 1 cent round-robin over targets for `seconds`. */
export async function driveCredits(
  client: WalletServiceClient,
  targets: Target[],
  clients: number,
  seconds: number,
) {
  const latencies: number[] = [];
  let errors = 0;
  const deadline = Date.now() + seconds * 1000;
  const worker = async (n: number) => {
    for (let i = n; Date.now() < deadline; i += clients) {
      const t = targets[i % targets.length];
      const started = performance.now();
      try {
        await call(client, client.credit, { ...t, amount: 1n, idempotencyKey: randomUUID(), metadata: {} });
        latencies.push(performance.now() - started);
      } catch {
        errors++;
      }
    }
  };
  const began = performance.now();
  await Promise.all(Array.from({ length: clients }, (_, n) => worker(n)));
  const elapsed = (performance.now() - began) / 1000;
  latencies.sort((a, b) => a - b);
  return { latencies, errors, elapsed, rate: latencies.length / elapsed };
}
