#!/usr/bin/env bash
# Fails when the committed dist/ is not what the source builds to (the action runs dist/, not src/), or when a
# bundled package states no licence (scripts/write-licenses.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
bash scripts/package.sh "$out/dist"
if ! diff -r -q dist "$out/dist"; then
  echo "dist/ is stale: run 'npm run package' and commit dist/ with the source change." >&2
  exit 1
fi
echo "dist/ is current"
