import { randomUUID } from "node:crypto";
import { Metadata, type ServiceError, status } from "@grpc/grpc-js";
import type { Transaction, Wallet, WalletServiceClient } from "@wallet/contracts";
import fc from "fast-check";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  call,
  OPERATOR_SUB,
  type RunningWallet,
  startTestWallet,
} from "../../services/wallet/test/harness.js";
import {
  type Effect,
  edgeInteger,
  expectEffect,
  fuzzSettings,
  openLedger,
  readLedger,
  text,
} from "./support.js";

/*
 * Property-based fuzzing of every WalletService method against the real wallet
 * and PostgreSQL: hostile strings (NUL, lone surrogates, over-long, unicode),
 * int64 amounts and versions on every edge, random metadata maps, and raw bytes
 * that are not a valid message at all. Properties, checked on every case
 * against the ledger read straight from PostgreSQL:
 *   - never INTERNAL, UNKNOWN, UNAVAILABLE or DEADLINE_EXCEEDED: only OK and the
 *     caller's own errors (ABORTED only for a stale expected_version);
 *   - an error changes nothing;
 *   - a success changes exactly what it says (a replay changes nothing).
 */

const CALLER_ERRORS = new Set([
  status.INVALID_ARGUMENT,
  status.NOT_FOUND,
  status.ALREADY_EXISTS,
  status.FAILED_PRECONDITION,
  status.ABORTED,
]);

const METHODS = [
  "CreateWallet",
  "GetWallet",
  "ListWallets",
  "Credit",
  "Debit",
  "Transfer",
  "ListTransactions",
  "GetTransaction",
] as const;
type Method = (typeof METHODS)[number];

/** The fields of any method's response that the properties read. */
interface AnyResponse {
  replayed?: boolean;
  transaction?: Transaction;
  debit?: Transaction;
  wallet?: Wallet;
}

