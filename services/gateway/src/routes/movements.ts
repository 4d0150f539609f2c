import type { FastifyInstance, preParsingAsyncHookHandler } from "fastify";
import {
  dataEnvelope,
  MAX_AMOUNT,
  movementBody,
  movementErrors,
  movementHeaders,
  movementResult,
} from "../http/schemas.js";
import { fingerprints } from "../idempotency/fingerprint.js";
import { principalOf, requireCreditScope } from "../plugins/authentication.js";
import { REPLAYED_HEADER } from "../plugins/idempotency.js";
import { required, movementResult as toMovementResult } from "../upstream/resources.js";
import { type RouteDeps, writeAndInvalidate } from "./routeDeps.js";

/** Body of a credit or debit (only a debit's schema admits expectedVersion). */
interface MovementBody {
  walletId: string;
  amount: number;
  metadata?: Record<string, string>;
  expectedVersion?: number;
}

const expectedVersion = {
  type: "integer",
  minimum: 0,
  maximum: MAX_AMOUNT,
  description:
    "Compare-and-set: the debit applies only while the wallet's version equals this (else 409 CONCURRENT_UPDATE).",
} as const;

/** What sets a credit's route apart from a debit's, besides the operation. */
interface MovementRoute {
  summary: string;
  /** Body fields besides walletId, amount and metadata. */
  extra: Record<string, object>;
  /** A check before the body is read. */
  preParsing?: preParsingAsyncHookHandler;
}

/** POST /api/wallets/{operation}: moves money into or out of one of the caller's wallets. */
function movementRoute(
  app: FastifyInstance,
  { wallet, history }: RouteDeps,
  operation: "credit" | "debit",
  { summary, extra, preParsing }: MovementRoute,
): void {
  app.post<{ Body: MovementBody; Headers: { "idempotency-key": string } }>(
    `/api/wallets/${operation}`,
    {
      config: { idempotent: fingerprints[operation] },
      preParsing,
      schema: {
        tags: ["wallets"],
        summary,
        headers: movementHeaders,
        body: movementBody(extra),
        response: { 200: dataEnvelope(movementResult), ...movementErrors },
      },
    },
    async (request, reply) => {
      const { walletId, amount, metadata = {}, expectedVersion } = request.body;
      const res = await writeAndInvalidate(
        request,
        history,
        [walletId],
        () =>
          wallet[operation](
            {
              ownerId: principalOf(request).sub,
              walletId,
              amount: BigInt(amount),
              idempotencyKey: request.headers["idempotency-key"],
              metadata,
              expectedVersion: expectedVersion === undefined ? undefined : BigInt(expectedVersion),
            },
            request,
          ),
        (r) => [r.transaction?.id ?? ""],
      );
      if (res.replayed) reply.header(REPLAYED_HEADER, "true");
      return { data: toMovementResult(required(res.transaction, "transaction")) };
    },
  );
}

/**
 * POST /api/wallets/credit: adds money to one of the caller's wallets. Creating
 * money needs CREDIT_SCOPE (or wallet:admin): 403 FORBIDDEN otherwise, checked
 * here early and again by the wallet.
 */
export function credit(app: FastifyInstance, deps: RouteDeps): void {
  movementRoute(app, deps, "credit", {
    summary: "Credit a wallet",
    extra: {},
    preParsing: requireCreditScope(deps.creditScope),
  });
}

/** POST /api/wallets/debit: takes money from one of the caller's wallets; 409 INSUFFICIENT_FUNDS or CONCURRENT_UPDATE. */
export function debit(app: FastifyInstance, deps: RouteDeps): void {
  movementRoute(app, deps, "debit", { summary: "Debit a wallet", extra: { expectedVersion } });
}
