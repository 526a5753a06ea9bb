#!/usr/bin/env bash
# The whole test suite, from a fresh clone: machine set-up, dependencies, lint and types, dist/ staleness, then the
# three Jest tiers (unit, integration, e2e) in one Jest run, so that its closing line 'tests: N passed, N failed,
# N skipped' (what CI reads) counts them all.
set -euo pipefail
cd "$(dirname "$0")/.."

bash .ci/setup-machine.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run lint
bash scripts/check-dist.sh
XLR_DIST_CHECKED=1 npm run test:tiers
