import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type RouteOptions,
} from "fastify";

/**
 * Mark in a route schema (`[OPTIONAL_BODY]: true`) that the request may come without a body;
 * @fastify/swagger would document every schema'd body as required.
 */
export const OPTIONAL_BODY = "x-optional-body";

declare module "fastify" {
  interface FastifySchema {
    "x-optional-body"?: boolean;
  }
}

type Operation = { requestBody?: { required?: boolean }; [OPTIONAL_BODY]?: boolean };

const DOCS_PREFIX = "/docs";

/** The routes the OpenAPI document describes: what @fastify/swagger's own onRoute hook would see. */
type RecordedRoute = Pick<RouteOptions, "method" | "url" | "schema" | "config">;

/**
 * The OpenAPI 3 document and Swagger UI, built on first use (GET /openapi.json or /docs) rather
 * than at start-up: @fastify/swagger, @fastify/swagger-ui and what they load (yaml,
 * @fastify/static, the schema resolver, ~140 modules) are never needed by the API's hot path,
 * and loading them up front cost every replica about 5 MB of RSS.
 *
 * Register before the routes: it records every route (method, URL, schema) as it is added, and
 * the first request for the documentation declares the same routes, with the same schemas, on a
 * separate Fastify instance that carries the two plugins. /docs/* is served from that instance
 * through `inject`, so the responses still pass this app's hooks (security headers, telemetry).
 */
export function registerApiDocs(app: FastifyInstance): { openapiDocument(): Promise<unknown> } {
  const routes: RecordedRoute[] = [];
  app.addHook("onRoute", (route) => {
    if (route.url.startsWith(DOCS_PREFIX)) return;
    const methods = ([] as string[]).concat(route.method);
    // Fastify adds a HEAD route for every GET; the documentation app does the same.
    if (methods.every((m) => m === "HEAD")) return;
    routes.push({ method: route.method, url: route.url, schema: route.schema, config: route.config });
  });

  let built: Promise<FastifyInstance> | undefined;
  const docsApp = () => {
    built ??= buildDocsApp(routes).catch((err: unknown) => {
      built = undefined;
      throw err;
    });
    return built;
  };

  const serveDocs = async (request: FastifyRequest, reply: FastifyReply) => {
    const docs = await docsApp();
    const res = await docs.inject({ method: "GET", url: request.url, headers: request.headers });
    for (const [name, value] of Object.entries(res.headers)) {
      if (value === undefined || name === "content-length" || name === "connection" || name === "date")
        continue;
      reply.header(name, value);
    }
    return reply.code(res.statusCode).send(res.rawPayload);
  };
  app.get(DOCS_PREFIX, { schema: { hide: true } }, serveDocs);
  app.get(`${DOCS_PREFIX}/*`, { schema: { hide: true } }, serveDocs);

  return { openapiDocument: async () => (await docsApp()).swagger() };
}

async function buildDocsApp(routes: readonly RecordedRoute[]): Promise<FastifyInstance> {
  const [{ default: swagger }, { default: swaggerUi }] = await Promise.all([
    import("@fastify/swagger"),
    import("@fastify/swagger-ui"),
  ]);
  const docs = Fastify({ logger: false });
  // The routes here only describe the API: nothing is validated or serialized with their schemas.
  docs.setValidatorCompiler(() => () => true);
  docs.setSerializerCompiler(() => (data) => JSON.stringify(data));
  await docs.register(swagger, {
    openapi: {
      openapi: "3.0.3",
      info: {
        title: "Wallet gateway",
        version: "1.0.0",
        description:
          "Wallets, credits, debits, transfers, holds, reversals and history. Amounts are integers in minor units. " +
          "Success: {data}; failure: {error: {code, message, requestId}}.",
      },
      components: {
        securitySchemes: { bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
      },
      security: [{ bearerAuth: [] }],
    },
    transformObject: (document) => {
      if (!("openapiObject" in document)) return document.swaggerObject;
      const { openapiObject } = document;
      for (const path of Object.values(openapiObject.paths ?? {})) {
        for (const operation of Object.values(path ?? {}) as Operation[]) {
          if (typeof operation !== "object" || !operation?.[OPTIONAL_BODY]) continue;
          delete operation[OPTIONAL_BODY];
          if (operation.requestBody) operation.requestBody.required = false;
        }
      }
      return openapiObject;
    },
  });
  await docs.register(swaggerUi, { routePrefix: DOCS_PREFIX });
  for (const route of routes) {
    docs.route({ ...route, handler: async () => undefined });
  }
  await docs.ready();
  return docs;
}
