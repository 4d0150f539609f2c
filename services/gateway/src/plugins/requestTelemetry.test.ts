import { Writable } from "node:stream";
import { createMetricsRegistry } from "@wallet/runtime";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createGatewayMetrics } from "../metrics.js";
import { registerRequestTelemetry, requestIdOf } from "./requestTelemetry.js";

interface Line {
  level: number;
  msg: string;
  reqId: string;
  method: string;
  url: string;
  statusCode: number;
}

/** A real Fastify app listening on HTTP, logging "request completed" lines at `level` into `lines`. */
async function appLoggingAt(level: string, lines: Line[]): Promise<{ app: FastifyInstance; url: string }> {
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const text of String(chunk).split("\n")) if (text) lines.push(JSON.parse(text));
      cb();
    },
  });
  const app = Fastify({
    loggerInstance: pino({ level }, sink) as FastifyBaseLogger,
    genReqId: requestIdOf,
    logController: new LogController({ requestIdLogLabel: "reqId", disableRequestLogging: true }),
  });
  registerRequestTelemetry(app, createGatewayMetrics(createMetricsRegistry("gateway")));
  app.get("/hit", async (_req, reply) => reply.header("x-cache", "HIT").send({ data: [] }));
  app.get("/miss", async (_req, reply) => reply.header("x-cache", "MISS").send({ data: [] }));
  app.post("/write", async () => ({ data: { ok: true } }));
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  return { app, url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}` };
}

const completed = (lines: Line[]) => lines.filter((line) => line.msg === "request completed");

describe("request log line", () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
  });

  it("at info: no line for a cache hit; a miss and a write keep theirs, with the correlation id", async () => {
    const lines: Line[] = [];
    const started = await appLoggingAt("info", lines);
    app = started.app;
    for (const [method, path, id] of [
      ["GET", "/hit", "corr-hit"],
      ["GET", "/miss", "corr-miss"],
      ["POST", "/write", "corr-write"],
    ] as const) {
      const res = await fetch(started.url + path, { method, headers: { "x-request-id": id } });
      expect(res.status).toBe(200);
    }
    await app.close();
    app = undefined;
    expect(
      completed(lines).map(({ level, reqId, method, url, statusCode }) => ({
        level,
        reqId,
        method,
        url,
        statusCode,
      })),
    ).toEqual([
      { level: 30, reqId: "corr-miss", method: "GET", url: "/miss", statusCode: 200 },
      { level: 30, reqId: "corr-write", method: "POST", url: "/write", statusCode: 200 },
    ]);
  });

  it("at debug: the cache hit is logged at debug, with its correlation id", async () => {
    const lines: Line[] = [];
    const started = await appLoggingAt("debug", lines);
    app = started.app;
    const res = await fetch(`${started.url}/hit`, { headers: { "x-request-id": "corr-hit" } });
    expect(res.status).toBe(200);
    await app.close();
    app = undefined;
    expect(completed(lines).map(({ level, reqId, url }) => ({ level, reqId, url }))).toEqual([
      { level: 20, reqId: "corr-hit", url: "/hit" },
    ]);
  });
});
