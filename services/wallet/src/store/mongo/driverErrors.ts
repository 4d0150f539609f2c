import {
  MongoClientClosedError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoOperationTimeoutError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from "mongodb";
import { guardConnectionErrors } from "../unavailable.js";

const DUPLICATE_KEY = 11000;

/*
 * Server answers meaning "no usable primary right now": host unreachable or not
 * found, network timeout, shutting down, stepped down, socket error, not primary,
 * interrupted by shutdown or a replica set state change, read preference unmet.
 */
const UNAVAILABLE_CODES = new Set([6, 7, 89, 91, 133, 189, 9001, 10058, 10107, 11600, 11602, 13435, 13436]);

// Pool errors the driver does not export as classes; matched by their stable names.
const UNAVAILABLE_NAMES = new Set(["MongoWaitQueueTimeoutError", "MongoPoolClosedError"]);

/** Connection loss, no primary, a closed client or an exhausted pool: the store is unavailable. */
export function isConnectionError(err: unknown): boolean {
  if (
    err instanceof MongoNetworkError ||
    err instanceof MongoServerSelectionError ||
    err instanceof MongoTopologyClosedError ||
    err instanceof MongoNotConnectedError ||
    err instanceof MongoClientClosedError ||
    err instanceof MongoOperationTimeoutError
  ) {
    return true;
  }
  if (err instanceof MongoServerError && typeof err.code === "number") return UNAVAILABLE_CODES.has(err.code);
  return err instanceof Error && UNAVAILABLE_NAMES.has(err.name);
}

export interface IndexSpec {
  name: string;
  key: Record<string, 1 | -1>;
}

interface RawWriteError {
  code?: number;
  errmsg?: string;
  keyPattern?: Record<string, unknown>;
  err?: { keyPattern?: Record<string, unknown> };
}

/**
 * True when err is a duplicate key (E11000) on the given unique index. insertOne
 * reports it as a MongoServerError carrying the write error's fields (keyPattern
 * since MongoDB 4.2); insertMany as a MongoBulkWriteError whose writeErrors hold
 * them. The index name in the message is the fallback for older servers.
 */
export function isDuplicateKey(err: unknown, index: IndexSpec): boolean {
  if (!(err instanceof MongoServerError) || err.code !== DUPLICATE_KEY) return false;
  const writeErrors: RawWriteError[] = Array.isArray(err.writeErrors) ? err.writeErrors : [];
  const candidates: RawWriteError[] = [err as RawWriteError, ...writeErrors];
  const wanted = Object.keys(index.key).join(",");
  for (const c of candidates) {
    if ((c.code ?? DUPLICATE_KEY) !== DUPLICATE_KEY) continue;
    const pattern = c.keyPattern ?? c.err?.keyPattern;
    if (pattern) {
      if (Object.keys(pattern).join(",") === wanted) return true;
      continue;
    }
    const message = c.errmsg ?? (c === err ? err.message : "");
    if (message.includes(` index: ${index.name} `)) return true;
  }
  return false;
}

/** Runs fn, turning connection failures into StoreUnavailableError. */
export const guarded = guardConnectionErrors(isConnectionError);
