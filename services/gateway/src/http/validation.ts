import { Ajv, type ErrorObject } from "ajv";
import type { FastifyInstance, FastifySchemaValidationError } from "fastify";

const shared = { removeAdditional: false, useDefaults: true, allErrors: false } as const;
// Bodies are never coerced: "100" must not become the amount 100.
const bodyAjv = new Ajv({ ...shared, coerceTypes: false });
// Query strings, params and headers are text on the wire, so they are coerced.
const textAjv = new Ajv({ ...shared, coerceTypes: "array" });

/** Compiles body schemas strictly and query/params/header schemas with type coercion. */
export function registerValidation(app: FastifyInstance): void {
  app.setValidatorCompiler(({ schema, httpPart }) =>
    httpPart === "body" ? bodyAjv.compile(schema) : textAjv.compile(schema),
  );
}

/**
 * One sentence naming the offending field, e.g. "amount must be integer",
 * "walletId is required", "Idempotency-Key header is required".
 */
export function describeValidationError(
  errors: FastifySchemaValidationError[],
  context: string | undefined,
): string {
  const err = errors[0] as ErrorObject | undefined;
  if (!err) return "Request is invalid";
  const path = err.instancePath.split("/").filter(Boolean).join(".");
  const field = (name: string) => (path ? `${path}.${name}` : name);
  if (err.keyword === "required") {
    const missing = field(String(err.params.missingProperty));
    return context === "headers" ? `${headerName(missing)} header is required` : `${missing} is required`;
  }
  if (err.keyword === "additionalProperties") {
    return `${field(String(err.params.additionalProperty))} is not allowed`;
  }
  if (err.keyword === "propertyNames") return `${path || context} has an invalid key`;
  const subject = context === "headers" ? `${headerName(path)} header` : path || context || "body";
  return `${subject} ${err.message ?? "is invalid"}`;
}

function headerName(lower: string): string {
  return lower.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}
