;; memory_over_limit.wat: an ABI v1 module declaring an initial memory of 257
;; pages, one over the default limit (256 pages = 16 MiB).
;; Built by: wat2wasm memory_over_limit.wat -o memory_over_limit.wasm
;;
;; wazero refuses it at CompileModule under WithMemoryLimitPages(256):
;; "section memory: min 257 pages (16 Mi) over limit of 256 pages (16 Mi)".
;; The host must report a load error naming the memory limit. Under the
;; Go-guest limit (1024 pages) it is a valid module (init OK, lookups
;; NOT_FOUND).
(module
  (memory (export "memory") 257)
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_connection") (param i32) (result i32) (i32.const 1))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))
)
