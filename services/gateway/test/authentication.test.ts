import { execFileSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fundedWallet, type GatewayStack, JWT_SECRET, startStack } from "./stack.js";

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

  it("RS256 via JWT_PUBLIC_KEY - accepted; HS256 is then outside the allow-list", async () => {
    const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
    const gw = await stack.startGateway({
      JWT_ALGORITHMS: "RS256",
      JWT_PUBLIC_KEY: await exportSPKI(publicKey),
    });
    const token = await new SignJWT({ email: "rs@example.com" })
      .setProtectedHeader({ alg: "RS256" })
      .setSubject("rs-user")
      .setExpirationTime("5m")
      .sign(privateKey);
    expect((await listWallets(token, gw)).status).toBe(200);
    expect((await listWallets(await hs256({ sub: "rs-user", exp: now() + 600 }), gw)).status).toBe(401);
  });

  it("ES256 via JWT_JWKS_URL - accepted; a key not in the set is refused", async () => {
    const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256", use: "sig" };
    jwks = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
    const gw = await stack.startGateway({ JWT_ALGORITHMS: "ES256", JWT_JWKS_URL: url });
    const sign = (key: Parameters<SignJWT["sign"]>[0], kid: string) =>
      new SignJWT({})
        .setProtectedHeader({ alg: "ES256", kid })
        .setSubject("es-user")
        .setExpirationTime("5m")
        .sign(key);
    expect((await listWallets(await sign(privateKey, "k1"), gw)).status).toBe(200);
    const stranger = await generateKeyPair("ES256");
    expect((await listWallets(await sign(stranger.privateKey, "k1"), gw)).status).toBe(401);
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
