import {
  type BulkWriteResult,
  MongoBulkWriteError,
  MongoNetworkError,
  MongoServerError,
  type WriteError,
} from "mongodb";
import { describe, expect, it } from "vitest";
import { InsufficientFundsError, StoreUnavailableError } from "../../domain/errors.js";
import { guarded, isConnectionError, isDuplicateKey } from "./driverErrors.js";
import { IDEMPOTENCY_INDEX, WALLET_OWNER_CURRENCY } from "./schema.js";

const IDEMPOTENCY_MESSAGE =
  'E11000 duplicate key error collection: wallet.transactions index: transactions_owner_idempotency_key dup key: { ownerId: "u", idempotencyKey: "k" }';

describe("mongo driver errors", () => {
  it("mongo driver errors - insertOne's duplicate key is matched on its keyPattern", () => {
    // The shape insertOne throws: the server's write error, keyPattern included (MongoDB >= 4.2).
    const err = new MongoServerError({
      index: 0,
      code: 11000,
      errmsg: IDEMPOTENCY_MESSAGE,
      keyPattern: { ownerId: 1, idempotencyKey: 1 },
      keyValue: { ownerId: "u", idempotencyKey: "k" },
    });
    expect(isDuplicateKey(err, IDEMPOTENCY_INDEX)).toBe(true);
    expect(isDuplicateKey(err, WALLET_OWNER_CURRENCY)).toBe(false);
  });

  it("mongo driver errors - without keyPattern the index name in the message decides", () => {
    const err = new MongoServerError({ code: 11000, errmsg: IDEMPOTENCY_MESSAGE });
    expect(isDuplicateKey(err, IDEMPOTENCY_INDEX)).toBe(true);
    expect(isDuplicateKey(err, WALLET_OWNER_CURRENCY)).toBe(false);
  });

  it("mongo driver errors - insertMany's bulk error is matched through its write errors", () => {
    // Shaped like the driver's WriteError (exported as a type only): it copies index, code,
    // errmsg, errInfo and op from the server's write error, not keyPattern; the message is errmsg.
    const raw = { index: 0, code: 11000, errmsg: IDEMPOTENCY_MESSAGE, errInfo: {}, op: {} };
    const writeError = {
      err: raw,
      code: raw.code,
      index: raw.index,
      errmsg: raw.errmsg,
    } as unknown as WriteError;
    const err = new MongoBulkWriteError(
      { message: IDEMPOTENCY_MESSAGE, code: 11000, writeErrors: [writeError] },
      {} as BulkWriteResult,
    );
    expect(isDuplicateKey(err, IDEMPOTENCY_INDEX)).toBe(true);
    expect(isDuplicateKey(err, WALLET_OWNER_CURRENCY)).toBe(false);
  });

  it("mongo driver errors - other codes and non-driver errors are not duplicate keys", () => {
    expect(
      isDuplicateKey(new MongoServerError({ code: 112, errmsg: "WriteConflict" }), IDEMPOTENCY_INDEX),
    ).toBe(false);
    expect(isDuplicateKey(new Error(IDEMPOTENCY_MESSAGE), IDEMPOTENCY_INDEX)).toBe(false);
    expect(isDuplicateKey(undefined, IDEMPOTENCY_INDEX)).toBe(false);
  });

  it("mongo driver errors - network loss and primary changes are connection errors, the rest is not", () => {
    expect(isConnectionError(new MongoNetworkError("connection reset"))).toBe(true);
    expect(isConnectionError(new MongoServerError({ code: 10107, errmsg: "not primary" }))).toBe(true);
    expect(isConnectionError(new MongoServerError({ code: 91, errmsg: "shutdown in progress" }))).toBe(true);
    expect(isConnectionError(new MongoServerError({ code: 11000, errmsg: IDEMPOTENCY_MESSAGE }))).toBe(false);
    expect(isConnectionError(new MongoServerError({ code: 112, errmsg: "WriteConflict" }))).toBe(false);
    expect(isConnectionError(new InsufficientFundsError())).toBe(false);
    expect(isConnectionError(null)).toBe(false);
  });

  it("mongo driver errors - guarded turns connection errors into StoreUnavailableError and keeps the rest", async () => {
    const lost = new MongoNetworkError("connection reset");
    const err = await guarded(() => Promise.reject(lost)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as Error).cause).toBe(lost);
    const funds = new InsufficientFundsError();
    await expect(guarded(() => Promise.reject(funds))).rejects.toBe(funds);
    await expect(guarded(() => Promise.resolve(7))).resolves.toBe(7);
  });
});
