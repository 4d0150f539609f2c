import { execFileSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fundedWallet, type GatewayStack, JWT_SECRET, startStack } from "./stack.js";

const ISSUER = { JWT_ISSUER: "https://issuer.test/", JWT_AUDIENCE: "wallet-api" };

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const b64url = (s: string | Buffer) => Buffer.from(s).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);

function hs256(claims: Record<string, unknown>, secret = JWT_SECRET) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .sign(new TextEncoder().encode(secret));
}

describe("gateway authentication - JWT", () => {
  let stack: GatewayStack;
  let jwks: Server;

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    jwks?.close();
    await stack?.stop();
  });

  const listWallets = (token?: string, gw = stack.gateway) => gw.call("GET", "/api/wallets", { token });

  it("missing token - 401 with a bare Bearer challenge", async () => {
    const res = await listWallets();
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ code: "UNAUTHORIZED", message: "Missing bearer token" });
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="wallet"');
  });

  it.each([
    ["malformed", async () => "not.a.jwt"],
    ["expired", () => hs256({ sub: "alice", exp: now() - 60 })],
    ["without exp", () => hs256({ sub: "alice" })],
    ["without sub", () => hs256({ exp: now() + 600 })],
    [
      "wrong signature",
      () => hs256({ sub: "alice", exp: now() + 600 }, "another-secret-of-at-least-32-characters"),
    ],
    [
      "alg none",
      async () =>
        `${b64url('{"alg":"none","typ":"JWT"}')}.${b64url(JSON.stringify({ sub: "alice", exp: now() + 600 }))}.`,
    ],
  ])("%s token - 401 invalid_token", async (_name, makeToken) => {
    const res = await listWallets(await makeToken());
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("UNAUTHORIZED");
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm="wallet", error="invalid_token"/);
  });

  it("a token signed by an independent implementation (openssl HMAC-SHA256) is accepted", async () => {
    const signingInput = `${b64url('{"alg":"HS256","typ":"JWT"}')}.${b64url(JSON.stringify({ sub: "openssl-user", exp: now() + 600 }))}`;
    const mac = execFileSync(
      "openssl",
      ["dgst", "-sha256", "-mac", "HMAC", "-macopt", `key:${JWT_SECRET}`, "-binary"],
      {
        input: signingInput,
      },
    );
    const res = await listWallets(`${signingInput}.${b64url(mac)}`);
    expect(res.status).toBe(200);
    expect(res.body.data.items).toEqual([]);
  });

  it("iss and aud are enforced when configured", async () => {
    const gw = await stack.startGateway({ JWT_ISSUER: "https://issuer.test", JWT_AUDIENCE: "wallet-api" });
    const claims = { sub: "alice", exp: now() + 600, iss: "https://issuer.test" };
    expect((await listWallets(await hs256({ ...claims, aud: "wallet-api" }), gw)).status).toBe(200);
    expect((await listWallets(await hs256({ ...claims, aud: "other-api" }), gw)).status).toBe(401);
    expect(
      (await listWallets(await hs256({ ...claims, iss: "https://evil.test", aud: "wallet-api" }), gw)).status,
    ).toBe(401);
    expect((await listWallets(await hs256({ sub: "alice", exp: now() + 600 }), gw)).status).toBe(401);
  });

  it("RS256 via JWT_PUBLIC_KEY (gateway and wallet alike) - accepted; HS256 is then outside the allow-list", async () => {
    const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
    const keys = {
      JWT_ALGORITHMS: "RS256",
      JWT_PUBLIC_KEY: await exportSPKI(publicKey),
      JWT_SECRET: "",
      ...ISSUER,
    };
    const rs = await startStack(keys, keys);
    try {
      const token = await new SignJWT({ email: "rs@example.com" })
        .setProtectedHeader({ alg: "RS256" })
        .setSubject("rs-user")
        .setIssuer(ISSUER.JWT_ISSUER)
        .setAudience(ISSUER.JWT_AUDIENCE)
        .setExpirationTime("5m")
        .sign(privateKey);
      expect((await listWallets(token, rs.gateway)).status).toBe(200);
      const created = await rs.gateway.call("POST", "/api/wallets", { token, body: { currency: "USD" } });
      expect(created.status).toBe(201);
      expect((await listWallets(await hs256({ sub: "rs-user", exp: now() + 600 }), rs.gateway)).status).toBe(
        401,
      );
    } finally {
      await rs.stop();
    }
  });

  describe("JWKS (JWT_JWKS_URL, gateway and wallet alike)", () => {
    let jwksStack: GatewayStack;
    let privateKey: Parameters<SignJWT["sign"]>[0];
    let url: string;
    let served = 0;

    beforeAll(async () => {
      const pair = await generateKeyPair("ES256", { extractable: true });
      privateKey = pair.privateKey;
      const jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256", use: "sig" };
      jwks = createServer((_req, res) => {
        served += 1;
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ keys: [jwk] }));
      });
      await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
      url = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
      // Refreshes every 200 ms, so the outage below outlasts many refreshes.
      const keys = {
        JWT_ALGORITHMS: "ES256",
        JWT_JWKS_URL: url,
        JWT_JWKS_REFRESH_MS: "200",
        JWT_SECRET: "",
        ...ISSUER,
      };
      jwksStack = await startStack(keys, keys);
    });
    afterAll(() => jwksStack?.stop());

    const sign = (key: Parameters<SignJWT["sign"]>[0], kid: string, sub = "es-user") =>
      new SignJWT({})
        .setProtectedHeader({ alg: "ES256", kid })
        .setSubject(sub)
        .setIssuer(ISSUER.JWT_ISSUER)
        .setAudience(ISSUER.JWT_AUDIENCE)
        .setExpirationTime("5m")
        .sign(key);

    it("accepted; a key not in the set is refused", async () => {
      expect((await listWallets(await sign(privateKey, "k1"), jwksStack.gateway)).status).toBe(200);
      const stranger = await generateKeyPair("ES256");
      expect((await listWallets(await sign(stranger.privateKey, "k1"), jwksStack.gateway)).status).toBe(401);
    });

    it("JWKS server stopped after a first load: the last good key set keeps serving, at once", async () => {
      expect(
        (await listWallets(await sign(privateKey, "k1", "before-outage"), jwksStack.gateway)).status,
      ).toBe(200);
      expect(served).toBeGreaterThan(0);
      await new Promise<void>((resolve) => jwks.close(() => resolve()));
      jwks.closeAllConnections();
      // Well past the refresh age: refreshes are attempted and fail.
      await new Promise((r) => setTimeout(r, 1000));
      for (let i = 0; i < 3; i++) {
        // Fresh tokens, so neither service answers from its cache of verified tokens.
        const token = await sign(privateKey, "k1", `during-outage-${i}`);
        const res = await listWallets(token, jwksStack.gateway);
        expect(res.status).toBe(200);
        // The wallet verified the token too (it created the wallet for its subject).
        const created = await jwksStack.gateway.call("POST", "/api/wallets", {
          token,
          body: { currency: "EUR" },
        });
        expect(created.status).toBe(201);
      }
    });

    it("no key set ever loaded - 503 UNAVAILABLE, not 401", async () => {
      const deadJwks = `http://127.0.0.1:${await closedPort()}/jwks.json`;
      const gw = await jwksStack.startGateway({ JWT_JWKS_URL: deadJwks });
      const res = await listWallets(await sign(privateKey, "k1", "no-keys"), gw);
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe("UNAVAILABLE");
      expect(res.headers.get("retry-after")).toBe("5");
    });
  });

  it("the subject owns what it creates - another user's wallet is 404", async () => {
    const alice = await stack.token("alice");
    const walletId = await fundedWallet(stack.gateway, alice, "USD", 10);
    const res = await stack.gateway.call("GET", `/api/wallets/${walletId}`, {
      token: await stack.token("mallory"),
    });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("WALLET_NOT_FOUND");
  });
});
