import type { FastifyInstance } from "fastify";
import {
  amount,
  apiErrors,
  dataEnvelope,
  holdResource,
  MAX_AMOUNT,
  metadata,
  movementErrors,
  movementHeaders,
  resourceId,
  transactionResource,
  walletId,
} from "../http/schemas.js";
import { fingerprints } from "../idempotency/fingerprint.js";
import { principalOf } from "../plugins/authentication.js";
import { REPLAYED_HEADER } from "../plugins/idempotency.js";
import {
  required,
  holdResource as toHoldResource,
  transactionResource as toTransactionResource,
} from "../upstream/resources.js";
import { absentBodyIsEmpty, type RouteDeps, writeAndInvalidateFound } from "./routeDeps.js";

/*
 * Holds reserve part of a wallet's available funds (availableBalance drops, balance does not)
 * until they are captured (as a debit or a transfer), voided or expire. Holds are not cached:
 * every read goes to the wallet. Captures change transaction history, so they make the history
 * cache of every wallet they touch stale.
 */

interface PlaceHoldBody {
  walletId: string;
  amount: number;
  expiresInSeconds?: number;
  metadata?: Record<string, string>;
}

interface CaptureBody {
  amount?: number;
  destinationWalletId?: string;
  metadata?: Record<string, string>;
}

interface HoldParams {
  holdId: string;
}

const holdParams = {
  type: "object",
  required: ["holdId"],
  properties: { holdId: { ...resourceId, description: "Hold id." } },
} as const;

const holdData = dataEnvelope(holdResource);

const captureResult = dataEnvelope({
  type: "object",
  required: ["hold", "transaction"],
  properties: {
    hold: holdResource,
    transaction: {
      ...transactionResource,
      description: "The capture's debit, or the transfer_out leg of its transfer.",
    },
  },
});

/** POST /api/holds: reserves an amount of one of the caller's wallets; 409 INSUFFICIENT_FUNDS beyond what is available. */
export function placeHold(app: FastifyInstance, { wallet }: RouteDeps): void {
  app.post<{ Body: PlaceHoldBody; Headers: { "idempotency-key": string } }>(
    "/api/holds",
    {
      config: { idempotent: fingerprints.placeHold },
      schema: {
        tags: ["holds"],
        summary: "Place a hold on a wallet",
        description:
          "Reserves `amount` of the wallet's available funds: availableBalance drops by it, balance does not. " +
          "The hold ends when captured, voided or at expiresAt (then its amount is released).",
        headers: movementHeaders,
        body: {
          type: "object",
          required: ["walletId", "amount"],
          additionalProperties: false,
          properties: {
            walletId,
            amount,
            expiresInSeconds: {
              type: "integer",
              minimum: 1,
              maximum: MAX_AMOUNT,
              description:
                "Seconds until the hold expires; absent takes the wallet's default (7 days unless configured). " +
                "Above the wallet's maximum (30 days unless configured) is 400 VALIDATION_FAILED.",
            },
            metadata,
          },
          examples: [
            { walletId: "0f8e6c52-3b7d-4d6a-8c1e-7a2b9d4e5f60", amount: 3000, metadata: { order: "A-1001" } },
          ],
        },
        response: { 201: holdData, ...movementErrors },
      },
    },
    async (request, reply) => {
      const { walletId, amount, expiresInSeconds = 0, metadata = {} } = request.body;
      const res = await wallet.placeHold(
        {
          ownerId: principalOf(request).sub,
          walletId,
          amount: BigInt(amount),
          expiresInSeconds: BigInt(expiresInSeconds),
          idempotencyKey: request.headers["idempotency-key"],
          metadata,
        },
        request,
      );
      if (res.replayed) reply.header(REPLAYED_HEADER, "true");
      return reply.code(201).send({ data: toHoldResource(required(res.hold, "hold")) });
    },
  );
}

/**
 * POST /api/holds/:holdId/capture: moves all or part of a pending hold as a debit, or as a
 * transfer into `destinationWalletId`; the rest is released. 409 HOLD_NOT_PENDING once ended,
 * 409 AMOUNT_EXCEEDS_REMAINING above the hold's amount.
 */
