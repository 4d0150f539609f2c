import { randomUUID } from "node:crypto";
import { Metadata, type ServiceError, status } from "@grpc/grpc-js";
import {
  decodeErrorInfo,
  type Hold,
  HoldStatus,
  STATUS_DETAILS_KEY,
  type Transaction,
  TransactionType,
  type Wallet,
  type WalletServiceClient,
} from "@wallet/contracts";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  call,
  OPERATOR_SUB,
  type RunningWallet,
  startTestWallet,
  testToken,
} from "../../services/wallet/test/harness.js";
import {
  type CleanOp,
  type Effect,
  edgeInteger,
  expectEffect,
  expectStateInvariants,
  HOLD_MAX_TTL_SECONDS,
  HOLD_TTL_EDGES,
  type Leg,
  NO_SUCH_ID,
  pickHold,
  pickTx,
  runFuzzCases,
  type State,
  type StoreRef,
  storeRefs,
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
 *   - a success changes exactly what it says (a replay changes nothing);
 *   - holds and reversals: a well-formed request gets the status and ErrorInfo reason the
 *     model predicts from the state before it, and the ledger's invariants hold after every
 *     case (balance = signed transactions, held = pending holds, available >= 0, one end
 *     per hold, reversed within the original), also as GetWallet, ListTransactions and
 *     ListHolds report them.
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
  "ReverseTransaction",
  "PlaceHold",
  "CaptureHold",
  "VoidHold",
  "GetHold",
  "ListHolds",
] as const;
type Method = (typeof METHODS)[number];

/** The fields of any method's response that the properties read. */
interface AnyResponse {
  replayed?: boolean;
  transaction?: Transaction;
  debit?: Transaction;
  wallet?: Wallet;
  hold?: Hold;
  reversal?: Transaction;
}

/** Where a request names a hold or transaction from the store, resolved when the case runs. */
const HOLD_REF = "@@hold@@";
const TX_REF = "@@transaction@@";

const HTTP_TO_GRPC: Record<number, status> = {
  400: status.INVALID_ARGUMENT,
  403: status.PERMISSION_DENIED,
  404: status.NOT_FOUND,
  409: status.FAILED_PRECONDITION,
};

