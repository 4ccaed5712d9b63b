# syntax=docker/dockerfile:1
# One image for every process: the default command is the API; the worker runs the same image with
# `bin/worker` (node dist/worker/main.js with its memory settings) and migrations with `node dist/cli/main.js migrate` (see docker-compose.yml).
# No HEALTHCHECK here for that reason: a probe for the API would mark every worker container unhealthy.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# Lockfile first so the dependency layer stays cached while only sources change.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production TZ=UTC
WORKDIR /app
# package.json is needed at run time too: its "type": "module" makes Node load dist/**/*.js as ESM.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# dist/ holds the compiled processes, dist/workflow-bundle.js (so workers start without webpack) and the
# migrations that `npm run build` copies next to the compiled db/migrate.js.
COPY --from=build /app/dist ./dist
# Migrations are read at run time from beside db/migrate.js (by `migrate` and at worker start-up);
# copied here too so the image never depends on the build script having done it.
COPY db/migrations ./dist/db/migrations
# The worker's launcher: its memory settings (glibc malloc, V8 heap) are measured in docs/capacity.md.
COPY bin ./bin
# The base image's `node` user, numeric so Kubernetes' runAsNonRoot can verify it. The app files
# stay root-owned: the processes need to read them, never to write them.
USER 1000:1000
EXPOSE 3000 9464
CMD ["node", "dist/api/main.js"]
