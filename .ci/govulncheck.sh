#!/usr/bin/env bash
# govulncheck, offline: scans the root module (source mode, reachability
# analysis) against a Go vulnerability database built locally from the
# golang.org/x/vulndb module, which the Go module proxy serves like any
# module. The database site itself is never contacted.
#
#   1. resolve golang.org/x/vulndb@$VULNDB_VERSION (default: latest) through
#      the module proxy and download it: its data/osv/GO-*.json are the
#      published OSV entries;
#   2. build the v1 database layout that `govulncheck -db file://...` reads
#      (index/db.json, index/modules.json, index/vulns.json, ID/GO-*.json,
#      each also .gz) with x/vulndb's own generator, cmd/indexdb, into a
#      cache keyed by the vulndb version (reused on later runs);
#   3. run govulncheck $GOVULNCHECK_VERSION -db file://<cache> ./... ;
#   4. fail when a vulnerability is *called* (symbol level) unless its ID is
#      in .ci/govulncheck-allow.txt ("GO-YYYY-NNNN  reason", one per line).
#      Imported-but-not-called and required-only findings are listed, never
#      fatal.
#
# data/osv in x/vulndb has "modified"/"published" zeroed (the real ones are
# computed from git history when vuln.go.dev is deployed, and a module zip has
# no history), so the database's date is the commit time of the x/vulndb
# pseudo-version: the snapshot contains every report merged up to then.
#
# Environment:
#   GOVULNCHECK_VERSION  default v1.9.0
#   VULNDB_VERSION       default latest (a pseudo-version pins the database)
#   VULNDB_CACHE         default ${XDG_CACHE_HOME:-$HOME/.cache}/secretpath-govulncheck
#                        (outside the clone: CI runs in a fresh clone each time)
#   VULNDB_MAX_AGE_DAYS  default 60: older than that prints a warning (not fatal)
# Exit: 0 clean or all called findings allow-listed; 1 a called finding not
# allow-listed, or a malformed allow-list; 2 the scan itself failed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

GOVULNCHECK_VERSION=${GOVULNCHECK_VERSION:-v1.9.0}
VULNDB_VERSION=${VULNDB_VERSION:-latest}
cache=${VULNDB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/secretpath-govulncheck}
max_age=${VULNDB_MAX_AGE_DAYS:-60}
allow=$root/.ci/govulncheck-allow.txt
out=$root/.ci/out
mkdir -p "$cache/bin" "$cache/db" "$out"
cache=$(cd "$cache" && pwd)   # go install wants an absolute GOBIN
t0=$(date +%s)
step() { printf -- '--- govulncheck: %s (%ss)\n' "$*" "$(( $(date +%s) - t0 ))"; }
die() { echo "FAIL: govulncheck: $1" >&2; exit "${2:-2}"; }

# Module queries and installs run in a throwaway module of their own, so that
# this repo's go.mod and go.sum are neither read nor changed (even with
# VULNDB_CACHE inside the repo).
q=$cache/query
mkdir -p "$q" && { [ -f "$q/go.mod" ] || printf 'module vulncheckquery\n' > "$q/go.mod"; }
gomod() { (cd "$q" && GOWORK=off GOFLAGS=-buildvcs=false go "$@"); }

