# One image for every process of the mesh; SERVICE picks the gRPC service to run:
#   docker run -e SERVICE=product recsys   ->  tsx services/product/src/main.ts
# Other entry points (the trending consumer, the MovieLens importer) override the command, as
# docker-compose.yml does. TypeScript runs through tsx, as in development; gen/ is committed.
FROM node:20-bookworm-slim

WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY . .

# Listen on every interface inside the container (the services default to 127.0.0.1).
ENV HOST=0.0.0.0 \
    NODE_ENV=production
USER node
CMD ["sh", "-c", "exec node_modules/.bin/tsx services/${SERVICE:?set SERVICE to product, user, engagement or recommendation}/src/main.ts"]
