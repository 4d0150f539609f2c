import { describe, expect, it } from "vitest";
import { ConfigError } from "./config.js";
import { devDefaultsInUse, grpcTlsChecks, requireOutsideDevMode } from "./security.js";

type Files = { DEV_MODE: boolean; CERT?: string; KEY?: string; CA?: string };
const names = { cert: "CERT", key: "KEY", ca: "CA" };

/** What the checks of `end` say of `files`: "ok" or the ConfigError's message. */
function verdict(end: "server" | "client", files: Files): string {
  const tls = grpcTlsChecks<Files>(end, names);
  try {
    tls.rule(files);
    requireOutsideDevMode(files, [tls.devDefault]);
    return "ok";
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message.replace("invalid configuration: ", "");
  }
}

describe("gRPC TLS files", () => {
  const prod = { DEV_MODE: false };
  it.each<[string, "server" | "client", Files, string]>([
    ["server with certificate and key", "server", { ...prod, CERT: "c", KEY: "k" }, "ok"],
    ["server verifying clients (mTLS)", "server", { ...prod, CERT: "c", KEY: "k", CA: "a" }, "ok"],
    [
      "server certificate without its key",
      "server",
      { ...prod, CERT: "c" },
      "CERT and KEY must be set together",
    ],
    [
      "server client CA without TLS",
      "server",
      { DEV_MODE: true, CA: "a" },
      "CA needs CERT and KEY (mTLS runs over TLS)",
    ],
    [
      "server without TLS outside DEV_MODE",
      "server",
      prod,
      "CERT and KEY are required (gRPC over TLS) unless DEV_MODE=true",
    ],
    ["server without TLS in DEV_MODE", "server", { DEV_MODE: true }, "ok"],
    ["client verifying the server", "client", { ...prod, CA: "a" }, "ok"],
    ["client presenting a certificate (mTLS)", "client", { ...prod, CA: "a", CERT: "c", KEY: "k" }, "ok"],
    [
      "client key without its certificate",
      "client",
      { ...prod, CA: "a", KEY: "k" },
      "CERT and KEY must be set together",
    ],
    [
      "client certificate to an unverified server",
      "client",
      { DEV_MODE: true, CERT: "c", KEY: "k" },
      "CA is required with CERT",
    ],
    [
      "client without TLS outside DEV_MODE",
      "client",
      prod,
      "CA is required (TLS to the wallet) unless DEV_MODE=true",
    ],
    ["client without TLS in DEV_MODE", "client", { DEV_MODE: true }, "ok"],
  ])("%s", (_, end, files, expected) => {
    expect(verdict(end, files)).toBe(expected);
  });

  it("names plaintext gRPC as the development fallback only while the end's own TLS file is missing", () => {
    const server = grpcTlsChecks<Files>("server", names).devDefault;
    const client = grpcTlsChecks<Files>("client", names).devDefault;
    expect(devDefaultsInUse({ DEV_MODE: true, CA: "a" }, [server, client])).toEqual(["plaintext gRPC"]);
    expect(devDefaultsInUse({ DEV_MODE: true, CERT: "c", KEY: "k", CA: "a" }, [server, client])).toEqual([]);
  });
});
