import type { Metadata } from "@grpc/grpc-js";
import {
  bearerToken,
  InvalidTokenError,
  KeySetUnavailableError,
  mayActFor,
  mayCredit,
  type Principal,
  type TokenVerifier,
} from "@wallet/auth";
import {
  PermissionDeniedError,
  StoreUnavailableError,
  UnauthenticatedError,
  type WalletError,
  WalletNotFoundError,
} from "../domain/errors.js";

/** How RPCs check their caller: the shared token verifier and CREDIT_SCOPE. */
export interface RpcAuth {
  verifier: TokenVerifier;
  creditScope: string;
}

/** What an RPC needs beyond acting for its owner. */
export type Access = "owner" | "credit";

/**
 * Checks the caller of a WalletService call and returns the request with its
 * owner settled:
 * - `authorization: Bearer <JWT>` metadata is required and verified like the
 *   gateway does (UNAUTHENTICATED otherwise; UNAVAILABLE while no JWKS key set
 *   could be loaded);
 * - an empty `owner_id` means the token's own subject;
 * - a user token acts only for its `sub`: naming another owner is NOT_FOUND,
 *   the answer a missing wallet (hold, transaction) gets, so nothing about other
 *   owners leaks (`notFound` makes that error);
 *   `wallet:admin` acts for any owner;
 * - Credit needs CREDIT_SCOPE or `wallet:admin` (PERMISSION_DENIED).
 */
export async function authorize<Req extends { ownerId: string }>(
  auth: RpcAuth,
  metadata: Metadata,
  request: Req,
  access: Access,
  notFound: () => WalletError = () => new WalletNotFoundError(),
): Promise<{ request: Req; principal: Principal }> {
  const header = metadata.get("authorization")[0];
  const token = bearerToken(typeof header === "string" ? header : undefined);
  if (token === undefined) throw new UnauthenticatedError("Missing bearer token (authorization metadata)");
  if (token === "") throw new UnauthenticatedError("Authorization metadata must be 'Bearer <token>'");
  let principal: Principal;
  try {
    principal = await auth.verifier.verify(token);
  } catch (err) {
    if (err instanceof KeySetUnavailableError) {
      throw new StoreUnavailableError("Token keys are not available yet", { cause: err });
    }
    if (err instanceof InvalidTokenError)
      throw new UnauthenticatedError(`Invalid bearer token: ${err.message}`);
    throw err;
  }
  const ownerId = request.ownerId === "" ? principal.sub : request.ownerId;
  if (!mayActFor(principal, ownerId)) throw notFound();
  if (access === "credit" && !mayCredit(principal, auth.creditScope)) {
    throw new PermissionDeniedError(`Crediting needs the ${auth.creditScope} scope`);
  }
  return { request: ownerId === request.ownerId ? request : { ...request, ownerId }, principal };
}
