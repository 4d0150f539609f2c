import type { WalletStore } from "./port.js";
import { PostgresStore } from "./postgres/postgresStore.js";

/** Picks the adapter from the URL scheme: postgres(ql):// or mongodb(+srv)://. */
export async function openStore(url: string, poolSize: number, batchMax = 256): Promise<WalletStore> {
  if (/^mongodb(\+srv)?:/.test(url)) {
    const { MongoStore } = await import("./mongo/mongoStore.js");
    return new MongoStore(url, poolSize);
  }
  return new PostgresStore(url, poolSize, batchMax);
}
