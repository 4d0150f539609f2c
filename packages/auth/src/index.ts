export {
  ADMIN_SCOPE,
  type AuthConfig,
  authConfigShape,
  checkAuthConfig,
  DEV_JWT_SECRET,
  type JwtAlgorithm,
  jwtDevDefault,
  SUPPORTED_JWT_ALGORITHMS,
  usesDevJwtSecret,
} from "./config.js";
export { InvalidTokenError, KeySetUnavailableError } from "./errors.js";
export { createLastGoodJwks, type LastGoodJwks } from "./jwks.js";
export { mintToken } from "./mintToken.js";
export { bearerToken, isAdmin, mayActFor, mayCredit, type Principal, scopesOf } from "./principal.js";
export { createTokenVerifier, type TokenVerifier, type VerifierOptions } from "./verifier.js";
