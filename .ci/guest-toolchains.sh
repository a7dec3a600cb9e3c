#!/usr/bin/env bash
# Installs the guest toolchains of the C, Rust and AssemblyScript SDKs
# (guest-sdk/) and builds every example backend of examples/custom-backend
# from source, so that a failure to build shows here, before the tests
# (internal/abitest builds them again, into a temporary directory).
# Idempotent: installs only what is missing. Run as root from the repo root
# or anywhere: .ci/guest-toolchains.sh
#   clang 14 + lld (wasm-ld) + wasi-libc + libclang-rt-14-dev-wasm32  C
#   rustc + cargo + libstd-rust-dev-wasm32 (Debian's, /usr/bin)       Rust
#   node + npm, then `npm ci` (assemblyscript pinned in package-lock)   AssemblyScript
#   wabt                                                                wasm-objdump (checks)
set -euo pipefail
# The approved Go toolchain, as in .ci/run (fetched from the module proxy).
export GOTOOLCHAIN=$(cat "$(dirname "$0")/go-toolchain")
cd "$(dirname "$0")/.."

missing=()
need() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed' || missing+=("$1"); }
for p in make clang lld wasi-libc libclang-rt-14-dev-wasm32 rustc cargo libstd-rust-dev-wasm32 wabt; do
  need "$p"
done
# node and npm may come from elsewhere (NodeSource ships npm inside nodejs).
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "guest-toolchains: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

clang --version | head -1
wasm-ld --version
/usr/bin/rustc --version
/usr/bin/cargo --version
node --version

# AssemblyScript: the compiler pinned by package-lock.json.
if [ -f examples/custom-backend/assemblyscript/package-lock.json ]; then
  (cd examples/custom-backend/assemblyscript && npm ci --no-audit --no-fund)
fi

# Build every example (outputs are git-ignored).
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
make -s -C examples/custom-backend/c OUT="$out/c"
if [ -x examples/custom-backend/assemblyscript/build.sh ]; then
  (cd examples/custom-backend/assemblyscript && ./build.sh "$out/as")
fi
if [ -x examples/custom-backend/rust/build.sh ]; then
  (cd examples/custom-backend/rust && ./build.sh "$out/rust")
fi
ls -l "$out"/*/*.wasm
