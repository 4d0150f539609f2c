import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";

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

/** OpenAPI 3 document from the route schemas, and Swagger UI at /docs. Register before the routes. */
export function registerApiDocs(app: FastifyInstance): void {
  app.register(swagger, {
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
  app.register(swaggerUi, { routePrefix: "/docs" });
}
