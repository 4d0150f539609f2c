import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv, type ErrorObject } from "ajv";
import { parse } from "yaml";
import { type Finding, finding } from "./findings.js";
import type { ServiceConfig } from "./serviceConfig.js";

export type Values = Record<string, unknown>;

const isMap = (v: unknown): v is Values => typeof v === "object" && v !== null && !Array.isArray(v);

/** Reads a values file; a file that is not a YAML mapping is a finding naming it. */
export function readValues(path: string, where: string): { values?: Values; findings: Finding[] } {
  let parsed: unknown;
  try {
    parsed = parse(readFileSync(path, "utf8"));
  } catch (error) {
    return { findings: [finding(where, `YAML: ${(error as Error).message.split("\n")[0]}`)] };
  }
  if (parsed === null || parsed === undefined) return { values: {}, findings: [] };
  if (!isMap(parsed)) return { findings: [finding(where, "values must be a YAML mapping")] };
  return { values: parsed, findings: [] };
}

/** Helm's merge of -f files: later files win, maps merge key by key. */
export function mergeValues(a: Values, b: Values): Values {
  const out: Values = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const current = out[key];
    out[key] = isMap(value) && isMap(current) ? mergeValues(current, value) : value;
  }
  return out;
}

/** Helm's coalescing of the user's values over the chart's defaults: a null removes a default key. */
export function coalesceValues(user: Values, defaults: Values): Values {
  const out: Values = {};
  for (const [key, value] of Object.entries(defaults)) {
    if (!(key in user)) out[key] = value;
  }
  for (const [key, value] of Object.entries(user)) {
    if (value === null) continue;
    const base = defaults[key];
    out[key] = isMap(value) && isMap(base) ? coalesceValues(value, base) : value;
  }
  return stripNulls(out) as Values;
}

function stripNulls(value: unknown): unknown {
  if (!isMap(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, stripNulls(v)]),
  );
}

/** A compiled values.schema.json. */
export type ValuesValidator = (values: Values) => string[];

/** Compiles the chart's values.schema.json (JSON Schema draft-07, as Helm 3 reads it). */
export function valuesValidator(chartDir: string): { validate?: ValuesValidator; findings: Finding[] } {
  const where = join(chartDir, "values.schema.json");
  if (!existsSync(where)) return { findings: [finding(where, "missing: bad values would be installed")] };
  let schema: object;
  try {
    schema = JSON.parse(readFileSync(where, "utf8"));
  } catch (error) {
    return { findings: [finding(where, `JSON: ${(error as Error).message}`)] };
  }
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false });
  try {
    const check = ajv.compile(schema);
    return {
      validate: (values) => (check(values) ? [] : describeErrors(check.errors ?? [])),
      findings: [],
    };
  } catch (error) {
    return { findings: [finding(where, `is not a valid JSON schema: ${(error as Error).message}`)] };
  }
}

/** One line per problem; a refused property name is told with the names that are allowed. */
function describeErrors(errors: ErrorObject[]): string[] {
  const nested = (e: ErrorObject) => /\/propertyNames\/./.test(e.schemaPath);
  return errors
    .filter((e) => !nested(e))
    .map((error) => {
      if (error.keyword !== "propertyNames") return describeError(error);
      const name = String((error.params as { propertyName?: string }).propertyName);
      const allowed = errors.find(
        (e) => nested(e) && e.instancePath === error.instancePath && e.keyword === "enum",
      )?.params as { allowedValues?: unknown[] } | undefined;
      const list = allowed?.allowedValues ? `; allowed: ${allowed.allowedValues.join(", ")}` : "";
      return `${error.instancePath || "/"} has ${name}, which is not allowed${list}`;
    });
}

function describeError(error: ErrorObject): string {
  const path = error.instancePath || "/";
  const params = error.params as Record<string, unknown>;
  const detail =
    params.additionalProperty !== undefined
      ? ` (${String(params.additionalProperty)})`
      : params.allowedValues !== undefined
        ? ` (${(params.allowedValues as unknown[]).join(", ")})`
        : error.keyword === "propertyNames" && params.propertyName !== undefined
          ? ` (${String(params.propertyName)})`
          : "";
  return `${path} ${error.message}${detail}`;
}

/** The chart's values.yaml, with the findings of reading it. */
export function chartDefaults(root: string, chart: string): { values?: Values; findings: Finding[] } {
  return readValues(join(root, chart, "values.yaml"), `${chart}/values.yaml`);
}

