#!/usr/bin/env bash
# Builds the bundles into one folder (default dist/, or the folder given): the action (index.js), the CLI (cli.js)
# and the action's post step (post/index.js), each with the notices of every package it contains
# (scripts/write-licenses.ts). The action and the CLI load their lazily imported chunks (the artifact and cache
# clients, ~5 MB) with import('./<id>.index.js') beside themselves; both builds emit the same chunks, so they share
# one copy, and a chunk the two builds disagree on fails the build rather than being shared.
# scripts/check-dist.sh builds with this into a temporary folder and compares.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-dist}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The workers run from generated string sources: build them first, as the bundles embed them.
npx tsx scripts/build-workers.ts
rm -rf "$out"
build() {
  local entry="$1" dir="$2"
  npx ncc build "$entry" -o "$dir" --stats-out "$work/stats.json" -q
  npx tsx scripts/write-licenses.ts "$work/stats.json" "$dir/licenses.txt"
}
build src/index.ts "$out"
build src/cli-main.ts "$work/cli"
for chunk in "$work/cli"/*.index.js; do
  [ -e "$chunk" ] || continue
  name=$(basename "$chunk")
  if [ -e "$out/$name" ] && ! cmp -s "$chunk" "$out/$name"; then
    echo "package: the CLI's chunk $name differs from the action's; they cannot share $out/" >&2
    exit 1
  fi
  [ -e "$out/$name" ] || cp "$chunk" "$out/$name"
done
cp "$work/cli/index.js" "$out/cli.js"
cmp -s "$work/cli/licenses.txt" "$out/licenses.txt" || cp "$work/cli/licenses.txt" "$out/cli-licenses.txt"
# The post step has no chunks and no dependencies worth sharing: its own folder.
build src/post-main.ts "$out/post"