# --- 0. allow-list: validate before spending time on the scan ---
declare -A allowed=()
if [ -f "$allow" ]; then
  n=0
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    case "$line" in ''|'#'*) continue ;; esac
    if [[ $line =~ ^(GO-[0-9]{4}-[0-9]{4,})[[:space:]]+([^[:space:]].*)$ ]]; then
      allowed[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
    else
      die "$allow:$n: expected 'GO-YYYY-NNNN  reason', got: $line" 1
    fi
  done < "$allow"
fi

# --- 1. the vulnerability data, through the module proxy ---
step "resolving golang.org/x/vulndb@$VULNDB_VERSION"
if info=$(gomod list -m -json "golang.org/x/vulndb@$VULNDB_VERSION" 2>"$out/vulndb-resolve.err"); then
  ver=$(sed -n 's/^[[:space:]]*"Version": "\(.*\)",$/\1/p' <<<"$info")
  vtime=$(sed -n 's/^[[:space:]]*"Time": "\(.*\)",$/\1/p' <<<"$info")
else
  cat "$out/vulndb-resolve.err" >&2
  # The proxy did not answer: fall back to the newest database already built.
  last=$(ls -1 "$cache/db" 2>/dev/null | grep -v '\.tmp' | sort | tail -n1 || true)
  [ -n "$last" ] && [ "$VULNDB_VERSION" = latest ] || die "cannot resolve golang.org/x/vulndb@$VULNDB_VERSION"
  echo "WARNING: could not resolve golang.org/x/vulndb@latest; using the cached $last" >&2
  ver=$last vtime=
fi
[ -n "$ver" ] || die "no version in: $info"
db=$cache/db/$ver

if [ ! -s "$db/index/modules.json" ] && [ ! -d "$db/flat" ]; then
  step "downloading golang.org/x/vulndb@$ver"
  dl=$(gomod mod download -json "golang.org/x/vulndb@$ver") || die "go mod download golang.org/x/vulndb@$ver failed"
  dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' <<<"$dl")
  osv=$dir/data/osv
  nosv=$(find "$osv" -maxdepth 1 -name 'GO-*.json' 2>/dev/null | wc -l)
  [ "$nosv" -ge 1000 ] || die "golang.org/x/vulndb@$ver has $nosv OSV entries in data/osv (expected thousands)"
  if [ -z "$vtime" ]; then   # resolved from the cache list above: read the .info
    infof=$(sed -n 's/^[[:space:]]*"Info": "\(.*\)",$/\1/p' <<<"$dl")
    vtime=$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "$infof" 2>/dev/null || true)
  fi

  # --- 2. the v1 layout, with x/vulndb's own generator at the same version ---
  step "building the database ($nosv entries) with golang.org/x/vulndb/cmd/indexdb@$ver"
  indexdb=$cache/bin/indexdb-$ver
  if [ ! -x "$indexdb" ]; then
    rm -rf "$indexdb.tmp" && mkdir -p "$indexdb.tmp"
    if (cd "$q" && GOWORK=off GOBIN="$indexdb.tmp" go install "golang.org/x/vulndb/cmd/indexdb@$ver"); then
      mv "$indexdb.tmp/indexdb" "$indexdb" && rmdir "$indexdb.tmp"
    fi
  fi
  rm -rf "$db.tmp"
  if [ -x "$indexdb" ] && "$indexdb" -vulns "$osv" -out "$db.tmp"; then
    nid=$(find "$db.tmp/ID" -name 'GO-*.json' | wc -l)
    [ "$nid" -eq "$nosv" ] || die "indexdb wrote $nid entries for $nosv OSV files"
  else
    # Fallback: govulncheck also reads a flat folder of OSV files, indexing
    # it in memory (same findings, checked on v1.9.0); copied so that the
    # database is kept and dated like the built one.
    echo "WARNING: could not build with cmd/indexdb@$ver; giving govulncheck the flat OSV folder" >&2
    rm -rf "$db.tmp" && mkdir -p "$db.tmp/flat"
    cp "$osv"/GO-*.json "$db.tmp/flat/" && chmod -R u+w "$db.tmp"
    nid=$nosv
  fi
  # The entries' own timestamps are zero (see the top): date the database
  # by the snapshot's commit time instead of 0001-01-01.
  if [ -n "$vtime" ] && [ -d "$db.tmp/index" ]; then
    printf '{"modified":"%s"}' "$vtime" > "$db.tmp/index/db.json"
    gzip -9 -n -c "$db.tmp/index/db.json" > "$db.tmp/index/db.json.gz"
  fi
  printf 'golang.org/x/vulndb@%s\ncommit time %s\n%s entries\n' "$ver" "${vtime:-unknown}" "$nid" > "$db.tmp/SOURCE"
  mv "$db.tmp" "$db"
