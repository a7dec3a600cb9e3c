#!/usr/bin/env bash
# Builds every documented link profile and compares the third-party module
# paths each one links (go list -deps, GOOS=linux GOARCH=amd64 pinned so that
# the lists do not depend on the machine) with the committed lists in
# .ci/modules/<profile>.txt. A new dependency in a profile is a reviewed
# change: run `.ci/modules.sh --update` and commit the diff.
#
# Profiles:
#   minimal  ./examples/minimal: localfs + env through the registry
#   slim     ./cmd/secretpath with -tags secretpath_no_aws,secretpath_no_azure,
#            secretpath_no_gcp,secretpath_no_kubernetes,secretpath_no_vault,secretpath_no_wasm
#   full     ./cmd/secretpath, every backend
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
update=false
[ "${1:-}" = "--update" ] && update=true

slim_tags=secretpath_no_aws,secretpath_no_azure,secretpath_no_gcp,secretpath_no_kubernetes,secretpath_no_vault,secretpath_no_wasm,secretpath_no_executionapi
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
