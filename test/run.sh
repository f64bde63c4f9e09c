#!/usr/bin/env bash
# The whole test suite, from a fresh clone: `npm ci && npm test` (this script is `npm test`).
#  1. builds the TypeScript (dist/),
#  2. builds the real clients the tests use (etcdctl 3.6, a real etcd 3.6 to compare against,
#     the Go clientv3 test programs) with test/tools/install.sh (cached in .tools/),
#  3. lints (npm run lint: ESLint with the layer rules, madge for import cycles),
#  4. runs every node:test file under dist/test (unit, transcript, property, compatibility,
#     crash and cluster tests); the Go client programs run from those tests.
# Long runs are behind environment variables (see README "Tests").
# TEST_UNIT=1 (npm run test:unit): only the tests that need neither Go nor a network nor child
# processes (seconds; no client tools are built), for the edit-test loop.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# CI replays fixed seeds for the fuzz and fault-injection tests whose oracles involve timing or
# a real etcd's decoder, so that a landing is not decided by the draw; run locally (or set the
# variables) for fresh seeds. Every such test prints the seed it used.
if [[ "${CI:-}" == "true" ]]; then
  export FUZZ_SEED="${FUZZ_SEED:-750356685}"
  export PEER_FUZZ_SEED="${PEER_FUZZ_SEED:-12}"
  export ROBUSTNESS_SEED="${ROBUSTNESS_SEED:-139933139}"
fi

echo "== build" >&2
npx tsc -p tsconfig.json

echo "== lint" >&2
npm run --silent lint

# Compiled tests whose source is gone (a moved or deleted test left in dist/) do not run.
mapfile -t files < <(find dist/test -name '*.test.js' | sort | while read -r f; do
  src="test/${f#dist/test/}"
  [[ -f "${src%.js}.ts" ]] && echo "$f"
done)
if [[ "${TEST_UNIT:-}" == "1" ]]; then
  # A unit test file imports nothing that starts a member, a process or a socket.
  net='helpers/(member|process-member|cluster|tools|real-etcd|netns|go-test-member|ports)|grpc-js|grpc-client|node:child_process|node:net|node:http|\./harness'
  mapfile -t files < <(for f in "${files[@]}"; do
    src="test/${f#dist/test/}"
    src="${src%.js}.ts"
    grep -qE "$net" "$src" && continue
    [[ "$src" == test/peer/* ]] && grep -q "from './helpers'" "$src" && continue
    echo "$f"
  done)
else
  echo "== real clients (etcdctl, etcd 3.6, Go test programs)" >&2
  bash test/tools/install.sh
fi
if [[ -n "${TEST_FILTER:-}" ]]; then
  mapfile -t files < <(printf '%s\n' "${files[@]}" | grep -E "$TEST_FILTER")
fi
echo "== node --test (${#files[@]} files)" >&2
tap="$(mktemp)"
trap 'rm -f "$tap"' EXIT
status=0
node --test --test-concurrency=1 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" \
  "${files[@]}" || status=$?
pass=$(grep -E '^# pass ' "$tap" | tail -1 | awk '{print $3}')
fail=$(grep -E '^# fail ' "$tap" | tail -1 | awk '{print $3}')
skip=$(grep -E '^# skipped ' "$tap" | tail -1 | awk '{print $3}')
echo "tests: ${pass:-0} passed, ${fail:-0} failed, ${skip:-0} skipped"
exit "$status"