function present<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the response has no ${what}`);
  return value;
}

interface GrpcCase {
  method: Method;
  /** A typed request, or raw bytes sent as the message. */
  request: Record<string, unknown> | Buffer;
}

describe("fuzz - gRPC API", () => {
  let w: RunningWallet;
  let client: WalletServiceClient;
  let db: pg.Client;
  const owners = ["fuzz-alice", "fuzz-bob"];
  const ids: string[] = [];
  const txIds: string[] = [];

  beforeAll(async () => {
    w = await startTestWallet();
    client = w.client;
    db = await openLedger(w.dbUrl);
    for (const [ownerId, currency] of [
      ["fuzz-alice", "USD"],
      ["fuzz-alice", "EUR"],
      ["fuzz-bob", "USD"],
    ]) {
      const wallet = (await call(client, client.createWallet, { ownerId, currency, ownerEmail: "" })).wallet!;
      ids.push(wallet.id);
      const credited = await call(client, client.credit, {
        ownerId,
        walletId: wallet.id,
        amount: 1_000_000_000n,
        idempotencyKey: randomUUID(),
        metadata: {},
      });
      txIds.push(credited.transaction!.id);
    }
  });
  afterAll(async () => {
    await db?.end();
    await w?.close();
  });

  const runs = Number(process.env.FUZZ_GRPC_RUNS ?? 1000);

  it("never a server error; an error changes nothing; a success changes exactly what it says", {
    timeout: 60_000 + runs * 100,
  }, async () => {
    const settings = fuzzSettings("gRPC", runs, "FUZZ_GRPC_RUNS");
    expect(settings.numRuns).toBe(runs);
    const owner = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...owners) },
      { weight: 1, arbitrary: text(300) },
    );
    const walletId = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...ids) },
      { weight: 1, arbitrary: fc.uuid() },
      { weight: 1, arbitrary: text(80) },
    );
    const amount = fc.oneof(
      { weight: 4, arbitrary: fc.bigInt({ min: 1n, max: 1000n }) },
      { weight: 1, arbitrary: edgeInteger },
    );
    const key = fc.oneof(
      { weight: 5, arbitrary: fc.uuid() },
      { weight: 2, arbitrary: fc.constantFrom("gk-1", "gk-2", "gk-3") },
      { weight: 1, arbitrary: text(300) },
    );
    const metadata = fc.oneof(
      { weight: 3, arbitrary: fc.constant({}) },
      { weight: 2, arbitrary: fc.dictionary(text(70), text(600), { maxKeys: 3 }) },
      {
        weight: 1,
        arbitrary: fc.dictionary(fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 }), {
          minKeys: 19,
          maxKeys: 22,
        }),
      },
    );
    const cursor = fc.oneof(
      fc.constant(""),
      text(80),
      fc.bigInt({ min: -5n, max: 2n ** 66n }).map((v) => Buffer.from(`v1.${v}`).toString("base64url")),
    );
    const requests: Record<Method, fc.Arbitrary<Record<string, unknown>>> = {
      CreateWallet: fc.record({
        ownerId: owner,
        currency: fc.oneof(
          fc.constantFrom("USD", "EUR", "GBP", "usd", ""),
          fc.stringMatching(/^[A-Z]{3}$/),
          text(5),
        ),
        ownerEmail: fc.oneof(fc.constant(""), fc.emailAddress(), text(400)),
      }),
      GetWallet: fc.record({ ownerId: owner, walletId }),
      ListWallets: fc.record({ ownerId: owner }),
      Credit: fc.record({ ownerId: owner, walletId, amount, idempotencyKey: key, metadata }),
      Debit: fc.record(
        {
          ownerId: owner,
          walletId,
          amount,
          idempotencyKey: key,
          metadata,
          expectedVersion: fc.oneof(fc.bigInt({ min: 0n, max: 60n }), edgeInteger),
        },
        { requiredKeys: ["ownerId", "walletId", "amount", "idempotencyKey", "metadata"] },
      ),
      Transfer: fc.record({
        ownerId: owner,
        fromWalletId: walletId,
        toWalletId: walletId,
        amount,
        idempotencyKey: key,
        metadata,
      }),
      ListTransactions: fc.record({
        ownerId: owner,
        walletId,
        limit: fc.oneof(fc.integer({ min: -2, max: 102 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
        cursor,
      }),
      GetTransaction: fc.record({
        ownerId: owner,
        transactionId: fc.oneof(fc.constantFrom(...txIds), fc.uuid(), text(80)),
      }),
    };
    const caseArb: fc.Arbitrary<GrpcCase> = fc.constantFrom(...METHODS).chain((method) =>
      fc.oneof(
        { weight: 8, arbitrary: requests[method].map((request) => ({ method, request })) },
        {
          weight: 1,
          arbitrary: fc
            .uint8Array({ maxLength: 64 })
            .map((bytes) => ({ method, request: Buffer.from(bytes) })),
        },
      ),
    );

    const invoke = (c: GrpcCase) =>
      new Promise<{ error: ServiceError | null; response: AnyResponse | undefined }>((resolve) => {
        const path = `/wallet.v1.WalletService/${c.method}`;
        const done = (error: ServiceError | null, response?: AnyResponse) => resolve({ error, response });
        const deadline = Date.now() + 20_000;
        if (Buffer.isBuffer(c.request)) {
          client.makeUnaryRequest<Buffer, Buffer>(
            path,
            (b) => b,
            (b) => b,
            c.request,
            new Metadata(),
            { deadline },
            (error) => done(error),
          );
          return;
        }
        const name = (c.method[0].toLowerCase() + c.method.slice(1)) as "credit";
        (client[name] as (...args: unknown[]) => unknown).call(
          client,
          c.request,
          new Metadata(),
          { deadline },
          done,
        );
      });

    let cases = 0;
    let successes = 0;
    let ledger = await readLedger(db);
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        cases++;
        const before = ledger;
        const { error, response } = await invoke(c);
        const shown = Buffer.isBuffer(c.request)
          ? c.request.toString("hex")
          : JSON.stringify(c.request, (_k, v) => (typeof v === "bigint" ? `${v}n` : v));
        const context = `${c.method} ${shown} -> ${error ? `${status[error.code]} ${error.details}` : "OK"}`;
        if (error) {
          expect(CALLER_ERRORS.has(error.code), context).toBe(true);
          if (error.code === status.ABORTED) {
            expect(
              c.method === "Debit" && !Buffer.isBuffer(c.request) && c.request.expectedVersion !== undefined,
              context,
            ).toBe(true);
          }
        }
        const after = await readLedger(db);
        ledger = after;
        let effect: Effect = { kind: "none" };
        if (!error && response && !Buffer.isBuffer(c.request)) {
          successes++;
          // Raw bytes come back raw; typed requests get decoded responses.
          if ((c.method === "Credit" || c.method === "Debit") && !response.replayed) {
            const t = present(response.transaction, "transaction");
            effect = {
              kind: "move",
              legs: [
                {
                  walletId: t.walletId,
                  delta: c.method === "Credit" ? t.amount : -t.amount,
                  balanceAfter: t.balanceAfter,
                },
              ],
            };
          } else if (c.method === "Transfer" && !response.replayed) {
            const t = present(response.debit, "debit");
            effect = {
              kind: "move",
              legs: [
                { walletId: t.walletId, delta: -t.amount, balanceAfter: t.balanceAfter },
                { walletId: t.counterpartyWalletId, delta: t.amount },
              ],
            };
          } else if (c.method === "CreateWallet") {
            effect = {
              kind: "created",
              walletId: present(response.wallet, "wallet").id,
              // Protobuf strings are UTF-8 on the wire: the client sends a lone surrogate as U+FFFD.
              // An empty owner_id means the caller's own subject (the operator token's here).
              ownerId:
                (c.request.ownerId as string) === ""
                  ? OPERATOR_SUB
                  : Buffer.from(c.request.ownerId as string).toString(),
              currency: present(response.wallet, "wallet").currency,
            };
          }
        } else if (!error && Buffer.isBuffer(c.request) && c.method === "CreateWallet") {
          // Random bytes can decode to a valid request; read what it created from the ledger itself.
          const added = [...after.keys()].filter((id) => !before.has(id));
          if (added.length === 1) {
            const row = after.get(added[0])!;
            effect = { kind: "created", walletId: added[0], ownerId: row.ownerId, currency: row.currency };
          }
        } else if (
          !error &&
          Buffer.isBuffer(c.request) &&
          (c.method === "Credit" || c.method === "Debit" || c.method === "Transfer")
        ) {
          // Random bytes that decode to a valid money movement are vanishingly rare; accept what they did only
          // if it is a whole number of transactions, each one balance change with one history row.
          for (const [id, row] of after) {
            const was = before.get(id);
            if (!was) continue;
            expect(row.transactions - was.transactions, context).toBe(Number(row.version - was.version));
          }
          return;
        }
        expectEffect(before, after, effect, context);
      }),
      { ...settings, endOnFailure: true },
    );
    console.log(`fuzz gRPC: ${cases} cases run, ${successes} of them OK with effects checked`);
    expect(successes).toBeGreaterThan(0);
    // Still serving after all of it.
    const list = await call(client, client.listWallets, { ownerId: "fuzz-alice" });
    expect(list.wallets.length).toBeGreaterThan(0);
  });
});
