import { ConfigError, type ConfigOf, type DevDefault, env } from "@wallet/runtime";
import { z } from "zod";

/** Algorithms the verifier accepts in JWT_ALGORITHMS; `none` is deliberately absent. */
export const SUPPORTED_JWT_ALGORITHMS = [
  "HS256",
  "HS384",
  "HS512",
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
] as const;
export type JwtAlgorithm = (typeof SUPPORTED_JWT_ALGORITHMS)[number];

/**
 * Public, in the repository: used only with DEV_MODE=true when no key is configured,
 * and never when JWT_PUBLIC_KEY or JWT_JWKS_URL is set.
 */
export const DEV_JWT_SECRET = "dev-only-jwt-secret-do-not-use-in-production";

/** The operator scope: acts for any owner and may credit. */
export const ADMIN_SCOPE = "wallet:admin";

const MIN_SECRET_LENGTH = 32;

const jwtAlgorithms = z
  .string()
  .default("HS256")
  .transform((v) => v.split(",").map((a) => a.trim()))
  .pipe(
    z
      .array(
        z.enum(SUPPORTED_JWT_ALGORITHMS, {
          error: `must be a comma-separated list of ${SUPPORTED_JWT_ALGORITHMS.join(", ")} (never none)`,
        }),
      )
      .min(1),
  );

/**
 * The token settings shared by the gateway and the wallet (the same values in
 * both); keys are the environment variable names.
 */
export const authConfigShape = {
  JWT_SECRET: z
    .string()
    .min(MIN_SECRET_LENGTH, `must be at least ${MIN_SECRET_LENGTH} characters`)
    .optional()
    .describe(
      "HMAC secret, at least 32 characters, the same in gateway and wallet; unset: the public development secret, only with `DEV_MODE=true` and no other key",
    ),
  JWT_ALGORITHMS: jwtAlgorithms.describe(
    "accepted algorithms, comma separated: HS256/384/512, RS256/384/512, PS256/384/512, ES256/384/512, EdDSA; `none` is refused. An asymmetric one needs `JWT_PUBLIC_KEY` or `JWT_JWKS_URL`",
  ),
  JWT_PUBLIC_KEY: env
    .optionalString()
    .describe("PEM (SPKI) public key for the asymmetric algorithms; needs `JWT_ISSUER` and `JWT_AUDIENCE`"),
  JWT_JWKS_URL: env
    .optionalString()
    .describe(
      "http(s) JWKS URL for the asymmetric algorithms (keys picked by `kid`); needs `JWT_ISSUER` and `JWT_AUDIENCE`",
    ),
  JWT_JWKS_REFRESH_MS: env
    .int(600_000, 100, 86_400_000)
    .describe(
      "age after which the JWKS is refetched in the background; the last good key set serves while that fails",
    ),
  JWT_ISSUER: env.optionalString().describe("required `iss` when set; required with a public key or JWKS"),
  JWT_AUDIENCE: env.optionalString().describe("required `aud` when set; required with a public key or JWKS"),
  CREDIT_SCOPE: z
    .string()
    .regex(/^[\x21-\x7e]{1,128}$/, "must be one scope name (printable, no spaces)")
    .default("wallet:credit")
    .describe("scope a token needs to credit (`wallet:admin` implies it and acts for any owner)"),
};

export type AuthConfig = ConfigOf<typeof authConfigShape> & { DEV_MODE: boolean };

const isHmac = (alg: string) => alg.startsWith("HS");

/**
 * Cross-field rules, so a service never starts with a weaker check than it seems
 * to have: keys for every allowed algorithm, issuer and audience with asymmetric
 * keys (an IdP serves many apps and tenants), and the public development secret
 * only when DEV_MODE=true and nothing else is configured.
 */
export function checkAuthConfig(config: AuthConfig): void {
  const fail = (message: string) => {
    throw new ConfigError(`invalid configuration: ${message}`);
  };
  const asymmetric = config.JWT_ALGORITHMS.filter((a) => !isHmac(a));
  const hmac = config.JWT_ALGORITHMS.filter(isHmac);
  const asymmetricKeys = Boolean(config.JWT_PUBLIC_KEY || config.JWT_JWKS_URL);
  if (asymmetric.length > 0 && !asymmetricKeys) {
    fail(`JWT_PUBLIC_KEY or JWT_JWKS_URL is required for JWT_ALGORITHMS ${asymmetric.join(",")}`);
  }
  if (config.JWT_JWKS_URL && !/^https?:\/\//.test(config.JWT_JWKS_URL)) {
    fail("JWT_JWKS_URL: must be an http(s) URL");
  }
  if (asymmetricKeys && (!config.JWT_ISSUER || !config.JWT_AUDIENCE)) {
    fail("JWT_ISSUER and JWT_AUDIENCE are required with JWT_PUBLIC_KEY or JWT_JWKS_URL");
  }
  if (hmac.length > 0 && config.JWT_SECRET === undefined) {
    if (asymmetricKeys) {
      fail(
        `JWT_SECRET is required for JWT_ALGORITHMS ${hmac.join(",")} (or remove them): ` +
          "the development secret is never used next to JWT_PUBLIC_KEY or JWT_JWKS_URL",
      );
    }
    if (!config.DEV_MODE) {
      fail(
        "JWT_SECRET (or JWT_PUBLIC_KEY / JWT_JWKS_URL with JWT_ALGORITHMS) is required unless DEV_MODE=true",
      );
    }
  }
}

/** The public development secret in place of a JWT key (checkAuthConfig refuses it outside DEV_MODE). */
export const jwtDevDefault: DevDefault<AuthConfig> = {
  fallback: "JWT_SECRET",
  provided: (c) => !usesDevJwtSecret(c),
};

/** True when HMAC tokens are verified with the public development secret (DEV_MODE only). */
export function usesDevJwtSecret(config: AuthConfig): boolean {
  return (
    config.JWT_SECRET === undefined &&
    !config.JWT_PUBLIC_KEY &&
    !config.JWT_JWKS_URL &&
    config.JWT_ALGORITHMS.some(isHmac)
  );
}
