#!/usr/bin/env bash
# govulncheck, offline: scans every Go module of the repo (source mode,
# reachability analysis) against a Go vulnerability database built locally
# from the golang.org/x/vulndb module, which the Go module proxy serves like
# any module. The database site itself is never contacted.
#
#   1. resolve golang.org/x/vulndb@$VULNDB_VERSION (default: latest) through
#      the module proxy and download it: its data/osv/GO-*.json are the
#      published OSV entries;
#   2. copy its OSV files into a cache keyed by the vulndb version (reused
#      on later runs): govulncheck -db file://<folder> reads a flat folder of
#      OSV files, indexing it in memory (x/vulndb's cmd/indexdb, which builds
#      the indexed v1 layout, gave the same findings but its build cost ~10
#      minutes of a cold run);
#   3. run govulncheck $GOVULNCHECK_VERSION -db file://<cache> ./... in each
#      module below (guest modules also as GOOS=wasip1 GOARCH=wasm, the
#      platform they are built for); the Vault dev server in binary mode;
#   4. fail when a vulnerability is *called* (symbol level) unless its ID is
#      in that module's allow-list, with a date that has not passed.
#      Imported-but-not-called and required-only findings are listed, never
#      fatal.
#
#   module                        scan                  allow-list
#   .                             host                  .ci/govulncheck-allow.txt
#   guest-sdk/go                  host, wasip1/wasm     .ci/govulncheck-allow.txt
#   examples/custom-backend/go    host, wasip1/wasm     .ci/govulncheck-allow.txt
#   bench                         host                  .ci/govulncheck-allow.txt
#   bench/guests/extism           wasip1/wasm           .ci/govulncheck-allow.txt
#   internal/testinfra/vaultdev   binary                .ci/govulncheck-allow-vaultdev.txt
#
# The Vault dev server (test infrastructure: Vault 1.14.1 and ~570 modules)
# is scanned as the binary that .ci/vault.sh builds (.ci/out/vaultdev, built
# first when missing or older than its module): govulncheck's binary mode
# reports every vulnerable symbol linked in, without reachability, in under a
# minute, where a source scan of that module ran over 16 min and 13 GB of
# memory without finishing. .ci/run scans it after building it:
# `.ci/govulncheck.sh --skip internal/testinfra/vaultdev` early, then
# `.ci/govulncheck.sh internal/testinfra/vaultdev`.
#
# Allow-list lines: "GO-YYYY-NNNN  YYYY-MM-DD  reason", the date being the
# last day the entry holds (after it the finding fails again), the reason why
# it is acceptable until then. '#' starts a comment line.
#
# data/osv in x/vulndb has "modified"/"published" zeroed (the real ones are
# computed from git history when vuln.go.dev is deployed, and a module zip has
# no history), so the database's date is the commit time of the x/vulndb
# pseudo-version: the snapshot contains every report merged up to then.
#
# Usage: .ci/govulncheck.sh [--skip MODULE_DIR]... [MODULE_DIR ...]
#        (default: every module above)
# Environment:
#   GOTOOLCHAIN          .ci/go-toolchain (the standard library scanned is
#                        the toolchain's: CI builds and tests with it)
#   GOVULNCHECK_VERSION  default v1.9.0
#   VULNDB_VERSION       default latest (a pseudo-version pins the database)
#   VULNDB_CACHE         default ${XDG_CACHE_HOME:-$HOME/.cache}/secretpath-govulncheck
#                        (outside the clone: CI runs in a fresh clone each time)
#   VULNDB_MAX_AGE_DAYS  default 60: older than that prints a warning (not fatal)
# Exit: 0 clean or all called findings allow-listed; 1 a called finding not
# allow-listed (or listed past its date), or a malformed allow-list; 2 the
# scan itself failed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export GOTOOLCHAIN=$(cat "$root/.ci/go-toolchain")
export GOFLAGS=${GOFLAGS:--buildvcs=false}

GOVULNCHECK_VERSION=${GOVULNCHECK_VERSION:-v1.9.0}
VULNDB_VERSION=${VULNDB_VERSION:-latest}
cache=${VULNDB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/secretpath-govulncheck}
max_age=${VULNDB_MAX_AGE_DAYS:-60}
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

