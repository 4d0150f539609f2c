/** A token that was rejected; `message` is a short reason safe to show (WWW-Authenticate), never the cause's details. */
export class InvalidTokenError extends Error {
  override name = "InvalidTokenError";
}

/** No JWKS key set could be loaded yet: tokens cannot be checked at all (503 / UNAVAILABLE, not 401). */
export class KeySetUnavailableError extends Error {
  override name = "KeySetUnavailableError";
  constructor(options?: ErrorOptions) {
    super("JWKS key set not loaded yet", options);
  }
}
