import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireBinary } from "./process.js";

/** PEM files of one test PKI, made by openssl: paths, not contents. */
export interface TestCerts {
  dir: string;
  /** The CA that signed the server and client certificates. */
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** An unrelated CA, and a client certificate it signed, which the server must refuse. */
  otherCaCert: string;
  strangerCert: string;
  strangerKey: string;
  remove(): void;
}

/**
 * Makes a throw-away CA with a server certificate for 127.0.0.1/localhost and a
 * client certificate, plus a client certificate from a second, unrelated CA.
 */
export function makeTestCerts(): TestCerts {
  requireBinary("openssl");
  const dir = mkdtempSync(join(tmpdir(), "wallet-certs-"));
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

  const makeCa = (name: string) =>
    openssl(
      "req",
      "-x509",
      ...ecKey,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.crt`,
      "-subj",
      `/CN=${name}`,
      "-days",
      "2",
    );
  const issue = (name: string, ca: string, ext: string) => {
    writeFileSync(path(`${name}.ext`), ext);
    openssl("req", ...ecKey, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`);
    openssl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      `${ca}.crt`,
      "-CAkey",
      `${ca}.key`,
      "-CAcreateserial",
      "-out",
      `${name}.crt`,
      "-days",
      "2",
      "-extfile",
      `${name}.ext`,
    );
  };
  makeCa("test-ca");
  makeCa("other-ca");
  issue("server", "test-ca", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  issue("client", "test-ca", "extendedKeyUsage=clientAuth\n");
  issue("stranger", "other-ca", "extendedKeyUsage=clientAuth\n");
  return {
    dir,
    caCert: path("test-ca.crt"),
    otherCaCert: path("other-ca.crt"),
    serverCert: path("server.crt"),
    serverKey: path("server.key"),
    clientCert: path("client.crt"),
    clientKey: path("client.key"),
    strangerCert: path("stranger.crt"),
    strangerKey: path("stranger.key"),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