# --- 0. modules and allow-lists: validate before spending time on the scan ---
# dir|scan: "" (host), GOOS/GOARCH, or binary (the built .ci/out/vaultdev)|allow-list
targets=(
  ".||.ci/govulncheck-allow.txt"
  "guest-sdk/go||.ci/govulncheck-allow.txt"
  "guest-sdk/go|wasip1/wasm|.ci/govulncheck-allow.txt"
  "examples/custom-backend/go||.ci/govulncheck-allow.txt"
  "examples/custom-backend/go|wasip1/wasm|.ci/govulncheck-allow.txt"
  "bench||.ci/govulncheck-allow.txt"
  "bench/guests/extism|wasip1/wasm|.ci/govulncheck-allow.txt"
  "internal/testinfra/vaultdev|binary|.ci/govulncheck-allow-vaultdev.txt"
)
all=("${targets[@]}")
known() { printf '%s\n' "${all[@]}" | cut -d'|' -f1 | grep -qx -- "$1"; }
skip=()
while [ $# -gt 0 ]; do
  case "$1" in
    --skip) [ $# -ge 2 ] || die "--skip needs a module directory"
            d=${2%/}; d=${d#./}; known "$d" || die "--skip: unknown module $d"
            skip+=("$d"); shift 2 ;;
    --) shift; break ;;
    -*) die "unknown option $1" ;;
    *) break ;;
  esac
