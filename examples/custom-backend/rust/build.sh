#!/bin/sh
# Builds the Rust example backends: jsondoc.wasm and httpsecrets.wasm in OUT
# (the first argument; default: this directory; *.wasm is git-ignored), with
# Debian's rustc 1.63 + cargo (apt-get install rustc cargo
# libstd-rust-dev-wasm32), offline: the crates depend on guest-sdk/rust only.
#   ./build.sh [OUT]
# RUSTC and CARGO override the toolchain (default: /usr/bin's, not a rustup
# proxy on PATH); CARGO_TARGET_DIR the build directory (default: target/).
# Profile (Cargo.toml): opt-level "s", LTO, one codegen unit, panic abort,
# stripped; target wasm32-unknown-unknown (no WASI imports).
set -eu
cd "$(dirname "$0")"
OUT=${1:-.}
mkdir -p "$OUT"
CARGO=${CARGO:-/usr/bin/cargo}
RUSTC=${RUSTC:-/usr/bin/rustc}
export RUSTC
[ -x "$CARGO" ] || { echo "build.sh: $CARGO missing: apt-get install cargo" >&2; exit 1; }
[ -x "$RUSTC" ] || { echo "build.sh: $RUSTC missing: apt-get install rustc libstd-rust-dev-wasm32" >&2; exit 1; }
TARGET_DIR=${CARGO_TARGET_DIR:-target}
"$CARGO" build --offline --quiet --release --locked --target wasm32-unknown-unknown \
  --target-dir "$TARGET_DIR" -p jsondoc -p httpsecrets
for name in jsondoc httpsecrets; do
  cp "$TARGET_DIR/wasm32-unknown-unknown/release/$name.wasm" "$OUT/$name.wasm.tmp"
  mv "$OUT/$name.wasm.tmp" "$OUT/$name.wasm"
done