/**
 * Validates values files the way `helm install -f FILE` does: the file merged over values.yaml,
 * then checked against values.schema.json. Findings name the file.
 */
export function valuesFileFindings(
  root: string,
  defaults: Values,
  validate: ValuesValidator,
  files: string[],
  where: string,
): Finding[] {
  let user: Values = {};
  for (const file of files) {
    const read = readValues(join(root, file), file);
    if (!read.values) return read.findings;
    user = mergeValues(user, read.values);
  }
  return validate(coalesceValues(user, defaults)).map((problem) =>
    finding(where, `refused by values.schema.json: ${problem}`),
  );
}

/** Values files kept to prove the schema: every good one must pass and every bad one must be refused. */
export const VALUES_FIXTURES = "test/deploy/fixtures/helm-values";

export function fixtureFindings(root: string, defaults: Values, validate: ValuesValidator): Finding[] {
  const findings: Finding[] = [];
  for (const kind of ["good", "bad"] as const) {
    const directory = join(root, VALUES_FIXTURES, kind);
    const files = existsSync(directory) ? readdirSync(directory).filter((f) => f.endsWith(".yaml")) : [];
    if (files.length === 0) findings.push(finding(`${VALUES_FIXTURES}/${kind}`, "has no values files"));
    for (const file of files.sort()) {
      const where = `${VALUES_FIXTURES}/${kind}/${file}`;
      const problems = valuesFileFindings(root, defaults, validate, [where], where);
      if (kind === "good") findings.push(...problems);
      else if (problems.length === 0)
        findings.push(finding(where, "is accepted by values.schema.json, but it holds a bad value"));
    }
  }
  return findings;
}

/** Variables the chart sets itself from other values, by service: never in `<service>.config`. */
export const CHART_SET_VARIABLES: Record<string, readonly string[]> = {
  wallet: [
    "WALLET_GRPC_PORT",
    "WALLET_ADMIN_PORT",
    "NATS_STREAM_REPLICAS",
    "WALLET_TLS_CERT_FILE",
    "WALLET_TLS_KEY_FILE",
    "WALLET_TLS_CLIENT_CA_FILE",
  ],
  gateway: ["GATEWAY_PORT", "WALLET_GRPC_CA_FILE", "WALLET_GRPC_CERT_FILE", "WALLET_GRPC_KEY_FILE"],
  notifier: ["NOTIFIER_ADMIN_PORT", "NATS_STREAM_REPLICAS"],
};

/** Variables that can hold credentials: they come from the Secret, never from a ConfigMap. */
export const CREDENTIAL_VARIABLES: readonly string[] = [
  "WALLET_DB_URL",
  "NATS_URL",
  "NATS_USER",
  "NATS_PASSWORD",
  "NATS_TOKEN",
  "REDIS_URL",
  "JWT_SECRET",
  "JWT_PUBLIC_KEY",
  "NOTIFIER_SMTP_URL",
  "NOTIFIER_WEBHOOK_URL",
  "NOTIFIER_WEBHOOK_SECRET",
];

/**
 * The variables values.schema.json lets `<service>.config` set must be exactly what the service
 * reads, less what the chart sets and the credentials: a variable added to a service's
 * configShape is then settable through the chart, and a typo in a values file is refused.
 */
export function schemaConfigFindings(chartDir: string, configs: ServiceConfig[]): Finding[] {
  const where = join(chartDir, "values.schema.json");
  const schema = JSON.parse(readFileSync(where, "utf8")) as {
    properties?: Record<string, { properties?: { config?: { propertyNames?: { enum?: string[] } } } }>;
  };
  const findings: Finding[] = [];
  for (const config of configs) {
    const service = config.facts.name;
    const listed = schema.properties?.[service]?.properties?.config?.propertyNames?.enum;
    if (!listed) {
      findings.push(finding(where, `${service}.config lists no variables (propertyNames.enum)`));
      continue;
    }
    const expected = Object.keys(config.shape).filter(
      (name) => !CHART_SET_VARIABLES[service]?.includes(name) && !CREDENTIAL_VARIABLES.includes(name),
    );
    for (const name of expected.filter((n) => !listed.includes(n)))
      findings.push(finding(where, `${service}.config does not allow ${name}, which the ${service} reads`));
    for (const name of listed.filter((n) => !expected.includes(n)))
      findings.push(
        finding(
          where,
          `${service}.config allows ${name}, which the ${service} does not read or the chart sets elsewhere`,
        ),
      );
  }
  return findings;
}
