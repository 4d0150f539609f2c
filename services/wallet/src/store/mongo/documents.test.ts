import { BSON, Long } from "mongodb";
import { describe, expect, it } from "vitest";
import {
  available,
  decodeMetadata,
  encodeMetadata,
  type HoldDoc,
  int64,
  newHoldOutboxDoc,
  newOutboxDoc,
  type OutboxDoc,
  type TransactionDoc,
  toHold,
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
    expect(toOutboxEvent(row)).toEqual({
      kind: "transaction",
      eventId: "event-1",
      requestId: "req-1",
      ownerEmail: "a@example.com",
      transaction: toTransaction(transactionDoc),
    });
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
    expect(typeof back.transaction?.amount).toBe("bigint");
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
      heldBalance: 0n,
      version: 3n,
      createdAt,
      updatedAt: createdAt,
    });
  });

  it("mongo documents - held funds: a wallet written before holds has none; available is balance minus held", () => {
    const base = {
      _id: "w",
      ownerId: "o",
      ownerEmail: "e",
      currency: "EUR",
      version: 3n,
      createdAt,
      updatedAt: createdAt,
    };
    const held = toWallet({ ...base, balance: 100n, held: 30n });
    expect(held).toMatchObject({ balance: 100n, heldBalance: 30n });
    expect(available(held)).toBe(70n);
    // Tools writing small int32/double integers, or a null left by one, read as well.
    expect(toWallet({ ...base, balance: 100n, held: 5 as unknown as bigint }).heldBalance).toBe(5n);
    expect(toWallet({ ...base, balance: 100n, held: null as unknown as bigint }).heldBalance).toBe(0n);
    expect(() => toWallet({ ...base, balance: 100n, held: 1.5 as unknown as bigint })).toThrow(/held/);
  });

  it("mongo documents - reversal and capture fields: absent on older transactions, read as empty and 0", () => {
    expect(toTransaction(transactionDoc)).toMatchObject({ reversalOf: "", holdId: "", reversedAmount: 0n });
    const reversal = toTransaction({
      ...transactionDoc,
      reversalOf: "0194a1b2-0000-7000-8000-000000000009",
      holdId: "0194a1b2-0000-7000-8000-0000000000dd",
      reversedAmount: 40n,
    });
    expect(reversal).toMatchObject({
      reversalOf: "0194a1b2-0000-7000-8000-000000000009",
      holdId: "0194a1b2-0000-7000-8000-0000000000dd",
      reversedAmount: 40n,
    });
  });
});

const holdDoc: HoldDoc = {
  _id: "0194a1b2-0000-7000-8000-0000000000dd",
  walletId: "0194a1b2-0000-7000-8000-0000000000aa",
  ownerId: "user-1",
  currency: "USD",
  amount: 9007199254740991n,
  status: "PENDING",
  expiresAt: new Date("2025-01-09T03:04:05.678Z"),
  metadata: encodeMetadata({ order: "o-1", "a.b": "x" }),
  createdAt,
  idempotencyKey: "place-1",
  fingerprint: "fp-place",
};

const capturedDoc: HoldDoc = {
  ...holdDoc,
  status: "CAPTURED",
  capturedAmount: 25n,
  captureTransactionId: "0194a1b2-0000-7000-8000-000000000001",
  destinationWalletId: "0194a1b2-0000-7000-8000-0000000000bb",
  endedAt: new Date("2025-01-03T00:00:00.001Z"),
  endKey: "capture-1",
  endFingerprint: "fp-capture",
};

describe("mongo documents - holds", () => {
  it("mongo documents - a pending hold maps with nothing captured, no transaction, no destination, no end", () => {
    expect(toHold(holdDoc)).toEqual({
      id: holdDoc._id,
      walletId: holdDoc.walletId,
      ownerId: "user-1",
      currency: "USD",
      amount: 9007199254740991n,
      status: "PENDING",
      capturedAmount: 0n,
      captureTransactionId: "",
      destinationWalletId: "",
      expiresAt: holdDoc.expiresAt,
      metadata: { order: "o-1", "a.b": "x" },
      createdAt,
      endedAt: null,
    });
  });

  it("mongo documents - a captured hold maps its capture and end", () => {
    expect(toHold(capturedDoc)).toMatchObject({
      status: "CAPTURED",
      capturedAmount: 25n,
      captureTransactionId: capturedDoc.captureTransactionId,
      destinationWalletId: capturedDoc.destinationWalletId,
      endedAt: capturedDoc.endedAt,
    });
  });

  it("mongo documents - a hold's outbox row keeps the hold as of the transition, without any key", () => {
    const placed = newHoldOutboxDoc("event-p", holdDoc, "req-p", "a@example.com");
    expect(placed).toMatchObject({
      _id: "event-p",
      kind: "hold",
      pending: true,
      createdAt,
      claimedUntil: new Date(0),
    });
    expect(placed).not.toHaveProperty("transaction");
    for (const key of ["idempotencyKey", "fingerprint", "endKey", "endFingerprint"]) {
      expect(placed.hold).not.toHaveProperty(key);
    }
    expect(toOutboxEvent(placed)).toEqual({
      kind: "hold",
      eventId: "event-p",
      requestId: "req-p",
      ownerEmail: "a@example.com",
      hold: toHold(holdDoc),
      occurredAt: createdAt,
    });

    // An ended hold's event happened when it ended.
    const captured = newHoldOutboxDoc("event-c", capturedDoc, "req-c", "a@example.com");
    expect(captured.hold).not.toHaveProperty("endKey");
    expect(captured.hold).not.toHaveProperty("endFingerprint");
    expect(toOutboxEvent(captured)).toMatchObject({
      kind: "hold",
      hold: { status: "CAPTURED", capturedAmount: 25n },
      occurredAt: capturedDoc.endedAt,
    });
  });

  it("mongo documents - transaction rows say their kind; rows written before holds (no kind) are transaction events", () => {
    const row = newOutboxDoc("event-1", transactionDoc, "req-1", "a@example.com");
    expect(row.kind).toBe("transaction");
    const { kind: _kind, ...old } = row;
    const event = toOutboxEvent(old as OutboxDoc);
    expect(event.kind).toBe("transaction");
    expect(event).toEqual(toOutboxEvent(row));
  });

  it("mongo documents - a row of one kind missing its payload is refused, not published half-empty", () => {
    const row = newOutboxDoc("event-1", transactionDoc, "req-1", "");
    expect(() => toOutboxEvent({ ...row, kind: "hold" })).toThrow(/event-1 has no hold/);
    const { transaction: _t, ...bare } = row;
    expect(() => toOutboxEvent(bare)).toThrow(/event-1 has no transaction/);
  });

  it("mongo documents - a hold row round-trips through BSON with int64 money and dates", () => {
    const row = newHoldOutboxDoc("event-c", capturedDoc, "req-c", "");
    const bytes = BSON.serialize(row, { ignoreUndefined: true });
    const raw = BSON.deserialize(bytes, { promoteLongs: false });
    expect(raw.hold.amount).toBeInstanceOf(Long);
    expect(raw.hold.capturedAmount).toBeInstanceOf(Long);
    const back = BSON.deserialize(bytes, { useBigInt64: true }) as OutboxDoc;
    expect(toOutboxEvent(back)).toEqual(toOutboxEvent(row));
  });
});
