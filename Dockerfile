# The ledger's image: `docker build -t ledger .`; docker-compose.yml uses it for development.
# Two stages: the first compiles (TypeScript, better-sqlite3's native module), the second keeps only
# what runs: production dependencies, dist/ and bin/, as the unprivileged user `node`.

FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
COPY bench ./bench
COPY console ./console
# `npm ci` builds dist/ through the `prepare` script; then the dev dependencies go.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
# The default SQLite store (./data/ledger.db) and read-model snapshots: the one place it writes.
RUN mkdir /app/data && chown node:node /app/data
USER node
EXPOSE 3000
# node runs as PID 1, with no npm or shell in between to keep the signal: SIGTERM from `docker stop`
# reaches the server, which lets the requests in flight finish and exits.
CMD ["node", "bin/ledger.js", "serve"]
