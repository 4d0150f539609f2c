import { readFileSync } from "node:fs";
import { type ChannelCredentials, credentials, status } from "@grpc/grpc-js";
import { WalletServiceClient } from "@wallet/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTestCerts, type TestCerts } from "../../../test/support/certs.js";
import { call, defaultToken, failure, testToken, walletPerSuite } from "./harness.js";

// gRPC over TLS, and mTLS with client certificates, with certificates made by openssl now.
describe("wallet gRPC over TLS", () => {
  let certs: TestCerts;
  let token: string;
  const clients: WalletServiceClient[] = [];
  beforeAll(async () => {
    certs = makeTestCerts();
    token = await testToken("tls-user");
  });
  afterAll(() => {
    for (const c of clients) c.close();
    certs?.remove();
  });

  const dial = (port: number, creds: ChannelCredentials) => {
    const client = new WalletServiceClient(`127.0.0.1:${port}`, creds, {
      interceptors: [defaultToken(token)],
      "grpc.initial_reconnect_backoff_ms": 100,
    });
    clients.push(client);
    return client;
  };
  const pem = (file: string) => readFileSync(file);
  const listWallets = (client: WalletServiceClient) =>
    call(client, client.listWallets, { ownerId: "" }).then((r) => r.wallets);

  describe("TLS (server certificate only)", () => {
    const suite = walletPerSuite(() => ({
      WALLET_TLS_CERT_FILE: certs.serverCert,
      WALLET_TLS_KEY_FILE: certs.serverKey,
    }));

    it("a client trusting the CA is served; a plaintext client is not", async () => {
      expect(
        await listWallets(dial(suite.wallet.app.grpcPort, credentials.createSsl(pem(certs.caCert)))),
      ).toEqual([]);
      const plaintext = await failure(
        listWallets(dial(suite.wallet.app.grpcPort, credentials.createInsecure())),
      );
      expect(plaintext.code).toBe(status.UNAVAILABLE);
    });

    it("a client that does not trust the server's CA refuses the connection", async () => {
      const other = await failure(
        listWallets(dial(suite.wallet.app.grpcPort, credentials.createSsl(pem(certs.otherCaCert)))),
      );
      expect(other.code).toBe(status.UNAVAILABLE);
    });
  });

  describe("mTLS (WALLET_TLS_CLIENT_CA_FILE)", () => {
    const suite = walletPerSuite(() => ({
      WALLET_TLS_CERT_FILE: certs.serverCert,
      WALLET_TLS_KEY_FILE: certs.serverKey,
      WALLET_TLS_CLIENT_CA_FILE: certs.caCert,
    }));

    it("a client certificate signed by the CA is accepted", async () => {
      const client = dial(
        suite.wallet.app.grpcPort,
        credentials.createSsl(pem(certs.caCert), pem(certs.clientKey), pem(certs.clientCert)),
      );
      expect(await listWallets(client)).toEqual([]);
    });

    it("a client without a certificate is refused", async () => {
      const r = await failure(
        listWallets(dial(suite.wallet.app.grpcPort, credentials.createSsl(pem(certs.caCert)))),
      );
      expect(r.code).toBe(status.UNAVAILABLE);
    });

    it("a client certificate from another CA is refused", async () => {
      const client = dial(
        suite.wallet.app.grpcPort,
        credentials.createSsl(pem(certs.caCert), pem(certs.strangerKey), pem(certs.strangerCert)),
      );
      const r = await failure(listWallets(client));
      expect(r.code).toBe(status.UNAVAILABLE);
    });

    it("mTLS does not replace the token: a certified client without a token is UNAUTHENTICATED", async () => {
      const client = new WalletServiceClient(
        `127.0.0.1:${suite.wallet.app.grpcPort}`,
        credentials.createSsl(pem(certs.caCert), pem(certs.clientKey), pem(certs.clientCert)),
      );
      clients.push(client);
      const r = await failure(call(client, client.listWallets, { ownerId: "tls-user" }));
      expect(r).toMatchObject({ code: status.UNAUTHENTICATED, reason: "UNAUTHORIZED" });
    });
  });
});
