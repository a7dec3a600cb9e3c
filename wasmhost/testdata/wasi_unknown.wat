;; wasi_unknown.wat: imports wasi_snapshot_preview1.no_such_function.
;; Built by: wat2wasm wasi_unknown.wat -o wasi_unknown.wasm
;;
;; The host must refuse it at load: "module imports
;; wasi_snapshot_preview1.no_such_function, which this host does not
;; provide" (or fail at instantiation with wazero's "... is not exported in
;; module wasi_snapshot_preview1": a clean error either way, preferably at load).
(module
  (import "wasi_snapshot_preview1" "no_such_function" (func))
  (memory (export "memory") 1)
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_connection") (param i32) (result i32) (i32.const 1))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))
)