function present<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the response has no ${what}`);
  return value;
}

interface GrpcCase {
  method: Method;
  /** A typed request, or raw bytes sent as the message. */
  request: Record<string, unknown> | Buffer;
  hold: StoreRef;
  tx: StoreRef;
  /** Sent with a plain user token of fuzz-alice (no credit scope) instead of the operator's. */
  asUser: boolean;
  /** A well-formed hold or reversal request whose outcome the model predicts. */
  clean?: boolean;
}

describe("fuzz - gRPC API", () => {
  let w: RunningWallet;
  let client: WalletServiceClient;
  let userToken: string;
  const owners = ["fuzz-alice", "fuzz-bob"];
  const ids: string[] = [];
  const txIds: string[] = [];

  beforeAll(async () => {
    w = await startTestWallet();
    client = w.client;
    userToken = await testToken("fuzz-alice");
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
    await w?.close();
  });

  const runs = Number(process.env.FUZZ_GRPC_RUNS ?? 600);

  it("never a server error; an error changes nothing; a success changes exactly what it says", {
    timeout: 60_000 + runs * 100,
  }, async () => {
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
    // The amount of a capture or reversal, where 0 means all of it.
    const partialAmount = fc.oneof(
      { weight: 2, arbitrary: fc.constant(0n) },
      { weight: 3, arbitrary: amount },
    );
    // Mostly the hold or transaction the case resolves from the store (`marker`), else an id of nothing or not an id.
    const storeId = (marker: string) =>
      fc.oneof(
        { weight: 6, arbitrary: fc.constant(marker) },
        { weight: 1, arbitrary: fc.uuid() },
        { weight: 1, arbitrary: text(80) },
      );
    const holdId = storeId(HOLD_REF);
    const transactionId = storeId(TX_REF);
    const limit = fc.oneof(
      fc.integer({ min: -2, max: 102 }),
      fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
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
        limit,
        cursor,
      }),
      GetTransaction: fc.record({
        ownerId: owner,
        transactionId: fc.oneof(fc.constantFrom(...txIds), fc.uuid(), text(80)),
      }),
      ReverseTransaction: fc.record({
        ownerId: owner,
        transactionId,
        amount: partialAmount,
        idempotencyKey: key,
        metadata,
      }),
      PlaceHold: fc.record({
        ownerId: owner,
        walletId,
        amount,
        idempotencyKey: key,
        metadata,
        expiresInSeconds: fc.oneof(
          fc.constantFrom(0n, 1n, 2n, 60n, HOLD_MAX_TTL_SECONDS, HOLD_MAX_TTL_SECONDS + 1n),
          fc.bigInt({ min: 1n, max: 4n }),
          edgeInteger,
        ),
      }),
      CaptureHold: fc.record({
        ownerId: owner,
        holdId,
        amount: partialAmount,
        destinationWalletId: fc.oneof(
          { weight: 3, arbitrary: fc.constant("") },
          { weight: 2, arbitrary: walletId },
        ),
        idempotencyKey: key,
        metadata,
      }),
      VoidHold: fc.record({
        ownerId: owner,
        holdId,
        idempotencyKey: key,
      }),
      GetHold: fc.record({
        ownerId: owner,
        holdId,
      }),
      ListHolds: fc.record({
        ownerId: owner,
        walletId,
        limit,
        cursor,
      }),
    };
    const ref = fc.oneof(...storeRefs);
    const holdOrTxId = fc.oneof(
      { weight: 8, arbitrary: fc.constant("ref") },
      { weight: 1, arbitrary: fc.constantFrom(NO_SUCH_ID, ...ids) },
    );
    // Well-formed hold and reversal requests with fresh keys, by the operator for either owner or by fuzz-alice herself.
    const cleanArb: fc.Arbitrary<Record<string, unknown> & { method: Method }> = fc
      .record({
        method: fc.constantFrom(
          "PlaceHold",
          "PlaceHold",
          "PlaceHold",
          "CaptureHold",
          "CaptureHold",
          "VoidHold",
          "GetHold",
          "ListHolds",
          "ReverseTransaction",
          "ReverseTransaction",
          "ReverseTransaction",
        ),
        ownerId: fc.oneof(
          { weight: 4, arbitrary: fc.constant("fuzz-alice") },
          { weight: 1, arbitrary: fc.constant("fuzz-bob") },
        ),
        walletId: fc.constantFrom(...ids),
        amount: fc.oneof(
          { weight: 2, arbitrary: fc.constant(0n) },
          { weight: 14, arbitrary: fc.bigInt({ min: 1n, max: 1500n }) },
          // Rare: a big hold locks up most of a wallet (INSUFFICIENT_FUNDS for what follows).
          { weight: 1, arbitrary: fc.bigInt({ min: 500_000n, max: 2_000_000_000n }) },
        ),
        // 0: the server's default lifetime.
        expiresInSeconds: fc.constantFrom(0n, ...HOLD_TTL_EDGES),
        destinationWalletId: fc.oneof(
          { weight: 3, arbitrary: fc.constant("") },
          { weight: 1, arbitrary: fc.constantFrom(...ids) },
        ),
        id: holdOrTxId,
        idempotencyKey: fc.uuid(),
      })
      .map((r) => r as Record<string, unknown> & { method: Method });
    const fuzzArb = fc.constantFrom(...METHODS).chain((method) =>
      fc.oneof(
        { weight: 8, arbitrary: requests[method].map((request) => ({ method, request })) },
        {
          weight: 1,
          arbitrary: fc
            .uint8Array({ maxLength: 64 })
            .map((bytes) => ({ method, request: Buffer.from(bytes) as Record<string, unknown> | Buffer })),
        },
      ),
    );
    const caseArb: fc.Arbitrary<GrpcCase> = fc
      .record({
        fuzz: fuzzArb,
        clean: cleanArb,
        isClean: fc.oneof(
          { weight: 3, arbitrary: fc.constant(false) },
          { weight: 2, arbitrary: fc.constant(true) },
        ),
        hold: ref,
        tx: ref,
        asUser: fc.oneof(
          { weight: 6, arbitrary: fc.constant(false) },
          { weight: 1, arbitrary: fc.constant(true) },
        ),
      })
      .map(({ fuzz, clean, isClean, hold, tx, asUser }): GrpcCase => {
        if (!isClean) return { ...fuzz, hold, tx, asUser };
        const { method, id, walletId, ...rest } = clean;
        const request: Record<string, unknown> = { ...rest, metadata: {} };
        // A user token acts for its own subject only.
        if (asUser) request.ownerId = "fuzz-alice";
        if (method === "PlaceHold" || method === "ListHolds") request.walletId = walletId;
        if (method === "ListHolds") Object.assign(request, { limit: 100, cursor: "" });
        if (method === "ReverseTransaction") request.transactionId = id === "ref" ? TX_REF : id;
        if (method === "CaptureHold" || method === "VoidHold" || method === "GetHold")
          request.holdId = id === "ref" ? HOLD_REF : id;
        return { method, request, hold, tx, asUser, clean: true };
      });

    /** The request with its store references resolved, and the operation the model predicts if it is clean. */
    const resolve = (
      c: GrpcCase,
      state: State,
    ): { request: Record<string, unknown> | Buffer; op?: CleanOp } => {
      if (Buffer.isBuffer(c.request)) return { request: c.request };
      const request = { ...c.request };
      // Clean requests mostly name the owner's own holds and transactions.
      const owner = c.clean && c.hold.n % 4 !== 0 ? (request.ownerId as string) : undefined;
      if (request.holdId === HOLD_REF) request.holdId = pickHold(c.hold, state, owner);
      if (request.transactionId === TX_REF) request.transactionId = pickTx(c.tx, state, owner);
      if (!c.clean) return { request };
      const sub = request.ownerId as string;
      const amount = (request.amount as bigint) || undefined;
      const holdId = request.holdId as string;
      const walletId = request.walletId as string;
      const ops: Partial<Record<Method, CleanOp>> = {
        PlaceHold: {
          op: "place",
          sub,
          walletId,
          amount: request.amount as bigint,
          expiresInSeconds: request.expiresInSeconds as bigint,
        },
        CaptureHold: {
          op: "capture",
          sub,
          holdId,
          amount,
          dest: (request.destinationWalletId as string) || undefined,
        },
        VoidHold: { op: "void", sub, holdId },
        GetHold: { op: "getHold", sub, holdId },
        ListHolds: { op: "listHolds", sub, walletId },
        ReverseTransaction: {
          op: "reverse",
          sub,
          mayCredit: !c.asUser,
          transactionId: request.transactionId as string,
          amount,
        },
      };
      return { request, op: ops[c.method] };
    };

    const invoke = (c: GrpcCase, request: Record<string, unknown> | Buffer) =>
      new Promise<{ error: ServiceError | null; response: AnyResponse | undefined }>((resolve) => {
        const path = `/wallet.v1.WalletService/${c.method}`;
        const done = (error: ServiceError | null, response?: AnyResponse) => resolve({ error, response });
        const deadline = Date.now() + 20_000;
        const md = new Metadata();
        if (c.asUser) md.set("authorization", `Bearer ${userToken}`);
        if (Buffer.isBuffer(request)) {
          client.makeUnaryRequest<Buffer, Buffer>(
            path,
            (b) => b,
            (b) => b,
            request,
            md,
            { deadline },
            (error) => done(error),
          );
          return;
        }
        const name = (c.method[0].toLowerCase() + c.method.slice(1)) as "credit";
        (client[name] as (...args: unknown[]) => unknown).call(client, request, md, { deadline }, done);
      });

    const HOLD_STATUS: Partial<Record<HoldStatus, string>> = {
      [HoldStatus.HOLD_STATUS_PENDING]: "PENDING",
      [HoldStatus.HOLD_STATUS_CAPTURED]: "CAPTURED",
      [HoldStatus.HOLD_STATUS_VOIDED]: "VOIDED",
      [HoldStatus.HOLD_STATUS_EXPIRED]: "EXPIRED",
    };

    /** The invariants as the API reports them: each known wallet, its full history and all its holds. */
    const expectApiInvariants = async () => {
      for (const walletId of ids) {
        const ownerId = walletId === ids[2] ? "fuzz-bob" : "fuzz-alice";
        const read = async () => (await call(client, client.getWallet, { ownerId, walletId })).wallet!;
        let wallet = await read();
        let history: Transaction[] = [];
        let holds: Hold[] = [];
        // The sweeper may expire a hold between the reads: read until the wallet is the same before and after.
        for (let attempt = 0; attempt < 10; attempt++) {
          history = [];
          holds = [];
          let cursor = "";
          do {
            const page = await call(client, client.listTransactions, {
              ownerId,
              walletId,
              limit: 100,
              cursor,
            });
            history.push(...page.transactions);
            cursor = page.nextCursor;
          } while (cursor);
          do {
            const page = await call(client, client.listHolds, { ownerId, walletId, limit: 100, cursor });
            holds.push(...page.holds);
            cursor = page.nextCursor;
          } while (cursor);
          const again = await read();
          if (again.heldBalance === wallet.heldBalance && again.version === wallet.version) break;
          wallet = again;
        }
        const plus = new Set([
          TransactionType.TRANSACTION_TYPE_CREDIT,
          TransactionType.TRANSACTION_TYPE_TRANSFER_IN,
        ]);
        const signed = history.reduce((sum, t) => sum + (plus.has(t.type) ? t.amount : -t.amount), 0n);
        const pending = holds
          .filter((h) => h.status === HoldStatus.HOLD_STATUS_PENDING)
          .reduce((sum, h) => sum + h.amount, 0n);
        const context = `wallet ${walletId}`;
        expect(wallet.balance, `${context}: balance = signed history`).toBe(signed);
        expect(wallet.heldBalance, `${context}: heldBalance = pending holds`).toBe(pending);
        expect(wallet.availableBalance, `${context}: available`).toBe(wallet.balance - wallet.heldBalance);
        expect(wallet.availableBalance >= 0n, `${context}: available >= 0`).toBe(true);
        expect(BigInt(history.length), `${context}: history length = version`).toBe(wallet.version);
        for (const h of holds) {
          const ended = h.status !== HoldStatus.HOLD_STATUS_PENDING;
          expect(ended, `${context}: hold ${h.id} ended iff endedAt`).toBe(h.endedAt !== undefined);
          expect(h.capturedAmount <= h.amount, `${context}: hold ${h.id} captured`).toBe(true);
        }
        for (const t of history) {
          expect(t.reversedAmount <= t.amount, `${context}: ${t.id} reversed`).toBe(true);
          if (t.reversalOf) expect(t.reversedAmount, `${context}: reversal ${t.id} reversed`).toBe(0n);
        }
      }
    };

    await runFuzzCases(
      {
        name: "gRPC",
        dbUrl: w.dbUrl,
        arb: caseArb,
        numRuns: runs,
        runsVariable: "FUZZ_GRPC_RUNS",
        invariantsEvery: 200,
        expectApiInvariants,
        success: "OK",
      },
      async (c, run) => {
        const { before } = run;
        const { request, op } = resolve(c, before);
        const { error, response } = await invoke(c, request);
        const shown = Buffer.isBuffer(request)
          ? request.toString("hex")
          : JSON.stringify(request, (_k, v) => (typeof v === "bigint" ? `${v}n` : v));
        const reason = error
          ? (decodeErrorInfo(error.metadata?.get(STATUS_DETAILS_KEY)[0])?.reason ?? "")
          : "OK";
        const outcome = `${c.clean ? "clean " : ""}${c.method} ${error ? status[error.code] : "OK"}`;
        run.count(outcome);
        const context = `${c.asUser ? "(as fuzz-alice) " : ""}${c.method} ${shown} -> ${error ? `${status[error.code]} ${reason} ${error.details}` : "OK"}\n  after: ${run.previous}`;
        run.previous = `${c.method} ${shown.slice(0, 400)} -> ${error ? `${status[error.code]} ${reason}` : "OK"}`;
        if (error) {
          expect(
            CALLER_ERRORS.has(error.code) || (c.asUser && error.code === status.PERMISSION_DENIED),
            context,
          ).toBe(true);
          expect(error.details, context).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
          if (error.code === status.ABORTED) {
            expect(
              c.method === "Debit" && !Buffer.isBuffer(request) && request.expectedVersion !== undefined,
              context,
            ).toBe(true);
          }
          // Typed requests of the new methods always carry their stable reason.
          if (!Buffer.isBuffer(request) && (c.method.includes("Hold") || c.method === "ReverseTransaction")) {
            expect(reason, context).toMatch(/^[A-Z_]+$/);
          }
        }
        const after = await run.readAfter();
        const expected = op && run.predict(op);
        if (expected) {
          expect({ code: error ? status[error.code] : "OK", reason }, context).toEqual({
            code: expected.code === "OK" ? "OK" : status[HTTP_TO_GRPC[expected.http]],
            reason: expected.code,
          });
        }
        let effect: Effect = { kind: "none" };
        if (!error && response && !Buffer.isBuffer(request)) {
          run.succeeded();
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
                (request.ownerId as string) === ""
                  ? c.asUser
                    ? "fuzz-alice"
                    : OPERATOR_SUB
                  : Buffer.from(request.ownerId as string).toString(),
              currency: present(response.wallet, "wallet").currency,
            };
          } else if (c.method === "PlaceHold" && !response.replayed) {
            const h = present(response.hold, "hold");
            expect(h.status, context).toBe(HoldStatus.HOLD_STATUS_PENDING);
            effect = { kind: "holdPlaced", holdId: h.id, walletId: h.walletId, amount: h.amount };
          } else if ((c.method === "CaptureHold" || c.method === "VoidHold") && !response.replayed) {
            const h = present(response.hold, "hold");
            expect(before.holds.get(h.id)?.ownerId, `${context}: ended another owner's hold`).toBe(
              Buffer.from((request.ownerId as string) || (c.asUser ? "fuzz-alice" : OPERATOR_SUB)).toString(),
            );
            const legs: Leg[] = [];
            if (c.method === "CaptureHold") {
              const t = present(response.transaction, "transaction");
              expect(t.holdId, context).toBe(h.id);
              const requested = request.amount as bigint;
              expect(h.capturedAmount, context).toBe(
                requested === 0n ? before.holds.get(h.id)!.amount : requested,
              );
              legs.push({ walletId: h.walletId, delta: -h.capturedAmount, balanceAfter: t.balanceAfter });
              if (h.destinationWalletId)
                legs.push({ walletId: h.destinationWalletId, delta: h.capturedAmount });
            }
            effect = {
              kind: "holdEnded",
              holdId: h.id,
              status: c.method === "CaptureHold" ? "CAPTURED" : "VOIDED",
              captured: h.capturedAmount,
              legs,
            };
            expect(HOLD_STATUS[h.status], context).toBe(effect.status);
          } else if (c.method === "GetHold") {
            const h = present(response.hold, "hold");
            // The sweeper may expire the hold between the read and the snapshot after it.
            expect(
              [before, after].map((st) => st.holds.get(h.id)?.status),
              context,
            ).toContain(HOLD_STATUS[h.status]);
          } else if (c.method === "ReverseTransaction" && !response.replayed) {
            const r = present(response.reversal, "reversal");
            const original = before.txs.get(r.reversalOf);
            expect(original?.reversalOf, `${context}: a reversal is never reversed`).toBeNull();
            expect(original?.type, `${context}: reversed through a sending leg`).not.toBe("TRANSFER_OUT");
            const isTransfer = r.type === TransactionType.TRANSACTION_TYPE_TRANSFER_OUT;
            expect(isTransfer, `${context}: a transfer's reversal is a transfer`).toBe(
              original?.type === "TRANSFER_IN",
            );
            const credit = r.type === TransactionType.TRANSACTION_TYPE_CREDIT;
            const legs: Leg[] = [
              { walletId: r.walletId, delta: credit ? r.amount : -r.amount, balanceAfter: r.balanceAfter },
            ];
            if (isTransfer) legs.push({ walletId: r.counterpartyWalletId, delta: r.amount });
            effect = {
              kind: "reversal",
              reversalOf: r.reversalOf,
              amount: r.amount,
              legs,
            };
          }
        } else if (!error && Buffer.isBuffer(request) && c.method === "CreateWallet") {
          // Random bytes can decode to a valid request; read what it created from the ledger itself.
          const added = [...after.wallets.keys()].filter((id) => !before.wallets.has(id));
          if (added.length === 1) {
            const row = after.wallets.get(added[0])!;
            effect = { kind: "created", walletId: added[0], ownerId: row.ownerId, currency: row.currency };
          }
        } else if (
          !error &&
          Buffer.isBuffer(request) &&
          !c.method.startsWith("Get") &&
          !c.method.startsWith("List")
        ) {
          // Random bytes that decode to a valid mutation are vanishingly rare; accept what they did only if
          // every change is a whole number of transactions and the ledger's invariants still hold.
          for (const [id, row] of after.wallets) {
            const was = before.wallets.get(id);
            if (!was) continue;
            expect(row.transactions - was.transactions, context).toBe(Number(row.version - was.version));
          }
          expectStateInvariants(after, context);
          return;
        }
        expectEffect(before, after, effect, context);
      },
    );
    // Still serving after all of it.
    const list = await call(client, client.listWallets, { ownerId: "fuzz-alice" });
    expect(list.wallets.length).toBeGreaterThan(0);
  });
});
