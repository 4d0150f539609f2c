/**
 * The gateway's cached-read ceiling: Fastify + jose (HS256 key imported once) + one Redis GET
 * of the same page, nothing else. Usage: ceilingServer.ts <port>, with BENCH_REDIS_URL,
 * BENCH_JWT_SECRET and BENCH_PAGE_KEY in the environment.
 */
import Fastify from "fastify";
import { Redis } from "ioredis";
import { jwtVerify } from "jose";

const redis = new Redis(String(process.env.BENCH_REDIS_URL));
const key = new TextEncoder().encode(String(process.env.BENCH_JWT_SECRET));
const pageKey = String(process.env.BENCH_PAGE_KEY);
const app = Fastify({ logger: false });
app.get("/page", async (request, reply) => {
  await jwtVerify(String(request.headers.authorization).slice(7), key, { algorithms: ["HS256"] });
  reply.type("application/json");
  return redis.getBuffer(pageKey);
});
await app.listen({ port: Number(process.argv[2]), host: "127.0.0.1" });
process.on("SIGTERM", () => void app.close().then(() => process.exit(0)));
