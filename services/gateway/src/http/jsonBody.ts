import type { FastifyInstance } from "fastify";
import secureJson from "secure-json-parse";
import { ApiError } from "./apiError.js";

// Matches a JSON string (skipped) or a JSON number literal.
const TOKEN = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;
// A number literal with a fraction or exponent always has a digit followed by one of these.
const MAYBE_NON_INTEGER = /\d[.eE]/;

/**
 * Parses a JSON request body so that only plain integer literals arrive as numbers.
 * `JSON.parse` turns `1e3` into 1000 and `100.0` into 100, which would let such
 * amounts pass schema validation; each literal with a fraction or an exponent is
 * replaced by an object first, so the schema rejects it with the field's name.
 * Like Fastify's own parser, keys that could poison prototypes (`__proto__`,
 * `constructor.prototype`, escaped or not) are refused, with secure-json-parse.
 */
export function parseJsonBody(raw: string): unknown {
  const text = MAYBE_NON_INTEGER.test(raw)
    ? raw.replace(TOKEN, (token) =>
        token.startsWith('"') || /^-?\d+$/.test(token) ? token : `{"nonIntegerNumber":"${token}"}`,
      )
    : raw;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError(400, "VALIDATION_FAILED", "Body is not valid JSON");
  }
  if (value !== null && typeof value === "object") {
    try {
      secureJson.scan(value, { protoAction: "error", constructorAction: "error" });
    } catch {
      throw new ApiError(
        400,
        "VALIDATION_FAILED",
        "Body contains a forbidden key (__proto__ or constructor.prototype)",
      );
    }
  }
  return value;
}

/**
 * Accepts `application/json` bodies only (anything else is 415), parsed by
 * parseJsonBody; the size limit (413) is Fastify's bodyLimit.
 */
export function registerJsonBody(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}
