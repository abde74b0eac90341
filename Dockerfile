# One image for every Node process of the mesh, plus the Envoy edge with its descriptor set. Stages:
#   descriptor  buf build of proto/ → /descriptor.binpb (buf and the imported protos are npm packages)
#   envoy       envoyproxy/envoy with envoy/envoy.yaml and that descriptor baked in (docker-compose.yml
#               builds it with `target: envoy`), so nothing is mounted from a gitignored file
#   app         (the default) Node 20 with the runtime dependencies; SERVICE picks the gRPC service:
#                 docker run -e SERVICE=product recsys   ->  services/product/src/main.ts
# Other entry points (the trending consumer, the MovieLens importer, the NeuMF trainer) override
# the command, as docker-compose.yml does. TypeScript runs through tsx, as in development; gen/ is
# committed. Every process loads tracing-register.ts first (OpenTelemetry when
# OTEL_TRACES_EXPORTER=otlp, nothing otherwise), as `npm start` does.

FROM node:20-bookworm-slim AS descriptor
WORKDIR /src
COPY package.json package-lock.json ./
# Dev dependencies too (buf, google-proto-files); no install scripts (tfjs-node's download).
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY buf.yaml ./
COPY proto ./proto
RUN node_modules/.bin/buf build proto -o /descriptor.binpb

FROM envoyproxy/envoy:v1.36-latest AS envoy
COPY envoy/envoy.yaml /etc/envoy/envoy.yaml
COPY --from=descriptor /descriptor.binpb /etc/envoy/descriptor.binpb
CMD ["envoy", "-c", "/etc/envoy/envoy.yaml", "--log-level", "warn"]

FROM node:20-bookworm-slim AS app
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY . .
# The NeuMF artifacts (MODEL_DIR): a volume in docker-compose.yml, owned by the user that runs.
RUN mkdir -p /app/models && chown node:node /app/models

# Listen on every interface inside the container (the processes default to 127.0.0.1).
ENV HOST=0.0.0.0 \
    METRICS_HOST=0.0.0.0 \
    MODEL_DIR=/app/models \
    NODE_ENV=production
USER node
CMD ["sh", "-c", "exec node --import tsx --import ./services/shared/src/tracing-register.ts services/${SERVICE:?set SERVICE to product, user, engagement or recommendation}/src/main.ts"]
