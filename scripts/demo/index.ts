// `npm run demo`: walks through Flows 1-12 of docs/flows.md against a running platform
// (`npm start`), printing each request and answer and whether it matched.
import { type FirstCredit, flow1Credit } from "./flows/flow1Credit.js";
import { flow2Replay } from "./flows/flow2Replay.js";
import { flow3Race } from "./flows/flow3Race.js";
import { flow4Retry } from "./flows/flow4Retry.js";
import { flow5Cache } from "./flows/flow5Cache.js";
import { flow6RateLimit } from "./flows/flow6RateLimit.js";
import { flow7Errors } from "./flows/flow7Errors.js";
import { flow8Pagination } from "./flows/flow8Pagination.js";
import { flow9Shutdown } from "./flows/flow9Shutdown.js";
import { type CapturedPayment, flow10Holds, flow11Expiry, flow12Refund } from "./flows/flow10Holds.js";
import { setup } from "./flows/setup.js";
import { demoConfig, openSession } from "./session.js";
import { bold, dim, failStep, summary } from "./transcript.js";

// Every step bounds its own waits; this is the backstop for the whole run.
const OVERALL_TIMEOUT_MS = 240_000;

const config = demoConfig();
const started = performance.now();
const watchdog = setTimeout(() => {
  process.stdout.write(`\n✗ the demo did not finish within ${OVERALL_TIMEOUT_MS / 1000} s\n`);
  process.exit(1);
}, OVERALL_TIMEOUT_MS);
watchdog.unref();

process.stdout.write(`${bold("Wallet platform demo")}: the product flows against ${config.gatewayUrl}\n`);
process.stdout.write(
  dim(`NATS ${config.natsUrl} · wallet gRPC ${config.walletGrpcUrl} · Redis ${config.redisUrl}\n`),
);

const ready = await fetch(`${config.gatewayUrl}/readyz`, { signal: AbortSignal.timeout(3000) }).then(
  (r) => r.status,
  () => 0,
);
if (ready !== 200) {
  process.stdout.write(
    ready === 0
      ? `\n✗ No gateway answers at ${config.gatewayUrl}.\n`
      : `\n✗ The gateway at ${config.gatewayUrl} is not ready (GET /readyz → ${ready}).\n`,
  );
  process.stdout.write(
    "  Start the platform in another terminal with `npm start` (it needs PostgreSQL, Redis and NATS on\n" +
      "  their default local ports), then run `npm run demo` again. Or set GATEWAY_URL to a running gateway.\n",
  );
  process.exit(2);
}

const s = openSession(config);
process.stdout.write(dim(`run ${s.runId}: keys, subjects and x-request-ids of this run carry it\n`));

const step = async <T>(run: () => Promise<T>): Promise<T | undefined> => {
  try {
    return await run();
  } catch (err) {
    failStep(err);
    return undefined;
  }
};

await step(() => setup(s));
// Without alice's wallet the flows have nothing to work on.
if (s.user.walletId) {
  const first: FirstCredit | undefined = await step(() => flow1Credit(s));
  await step(() => flow2Replay(s, first));
  await step(() => flow3Race(s));
  await step(() => flow4Retry(s));
  await step(() => flow5Cache(s));
  await step(() => flow6RateLimit(s));
  await step(() => flow7Errors(s));
  await step(() => flow8Pagination(s));
  const payment: CapturedPayment | undefined = await step(() => flow10Holds(s));
  await step(() => flow11Expiry(s));
  await step(() => flow12Refund(s, payment));
  await step(() => flow9Shutdown(s));
}

const ok = summary((performance.now() - started) / 1000);
process.exit(ok ? 0 : 1);
