import { parseArgs } from "node:util";
import { mintToken } from "./auth/mintToken.js";
import { loadGatewayConfig } from "./config.js";

// Dev command: prints a bearer token for the gateway configured by the same environment.
const { values } = parseArgs({
  options: { sub: { type: "string" }, email: { type: "string" }, ttl: { type: "string", default: "3600" } },
});
if (!values.sub || !/^\d+$/.test(values.ttl)) {
  process.stderr.write(
    "usage: npm run token -w services/gateway -- --sub alice [--email alice@example.com] [--ttl 3600]\n",
  );
  process.exit(2);
}
const config = loadGatewayConfig();
if (config.JWT_SECRET === undefined)
  process.stderr.write("warning: JWT_SECRET is not set, signing with the development secret\n");
process.stdout.write(
  `${await mintToken(config, { sub: values.sub, email: values.email, ttlSeconds: Number(values.ttl) })}\n`,
);
