#!/usr/bin/env bash
# Robustness runs (see test/robustness/cli.ts and test/robustness/README.md).
#   bash test/robustness/run.sh                          short profile (1 and 3 members, ~40 s each)
#   ROBUSTNESS_DURATION=30m bash test/robustness/run.sh  long profile: several seeds, all fault kinds
#   ROBUSTNESS_SEED=<n> [ROBUSTNESS_MEMBERS=1|3] ...      replay a run
# Network partitions need root (network namespaces); without it they are skipped and said so.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
npx tsc -p tsconfig.json
bash test/tools/install.sh >/dev/null 2>&1 || bash test/tools/install.sh
exec node dist/test/robustness/cli.js
