#!/usr/bin/env bash
# Backs up a generated sample XL Release home into a folder: no server, no GitHub needed.
#   ./scripts/sample.sh [scale]   (scale 0.05 ≈ 30 MB; 1 ≈ 650 MB)
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${1:-0.05}
[ -d node_modules ] || npm ci --no-audit --no-fund
work=$(mktemp -d "${TMPDIR:-/tmp}/xlr-sample-XXXXXX")
echo "sample: generating a home at scale $scale in $work/home"
npx tsx scripts/make-home.ts "$work/home" --scale "$scale"
node bin/xlr-backup.js backup --home "$work/home" --storage directory --path "$work/backups" --database none
echo
echo "sample: verifying the backup it made"
node bin/xlr-backup.js verify --storage directory --path "$work/backups" --name-prefix xlr-backup-
echo
echo "sample: the backup is in $work/backups (delete $work when done)"
