import type { ServiceDefinition } from "@grpc/grpc-js";

const MALFORMED = Symbol("malformed request");

/**
 * The service with each method's request decoder made total: bytes that are not
 * a valid message (truncated, wrong wire types, invalid UTF-8 in a string field)
 * decode to a marker instead of throwing, which grpc-js would report as INTERNAL.
 * handleUnary answers the marker with INVALID_ARGUMENT.
 */
export function tolerateMalformedRequests<S extends ServiceDefinition>(service: S): S {
  const out: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(service)) {
    out[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return method.requestDeserialize(bytes);
        } catch {
          return { [MALFORMED]: true };
        }
      },
    };
  }
  return out as S;
}

export function isMalformed(request: unknown): boolean {
  return typeof request === "object" && request !== null && MALFORMED in request;
}
