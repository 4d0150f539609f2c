import type { JWTPayload } from "jose";
import { ADMIN_SCOPE } from "./config.js";

/** Who is calling: the JWT subject (the wallet owner), their email when present, and the token's scopes. */
export interface Principal {
  sub: string;
  email?: string;
  scopes: readonly string[];
}

/** Scopes from the standard `scope` claim (space separated) and from an `scp` array (or string). */
export function scopesOf(payload: JWTPayload): string[] {
  const scopes = new Set<string>();
  const add = (value: unknown) => {
    if (typeof value === "string") for (const s of value.split(" ")) if (s) scopes.add(s);
  };
  add(payload.scope);
  if (Array.isArray(payload.scp)) for (const s of payload.scp) add(s);
  else add(payload.scp);
  return [...scopes];
}

/** An operator: acts for any owner and may credit. */
export function isAdmin(principal: Principal): boolean {
  return principal.scopes.includes(ADMIN_SCOPE);
}

/** May create money: `creditScope` (CREDIT_SCOPE) or the operator scope. */
export function mayCredit(principal: Principal, creditScope: string): boolean {
  return isAdmin(principal) || principal.scopes.includes(creditScope);
}

/** May act for `ownerId`: their own subject, or any owner with the operator scope. */
export function mayActFor(principal: Principal, ownerId: string): boolean {
  return principal.sub === ownerId || isAdmin(principal);
}

/**
 * The token from an `Authorization` header value: undefined when there is none,
 * "" when the header is not `Bearer <token>`.
 */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer[ ]+([^ ]+)[ ]*$/i.exec(header);
  return match ? match[1] : "";
}
