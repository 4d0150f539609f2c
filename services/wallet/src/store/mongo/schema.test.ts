import { describe, expect, it } from "vitest";
import { MAX_AMOUNT } from "../../domain/limits.js";
import { clientOptions, databaseName, VALIDATORS } from "./schema.js";

describe("mongo schema", () => {
  it("mongo schema - the database comes from the URL path, else wallet", () => {
    expect(databaseName("mongodb://127.0.0.1:27017/ledger?replicaSet=rs0")).toBe("ledger");
    expect(databaseName("mongodb://u:p%2F@h1:1,h2:2/ledger")).toBe("ledger");
    expect(databaseName("mongodb+srv://cluster.example.com/ledger?retryWrites=true")).toBe("ledger");
    expect(databaseName("mongodb://127.0.0.1:27017/?replicaSet=rs0")).toBe("wallet");
    expect(databaseName("mongodb://127.0.0.1:27017")).toBe("wallet");
    expect(databaseName("mongodb://h/my%20db")).toBe("my db");
  });

  it("mongo schema - int64 as bigint, the pool size, and defaults that yield to the URL", () => {
    expect(clientOptions("mongodb://h/db", 7)).toMatchObject({
      useBigInt64: true,
      ignoreUndefined: true,
      maxPoolSize: 7,
      serverSelectionTimeoutMS: 5000,
    });
    expect(clientOptions("mongodb://h/db?serverSelectionTimeoutMS=300", 7)).not.toHaveProperty(
      "serverSelectionTimeoutMS",
    );
  });

  it("mongo schema - validators mirror PostgreSQL's CHECKs: int64 money within 0..2^53-1, positive amounts", () => {
    const wallet = VALIDATORS.wallets.$jsonSchema.properties;
    expect(wallet.balance).toEqual({ bsonType: "long", minimum: 0n, maximum: MAX_AMOUNT });
    expect(wallet.version).toMatchObject({ bsonType: "long", minimum: 0n });
    const tx = VALIDATORS.transactions.$jsonSchema.properties;
    expect(tx.amount).toEqual({ bsonType: "long", minimum: 1n, maximum: MAX_AMOUNT });
    expect(tx.balanceAfter).toMatchObject({ bsonType: "long", minimum: 0n });
    expect(VALIDATORS.transactions.$jsonSchema.required).toEqual(
      expect.arrayContaining(["amount", "balanceAfter", "walletVersion", "walletId", "ownerId"]),
    );
  });
});
