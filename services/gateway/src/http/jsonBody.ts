import type { FastifyInstance } from "fastify";
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
 */
export function parseJsonBody(raw: string): unknown {
  const text = MAYBE_NON_INTEGER.test(raw)
    ? raw.replace(TOKEN, (token) =>
        token.startsWith('"') || /^-?\d+$/.test(token) ? token : `{"nonIntegerNumber":"${token}"}`,
      )
    : raw;
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, "VALIDATION_FAILED", "Body is not valid JSON");
  }
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
