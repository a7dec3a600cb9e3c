#!/bin/sh
# Rebuilds every .wasm in this directory from the .wat beside it, with wabt's
# wat2wasm (1.0.32 made the committed files; output is deterministic).
#
#   ./build.sh           rebuild all
#   ./build.sh --check   rebuild into a temporary directory and fail if any
#                        committed .wasm differs from its .wat (or is missing)
#
# Flags: wat2wasm's defaults (which include bulk memory, reference types and
# multi-value) for every module except the two that need a proposal that is
# off by default:
#   shared_memory.wat  --enable-threads
#   memory64.wat       --enable-memory64
# The tests use only the committed .wasm files; wabt is needed only to change
# them.
set -eu
cd "$(dirname "$0")"

command -v wat2wasm >/dev/null 2>&1 || { echo "build.sh: wat2wasm (wabt) not found" >&2; exit 1; }
version=$(wat2wasm --version)
[ "$version" = "1.0.32" ] || echo "build.sh: warning: wat2wasm $version, the committed files came from 1.0.32" >&2

flags_for() {
	case "$1" in
	shared_memory) echo "--enable-threads" ;;
	memory64) echo "--enable-memory64" ;;
	*) echo "" ;;
	esac
}

out=.
if [ "${1:-}" = "--check" ]; then
	out=$(mktemp -d)
	trap 'rm -rf "$out"' EXIT
fi

status=0
for wat in *.wat; do
	name=${wat%.wat}
	# shellcheck disable=SC2046 # flags_for prints zero or one flag
	wat2wasm $(flags_for "$name") "$wat" -o "$out/$name.wasm"
	if [ "$out" != . ] && ! cmp -s "$out/$name.wasm" "$name.wasm"; then
		echo "build.sh: $name.wasm is out of date with $wat (run ./build.sh)" >&2
		status=1
	fi
done
if [ "$out" != . ]; then
	for wasm in *.wasm; do
		[ -f "${wasm%.wasm}.wat" ] || { echo "build.sh: $wasm has no .wat" >&2; status=1; }
	done
fi
exit $status
