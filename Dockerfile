# etcd-ts as a drop-in for etcd's image: /usr/local/bin/etcd, etcdctl and etcdutl exist, so
# the etcd docs' `docker run ... /usr/local/bin/etcd --name ...` and
# `docker exec ... /usr/local/bin/etcdctl member list` work as written.

# Base images: the official ones by default; docker/build-local.sh passes local ones built
# without any image registry (see docker/README.md).
ARG NODE_IMAGE=node:20-bookworm-slim
ARG GO_IMAGE=golang:1.26-bookworm

# 1. etcdctl 3.6 from the Go module proxy (the same module versions as test/go/go.mod), or the
#    one built outside and passed in the context as docker/prebuilt/etcdctl.
FROM ${GO_IMAGE} AS etcdctl
WORKDIR /src
COPY test/go/go.mod test/go/go.sum test/go/tools.go ./
COPY docker/ /context-docker/
RUN mkdir -p /out && if [ -x /context-docker/prebuilt/etcdctl ]; then cp /context-docker/prebuilt/etcdctl /out/etcdctl; \
    else CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -o /out/etcdctl go.etcd.io/etcd/etcdctl/v3; fi

# 2. Build the TypeScript.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci
COPY proto ./proto
COPY src ./src
COPY bin ./bin
RUN npx tsc -p tsconfig.json --incremental false && rm -rf dist/test

# 3. Runtime: production dependencies only.
FROM ${NODE_IMAGE}
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY proto ./proto
COPY bin ./bin
COPY docker/etcd /usr/local/bin/etcd
COPY docker/etcdutl /usr/local/bin/etcdutl
COPY --from=etcdctl /out/etcdctl /usr/local/bin/etcdctl
RUN chmod +x /usr/local/bin/etcd /usr/local/bin/etcdctl /usr/local/bin/etcdutl && mkdir -p /var/lib/etcd /etcd-data
WORKDIR /var/lib/etcd/
VOLUME ["/var/lib/etcd", "/etcd-data"]
EXPOSE 2379 2380
HEALTHCHECK --interval=10s --timeout=5s --retries=3 \
  CMD node -e "require('http').get('http://127.0.0.1:2379/health',r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"
CMD ["/usr/local/bin/etcd"]
