#!/usr/bin/env bash
# Builds the real clients and the real etcd used by the compatibility tests into <repo>/.tools/bin/:
#   etcd          etcd 3.6 server (the reference implementation to compare against)
#   etcdctl       etcdctl 3.6
#   etcdutl       etcdutl 3.6 (snapshot status / restore of the files Maintenance.Snapshot streams)
#   logagent      the clientv3 tutorial program (test/go/tutorial/logagent)
#   <pkg>.test    one compiled Go test binary per test package under test/go (e.g. kv.test)
# Versions come from test/go/go.mod / go.sum. Idempotent and fast when nothing changed: each
# binary has a stamp (hash of go.mod, go.sum, the Go version and the package's sources) next to it,
# and a build is skipped when the stamp matches.
#
# Optional: ETCD_TS_WITH_ETCD34=1 also installs Debian's etcd 3.4 (apt-get install etcd-server
# etcd-client) and links it as .tools/bin/etcd34 and .tools/bin/etcdctl34. In CI (CI=true),
# Debian's etcdctl 3.4 alone is always installed and linked as .tools/bin/etcdctl34.
# Needs: go (>= 1.26, or a Go that can fetch that toolchain), the Go module proxy, sha256sum.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$SCRIPT_DIR/../.." && pwd)"
GOMOD_DIR="$REPO/test/go"
BIN="$REPO/.tools/bin"
mkdir -p "$BIN"

log() { echo "install.sh: $*" >&2; }

if ! command -v go >/dev/null 2>&1; then
  log "go is not installed (needed to build etcd, etcdctl and the Go client tests)"
  exit 1
fi

export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:-} -buildvcs=false -mod=readonly"
cd "$GOMOD_DIR"

GO_VERSION="$(go env GOVERSION)"
ETCD_VERSION="$(go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)"
log "go $GO_VERSION, etcd modules $ETCD_VERSION (from test/go/go.mod)"

# hash_inputs <files...>: one hash over go.mod, go.sum, the Go version, the build flags and the files.
hash_inputs() {
  {
    echo "$GO_VERSION $CGO_ENABLED $GOFLAGS"
    cat go.mod go.sum
    for f in "$@"; do
      echo "== $f"
      cat "$f"
    done
  } | sha256sum | cut -d' ' -f1
}

# build <name> <hash> <command...>: runs the command unless .tools/bin/<name> exists with that hash.
build() {
  local name="$1" hash="$2"
  shift 2
  local out="$BIN/$name" stamp="$BIN/.$name.stamp"
  if [[ -x "$out" && -f "$stamp" && "$(cat "$stamp")" == "$hash" ]]; then
    log "$name: up to date"
    return 0
  fi
  local t0=$SECONDS
  rm -f "$stamp"
  # The Go tool's own chatter ("go: downloading ...") is kept out of the way unless the build fails.
  local out_log="$BIN/.$name.log"
  if ! "$@" >"$out_log" 2>&1; then
    cat "$out_log" >&2
    log "$name: FAILED: $*"
    exit 1
  fi
  rm -f "$out_log"
  echo "$hash" >"$stamp"
  log "$name: built in $((SECONDS - t0))s"
}

# Sources of a local package: its own .go files plus any shared helpers under test/go/internal.
pkg_sources() {
  find "$1" -maxdepth 1 -name '*.go' | sort
  if [[ -d internal ]]; then find internal -name '*.go' | sort; fi
}

# 1. etcd, etcdctl and etcdutl, from the versions pinned in go.mod.
build etcd "$(hash_inputs)" go build -o "$BIN/etcd" go.etcd.io/etcd/server/v3
build etcdctl "$(hash_inputs)" go build -o "$BIN/etcdctl" go.etcd.io/etcd/etcdctl/v3
build etcdutl "$(hash_inputs)" go build -o "$BIN/etcdutl" go.etcd.io/etcd/etcdutl/v3

# 2. The tutorial program(s): every main package under tutorial/.
while IFS= read -r dir; do
  name="$(basename "$dir")"
  mapfile -t srcs < <(pkg_sources "$dir")
  build "$name" "$(hash_inputs "${srcs[@]}")" go build -o "$BIN/$name" "./$dir"
done < <(find tutorial -name main.go -printf '%h\n' 2>/dev/null | sort)

# 2b. Test driver programs: every main package under cmd/ (e.g. cmd/writer -> writer).
while IFS= read -r dir; do
  name="$(basename "$dir")"
  mapfile -t srcs < <(pkg_sources "$dir")
  build "$name" "$(hash_inputs "${srcs[@]}")" go build -o "$BIN/$name" "./$dir"
done < <(find cmd -name main.go -printf '%h\n' 2>/dev/null | sort)

# 3. One test binary per package with _test.go files (kv -> kv.test, a/b -> a-b.test).
while IFS= read -r dir; do
  name="$(echo "$dir" | tr '/' '-').test"
  mapfile -t srcs < <(pkg_sources "$dir")
  build "$name" "$(hash_inputs "${srcs[@]}")" go test -c -o "$BIN/$name" "./$dir"
done < <(find . -name '*_test.go' -printf '%h\n' | sed 's|^\./||' | sort -u)

# 4. Optional second reference: Debian's etcd 3.4.
if [[ "${ETCD_TS_WITH_ETCD34:-}" == "1" ]]; then
  if [[ -x /usr/bin/etcd && -x /usr/bin/etcdctl ]]; then
    log "etcd 3.4 (apt): already installed"
  else
    SUDO=""
    if [[ "$(id -u)" != "0" ]]; then SUDO="sudo"; fi
    t0=$SECONDS
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q etcd-server etcd-client >/dev/null ||
      { $SUDO apt-get update -q >/dev/null && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q etcd-server etcd-client >/dev/null; }
    log "etcd 3.4 (apt): installed in $((SECONDS - t0))s"
  fi
  ln -sf /usr/bin/etcd "$BIN/etcd34"
  ln -sf /usr/bin/etcdctl "$BIN/etcdctl34"
fi

# 5. etcdctl 3.4 (Debian's etcd-client) for the backup tests' `snapshot save` with a 3.4 client:
#    always in CI, else when ETCD_TS_WITH_ETCD34=1 installed it above.
if [[ "${CI:-}" == "true" && ! -e "$BIN/etcdctl34" ]]; then
  if [[ ! -x /usr/bin/etcdctl ]]; then
    SUDO=""
    if [[ "$(id -u)" != "0" ]]; then SUDO="sudo"; fi
    t0=$SECONDS
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q etcd-client >/dev/null 2>&1 ||
      { $SUDO apt-get update -q >/dev/null && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q etcd-client >/dev/null; }
    log "etcdctl 3.4 (apt etcd-client): installed in $((SECONDS - t0))s"
  fi
  ln -sf /usr/bin/etcdctl "$BIN/etcdctl34"
fi

log "done: $(cd "$BIN" && ls | tr '\n' ' ')"
