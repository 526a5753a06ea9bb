#!/usr/bin/env bash
# Builds the bundles the action and the CLI run (dist/ by default, or the folder given), each with the notices of
# every package it contains. scripts/check-dist.sh builds with this into a temporary folder and compares.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-dist}"
stats=$(mktemp -d)
trap 'rm -rf "$stats"' EXIT
rm -rf "$out"
build() {
  local entry="$1" dir="$2"
  npx ncc build "$entry" -o "$dir" --stats-out "$stats/stats.json" -q
  npx tsx scripts/write-licenses.ts "$stats/stats.json" "$dir/licenses.txt"
}
build src/index.ts "$out"
build src/cli-main.ts "$out/cli"
