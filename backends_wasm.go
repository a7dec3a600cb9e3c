//go:build !secretpath_no_wasm

package secretpath

// WebAssembly backends: `backend = path/to/module.wasm` (or a file:// or
// https:// URL) runs the module in wazero, with the [wasm] section's
// limits. Build with -tags secretpath_no_wasm to leave wazero out.
import _ "github.com/secretpath/secretpath/wasmhost" // registers "wasm" for module references
