#!/usr/bin/env bash
# Fails when the committed dist/ is not what the source builds to (the action runs dist/, not src/).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
npx ncc build src/index.ts -o "$out/dist" --license licenses.txt >/dev/null
npx ncc build src/cli-main.ts -o "$out/dist/cli" --license licenses.txt >/dev/null
npx ncc build src/post-main.ts -o "$out/dist/post" --license licenses.txt >/dev/null
if ! diff -r -q dist "$out/dist"; then
  echo "dist/ is stale: run 'npm run package' and commit dist/ with the source change." >&2
  exit 1
fi
echo "dist/ is current"
