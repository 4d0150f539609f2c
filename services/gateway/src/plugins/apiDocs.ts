import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";

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
  });
  app.register(swaggerUi, { routePrefix: "/docs" });
}
