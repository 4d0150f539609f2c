import { Metadata, type ServiceError, status } from "@grpc/grpc-js";
import {
  type ErrorCode,
  ErrorInfo,
  encodeErrorDetails,
  RpcStatus,
  STATUS_DETAILS_KEY,
} from "@wallet/contracts";
import { describe, expect, it } from "vitest";
import { toApiError } from "./upstreamError.js";

// `errorCode` is a string so that a reason from a newer wallet (unknown here) can be sent too.
function grpcError(code: status, details: string, errorCode?: string): ServiceError {
  const metadata = new Metadata();
  if (errorCode) metadata.set(STATUS_DETAILS_KEY, encodeErrorDetails(code, details, errorCode as ErrorCode));
  return Object.assign(new Error(details), { code, details, metadata });
}

describe("upstreamError - gRPC to HTTP", () => {
  it.each([
    [status.INVALID_ARGUMENT, "VALIDATION_FAILED", 400],
    [status.NOT_FOUND, "WALLET_NOT_FOUND", 404],
    [status.ALREADY_EXISTS, "WALLET_EXISTS", 409],
    [status.FAILED_PRECONDITION, "INSUFFICIENT_FUNDS", 409],
    [status.FAILED_PRECONDITION, "CURRENCY_MISMATCH", 409],
    [status.ABORTED, "CONCURRENT_UPDATE", 409],
    [status.FAILED_PRECONDITION, "IDEMPOTENCY_KEY_REUSED", 422],
    [status.PERMISSION_DENIED, "FORBIDDEN", 403],
    [status.NOT_FOUND, "HOLD_NOT_FOUND", 404],
    [status.ABORTED, "HOLD_NOT_PENDING", 409],
    [status.FAILED_PRECONDITION, "AMOUNT_EXCEEDS_REMAINING", 409],
    [status.FAILED_PRECONDITION, "NOT_REVERSIBLE", 409],
    [status.UNAVAILABLE, "UNAVAILABLE", 503],
    [status.DEADLINE_EXCEEDED, "TIMEOUT", 504],
  ])("status %i with %s -> %i", (code, errorCode, http) => {
    const err = toApiError(grpcError(code, "wallet says", errorCode));
    expect(err.statusCode).toBe(http);
    expect(err.code).toBe(errorCode);
  });

  it("UNAVAILABLE (store down, busy, retries exhausted) says when to retry; nothing else does", () => {
    expect(toApiError(grpcError(status.UNAVAILABLE, "Store busy", "UNAVAILABLE")).headers).toEqual({
      "retry-after": "1",
    });
    expect(toApiError(grpcError(status.ABORTED, "x", "CONCURRENT_UPDATE")).headers).toEqual({});
  });

  it("ignores an ErrorInfo of another domain and undecodable details", () => {
    const metadata = new Metadata();
    const info = ErrorInfo.encode({
      reason: "INSUFFICIENT_FUNDS",
      domain: "other.v1",
      metadata: {},
    }).finish();
    const other = RpcStatus.encode({
      code: status.FAILED_PRECONDITION,
      message: "x",
      details: [{ typeUrl: "type.googleapis.com/google.rpc.ErrorInfo", value: Buffer.from(info) }],
    }).finish();
    metadata.set(STATUS_DETAILS_KEY, Buffer.from(other));
    const foreign = Object.assign(new Error("x"), {
      code: status.FAILED_PRECONDITION,
      details: "x",
      metadata,
    });
    expect(toApiError(foreign).code).toBe("INTERNAL");
    const garbage = new Metadata();
    garbage.set(STATUS_DETAILS_KEY, Buffer.from([0xff, 0xff, 0xff]));
    const broken = Object.assign(new Error("x"), { code: status.ABORTED, details: "x", metadata: garbage });
    expect(toApiError(broken).code).toBe("CONCURRENT_UPDATE");
  });

  it("falls back to the status when the trailer is missing", () => {
    expect(toApiError(grpcError(status.UNAVAILABLE, "connect ECONNREFUSED")).code).toBe("UNAVAILABLE");
    expect(toApiError(grpcError(status.DEADLINE_EXCEEDED, "Deadline exceeded")).statusCode).toBe(504);
    expect(toApiError(grpcError(status.ABORTED, "x")).code).toBe("CONCURRENT_UPDATE");
  });

  it("keeps business messages and hides server-side details", () => {
    expect(
      toApiError(grpcError(status.FAILED_PRECONDITION, "Insufficient funds", "INSUFFICIENT_FUNDS")).message,
    ).toBe("Insufficient funds");
    const internal = toApiError(grpcError(status.INTERNAL, "pg: relation wallets does not exist"));
    expect(internal.statusCode).toBe(500);
    expect(internal.code).toBe("INTERNAL");
    expect(internal.message).toBe("Internal server error");
    const unknown = toApiError(grpcError(status.UNKNOWN, "TypeError: x is undefined", "SOMETHING_NEW"));
    expect(unknown.code).toBe("INTERNAL");
    expect(unknown.message).not.toContain("TypeError");
  });
});
