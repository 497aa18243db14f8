# syntax=docker/dockerfile:1
# The sluice image: one image for every subcommand (gateway, operator, pipeline, validate,
# render). Node 24 comes from the base image and runs the sources compiled to JavaScript
# (Node's TypeScript stripper alone costs ~17 MiB RSS, and the compiled gateway starts with
# ~25-30 MiB less RSS; docs/benchmarks/README.md). No dev dependency (TypeScript, vitest, the
# `node` npm package) reaches the runtime stage.
ARG NODE_IMAGE=node:24-slim

FROM ${NODE_IMAGE} AS deps
# Compilers and the development packages the librdkafka engine's addon links against
# (dynamic linking: Debian's zlib, OpenSSL, zstd, lz4, SASL and curl).
# hadolint ignore=DL3008
RUN apt-get update \
  && apt-get install -y --no-install-recommends make g++ python3 zlib1g-dev libssl-dev libzstd-dev \
     liblz4-dev libsasl2-dev libcurl4-openssl-dev \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# `npm install` rather than `npm ci`: the lock file cannot list Biome's packages for every
# platform (see README), which `npm ci` refuses even though Biome is a dev dependency.
# Install scripts are skipped: the one production dependency that needs one
# (@confluentinc/kafka-javascript) is built below, from its bundled librdkafka source, against
# this Node's own headers; lz4-napi ships prebuilt binaries; protobufjs' postinstall only checks versions.
RUN npm install --omit=dev --ignore-scripts --no-audit --no-fund \
  && npm cache clean --force
WORKDIR /app/node_modules/@confluentinc/kafka-javascript
RUN CKJS_LINKING=dynamic node /usr/local/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js rebuild \
     --nodedir=/usr/local \
  && rm -rf deps build/Release/obj.target build/deps/include build/deps/*.a build/deps/librdkafka \
  && node -e "require('@confluentinc/kafka-javascript')"

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY cli ./cli
COPY kernel ./kernel
COPY gateway ./gateway
COPY operator ./operator
RUN npx tsc -p tsconfig.build.json

FROM ${NODE_IMAGE}
# The shared libraries the librdkafka addon was linked against.
# hadolint ignore=DL3008
RUN apt-get update \
  && apt-get install -y --no-install-recommends libzstd1 liblz4-1 libsasl2-2 libcurl4 libssl3 zlib1g \
  && rm -rf /var/lib/apt/lists/*
# --max-semi-space-size=8 (MiB): V8's young generation otherwise grows to 64 MiB under
# the gateway's allocation rate; capped, peak RSS at full load drops by ~110 MiB for a few
# percent more CPU (docs/benchmarks/README.md). Setting NODE_OPTIONS replaces it, so keep
# the flag when adding others (e.g. the operator's --max-old-space-size=96). `npm run bench`
# reads this line and runs its gateway with the same flags.
ENV NODE_ENV=production \
    HOME=/tmp \
    NODE_OPTIONS=--max-semi-space-size=8
WORKDIR /app
# Files stay owned by root and read-only to the runtime user: the process writes nothing
# outside /tmp, so the container runs with readOnlyRootFilesystem and an emptyDir on /tmp.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/dist/bin ./bin
COPY --from=build /app/dist/cli ./cli
COPY --from=build /app/dist/kernel ./kernel
COPY --from=build /app/dist/gateway ./gateway
COPY --from=build /app/dist/operator ./operator
USER 10001:10001
# 8080: the gateway's ingest API; 8081: the operator's health and metrics endpoint.
EXPOSE 8080 8081
# Exec form: Node is PID 1 and receives SIGTERM itself (graceful drain), no shell between.
# Heap caps differ per subcommand, so none is set here: run the operator with
# NODE_OPTIONS=--max-old-space-size=96 (see README).
ENTRYPOINT ["node", "bin/sluice.js"]
CMD ["gateway", "--config", "/etc/sluice/config/gateway.yaml"]
