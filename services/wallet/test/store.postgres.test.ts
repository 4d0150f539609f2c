import { inject } from "vitest";
import { createDatabase } from "../../../test/support/postgres.js";
import { PostgresStore } from "../src/store/postgres/postgresStore.js";
import { describeStoreConformance } from "./storeConformance.js";

describeStoreConformance("PostgreSQL", async () => {
  const db = await createDatabase(inject("pgClusterUrl"));
  const store = new PostgresStore(db.url, 20);
  return {
    store,
    cleanup: async () => {
      await store.close();
      await db.drop();
    },
  };
});
