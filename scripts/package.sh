#!/usr/bin/env bash
# Builds the bundles into one folder (default dist/): the action (index.js), the CLI (cli.js) and the action's post
# step (post/index.js). Each bundle
# loads its lazily imported chunks (the artifact and cache clients, ~5 MB) with import('./<id>.index.js') beside
# itself, and both builds emit the same chunks, so they share one copy. A chunk the two builds disagree on fails
# the build rather than being shared.
set -euo pipefail
cd "$(dirname "$0")/.."
# The workers run from generated string sources: build them first, as the bundles embed them.
npx tsx scripts/build-workers.ts
out=${1:-dist}
cli=$(mktemp -d)
trap 'rm -rf "$cli"' EXIT
rm -rf "$out"
npx ncc build src/index.ts -o "$out" --license licenses.txt >/dev/null
npx ncc build src/cli-main.ts -o "$cli" --license licenses.txt >/dev/null
for chunk in "$cli"/*.index.js; do
  name=$(basename "$chunk")
  if [ -e "$out/$name" ] && ! cmp -s "$chunk" "$out/$name"; then
    echo "package: the CLI's chunk $name differs from the action's; they cannot share $out/" >&2
    exit 1
  fi
  [ -e "$out/$name" ] || cp "$chunk" "$out/$name"
done
cp "$cli/index.js" "$out/cli.js"
# The post step has no chunks and no dependencies worth sharing: its own folder.
npx ncc build src/post-main.ts -o "$out/post" --license licenses.txt >/dev/null
cmp -s "$cli/licenses.txt" "$out/licenses.txt" || cp "$cli/licenses.txt" "$out/cli-licenses.txt"