else
  step "database for golang.org/x/vulndb@$ver already built"
fi

if [ -d "$db/flat" ]; then
  dburl=file://$db/flat
  modified=$(sed -n 's/^commit time //p' "$db/SOURCE")
else
  dburl=file://$db
  modified=$(sed -n 's/.*"modified":"\([^"]*\)".*/\1/p' "$db/index/db.json")
fi
entries=$(sed -n 's/^\([0-9]*\) entries$/\1/p' "$db/SOURCE")
age=
if [ -n "$modified" ] && ms=$(date -d "$modified" +%s 2>/dev/null); then age=$(( ($(date +%s) - ms) / 86400 )); fi
echo "vulnerability database: golang.org/x/vulndb@$ver, $entries entries, last modified $modified${age:+ ($age days ago)}"
echo "  at $dburl"
if [ -n "$age" ] && [ "$age" -gt "$max_age" ]; then
  echo "WARNING: the vulnerability database is $age days old (> $max_age); the proxy serves no newer golang.org/x/vulndb" >&2
fi

# --- 3. govulncheck ---
# Built with the Go that builds this repo (GOTOOLCHAIN or go.mod's toolchain
# line may select another than the one on PATH): govulncheck analyses the
# standard library of that Go and should be no older than it.
gover=$(go env GOVERSION)
gvc=$cache/bin/govulncheck-$GOVULNCHECK_VERSION-$gover
if [ ! -x "$gvc" ]; then
  step "installing golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION with $gover"
  rm -rf "$gvc.tmp" && mkdir -p "$gvc.tmp"
  (cd "$q" && GOWORK=off GOTOOLCHAIN=$gover GOBIN="$gvc.tmp" go install "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION") \
    || die "go install govulncheck@$GOVULNCHECK_VERSION failed"
  mv "$gvc.tmp/govulncheck" "$gvc" && rmdir "$gvc.tmp"
fi
"$gvc" -version | sed -n 's/^Scanner: /scanner: /p; s/^Go: /go: /p'

step "govulncheck -db $dburl -show verbose ./...  (full report: .ci/out/govulncheck.txt)"
set +e
"$gvc" -db "$dburl" -show verbose ./... > "$out/govulncheck.txt" 2>&1
rc=$?
set -e
if [ $rc -ne 0 ] && [ $rc -ne 3 ]; then
  cat "$out/govulncheck.txt"; die "govulncheck exited $rc"
fi

# --- 4. findings: one line per (ID, module); called ones gate ---
# Reads govulncheck's text report: sections "=== Symbol Results ===" (called),
# "=== Package Results ===" (imported, not called), "=== Module Results ==="
# (required, not imported); in each, "Vulnerability #N: ID" followed by one
# "Module: M" or "Standard library" block with "Found in:"/"Fixed in:" per
# affected module.
awk '
  /^=== Symbol Results ===/  { lvl = "called";   next }
  /^=== Package Results ===/ { lvl = "imported"; next }
  /^=== Module Results ===/  { lvl = "required"; next }
  /^=== /                    { lvl = ""; next }
  lvl == "" { next }
  /^Vulnerability #[0-9]+: / { id = $3; next }
  /^  Module: /              { mod = $2; next }
  /^  Standard library/      { mod = "stdlib"; next }
  /^    Found in: /          { found = $3; next }
  /^    Fixed in: /          { printf "%s\t%s\t%s\t%s\t%s\n", id, lvl, mod, found, $3; next }
' "$out/govulncheck.txt" > "$out/govulncheck-findings.tsv"

