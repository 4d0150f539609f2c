import { MAX_AMOUNT } from "@wallet/contracts";
import { describe, expect, it } from "vitest";
import {
  clientOptions,
  databaseName,
  HOLD_EXPIRY_INDEX,
  HOLD_IDEMPOTENCY_INDEX,
  HOLD_WALLET_INDEX,
  VALIDATORS,
} from "./schema.js";

/** The validator of int64 money from `minimum` up to MAX_AMOUNT (2^53-1). */
const money = (minimum: bigint) => ({ bsonType: "long", minimum, maximum: MAX_AMOUNT });

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
    expect(wallet.balance).toEqual(money(0n));
    expect(wallet.version).toMatchObject({ bsonType: "long", minimum: 0n });
    const tx = VALIDATORS.transactions.$jsonSchema.properties;
    expect(tx.amount).toEqual(money(1n));
    expect(tx.balanceAfter).toMatchObject({ bsonType: "long", minimum: 0n });
    expect(VALIDATORS.transactions.$jsonSchema.required).toEqual(
      expect.arrayContaining(["amount", "balanceAfter", "walletVersion", "walletId", "ownerId"]),
    );
  });

  it("mongo schema - held funds are int64 within 0..balance, and optional so wallets written before holds stay valid", () => {
    const wallets = VALIDATORS.wallets;
    expect(wallets.$jsonSchema.properties.held).toEqual(money(0n));
    expect(wallets.$jsonSchema.required).not.toContain("held");
    expect(wallets.$expr).toEqual({ $lte: [{ $ifNull: ["$held", 0n] }, "$balance"] });
    const tx = VALIDATORS.transactions;
    expect(tx.$jsonSchema.properties.reversedAmount).toEqual(money(0n));
    expect(tx.$jsonSchema.required).not.toContain("reversedAmount");
    expect(tx.$jsonSchema.required).not.toContain("reversalOf");
    expect(tx.$jsonSchema.required).not.toContain("holdId");
    expect(tx.$expr).toEqual({ $lte: [{ $ifNull: ["$reversedAmount", 0n] }, "$amount"] });
  });

  it("mongo schema - holds: positive int64 amounts, the four statuses, keys required", () => {
    const holds = VALIDATORS.holds.$jsonSchema;
    expect(holds.properties.amount).toEqual(money(1n));
    expect(holds.properties.capturedAmount).toEqual(money(1n));
    expect(holds.properties.status).toEqual({ enum: ["PENDING", "CAPTURED", "VOIDED", "EXPIRED"] });
    expect(holds.properties.expiresAt).toEqual({ bsonType: "date" });
    expect(holds.required).toEqual(
      expect.arrayContaining([
        "walletId",
        "ownerId",
        "amount",
        "status",
        "expiresAt",
        "createdAt",
        "idempotencyKey",
      ]),
    );
    expect(holds.required).not.toContain("endedAt");
  });

  it("mongo schema - holds' indexes serve the key lookup, the listing order and the expiry sweep", () => {
    expect(HOLD_IDEMPOTENCY_INDEX.key).toEqual({ ownerId: 1, idempotencyKey: 1 });
    // Same fields and directions as listHolds' sort, after the walletId equality.
    expect(Object.entries(HOLD_WALLET_INDEX.key)).toEqual([
      ["walletId", 1],
      ["createdAt", -1],
      ["_id", -1],
    ]);
    expect(Object.entries(HOLD_EXPIRY_INDEX.key)).toEqual([
      ["status", 1],
      ["expiresAt", 1],
    ]);
  });
});
