import { BSON, Long } from "mongodb";
import { describe, expect, it } from "vitest";
import {
  decodeMetadata,
  encodeMetadata,
  int64,
  newOutboxDoc,
  type TransactionDoc,
  toOutboxEvent,
  toTransaction,
  toWallet,
} from "./documents.js";

const createdAt = new Date("2025-01-02T03:04:05.678Z");

const transactionDoc: TransactionDoc = {
  _id: "0194a1b2-0000-7000-8000-000000000001",
  walletId: "0194a1b2-0000-7000-8000-0000000000aa",
  ownerId: "user-1",
  type: "TRANSFER_OUT",
  amount: 9007199254740991n,
  currency: "USD",
  balanceAfter: 0n,
  walletVersion: 42n,
  transferId: "0194a1b2-0000-7000-8000-0000000000cc",
  counterpartyWalletId: "0194a1b2-0000-7000-8000-0000000000bb",
  idempotencyKey: "key-1",
  fingerprint: "fp",
  metadata: encodeMetadata({ ref: "order-456" }),
  createdAt,
};

describe("mongo documents", () => {
  it("mongo documents - metadata keys MongoDB treats specially round-trip as plain strings", () => {
    const metadata = JSON.parse('{"$where":"1","a.b":"2","__proto__":"3","":"4"}') as Record<string, string>;
    const entries = encodeMetadata(metadata);
    expect(entries).toEqual([
      { k: "$where", v: "1" },
      { k: "a.b", v: "2" },
      { k: "__proto__", v: "3" },
      { k: "", v: "4" },
    ]);
    const back = decodeMetadata(entries);
    expect(Object.keys(back)).toEqual(["$where", "a.b", "__proto__", ""]);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(decodeMetadata(undefined)).toEqual({});
  });

  it("mongo documents - a transaction maps to the domain with money as bigint and empty optional ids", () => {
    expect(toTransaction(transactionDoc)).toMatchObject({
      id: transactionDoc._id,
      type: "TRANSFER_OUT",
      amount: 9007199254740991n,
      balanceAfter: 0n,
      walletVersion: 42n,
      counterpartyWalletId: transactionDoc.counterpartyWalletId,
      createdAt,
    });
    const { transferId: _t, counterpartyWalletId: _c, ...credit } = transactionDoc;
    expect(toTransaction({ ...credit, type: "CREDIT" })).toMatchObject({
      transferId: "",
      counterpartyWalletId: "",
    });
  });

  it("mongo documents - an outbox row keeps the transaction but not its idempotency key", () => {
    const row = newOutboxDoc("event-1", transactionDoc, "req-1", "a@example.com");
    expect(row).toMatchObject({ _id: "event-1", pending: true, createdAt, claimedUntil: new Date(0) });
    expect(row.transaction).not.toHaveProperty("idempotencyKey");
    expect(row.transaction).not.toHaveProperty("fingerprint");
    const event = toOutboxEvent(row);
    expect(event).toMatchObject({ eventId: "event-1", requestId: "req-1", ownerEmail: "a@example.com" });
    expect(event.transaction).toEqual(toTransaction(transactionDoc));
  });

  it("mongo documents - money is int64 in BSON and comes back as bigint with the client's options", () => {
    const row = newOutboxDoc("event-1", transactionDoc, "req-1", "");
    const bytes = BSON.serialize({ ...row, missing: undefined }, { ignoreUndefined: true });
    const raw = BSON.deserialize(bytes, { promoteLongs: false });
    expect(raw.transaction.amount).toBeInstanceOf(Long);
    expect(raw.transaction.walletVersion).toBeInstanceOf(Long);
    expect(raw).not.toHaveProperty("missing");
    const back = BSON.deserialize(bytes, { useBigInt64: true }) as typeof row;
    expect(toOutboxEvent(back)).toEqual(toOutboxEvent(row));
    expect(typeof back.transaction.amount).toBe("bigint");
  });

  it("mongo documents - int64 accepts bigint and safe integers only", () => {
    expect(int64(5n, "x")).toBe(5n);
    expect(int64(7, "x")).toBe(7n);
    expect(() => int64(1.5, "balance")).toThrow(/balance/);
    expect(() => int64(2 ** 60, "balance")).toThrow(TypeError);
    expect(() => int64("5", "balance")).toThrow(TypeError);
  });

  it("mongo documents - a wallet maps to the domain", () => {
    const wallet = toWallet({
      _id: "w",
      ownerId: "o",
      ownerEmail: "e",
      currency: "EUR",
      balance: 0n,
      version: 3n,
      createdAt,
      updatedAt: createdAt,
    });
    expect(wallet).toEqual({
      id: "w",
      ownerId: "o",
      ownerEmail: "e",
      currency: "EUR",
      balance: 0n,
      version: 3n,
      createdAt,
      updatedAt: createdAt,
    });
  });
});