done
if [ ${#skip[@]} -gt 0 ]; then
  kept=()
  for t in "${targets[@]}"; do printf '%s\n' "${skip[@]}" | grep -qx -- "${t%%|*}" || kept+=("$t"); done
  targets=("${kept[@]}")
fi
if [ $# -gt 0 ]; then
  sel=()
  for d in "$@"; do
    d=${d%/}; d=${d#./}; [ -n "$d" ] || d=.
    found=
    for t in "${targets[@]}"; do [ "${t%%|*}" = "$d" ] && { sel+=("$t"); found=1; }; done
    [ -n "$found" ] || die "unknown module $d (known: $(printf '%s\n' "${targets[@]}" | cut -d'|' -f1 | sort -u | tr '\n' ' '))"
  done
  targets=("${sel[@]}")
fi
# Every go.mod of the repo is scanned or named here on purpose.
while IFS= read -r m; do
  d=$(dirname "$m")
  known "$d" ||
    die "module $d (from $m) is not in this script's list of modules: add it"
done < <(git ls-files '*go.mod' | grep -E '(^|/)go\.mod$' | grep -v '/testdata/')

today=$(date -u +%F)
# allow_file FILE: checks FILE, then prints "ID<TAB>until<TAB>reason" lines.
allow_file() {
  local f=$1 n=0 line
  [ -f "$f" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    case "$line" in ''|'#'*) continue ;; esac
    if [[ $line =~ ^(GO-[0-9]{4}-[0-9]{4,})[[:space:]]+([0-9]{4}-[0-9]{2}-[0-9]{2})[[:space:]]+([^[:space:]].*)$ ]] &&
       date -u -d "${BASH_REMATCH[2]}" +%F >/dev/null 2>&1; then
      printf '%s\t%s\t%s\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "${BASH_REMATCH[3]}"
    else
      echo "FAIL: govulncheck: $f:$n: expected 'GO-YYYY-NNNN  YYYY-MM-DD  reason' (the date: last day it holds), got: $line" >&2
      return 1
    fi
  done < "$f"
}
for t in "${targets[@]}"; do
  a=${t##*|}
  allow_file "$root/$a" > /dev/null || exit 1
done

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

  # --- 2. the database: the flat folder of OSV files ---
  # govulncheck reads a flat folder of OSV files and indexes it in memory:
  # the same findings as the v1 layout that x/vulndb's cmd/indexdb builds
  # (compared on v1.9.0 over the main module: identical reports, 35 s
  # against 52 s), without building indexdb, whose dependencies (go-git,
  # gRPC, Google Cloud clients) took ~10 min of a cold CI run. Copied so
  # that the database is kept and dated per vulndb version.
  step "copying the database ($nosv entries) from golang.org/x/vulndb@$ver"
  rm -rf "$db.tmp" && mkdir -p "$db.tmp/flat"
  cp "$osv"/GO-*.json "$db.tmp/flat/" && chmod -R u+w "$db.tmp"
  nid=$(find "$db.tmp/flat" -name 'GO-*.json' | wc -l)
  [ "$nid" -eq "$nosv" ] || die "copied $nid entries of $nosv OSV files"
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
# Built with the Go that builds this repo (GOTOOLCHAIN above): govulncheck
# analyses the standard library of that Go and should be no older than it.
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

# Reads govulncheck's text report: sections "=== Symbol Results ===" (called),
# "=== Package Results ===" (imported, not called), "=== Module Results ==="
# (required, not imported); in each, "Vulnerability #N: ID" followed by one
# "Module: M" or "Standard library" block with "Found in:"/"Fixed in:" per
# affected module. Prints "ID<TAB>level<TAB>module<TAB>found<TAB>fixed".
findings() {
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
  ' "$1"
}

fail=0
declare -A called_under=()   # allow-list file -> IDs called in the modules it covers
for t in "${targets[@]}"; do
  IFS='|' read -r dir plat allowrel <<<"$t"
  label=$dir${plat:+ ($plat)}
  name=$(printf '%s' "$dir${plat:+-$plat}" | tr '/.' '--')
  [ "$dir" = . ] && [ -z "$plat" ] && name=   # the root's report keeps its name
  rep=$out/govulncheck${name:+-$name}.txt
  tsv=$out/govulncheck${name:+-$name}-findings.tsv
  goos= goarch=
  if [ "$plat" = binary ]; then
    bin=${VAULTDEV_OUT:-$out}/vaultdev   # where .ci/vault.sh build puts it
    # Always built (seconds when up to date): a binary left by an older Go
    # or older sources would be scanned with their vulnerabilities.
    step "$label: building $bin (.ci/vault.sh build; cold ~10-12 min)"
    "$root/.ci/vault.sh" build || die "$label: .ci/vault.sh build failed"
    step "$label: govulncheck -db $dburl -mode binary -show verbose ${bin#"$root"/}  (full report: ${rep#"$root"/})"
    set +e
    (cd "$root/$dir" && env GOWORK=off "$gvc" -db "$dburl" -mode binary -show verbose "$bin") > "$rep" 2>&1
    rc=$?
    set -e
  else
    [ -z "$plat" ] || { goos=${plat%/*} goarch=${plat#*/}; }
    step "$label: govulncheck -db $dburl -show verbose ./...  (full report: ${rep#"$root"/})"
    set +e
    (cd "$root/$dir" && env GOWORK=off ${goos:+GOOS=$goos GOARCH=$goarch} "$gvc" -db "$dburl" -show verbose ./...) > "$rep" 2>&1
    rc=$?
    set -e
  fi
  if [ $rc -ne 0 ] && [ $rc -ne 3 ]; then
    cat "$rep"; die "$label: govulncheck exited $rc"
  fi

  # --- 4. findings: one line per (ID, module); called ones gate ---
  findings "$rep" > "$tsv"
  called=$(awk -F'\t' '$2 == "called" { print $1 }' "$tsv" | sort -u)
  # govulncheck exits 3 exactly when something is called: a mismatch means
  # the report format changed under this parser.
  if { [ $rc -eq 3 ] && [ -z "$called" ]; } || { [ $rc -eq 0 ] && [ -n "$called" ]; }; then
    cat "$rep"; die "$label: cannot read govulncheck's report (exit $rc, called IDs: '${called//$'\n'/ }')"
  fi
  sed -n '/^\(Your code\|No vulnerabilities\)/,$p' "$rep"
  called_under[$allowrel]+="$called"$'\n'

  declare -A until=() why=()
  while IFS=$'\t' read -r id u r; do until[$id]=$u why[$id]=$r; done < <(allow_file "$root/$allowrel")
  if [ -s "$tsv" ]; then
    printf '\n%-15s %-9s %-32s %-38s %s\n' ID LEVEL MODULE "FOUND" "FIXED IN"
    while IFS=$'\t' read -r id lvl mod found fixed; do
      mark=
      if [ "$lvl" = called ]; then
        if [ -z "${until[$id]+x}" ]; then mark="  <-- FAIL"
        elif [[ ${until[$id]} < $today ]]; then mark="  <-- FAIL (allow-listed until ${until[$id]}, expired)"
        else mark="  [allowed until ${until[$id]}: ${why[$id]}]"; fi
      fi
      printf '%-15s %-9s %-32s %-38s %s%s\n' "$id" "$lvl" "$mod" "$found" "$fixed" "$mark"
    done < "$tsv"
    echo
  fi
  for id in $called; do
    if [ -z "${until[$id]+x}" ] || [[ ${until[$id]} < $today ]]; then
      fail=1
      # One example trace, to show where the module reaches it.
      awk -v id="$id" -v label="$label" '
        /^=== Symbol Results ===/ { s = 1; next } /^=== / { s = 0 }
        s && $0 ~ "^Vulnerability #[0-9]+: " id "$" { v = 1; next }
        s && /^Vulnerability #/ { v = 0 }
        v && /^  Module: / { m = $2 } v && /^  Standard library/ { m = "stdlib" }
        v && /^      #1: / { sub(/^ +#1: /, ""); print "  " label ": " id " (" m ") e.g. " $0 }
      ' "$rep"
    fi
  done
  unset until why

  # The least version that fixes every finding of a module (all levels).
  if [ -s "$tsv" ]; then
    echo "fixes for $label (least version fixing every finding listed, per module):"
    cut -f3,5 "$tsv" | sed 's/\t[^@]*@/\t/' | sort -t$'\t' -k1,1 -k2,2V |
      awk -F'\t' '{ v[$1] = $2 } END { for (m in v) print m "\t" v[m] }' | sort |
      while IFS=$'\t' read -r mod v; do
        if [[ $v != *[0-9]* ]]; then echo "  $mod: no fixed version ($v)"
        elif [ "$mod" = stdlib ]; then echo "  Go toolchain ${v#go} or later (or the fixed release of a newer minor)"
        elif [[ $v =~ -0\.[0-9]{14}- ]]; then
          # Fixed at a pseudo-version: name the first release that has it, if any.
          latest=$(gomod list -m -f '{{.Version}}' "$mod@latest" 2>/dev/null || true)
          if [ -n "$latest" ] && [ "$(printf '%s\n%s\n' "$v" "$latest" | sort -V | tail -n1)" = "$latest" ]; then
            echo "  (cd $dir && go get $mod@$latest)  (fixed at $v)"
          else echo "  $mod: fixed at $v, in no release yet"; fi
        else echo "  (cd $dir && go get $mod@v${v#v})"; fi
      done
  fi
done

# Entries no longer needed: listed, but called in none of the modules scanned
# against that list (said only when every module of that list was scanned).
for a in "${!called_under[@]}"; do
  n_all=$(printf '%s\n' "${all[@]}" | grep -c "|$a\$")
  n_run=$(printf '%s\n' "${targets[@]}" | grep -c "|$a\$")
  [ "$n_all" -eq "$n_run" ] || continue
  while IFS=$'\t' read -r id u _; do
    grep -qx "$id" <<<"${called_under[$a]}" || echo "note: $a: $id (until $u) is no longer called; remove it"
  done < <(allow_file "$root/$a")
done

step "done"
if [ $fail -ne 0 ]; then
  echo "FAIL: govulncheck: vulnerable code is called (marked <-- FAIL above). Upgrade the module"
  echo "      (go get MODULE@FIXED in that module) or the Go toolchain for stdlib, or add"
  echo "      'GO-YYYY-NNNN  YYYY-MM-DD  reason' to the module's allow-list."
  exit 1
fi
echo "govulncheck: ${#targets[@]} scans, no called vulnerability outside the allow-lists"
