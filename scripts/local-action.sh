#!/usr/bin/env bash
# Runs the action's source through GitHub's @github/local-action on a generated sample home: a backup into a folder,
# then a verify of that backup. No server, no GitHub. The inputs are those of .env.example, with the paths filled in.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
work=$(mktemp -d "${TMPDIR:-/tmp}/xlr-local-action-XXXXXX")
echo "local-action: a sample home in $work/home"
npx tsx scripts/make-home.ts "$work/home" --scale 0.01 >/dev/null
common="LOCAL_ACTION_WORKSPACE=$work
INPUT_HOME=$work/home
INPUT_STORAGE=directory
INPUT_PATH=$work/backups
INPUT_DATABASE=none"
printf '%s\nINPUT_MODE=backup\nINPUT_NAME=xlr-backup-local\n' "$common" > "$work/backup.env"
printf '%s\nINPUT_MODE=verify\nINPUT_NAME=xlr-backup-local.zip\n' "$common" > "$work/verify.env"
npx local-action run . src/main.ts "$work/backup.env"
npx local-action run . src/main.ts "$work/verify.env"
echo "local-action: the backup is in $work/backups (delete $work when done)"
