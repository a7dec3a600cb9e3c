#!/bin/sh
# Builds the AssemblyScript example backends: jsondoc.wasm and httpsecrets.wasm
# in OUT (the first argument; default: this directory; *.wasm is git-ignored).
#   npm ci && ./build.sh [OUT]
# asc flags: -O3 (release), the incremental GC runtime (lookups allocate),
# the start function exported as _initialize (ABI.md §2), abort routed to
# the SDK's trap (no env.abort import), no assertions.
set -eu
cd "$(dirname "$0")"
OUT=${1:-.}
mkdir -p "$OUT"
ASC=${ASC:-node_modules/.bin/asc}
[ -x "$ASC" ] || { echo "build.sh: $ASC missing: run npm ci here" >&2; exit 1; }
for name in jsondoc httpsecrets; do
  "$ASC" "$name/index.ts" -o "$OUT/$name.wasm" -O3 --noAssert --runtime incremental \
    --exportStart _initialize --use abort=~lib/@secretpath/guest-sdk/assembly/index/spAbort
done
