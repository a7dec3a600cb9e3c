;; wasi_unstable.wat: imports wasi_unstable.fd_write (the pre-snapshot WASI
;; module name that old toolchains emit). Otherwise valid.
;; Built by: wat2wasm wasi_unstable.wat -o wasi_unstable.wasm
;;
;; The host must refuse it at load: "module imports wasi_unstable.fd_write,
;; which this host does not provide" (only wasi_snapshot_preview1 is allowed).
(module
  (import "wasi_unstable" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_connection") (param i32) (result i32) (i32.const 1))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))
)
