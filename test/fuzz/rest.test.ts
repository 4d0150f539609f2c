import { mintToken } from "@wallet/auth";
import fc from "fast-check";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  fundedWallet,
  type GatewayStack,
  JWT_SECRET,
  startStack,
} from "../../services/gateway/test/stack.js";
import {
  type CleanOp,
  type Effect,
  edgeText,
  expectEffect,
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
 * Property-based fuzzing of every REST route against the real gateway, wallet,
 * PostgreSQL and Redis: random and hostile bodies (duplicate keys, huge and
 * non-integer numbers, NUL, lone surrogates, wrong types), headers, content
 * types, tokens, ids, query strings and paths. Properties, checked on every
 * case against the ledger read straight from PostgreSQL:
 *   - never a 5xx (and the process keeps serving);
 *   - a 4xx changes nothing;
 *   - a 2xx changes exactly what it says (a replay changes nothing);
 *   - holds and reversals: a well-formed request gets the answer the model predicts from
 *     the state before it (status and error code), and the ledger's invariants hold after
 *     every case (balance = signed transactions, held = pending holds, available >= 0,
 *     one end per hold, reversed within the original), also as the API reports them.
 */

interface Caller {
  header?: string;
  /** The subject a wallet it creates belongs to. */
  sub?: string;
  /** A valid token of a known owner: its hold and reversal requests have a predicted outcome. */
  valid?: boolean;
  /** The token carries the credit scope (needed to reverse a debit). */
  mayCredit?: boolean;
}

/** A hold or transaction named by a request: one from the store as it is when the case runs, or raw text. */
type Ref = StoreRef | { raw: string };

/** A well-formed hold or reversal request by a known owner with a fresh key. */
interface CleanSpec {
  op: CleanOp["op"];
  wallet: number;
  /** Pick the wallet among the caller's own. */
  own: boolean;
  amount?: bigint;
  expiresInSeconds?: bigint;
  dest?: number;
}

interface RestCase {
  method: string;
  path: string;
  route: string;
  caller: Caller;
  headers: Record<string, string>;
  body?: string;
  /** Resolved against the store when the case runs (":holdId", ":transactionId" in the path). */
  hold: Ref;
  tx: Ref;
  clean?: CleanSpec;
}

function resolveHold(ref: Ref, state: State, owner?: string): string {
  return "raw" in ref ? ref.raw : pickHold(ref, state, owner);
}

function resolveTx(ref: Ref, state: State, owner?: string): string {
  return "raw" in ref ? ref.raw : pickTx(ref, state, owner);
}

/** Percent-encoding that also carries lone surrogates, as the (invalid UTF-8) bytes a careless client sends. */
function pct(s: string): string {
  let out = "";
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (code >= 0xd800 && code <= 0xdfff) {
      out += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join("");
    } else out += encodeURIComponent(ch);
  }
  return out;
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies as the API sends them, checked field by field
type Json = any;

const headerSafe = (s: string) => /^[\x20-\x7e]*$/.test(s) && s.trim() === s;

describe("fuzz - REST API", () => {
  let stack: GatewayStack;
  const ids: string[] = [];
  const callers: Caller[] = [];

  beforeAll(async () => {
    stack = await startStack({ RATE_LIMIT_MAX: "100000000" });
    const alice = await stack.token("fuzz-alice");
    const bob = await stack.token("fuzz-bob");
    ids.push(
      await fundedWallet(stack.gateway, alice, "USD", 1_000_000_000),
      await fundedWallet(stack.gateway, alice, "EUR", 1_000_000_000),
      await fundedWallet(stack.gateway, bob, "USD", 1_000_000),
    );
    const aliceUser = await stack.token("fuzz-alice", { scope: "" });
    const config = stack.gateway.config;
    const bearer = (t: string) => `Bearer ${t}`;
    callers.push(
      { header: bearer(alice), sub: "fuzz-alice", valid: true, mayCredit: true },
      { header: bearer(alice), sub: "fuzz-alice", valid: true, mayCredit: true },
      { header: bearer(alice), sub: "fuzz-alice", valid: true, mayCredit: true },
      { header: bearer(bob), sub: "fuzz-bob", valid: true, mayCredit: true },
      { header: bearer(aliceUser), sub: "fuzz-alice", valid: true, mayCredit: false },
      {},
      { header: "Bearer" },
      { header: "Bearer not.a.jwt" },
      { header: `Basic ${Buffer.from("a:b").toString("base64")}` },
      { header: bearer(await mintToken(config, { sub: "fuzz-alice", ttlSeconds: -10 })) },
      { header: bearer(await mintToken({ JWT_SECRET: "x".repeat(40) }, { sub: "fuzz-alice" })) },
      {
        header: bearer(
          `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from('{"sub":"fuzz-alice","exp":9999999999}').toString("base64url")}.`,
        ),
      },
    );
    // Subjects and email claims on and over every edge; those the wallet can hold create wallets.
    for (const sub of [
      "x".repeat(255),
      "x".repeat(256),
      "a\u0000b",
      "\ud800",
      "tab\there",
      "\u{1F600}",
      "$where",
    ]) {
      callers.push({ header: bearer(await mintToken(config, { sub, email: "a\u0000@b" })), sub });
    }
    const secret = new TextEncoder().encode(JWT_SECRET);
    for (const claims of [{ sub: 42 }, { sub: ["fuzz-alice"] }, { sub: "fuzz-alice", email: 7 }]) {
      const token = await new SignJWT(claims as Record<string, unknown>)
        .setProtectedHeader({ alg: "HS256" })
        .setExpirationTime("1h")
        .sign(secret);
      callers.push({ header: bearer(token), sub: typeof claims.sub === "string" ? claims.sub : undefined });
    }
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const runs = Number(process.env.FUZZ_REST_RUNS ?? 400);

  it("never a 5xx; a 4xx changes nothing; a 2xx changes exactly what it says", {
    timeout: 60_000 + runs * 200,
  }, async () => {
    let keySeq = 0;
    const walletRef = fc.oneof(
      { weight: 10, arbitrary: fc.constantFrom(...ids) },
      { weight: 1, arbitrary: fc.uuid() },
      { weight: 2, arbitrary: text(70) },
    );

    // JSON text, built by hand so that duplicate keys and out-of-range numbers get through.
    const numberText = fc.oneof(
      fc.constantFrom(
        "0",
        "-0",
        "1",
        "1e3",
        "1E3",
        "1.5",
        "100.0",
        "-1",
        "9007199254740991",
        "9007199254740992",
        "123456789012345678901234567890",
        "1e400",
        "0.0000001",
        "-9223372036854775808",
      ),
      fc.integer({ min: 1, max: 1000 }).map(String),
      fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
    );
    const stringText = text(80).map((s) => JSON.stringify(s));
    const leafText = fc.oneof(numberText, stringText, fc.constantFrom("null", "true", "false", "[]", "{}"));
    const { value: anyJson } = fc.letrec<{ value: string }>((tie) => ({
      value: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        leafText,
        fc.array(tie("value"), { maxLength: 3 }).map((xs) => `[${xs.join(",")}]`),
        fc
          .array(fc.tuple(text(10), tie("value")), { maxLength: 3 })
          .map((ps) => `{${ps.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(",")}}`),
      ),
    }));
    const objectText = (pairs: Array<[string, string | undefined]>) =>
      `{${pairs
        .filter((p): p is [string, string] => p[1] !== undefined)
        .map(([k, v]) => `${JSON.stringify(k)}:${v}`)
        .join(",")}}`;
    const metadataKey = fc.oneof(
      { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,70}$/) },
      { weight: 1, arbitrary: text(70) },
    );
    const metadataText = fc
      .array(fc.tuple(metadataKey, stringText), { maxLength: 4 })
      .map((ps) => objectText(ps));
    const mostly = (good: fc.Arbitrary<string>) =>
      fc.oneof({ weight: 12, arbitrary: good }, { weight: 1, arbitrary: anyJson });
    const optional = (a: fc.Arbitrary<string>) => fc.option(a, { nil: undefined, freq: 3 });
    const amount = mostly(
      fc.oneof(
        { weight: 6, arbitrary: fc.integer({ min: 1, max: 1000 }).map(String) },
        { weight: 1, arbitrary: numberText },
      ),
    );
    const walletJson = walletRef.map((id) => JSON.stringify(id));
    // Extra fields and repeated keys (JSON.parse keeps the last one).
    const extras = fc.array(
      fc.tuple(
        fc.oneof(
          fc.constantFrom("walletId", "amount", "metadata", "currency", "__proto__", "expectedVersion"),
          text(10),
        ),
        anyJson,
      ),
      { maxLength: 2 },
    );
    const withExtras = (base: fc.Arbitrary<Array<[string, string | undefined]>>) =>
      fc
        .tuple(base, fc.oneof({ weight: 6, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: extras }))
        .map(([b, e]) => objectText([...b, ...e]));

    const bodies: Record<string, fc.Arbitrary<string | undefined>> = {
      "POST /api/wallets": withExtras(
        fc
          .tuple(
            mostly(
              fc.oneof(
                fc.constantFrom('"USD"', '"EUR"', '"GBP"', '"JPY"'),
                fc.stringMatching(/^[A-Z]{3}$/).map((s) => JSON.stringify(s)),
              ),
            ),
          )
          .map(([c]) => [["currency", c]]),
      ),
      "POST /api/wallets/credit": withExtras(
        fc.tuple(mostly(walletJson), amount, optional(mostly(metadataText))).map(([w, a, m]) => [
          ["walletId", w],
          ["amount", a],
          ["metadata", m],
        ]),
      ),
      "POST /api/wallets/debit": withExtras(
        fc
          .tuple(
            mostly(walletJson),
            amount,
            optional(mostly(metadataText)),
            optional(mostly(fc.nat(50).map(String))),
          )
          .map(([w, a, m, v]) => [
            ["walletId", w],
            ["amount", a],
            ["metadata", m],
            ["expectedVersion", v],
          ]),
      ),
      "POST /api/transfers": withExtras(
        fc
          .tuple(mostly(walletJson), mostly(walletJson), amount, optional(mostly(metadataText)))
          .map(([f, t, a, m]) => [
            ["fromWalletId", f],
            ["toWalletId", t],
            ["amount", a],
            ["metadata", m],
          ]),
      ),
    };
    const expiresText = mostly(
      fc.oneof(
        fc.constantFrom(
          "1",
          "2",
          "60",
          "0",
          "-1",
          "2592000",
          "2592001",
          "9007199254740991",
          "1.5",
          "1e3",
          '"60"',
        ),
        fc.integer({ min: 1, max: 5 }).map(String),
        numberText,
      ),
    );
    // Capture and void bodies may be absent; both then act on the whole hold.
    const maybeAbsent = (body: fc.Arbitrary<string>) =>
      fc.oneof({ weight: 4, arbitrary: body }, { weight: 1, arbitrary: fc.constant(undefined) });
    Object.assign(bodies, {
      "POST /api/holds": withExtras(
        fc
          .tuple(mostly(walletJson), amount, optional(expiresText), optional(mostly(metadataText)))
          .map(([w, a, e, m]) => [
            ["walletId", w],
            ["amount", a],
            ["expiresInSeconds", e],
            ["metadata", m],
          ]),
      ),
      "POST /api/holds/:holdId/capture": maybeAbsent(
        withExtras(
          fc
            .tuple(optional(amount), optional(mostly(walletJson)), optional(mostly(metadataText)))
            .map(([a, d, m]) => [
              ["amount", a],
              ["destinationWalletId", d],
              ["metadata", m],
            ]),
        ),
      ),
      "POST /api/holds/:holdId/void": maybeAbsent(withExtras(fc.constant([]))),
      "POST /api/transactions/:transactionId/reversals": maybeAbsent(
        withExtras(
          fc.tuple(optional(amount), optional(mostly(metadataText))).map(([a, m]) => [
            ["amount", a],
            ["metadata", m],
          ]),
        ),
      ),
    });
    const ref = (raw: fc.Arbitrary<string>) =>
      fc.oneof(...storeRefs, {
        weight: 2,
        arbitrary: raw.map((r) => ({ raw: r })),
      });
    const rawId = fc.oneof(fc.uuid(), text(70), fc.constantFrom(...ids), fc.constant(NO_SUCH_ID));
    const validCallers = callers.filter((k) => k.valid);
    const cleanArb: fc.Arbitrary<CleanSpec> = fc.record(
      {
        op: fc.constantFrom(
          "place",
          "place",
          "place",
          "capture",
          "capture",
          "void",
          "getHold",
          "listHolds",
          "reverse",
          "reverse",
          "reverse",
        ),
        wallet: fc.nat(ids.length - 1),
        own: fc.oneof(
          { weight: 4, arbitrary: fc.constant(true) },
          { weight: 1, arbitrary: fc.constant(false) },
        ),
        amount: fc.oneof(
          { weight: 14, arbitrary: fc.bigInt({ min: 1n, max: 1500n }) },
          // Rare: a big hold locks up most of a wallet (INSUFFICIENT_FUNDS for what follows).
          { weight: 1, arbitrary: fc.bigInt({ min: 500_000n, max: 2_000_000_000n }) },
        ),
        expiresInSeconds: fc.constantFrom(...HOLD_TTL_EDGES),
        dest: fc.nat(ids.length - 1),
      },
      { requiredKeys: ["op", "wallet", "own"] },
    );

    const hostileBody = fc.oneof(
      anyJson,
      fc.string({ maxLength: 60 }),
      fc.constantFrom("", "{", '{"amount":', "[1,2", '{"a":1}}', "\u0000", "null", '"\\ud800"'),
    );

    const queryValue = fc.oneof(
      walletRef,
      text(30),
      fc.integer({ min: -5, max: 200 }).map(String),
      fc.constantFrom("1e3", "20.5", "-0", "", "9999999999999999999"),
      fc.bigInt({ min: 0n, max: 2n ** 66n }).map((v) => Buffer.from(`v1.${v}`).toString("base64url")),
    );
    const query = fc
      .array(fc.tuple(fc.oneof(fc.constantFrom("walletId", "limit", "cursor"), text(8)), queryValue), {
        maxLength: 5,
      })
      .chain((pairs) =>
        fc.constantFrom(...ids).map((id) => {
          const all: Array<[string, string]> = [["walletId", id], ...pairs];
          return all.map(([k, v]) => `${pct(k)}=${pct(v)}`).join("&");
        }),
      );

    const caseArb: fc.Arbitrary<RestCase> = fc
      .record({
        route: fc.oneof(
          {
            weight: 4,
            arbitrary: fc.constantFrom(
              "POST /api/wallets/credit",
              "POST /api/wallets/debit",
              "POST /api/transfers",
            ),
          },
          {
            weight: 4,
            arbitrary: fc.constantFrom(
              "POST /api/holds",
              "POST /api/holds/:holdId/capture",
              "POST /api/holds/:holdId/void",
              "POST /api/transactions/:transactionId/reversals",
            ),
          },
          { weight: 5, arbitrary: fc.constant("CLEAN") },
          {
            weight: 1,
            arbitrary: fc.constantFrom(
              "GET /api/holds",
              "GET /api/holds/:holdId",
              "POST /api/wallets",
              "GET /api/wallets",
              "GET /api/wallets/:id",
              "GET /api/transactions",
            ),
          },
          {
            weight: 1,
            arbitrary: fc.constantFrom(
              "GET /healthz",
              "GET /readyz",
              "GET /openapi.json",
              "DELETE /api/wallets",
              "PUT /api/wallets/credit",
              "PATCH /api/transfers",
              "GET /api/wallets/credit",
              "POST /api/transactions",
              "GET /api/nope",
              "POST /api//wallets",
              "GET /api/wallets/%",
              "GET /api/wallets/%E0%A4%A",
              "PUT /api/holds",
              "DELETE /api/holds/:holdId",
              "GET /api/holds/:holdId/capture",
              "POST /api/holds/:holdId",
              "POST /api/holds//capture",
              "GET /api/transactions/:transactionId/reversals",
              "POST /api/transactions/%/reversals",
            ),
          },
        ),
        caller: fc.oneof(
          { weight: 3, arbitrary: fc.constant(callers[0]) },
          { weight: 2, arbitrary: fc.constantFrom(...callers) },
        ),
        key: fc.oneof(
          { weight: 6, arbitrary: fc.constant("fresh") },
          { weight: 2, arbitrary: fc.constantFrom("fz-1", "fz-2", "fz-3") },
          { weight: 1, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: fc.oneof(text(300), edgeText).filter(headerSafe) },
        ),
        contentType: fc.oneof(
          { weight: 8, arbitrary: fc.constant("application/json") },
          {
            weight: 1,
            arbitrary: fc.constantFrom(
              "text/plain",
              "application/json; charset=utf-8",
              "application/JSON",
              "application/x-www-form-urlencoded",
              "multipart/form-data; boundary=x",
              "application/json; charset=latin1",
              "",
            ),
          },
        ),
        hostile: fc.oneof(
          { weight: 6, arbitrary: fc.constant(false) },
          { weight: 1, arbitrary: fc.constant(true) },
        ),
        hostileBody,
        idText: walletRef,
        query: fc.oneof(
          query,
          text(40).map((q) => pct(q)),
        ),
        requestId: fc.option(text(200).filter(headerSafe), { nil: undefined }),
        hold: ref(rawId),
        tx: ref(rawId),
        clean: cleanArb,
        cleanCaller: fc.oneof(
          { weight: 5, arbitrary: fc.constant(validCallers[0]) },
          { weight: 2, arbitrary: fc.constantFrom(...validCallers) },
        ),
      })
      .chain((c) => {
        if (c.route === "CLEAN") {
          const headers: Record<string, string> = {
            authorization: c.cleanCaller.header!,
            "idempotency-key": `fz-clean-${Date.now()}-${keySeq++}`,
          };
          return fc.constant<RestCase>({
            method: "",
            path: "",
            route: "CLEAN",
            caller: c.cleanCaller,
            headers,
            hold: c.hold,
            tx: c.tx,
            clean: c.clean,
          });
        }
        const [method, template] = c.route.split(" ");
        const structured = bodies[c.route];
        const bodyArb =
          method === "GET"
            ? fc.constant(undefined)
            : c.hostile || !structured
              ? fc.constant(c.hostileBody)
              : structured;
        return bodyArb.map((body): RestCase => {
          let path = template;
          if (template === "/api/wallets/:id") path = `/api/wallets/${pct(c.idText)}`;
          if (template === "/api/transactions" || template === "/api/holds") path = `${template}?${c.query}`;
          const headers: Record<string, string> = {};
          if (c.caller.header !== undefined) headers.authorization = c.caller.header;
          if (c.key !== undefined)
            headers["idempotency-key"] = c.key === "fresh" ? `fz-${Date.now()}-${keySeq++}` : c.key;
          if (body !== undefined && c.contentType) headers["content-type"] = c.contentType;
          if (c.requestId !== undefined) headers["x-request-id"] = c.requestId;
          return { method, path, route: c.route, caller: c.caller, headers, body, hold: c.hold, tx: c.tx };
        });
      });

    const uuidShaped = (id: string) =>
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
    /** The request a case makes against the store as it is now; a clean case also names its predicted operation. */
    const resolve = (c: RestCase, state: State) => {
      if (!c.clean) {
        const path = c.path
          .replace(":holdId", pct(resolveHold(c.hold, state)))
          .replace(":transactionId", pct(resolveTx(c.tx, state)));
        return { method: c.method, path, body: c.body, headers: c.headers };
      }
      const spec = c.clean;
      const sub = c.caller.sub!;
      const own = ids.filter((id) => state.wallets.get(id)?.ownerId === sub);
      const walletId = spec.own && own.length ? own[spec.wallet % own.length] : ids[spec.wallet];
      const id = (raw: string) => (uuidShaped(raw) ? raw : NO_SUCH_ID);
      const holdId = id(resolveHold(c.hold, state, spec.own ? sub : undefined));
      const transactionId = id(resolveTx(c.tx, state, spec.own ? sub : undefined));
      const json = (o: Record<string, unknown>) =>
        JSON.stringify(o, (_k, v) => (typeof v === "bigint" ? Number(v) : v));
      const post = (path: string, body: Record<string, unknown> | undefined, op: CleanOp) => ({
        method: "POST",
        path,
        body: body && json(body),
        headers: body ? { ...c.headers, "content-type": "application/json" } : c.headers,
        op,
      });
      const amount = spec.amount;
      switch (spec.op) {
        case "place":
          return post(
            "/api/holds",
            { walletId, amount: amount ?? 100n, expiresInSeconds: spec.expiresInSeconds },
            { op: "place", sub, walletId, amount: amount ?? 100n, expiresInSeconds: spec.expiresInSeconds },
          );
        case "capture": {
          const dest = spec.dest === undefined ? undefined : ids[spec.dest];
          const body =
            amount === undefined && dest === undefined ? undefined : { amount, destinationWalletId: dest };
          return post(`/api/holds/${holdId}/capture`, body, { op: "capture", sub, holdId, amount, dest });
        }
        case "void":
          return post(`/api/holds/${holdId}/void`, amount === undefined ? {} : undefined, {
            op: "void",
            sub,
            holdId,
          });
        case "reverse":
          return post(
            `/api/transactions/${transactionId}/reversals`,
            amount === undefined ? undefined : { amount },
            { op: "reverse", sub, mayCredit: c.caller.mayCredit === true, transactionId, amount },
          );
        case "getHold":
          return {
            method: "GET",
            path: `/api/holds/${holdId}`,
            headers: c.headers,
            op: { op: "getHold", sub, holdId } as CleanOp,
          };
        case "listHolds":
          return {
            method: "GET",
            path: `/api/holds?walletId=${walletId}&limit=100`,
            headers: c.headers,
            op: { op: "listHolds", sub, walletId } as CleanOp,
          };
      }
    };

    /** What a 2xx that was not a replay did, from its body and the state before it. */
    const effectOf = (route: string, data: Json, before: State, sub: string | undefined): Effect => {
      const big = (v: unknown) => BigInt(v as number);
      switch (route) {
        case "POST /api/wallets/credit":
        case "POST /api/wallets/debit": {
          const sign = route.endsWith("credit") ? 1n : -1n;
          return {
            kind: "move",
            legs: [
              { walletId: data.walletId, delta: sign * big(data.amount), balanceAfter: big(data.balance) },
            ],
          };
        }
        case "POST /api/transfers":
          return {
            kind: "move",
            legs: [
              { walletId: data.fromWalletId, delta: -big(data.amount), balanceAfter: big(data.balance) },
              { walletId: data.toWalletId, delta: big(data.amount) },
            ],
          };
        case "POST /api/wallets":
          return { kind: "created", walletId: data.id, ownerId: sub ?? "", currency: data.currency };
        case "POST /api/holds":
          expect(data.status).toBe("pending");
          return { kind: "holdPlaced", holdId: data.id, walletId: data.walletId, amount: big(data.amount) };
        case "POST /api/holds/:holdId/void":
          expect(data.hold.status).toBe("voided");
          return { kind: "holdEnded", holdId: data.hold.id, status: "VOIDED", captured: 0n, legs: [] };
        case "POST /api/holds/:holdId/capture": {
          const { hold, transaction } = data;
          expect(hold.status).toBe("captured");
          expect(transaction.holdId).toBe(hold.id);
          const captured = big(hold.capturedAmount);
          const legs: Leg[] = [
            { walletId: hold.walletId, delta: -captured, balanceAfter: big(transaction.balanceAfter) },
          ];
          if (hold.destinationWalletId) legs.push({ walletId: hold.destinationWalletId, delta: captured });
          return { kind: "holdEnded", holdId: hold.id, status: "CAPTURED", captured, legs };
        }
        case "POST /api/transactions/:transactionId/reversals": {
          const r = data.reversal;
          const original = before.txs.get(r.reversalOf);
          expect(original?.ownerId, "only the original's owner reverses it").toBe(sub);
          expect(original?.reversalOf, "a reversal is never reversed").toBeNull();
          expect(original?.type, "a transfer is reversed through its receiving leg").not.toBe("TRANSFER_OUT");
          const amount = big(r.amount);
          const legs: Leg[] = [
            {
              walletId: r.walletId,
              delta: r.type === "credit" ? amount : -amount,
              balanceAfter: big(r.balanceAfter),
            },
          ];
          if (r.type === "transfer_out") legs.push({ walletId: r.counterpartyWalletId, delta: amount });
          expect(r.type === "transfer_out", "a transfer's reversal is a transfer").toBe(
            original?.type === "TRANSFER_IN",
          );
          return { kind: "reversal", reversalOf: r.reversalOf, amount, legs };
        }
      }
      return { kind: "none" };
    };

    /** The invariants as the API reports them: every known owner's wallets, full history and every hold. */
    const expectApiInvariants = async () => {
      for (const caller of [callers[0], callers[3]]) {
        const auth = { authorization: caller.header! };
        const get = async (path: string) => {
          const res = await fetch(stack.gateway.url + path, { headers: auth });
          expect(res.status, path).toBe(200);
          return ((await res.json()) as { data: Json }).data;
        };
        const pages = async (path: string) => {
          const items: Json[] = [];
          let cursor: string | null = null;
          do {
            const page: { items: Json[]; nextCursor: string | null } = await get(
              `${path}&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
            );
            items.push(...page.items);
            cursor = page.nextCursor;
          } while (cursor);
          return items;
        };
        for (const { id } of (await get("/api/wallets")).items) {
          // The sweeper may expire a hold between the reads: read until the wallet is the same before and after.
          let w = await get(`/api/wallets/${id}`);
          let history: Json[] = [];
          let holds: Json[] = [];
          for (let attempt = 0; attempt < 10; attempt++) {
            history = await pages(`/api/transactions?walletId=${id}`);
            holds = await pages(`/api/holds?walletId=${id}`);
            const again = await get(`/api/wallets/${id}`);
            if (again.heldBalance === w.heldBalance && again.version === w.version) break;
            w = again;
          }
          const signed = history.reduce(
            (sum, t) => sum + (t.type === "credit" || t.type === "transfer_in" ? 1n : -1n) * BigInt(t.amount),
            0n,
          );
          const pending = holds
            .filter((h) => h.status === "pending")
            .reduce((sum, h) => sum + BigInt(h.amount), 0n);
          const context = `wallet ${w.id} of ${caller.sub}`;
          expect(BigInt(w.balance), `${context}: balance = signed history`).toBe(signed);
          expect(BigInt(w.heldBalance), `${context}: heldBalance = pending holds`).toBe(pending);
          expect(BigInt(w.availableBalance), `${context}: available`).toBe(
            BigInt(w.balance) - BigInt(w.heldBalance),
          );
          expect(BigInt(w.availableBalance) >= 0n, `${context}: available >= 0`).toBe(true);
          expect(history.length, `${context}: history length = version`).toBe(Number(w.version));
          for (const h of holds) {
            expect(h.status === "pending", `${context}: hold ${h.id} ended iff endedAt`).toBe(
              h.endedAt === null,
            );
            expect(BigInt(h.capturedAmount) <= BigInt(h.amount), `${context}: hold ${h.id} captured`).toBe(
              true,
            );
            expect(h.status === "captured", `${context}: hold ${h.id} capture transaction`).toBe(
              h.captureTransactionId !== null,
            );
          }
          for (const t of history) {
            expect(BigInt(t.reversedAmount) <= BigInt(t.amount), `${context}: ${t.id} reversed`).toBe(true);
            if (t.reversalOf) expect(t.reversedAmount, `${context}: reversal ${t.id} reversed`).toBe(0);
          }
        }
      }
    };

    await runFuzzCases(
      {
        name: "REST",
        dbUrl: stack.dbUrl,
        arb: caseArb,
        numRuns: runs,
        runsVariable: "FUZZ_REST_RUNS",
        invariantsEvery: 100,
        expectApiInvariants,
        success: "2xx",
      },
      async (c, run) => {
        const { before } = run;
        const r = resolve(c, before);
        let res: Response;
        try {
          res = await fetch(stack.gateway.url + r.path, {
            method: r.method,
            headers: r.headers,
            body: r.body,
          });
        } catch (err) {
          // Only a request the HTTP client itself refuses to send is not a case; the server must answer all others.
          if (err instanceof TypeError && !/fetch failed/.test(err.message)) {
            run.notACase();
            return;
          }
          throw err;
        }
        const textBody = await res.text();
        const route = c.clean ? `CLEAN ${c.clean.op}` : c.route;
        const outcome = `${route} ${res.status}`;
        run.count(outcome);
        const context = `${r.method} ${r.path} ${JSON.stringify(r.headers)} ${JSON.stringify(r.body)} -> ${res.status} ${textBody.slice(0, 300)}\n  after: ${run.previous}`;
        run.previous = `${r.method} ${r.path} ${JSON.stringify(r.body)?.slice(0, 300)} -> ${res.status} ${textBody.slice(0, 600)}`;
        expect(res.status, context).toBeLessThan(500);
        expect(textBody, context).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
        // Every refusal is the error envelope, with a stable code.
        let code = "OK";
        if (res.status >= 400) {
          const parsed = JSON.parse(textBody);
          expect(parsed, context).toMatchObject({
            error: {
              code: expect.stringMatching(/^[A-Z_]+$/),
              message: expect.any(String),
              requestId: expect.any(String),
            },
          });
          code = parsed.error.code;
        }
        const after = await run.readAfter();
        const replayed = res.headers.get("idempotent-replayed") === "true";
        if ("op" in r && r.op) {
          const expected = run.predict(r.op);
          if (expected) {
            expect({ status: res.status, code }, context).toEqual({
              status: expected.http,
              code: expected.code,
            });
          }
          if (res.status < 300 && r.op.op === "getHold") {
            // The sweeper may expire the hold between the read and the snapshot after it.
            const id = r.op.holdId;
            expect(
              [before, after].map((st) => st.holds.get(id)?.status.toLowerCase()),
              context,
            ).toContain(JSON.parse(textBody).data.status);
          }
        }
        let effect: Effect = { kind: "none" };
        if (res.status < 300 && !replayed) {
          run.succeeded();
          const data = JSON.parse(textBody).data;
          const key = c.clean
            ? {
                place: "POST /api/holds",
                capture: "POST /api/holds/:holdId/capture",
                void: "POST /api/holds/:holdId/void",
                reverse: "POST /api/transactions/:transactionId/reversals",
                getHold: "",
                listHolds: "",
              }[c.clean.op]
            : c.route;
          if (key === "POST /api/holds/:holdId/capture" || key === "POST /api/holds/:holdId/void") {
            const hold = before.holds.get(data.hold.id);
            expect(hold?.ownerId, `${context}: ended another owner's hold`).toBe(c.caller.sub);
          }
          if (c.clean?.op === "capture" && data.hold) {
            const hold = before.holds.get(data.hold.id)!;
            expect(BigInt(data.hold.capturedAmount), context).toBe(c.clean.amount ?? hold.amount);
          }
          effect = effectOf(key, data, before, c.caller.sub);
        }
        expectEffect(before, after, effect, context);
      },
    );
    // Still serving after all of it.
    expect((await fetch(`${stack.gateway.url}/healthz`)).status).toBe(200);
  });
});
