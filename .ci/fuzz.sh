#!/usr/bin/env bash
# Runs every fuzz target of the main module, one at a time (go test -fuzz
# takes one target of one package per run). Called by `make fuzz`.
#
# Targets are found, not listed: every package of `go list ./...` whose test
# files (as go list selects them for this GOOS/GOARCH and build tags) declare
# a `func Fuzz...(... *testing.F)` is asked for its targets with
# `go test -list '^Fuzz'`, so a target added anywhere is picked up with no
# edit here.
#
# Time, one of:
#   FUZZ_TOTAL=360s  a total fuzzing budget, split evenly over the targets
#                    found, each getting at least FUZZ_MIN (default 8s); when
#                    FUZZ_MIN x targets exceeds the total, the floor wins and
#                    the script says by how much. This is what CI uses.
#   FUZZTIME=60s     each target for FUZZTIME (when FUZZ_TOTAL is unset).
# Durations are whole seconds or minutes: 360, 360s or 6m.
#
# Output, per target: "== <package> <target> (<n>s)" then go test's output
# (its "fuzz: elapsed ..." lines count the execs); at the end the number of
# targets and the wall time. Exit: non-zero at the first failing target.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}

secs() {   # duration -> whole seconds
  case "$1" in
    *m) echo $(( ${1%m} * 60 )) ;;
    *s) echo "${1%s}" ;;
    *) echo "$1" ;;
  esac
}
for v in "${FUZZ_TOTAL:-}" "${FUZZ_MIN:-8s}" "${FUZZTIME:-60s}"; do
  [ -z "$v" ] || [[ $v =~ ^[0-9]+[sm]?$ ]] || { echo "fuzz.sh: bad duration '$v' (want 360, 360s or 6m)" >&2; exit 2; }
done

t0=$(date +%s)
# Candidate packages: the ones whose test files declare a fuzz target; then
# one `go test -list` over all of them (it builds them in parallel) prints
# each package's targets followed by its "ok <package>" line.
cands=()
while IFS=$'\t' read -r pkg dir files; do
  [ -n "${files// /}" ] || continue
  # shellcheck disable=SC2086  # files is a space-separated list of names in dir
  (cd "$dir" && grep -qE '^func Fuzz' $files) && cands+=("$pkg")
done < <($GO list -f '{{.ImportPath}}{{"\t"}}{{.Dir}}{{"\t"}}{{join .TestGoFiles " "}} {{join .XTestGoFiles " "}}' ./...)
[ ${#cands[@]} -gt 0 ] || { echo "fuzz.sh: no package declares a fuzz target" >&2; exit 1; }
listing=$($GO test -list '^Fuzz' "${cands[@]}") || { echo "$listing"; echo "fuzz.sh: go test -list failed" >&2; exit 1; }
targets=()
names=()
while IFS= read -r line; do
  case "$line" in
    Fuzz*) names+=("$line") ;;
    ok*) pkg=$(awk '{print $2}' <<<"$line")
         for f in "${names[@]}"; do targets+=("$pkg $f"); done
         names=() ;;
  esac
done <<<"$listing"

n=${#targets[@]}
[ "$n" -gt 0 ] || { echo "fuzz.sh: no fuzz target found" >&2; exit 1; }

if [ -n "${FUZZ_TOTAL:-}" ]; then
  total=$(secs "$FUZZ_TOTAL") floor=$(secs "${FUZZ_MIN:-8s}")
  per=$(( total / n ))
  [ "$per" -ge "$floor" ] || per=$floor
  echo "fuzz: $n targets, total budget ${total}s: ${per}s each (floor ${floor}s)"
  if [ $(( per * n )) -gt "$total" ]; then
    echo "fuzz: the floor makes it $(( per * n ))s, over the budget by $(( per * n - total ))s"
  fi
else
  per=$(secs "${FUZZTIME:-60s}")
  echo "fuzz: $n targets, ${per}s each ($(( per * n ))s of fuzzing)"
fi

for t in "${targets[@]}"; do
  pkg=${t% *} f=${t#* }
  echo "== $pkg $f (${per}s)"
  $GO test "$pkg" -run '^$' -fuzz "^$f\$" -fuzztime "${per}s"
done
echo "fuzz: $n targets passed in $(( $(date +%s) - t0 ))s of wall time (${per}s of fuzzing each)"