called=$(awk -F'\t' '$2 == "called" { print $1 }' "$out/govulncheck-findings.tsv" | sort -u)
# govulncheck exits 3 exactly when something is called: a mismatch means the
# report format changed under this parser.
if { [ $rc -eq 3 ] && [ -z "$called" ]; } || { [ $rc -eq 0 ] && [ -n "$called" ]; }; then
  cat "$out/govulncheck.txt"; die "cannot read govulncheck's report (exit $rc, called IDs: '${called//$'\n'/ }')"
fi
sed -n '/^\(Your code\|No vulnerabilities\)/,$p' "$out/govulncheck.txt"

fail=0
if [ -s "$out/govulncheck-findings.tsv" ]; then
  printf '\n%-15s %-9s %-32s %-38s %s\n' ID LEVEL MODULE "FOUND" "FIXED IN"
  while IFS=$'\t' read -r id lvl mod found fixed; do
    mark=
    if [ "$lvl" = called ]; then
      if [ -n "${allowed[$id]+x}" ]; then mark="  [allowed: ${allowed[$id]}]"; else mark="  <-- FAIL"; fi
    fi
    printf '%-15s %-9s %-32s %-38s %s%s\n' "$id" "$lvl" "$mod" "$found" "$fixed" "$mark"
  done < "$out/govulncheck-findings.tsv"
  echo
fi
for id in $called; do
  if [ -z "${allowed[$id]+x}" ]; then
    fail=1
    # One example trace, to show where our code reaches it.
    awk -v id="$id" '
      /^=== Symbol Results ===/ { s = 1; next } /^=== / { s = 0 }
      s && $0 ~ "^Vulnerability #[0-9]+: " id "$" { v = 1; next }
      s && /^Vulnerability #/ { v = 0 }
      v && /^  Module: / { m = $2 } v && /^  Standard library/ { m = "stdlib" }
      v && /^      #1: / { sub(/^ +#1: /, ""); print "  " id " (" m ") e.g. " $0 }
    ' "$out/govulncheck.txt"
  fi
done
for id in "${!allowed[@]}"; do
  grep -qx "$id" <<<"$called" || echo "note: allow-listed $id is no longer called; remove it from .ci/govulncheck-allow.txt"
done

# The least version that fixes every finding of a module (all levels).
if [ -s "$out/govulncheck-findings.tsv" ]; then
  echo "fixes (least version fixing every finding listed, per module):"
  cut -f3,5 "$out/govulncheck-findings.tsv" | sed 's/\t[^@]*@/\t/' | sort -t$'\t' -k1,1 -k2,2V |
    awk -F'\t' '{ v[$1] = $2 } END { for (m in v) print m "\t" v[m] }' | sort |
    while IFS=$'\t' read -r mod v; do
      if [[ $v != *[0-9]* ]]; then echo "  $mod: no fixed version ($v)"
      elif [ "$mod" = stdlib ]; then echo "  Go toolchain ${v#go} or later (or the fixed release of a newer minor)"
      elif [[ $v =~ -0\.[0-9]{14}- ]]; then
        # Fixed at a pseudo-version: name the first release that has it, if any.
        latest=$(gomod list -m -f '{{.Version}}' "$mod@latest" 2>/dev/null || true)
        if [ -n "$latest" ] && [ "$(printf '%s\n%s\n' "$v" "$latest" | sort -V | tail -n1)" = "$latest" ]; then
          echo "  go get $mod@$latest  (fixed at $v)"
        else echo "  $mod: fixed at $v, in no release yet"; fi
      else echo "  go get $mod@v${v#v}"; fi
    done
fi

step "done"
if [ $fail -ne 0 ]; then
  echo "FAIL: govulncheck: vulnerable code is called (marked <-- FAIL above). Upgrade the module (go get MODULE@FIXED)"
  echo "      or the Go toolchain for stdlib, or add 'GO-YYYY-NNNN  reason' to .ci/govulncheck-allow.txt."
  exit 1
fi
echo "govulncheck: no called vulnerability outside the allow-list"
