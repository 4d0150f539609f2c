import { type StoreOptions, storeOptions } from "./options.js";
import type { WalletStore } from "./port.js";
import { PostgresStore } from "./postgres/postgresStore.js";

export type { StoreOptions };

/** Picks the adapter from the URL scheme: postgres(ql):// or mongodb(+srv)://. */
export async function openStore(url: string, options: Partial<StoreOptions> = {}): Promise<WalletStore> {
  const opts = storeOptions(options);
  if (/^mongodb(\+srv)?:/.test(url)) {
    const { MongoStore } = await import("./mongo/mongoStore.js");
    return new MongoStore(url, opts);
  }
  return new PostgresStore(url, opts);
}
