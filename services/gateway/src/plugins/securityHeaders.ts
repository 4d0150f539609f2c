import type { IncomingMessage, ServerResponse } from "node:http";
import type { FastifyInstance } from "fastify";
import helmet, { type HelmetOptions } from "helmet";

/**
 * The headers helmet sends with `options`, computed once: helmet's middleware
 * runs against a recording response at start-up. `set` holds every header it
 * sets (CSP, HSTS, X-Content-Type-Options, X-Frame-Options...), `removed` the
 * ones it strips (X-Powered-By).
 */
export function helmetHeaders(options?: Readonly<HelmetOptions>): {
  set: Record<string, string>;
  removed: string[];
} {
  const set: Record<string, string> = {};
  const removed: string[] = [];
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      set[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : String(value);
      return recorder;
    },
    removeHeader(name: string) {
      delete set[name.toLowerCase()];
      removed.push(name.toLowerCase());
    },
  };
  let failure: unknown;
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => {
    failure = err;
  });
  if (failure) throw failure;
  return { set, removed };
}

/**
 * Helmet's default security headers on every response, built once instead of
 * on every request (which @fastify/helmet does, CSP included). Same header set
 * as `app.register(helmet)` with no options, for every route including /docs.
 */
export function registerSecurityHeaders(app: FastifyInstance): void {
  const { set, removed } = helmetHeaders();
  const names = Object.keys(set);
  const values = names.map((name) => set[name] as string);
  app.addHook("onRequest", (_request, reply, done) => {
    const raw = reply.raw;
    for (let i = 0; i < names.length; i++) raw.setHeader(names[i] as string, values[i] as string);
    for (const name of removed) raw.removeHeader(name);
    done();
  });
}
