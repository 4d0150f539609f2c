import { parseArgs } from "node:util";
import { mintToken } from "@wallet/auth";
import { loadGatewayConfig } from "./config.js";

// Dev command: prints a bearer token for the gateway (and wallet) configured by the same environment.
const { values } = parseArgs({
  options: {
    sub: { type: "string" },
    email: { type: "string" },
    scope: { type: "string" },
    ttl: { type: "string", default: "3600" },
  },
});
if (!values.sub || !/^\d+$/.test(values.ttl)) {
  process.stderr.write(
    "usage: npm run token -w services/gateway -- --sub alice [--email alice@example.com] [--scope 'wallet:credit'] [--ttl 3600]\n" +
      "  --scope defaults to CREDIT_SCOPE (wallet:credit); --scope '' mints a plain user token,\n" +
      "  --scope wallet:admin an operator token that acts for any owner.\n",
  );
  process.exit(2);
}
// The development defaults are what this command is for; a configured JWT_SECRET still wins.
const config = loadGatewayConfig({ DEV_MODE: "true", ...process.env });
if (config.JWT_SECRET === undefined)
  process.stderr.write("warning: JWT_SECRET is not set, signing with the development secret\n");
process.stdout.write(
  `${await mintToken(config, {
    sub: values.sub,
    email: values.email,
    scope: values.scope ?? config.CREDIT_SCOPE,
    ttlSeconds: Number(values.ttl),
  })}\n`,
);