export function captureHold(app: FastifyInstance, { wallet, history }: RouteDeps): void {
  app.post<{ Params: HoldParams; Body: CaptureBody; Headers: { "idempotency-key": string } }>(
    "/api/holds/:holdId/capture",
    {
      config: { idempotent: fingerprints.captureHold },
      preValidation: absentBodyIsEmpty,
      schema: {
        tags: ["holds"],
        summary: "Capture a hold",
        description:
          "Captures `amount` (absent: the whole hold) as a debit of the hold's wallet, or, with " +
          "destinationWalletId, as a transfer into that wallet (any owner, same currency). The rest of " +
          "the hold is released. The body may be absent.",
        headers: movementHeaders,
        params: holdParams,
        body: {
          type: "object",
          additionalProperties: false,
          properties: {
            amount: { ...amount, description: `${amount.description} Absent: the whole hold.` },
            destinationWalletId: { ...walletId, description: "Capture as a transfer into this wallet." },
            metadata,
          },
          examples: [{ amount: 2500, metadata: { order: "A-1001" } }],
        },
        response: { 200: captureResult, ...movementErrors },
      },
    },
    async (request, reply) => {
      const { amount = 0, destinationWalletId = "", metadata = {} } = request.body;
      const { holdId } = request.params;
      const res = await writeAndInvalidateFound(
        history,
        () =>
          wallet.captureHold(
            {
              ownerId: principalOf(request).sub,
              holdId,
              amount: BigInt(amount),
              destinationWalletId,
              idempotencyKey: request.headers["idempotency-key"],
              metadata,
            },
            request,
          ),
        (r) => {
          const t = required(r.transaction, "transaction");
          return { walletIds: walletsOf(t), writtenIds: [t.id, t.transferId] };
        },
        async () => {
          const hold = (await wallet.getHold({ ownerId: principalOf(request).sub, holdId }, request)).hold;
          return [hold?.walletId ?? "", destinationWalletId];
        },
      );
      if (res.replayed) reply.header(REPLAYED_HEADER, "true");
      return {
        data: {
          hold: toHoldResource(required(res.hold, "hold")),
          transaction: toTransactionResource(required(res.transaction, "transaction")),
        },
      };
    },
  );
}

/** POST /api/holds/:holdId/void: releases a pending hold; 409 HOLD_NOT_PENDING once ended. */
export function voidHold(app: FastifyInstance, { wallet }: RouteDeps): void {
  app.post<{
    Params: HoldParams;
    Body: Record<string, never>;
    Headers: { "idempotency-key": string };
  }>(
    "/api/holds/:holdId/void",
    {
      config: { idempotent: fingerprints.voidHold },
      preValidation: absentBodyIsEmpty,
      schema: {
        tags: ["holds"],
        summary: "Void a hold",
        description: "Releases the whole hold. No body, or `{}`.",
        headers: movementHeaders,
        params: holdParams,
        body: { type: "object", additionalProperties: false, properties: {} },
        response: {
          200: dataEnvelope({ type: "object", required: ["hold"], properties: { hold: holdResource } }),
          ...movementErrors,
        },
      },
    },
    async (request, reply) => {
      const res = await wallet.voidHold(
        {
          ownerId: principalOf(request).sub,
          holdId: request.params.holdId,
          idempotencyKey: request.headers["idempotency-key"],
        },
        request,
      );
      if (res.replayed) reply.header(REPLAYED_HEADER, "true");
      return { data: { hold: toHoldResource(required(res.hold, "hold")) } };
    },
  );
}

/** GET /api/holds/:holdId: a hold on one of the caller's wallets; 404 HOLD_NOT_FOUND otherwise. */
export function getHold(app: FastifyInstance, { wallet }: RouteDeps): void {
  app.get<{ Params: HoldParams }>(
    "/api/holds/:holdId",
    {
      schema: {
        tags: ["holds"],
        summary: "Get a hold",
        params: holdParams,
        response: { 200: holdData, ...apiErrors },
      },
    },
    async (request) => {
      const res = await wallet.getHold(
        { ownerId: principalOf(request).sub, holdId: request.params.holdId },
        request,
      );
      return { data: toHoldResource(required(res.hold, "hold")) };
    },
  );
}

interface HoldsQuery {
  walletId: string;
  limit: number;
  cursor?: string;
}

/** GET /api/holds?walletId=: a wallet's holds, newest first, one page at a time (never cached). */
export function listHolds(app: FastifyInstance, { wallet }: RouteDeps): void {
  app.get<{ Querystring: HoldsQuery }>(
    "/api/holds",
    {
      schema: {
        tags: ["holds"],
        summary: "List a wallet's holds",
        description: "Every status, newest first. Pages work as in GET /api/transactions.",
        querystring: {
          type: "object",
          required: ["walletId"],
          properties: {
            walletId,
            limit: { type: "integer", minimum: 1, maximum: 100, default: 20 },
            cursor: { type: "string", minLength: 1, maxLength: 512, description: "Opaque; from nextCursor." },
          },
        },
        response: {
          200: dataEnvelope({
            type: "object",
            required: ["items", "nextCursor"],
            properties: {
              items: { type: "array", items: holdResource },
              nextCursor: {
                type: ["string", "null"],
                description: "Pass as `cursor` for the next page; null on the last page.",
              },
            },
          }),
          ...apiErrors,
        },
      },
    },
    async (request) => {
      const { walletId, limit, cursor = "" } = request.query;
      const res = await wallet.listHolds(
        { ownerId: principalOf(request).sub, walletId, limit, cursor },
        request,
      );
      return { data: { items: res.holds.map(toHoldResource), nextCursor: res.nextCursor || null } };
    },
  );
}

/** The wallets a transaction changed: its own, and the other side of a transfer. */
export function walletsOf(t: { walletId: string; counterpartyWalletId: string }): string[] {
  return t.counterpartyWalletId ? [t.walletId, t.counterpartyWalletId] : [t.walletId];
}
