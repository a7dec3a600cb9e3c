;; env_import.wat: imports env.abort (AssemblyScript's default) and
;; env.memory_grow_hook from module "env". Otherwise valid.
;; Built by: wat2wasm env_import.wat -o env_import.wasm
;;
;; The host must refuse it at load (ABI.md §5/§7: only secretpath_v1 and
;; wasi_snapshot_preview1): "module imports env.abort, which this host does
;; not provide".
(module
  (import "env" "abort" (func (param i32 i32 i32 i32)))
  (import "env" "memory_grow_hook" (func))
  (memory (export "memory") 1)
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_connection") (param i32) (result i32) (i32.const 1))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))
)
