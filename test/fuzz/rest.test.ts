import { mintToken } from "@wallet/auth";
import fc from "fast-check";
import { SignJWT } from "jose";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  fundedWallet,
  type GatewayStack,
  JWT_SECRET,
  startStack,
} from "../../services/gateway/test/stack.js";
import {
  type Effect,
  edgeText,
  expectEffect,
  fuzzSettings,
  openLedger,
  readLedger,
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
 *   - a 2xx changes exactly what it says (a replay changes nothing).
 */

interface Caller {
  header?: string;
  /** The subject a wallet it creates belongs to. */
  sub?: string;
}

interface RestCase {
  method: string;
  path: string;
  route: string;
  caller: Caller;
  headers: Record<string, string>;
  body?: string;
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

const headerSafe = (s: string) => /^[\x20-\x7e]*$/.test(s) && s.trim() === s;

describe("fuzz - REST API", () => {
  let stack: GatewayStack;
  let db: pg.Client;
  const ids: string[] = [];
  const callers: Caller[] = [];

  beforeAll(async () => {
    stack = await startStack({ RATE_LIMIT_MAX: "100000000" });
    db = await openLedger(stack.dbUrl);
    const alice = await stack.token("fuzz-alice");
    const bob = await stack.token("fuzz-bob");
    ids.push(
      await fundedWallet(stack.gateway, alice, "USD", 1_000_000_000),
      await fundedWallet(stack.gateway, alice, "EUR", 1_000_000_000),
      await fundedWallet(stack.gateway, bob, "USD", 0),
    );
    const config = stack.gateway.config;
    const bearer = (t: string) => `Bearer ${t}`;
    callers.push(
      { header: bearer(alice), sub: "fuzz-alice" },
      { header: bearer(alice), sub: "fuzz-alice" },
      { header: bearer(alice), sub: "fuzz-alice" },
      { header: bearer(bob), sub: "fuzz-bob" },
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
    await db?.end();
    await stack?.stop();
  });

  const runs = Number(process.env.FUZZ_REST_RUNS ?? 600);

  it("never a 5xx; a 4xx changes nothing; a 2xx changes exactly what it says", {
    timeout: 60_000 + runs * 200,
  }, async () => {
    const settings = fuzzSettings("REST", runs, "FUZZ_REST_RUNS");
    expect(settings.numRuns).toBe(runs);
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
            weight: 1,
            arbitrary: fc.constantFrom(
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
      })
      .chain((c) => {
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
          if (template === "/api/transactions") path = `${template}?${c.query}`;
          const headers: Record<string, string> = {};
          if (c.caller.header !== undefined) headers.authorization = c.caller.header;
          if (c.key !== undefined)
            headers["idempotency-key"] = c.key === "fresh" ? `fz-${Date.now()}-${keySeq++}` : c.key;
          if (body !== undefined && c.contentType) headers["content-type"] = c.contentType;
          if (c.requestId !== undefined) headers["x-request-id"] = c.requestId;
          return { method, path, route: c.route, caller: c.caller, headers, body };
        });
      });

    let cases = 0;
    let successes = 0;
    const stats = new Map<string, number>();
    // Nothing else writes meanwhile, so each case's ledger after is the next one's before.
    let ledger = await readLedger(db);
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        cases++;
        const before = ledger;
        let res: Response;
        try {
          res = await fetch(stack.gateway.url + c.path, {
            method: c.method,
            headers: c.headers,
            body: c.body,
          });
        } catch (err) {
          // Only a request the HTTP client itself refuses to send is not a case; the server must answer all others.
          if (err instanceof TypeError && !/fetch failed/.test(err.message)) {
            cases--;
            return;
          }
          throw err;
        }
        const textBody = await res.text();
        const outcome = `${c.route} ${res.status}`;
        stats.set(outcome, (stats.get(outcome) ?? 0) + 1);
        const context = `${c.method} ${c.path} ${JSON.stringify(c.headers)} ${JSON.stringify(c.body)} -> ${res.status} ${textBody.slice(0, 300)}`;
        expect(res.status, context).toBeLessThan(500);
        // Every refusal is the error envelope, with a stable code.
        if (res.status >= 400) {
          expect(JSON.parse(textBody), context).toMatchObject({
            error: {
              code: expect.stringMatching(/^[A-Z_]+$/),
              message: expect.any(String),
              requestId: expect.any(String),
            },
          });
        }
        const after = await readLedger(db);
        ledger = after;
        let effect: Effect = { kind: "none" };
        const replayed = res.headers.get("idempotent-replayed") === "true";
        if (res.status < 300 && !replayed) {
          successes++;
          const data = JSON.parse(textBody).data;
          if (c.route === "POST /api/wallets/credit" || c.route === "POST /api/wallets/debit") {
            const sign = c.route.endsWith("credit") ? 1n : -1n;
            effect = {
              kind: "move",
              legs: [
                {
                  walletId: data.walletId,
                  delta: sign * BigInt(data.amount),
                  balanceAfter: BigInt(data.balance),
                },
              ],
            };
          } else if (c.route === "POST /api/transfers") {
            effect = {
              kind: "move",
              legs: [
                {
                  walletId: data.fromWalletId,
                  delta: -BigInt(data.amount),
                  balanceAfter: BigInt(data.balance),
                },
                { walletId: data.toWalletId, delta: BigInt(data.amount) },
              ],
            };
          } else if (c.route === "POST /api/wallets") {
            effect = {
              kind: "created",
              walletId: data.id,
              ownerId: c.caller.sub ?? "",
              currency: data.currency,
            };
          }
        }
        expectEffect(before, after, effect, context);
      }),
      { ...settings, endOnFailure: true },
    );
    console.log(
      `fuzz REST outcomes: ${[...stats]
        .sort()
        .map(([k, n]) => `${k} x${n}`)
        .join(", ")}`,
    );
    console.log(`fuzz REST: ${cases} cases run, ${successes} of them 2xx with effects checked`);
    expect(cases).toBeGreaterThanOrEqual(settings.numRuns);
    expect(successes).toBeGreaterThan(0);
    // Still serving after all of it.
    expect((await fetch(`${stack.gateway.url}/healthz`)).status).toBe(200);
  });
});
