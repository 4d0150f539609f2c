# syntax=docker/dockerfile:1
# One image per service, from this one file. Build context is the repository root:
#   docker build --build-arg SERVICE=wallet -t wallet-platform/wallet:dev .
# SERVICE is wallet, gateway or notifier; the last stage picks that service's runtime settings.
ARG NODE_VERSION=26
ARG SERVICE

# Build: the whole workspace with dev dependencies, compiled by the TypeScript project references.
FROM node:${NODE_VERSION}-bookworm-slim AS build
ARG SERVICE
WORKDIR /app
# Manifests before sources, so the dependency layer stays cached until a manifest or the lockfile changes.
COPY package.json package-lock.json tsconfig.base.json tsconfig.json ./
COPY packages/contracts/package.json packages/contracts/
COPY packages/runtime/package.json packages/runtime/
COPY packages/auth/package.json packages/auth/
COPY services/wallet/package.json services/wallet/
COPY services/gateway/package.json services/gateway/
COPY services/notifier/package.json services/notifier/
RUN npm ci --no-audit --no-fund
COPY packages/ packages/
COPY services/${SERVICE}/ services/${SERVICE}/
RUN npx tsc -b services/${SERVICE}

# Production dependencies of this service and the two shared packages only.
FROM node:${NODE_VERSION}-bookworm-slim AS deps
ARG SERVICE
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/packages/contracts/package.json packages/contracts/
COPY --from=build /app/packages/runtime/package.json packages/runtime/
COPY --from=build /app/packages/auth/package.json packages/auth/
COPY --from=build /app/services/wallet/package.json services/wallet/
COPY --from=build /app/services/gateway/package.json services/gateway/
COPY --from=build /app/services/notifier/package.json services/notifier/
RUN npm ci --omit=dev --no-audit --no-fund -w services/${SERVICE} -w packages/runtime -w packages/auth -w packages/contracts \
  && npm cache clean --force

# Runtime: compiled code plus production node_modules, owned by root and run by the unprivileged node user.
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ARG SERVICE
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY --from=build /app/package.json ./
COPY --from=build /app/packages/contracts/package.json packages/contracts/
COPY --from=build /app/packages/contracts/dist packages/contracts/dist
COPY --from=build /app/packages/runtime/package.json packages/runtime/
COPY --from=build /app/packages/runtime/dist packages/runtime/dist
COPY --from=build /app/packages/auth/package.json packages/auth/
COPY --from=build /app/packages/auth/dist packages/auth/dist
COPY --from=build /app/services/${SERVICE}/package.json services/${SERVICE}/
COPY --from=build /app/services/${SERVICE}/dist services/${SERVICE}/dist
COPY deploy/docker/healthcheck.mjs ./
# Numeric uid of the image's node user, so Kubernetes can verify runAsNonRoot.
USER 1000:1000
# Exec form below: node is PID 1 and receives SIGTERM directly; the service drains and exits 0.
STOPSIGNAL SIGTERM

# What differs per service: its ports and the port its HEALTHCHECK asks (all three run a 1 MB young generation).
FROM runtime AS wallet
EXPOSE 50051 9464
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "healthcheck.mjs", "WALLET_ADMIN_PORT", "9464", "/readyz"]
CMD ["node", "--max-semi-space-size=2", "--max-old-space-size=128", "services/wallet/dist/main.js"]

FROM runtime AS gateway
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "healthcheck.mjs", "GATEWAY_PORT", "3000", "/readyz"]
CMD ["node", "--max-semi-space-size=1", "--max-old-space-size=128", "services/gateway/dist/main.js"]

FROM runtime AS notifier
EXPOSE 9465
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "healthcheck.mjs", "NOTIFIER_ADMIN_PORT", "9465", "/readyz"]
CMD ["node", "--max-semi-space-size=4", "--max-old-space-size=128", "services/notifier/dist/main.js"]

FROM ${SERVICE}
