#!/usr/bin/env bash
# Prints the CHANGELOG.md section of the version a release tag names, after checking that the tag is vX.Y.Z and that
# package.json has the same version: a release whose notes or version disagree with its tag is refused.
set -euo pipefail
cd "$(dirname "$0")/.."
tag="${1:?usage: release-notes.sh vX.Y.Z}"
if [[ ! "$tag" =~ ^v([0-9]+\.[0-9]+\.[0-9]+)$ ]]; then
  echo "release: the tag '$tag' is not of the form vX.Y.Z" >&2
  exit 1
fi
version="${BASH_REMATCH[1]}"
package_version=$(node -p "require('./package.json').version")
if [ "$package_version" != "$version" ]; then
  echo "release: the tag says $version but package.json says $package_version: set the version and tag again" >&2
  exit 1
fi
notes=$(awk -v v="$version" '
  index($0, "## [" v "]") == 1 { found = 1; next }
  found && /^## \[/ { exit }
  found { print }
' CHANGELOG.md)
if [ -z "${notes//[[:space:]]/}" ]; then
  echo "release: CHANGELOG.md has no '## [$version]' section with notes: write it before tagging" >&2
  exit 1
fi
printf '%s\n' "$notes" | sed '/./,$!d'
