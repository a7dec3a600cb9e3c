#!/usr/bin/env bash
# Builds every documented link profile and compares the third-party module
# paths each one links (go list -deps, GOOS=linux GOARCH=amd64 pinned so that
# the lists do not depend on the machine) with the committed lists in
# .ci/modules/<profile>.txt. A new dependency in a profile is a reviewed
# change: run `.ci/modules.sh --update` and commit the diff.
#
# Profiles:
#   minimal  ./examples/minimal: localfs + env through the registry
#   slim     ./cmd/secretpath with the tags in .ci/slim-tags (secretpath_no_aws,
#            secretpath_no_azure, ... : local files, environment variables and the
#            metastore); `make cli-slim` builds the same CLI as bin/secretpath-slim
#   full     ./cmd/secretpath, every backend
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
update=false
[ "${1:-}" = "--update" ] && update=true

slim_tags=$(cat .ci/slim-tags)   # the one place the slim profile's tags are written
profiles=(
  "minimal||./examples/minimal"
  "slim|$slim_tags|./cmd/secretpath"
  "full||./cmd/secretpath"
)
main=$($GO list -m)
fail=0
for p in "${profiles[@]}"; do
  IFS='|' read -r name tags pkg <<<"$p"
  GOOS=linux GOARCH=amd64 $GO build -tags "$tags" -o /dev/null "$pkg"
  got=$(GOOS=linux GOARCH=amd64 $GO list -tags "$tags" -deps -f '{{with .Module}}{{.Path}}{{end}}' "$pkg" | grep -vx "$main" | sort -u)
  file=.ci/modules/$name.txt
  if $update; then
    printf '%s\n' "$got" > "$file"
    echo "modules: $name: $(wc -l < "$file") modules written to $file"
    continue
  fi
  if ! diff -u "$file" <(printf '%s\n' "$got") > .ci/modules.diff 2>&1; then
    echo "FAIL: profile $name ($pkg${tags:+, tags $tags}) links other modules than $file:"
    cat .ci/modules.diff
    fail=1
  else
    echo "modules: $name ($pkg${tags:+, tags $tags}): $(wc -l < "$file") modules, as committed"
  fi
  rm -f .ci/modules.diff
done
exit $fail
