import { Redis } from "ioredis";
import type { Session } from "../session.js";
import { check, clip, heading, say } from "../transcript.js";
import type { FirstCredit } from "./flow1Credit.js";

/** Flow 2: the client retries Flow 1's credit with the same key and gets the same answer, applied once. */
export async function flow2Replay(s: Session, first: FirstCredit | undefined): Promise<void> {
  heading(
    "Flow 2",
    "Idempotency replay",
    "A network blip makes the client send Flow 1's request again with the same Idempotency-Key. The gateway finds the stored answer in Redis and replays it byte for byte; the wallet is not called and no money moves twice.",
  );
  if (!first) {
    check(false, "Flow 1 gave no credit to repeat");
    return;
  }
  const replay = await s.call(...first.request);
  check(replay.status === 200, "200 again");
  check(replay.headers.get("idempotent-replayed") === "true", "Idempotent-Replayed: true");
  check(
    replay.text === first.response.text,
    "the body is byte-for-byte the first answer (same transactionId, same balance)",
  );
  const wallet = await s.call("GET", `/api/wallets/${s.user.walletId}`, { token: s.user.token });
  check(
    wallet.body?.data?.balance === first.response.body?.data?.balance,
    `balance still ${wallet.body?.data?.balance}: credited once`,
  );
  const headers = first.request[2]?.headers ?? {};
  const redisKey = `idem:${s.user.sub}:${headers["idempotency-key"]}`;
  const redis = new Redis(s.config.redisUrl, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
  });
  try {
    await redis.connect();
    const stored = await redis.get(redisKey);
    say(`redis-cli GET ${redisKey}`);
    say(`→ ${clip(stored ?? "(nil)", 160)}`);
  } catch (err) {
    say(`(could not read Redis at ${s.config.redisUrl}: ${(err as Error).message})`);
  } finally {
    redis.disconnect();
  }
}
