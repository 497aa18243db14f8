# syntax=docker/dockerfile:1
# The sluice image: one image for every subcommand (gateway, operator, pipeline, validate,
# render). Node 24 comes from the base image and runs the TypeScript sources directly
# (type stripping); nothing is compiled, and no dev dependency (TypeScript, vitest, the
# `node` npm package) is installed.
ARG NODE_IMAGE=node:24-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# `npm install` rather than `npm ci`: the lock file cannot list Biome's packages for every
# platform (see README), which `npm ci` refuses even though Biome is a dev dependency.
# No production dependency needs an install script (lz4-napi ships prebuilt binaries as
# optional dependencies); protobufjs' postinstall only checks versions.
RUN npm install --omit=dev --ignore-scripts --no-audit --no-fund \
  && npm cache clean --force

FROM ${NODE_IMAGE}
# --max-semi-space-size=8 (MiB): V8's young generation otherwise grows to 64 MiB under
# the gateway's allocation rate; capped, peak RSS at full load drops by ~110 MiB for a few
# percent more CPU (docs/benchmarks/README.md). Setting NODE_OPTIONS replaces it, so keep
# the flag when adding others (e.g. the operator's --max-old-space-size=96).
ENV NODE_ENV=production \
    HOME=/tmp \
    NODE_OPTIONS=--max-semi-space-size=8
WORKDIR /app
# Files stay owned by root and read-only to the runtime user: the process writes nothing
# outside /tmp, so the container runs with readOnlyRootFilesystem and an emptyDir on /tmp.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY cli ./cli
COPY gateway ./gateway
COPY operator ./operator
USER 10001:10001
# 8080: the gateway's ingest API; 8081: the operator's health and metrics endpoint.
EXPOSE 8080 8081
# Exec form: Node is PID 1 and receives SIGTERM itself (graceful drain), no shell between.
# Heap caps differ per subcommand, so none is set here: run the operator with
# NODE_OPTIONS=--max-old-space-size=96 (see README).
ENTRYPOINT ["node", "bin/sluice.ts"]
CMD ["gateway", "--config", "/etc/sluice/config/gateway.yaml"]
