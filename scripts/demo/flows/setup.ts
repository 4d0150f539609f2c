import type { Session } from "../session.js";
import { check, heading, say } from "../transcript.js";

/** Mints alice's token and opens her USD wallet, or finds it when an earlier run opened it (409). */
export async function setup(s: Session): Promise<void> {
  heading(
    "Setup",
    "Sign in and open a wallet",
    "The gateway trusts a JWT (HS256 here) whose `sub` is the wallet owner. `npm run token -w services/gateway -- --sub alice` mints the same kind of token.",
  );
  s.user.token = await s.token(s.user.sub, "alice@example.com");
  const [header, payload] = s.user.token.split(".");
  say(
    `token for sub=alice (email alice@example.com, expires in 1 h): ${header!.slice(0, 12)}….${payload!.slice(0, 16)}…`,
  );
  const created = await s.call("POST", "/api/wallets", { token: s.user.token, body: { currency: "USD" } });
  check(
    created.status === 201 || (created.status === 409 && created.body?.error?.code === "WALLET_EXISTS"),
    created.status === 201
      ? "201: a new USD wallet"
      : "409 WALLET_EXISTS: alice already has a USD wallet (one per currency); reusing it",
  );
  const list = await s.call("GET", "/api/wallets", { token: s.user.token });
  const usd = list.body?.data?.items?.find((w: { currency: string }) => w.currency === "USD");
  check(
    list.status === 200 && usd !== undefined,
    `GET /api/wallets lists it: ${usd?.id} (balance ${usd?.balance})`,
  );
  if (!usd) throw new Error("no USD wallet for alice; the flows below need one");
  s.user.walletId = usd.id;
}
