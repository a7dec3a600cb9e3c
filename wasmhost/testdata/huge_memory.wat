;; huge_memory.wat: an ABI v1 module declaring an initial memory of 65536
;; pages (4 GiB). Built by: wat2wasm huge_memory.wat -o huge_memory.wasm
;;
;; wazero refuses it at CompileModule when the runtime has the tenant's
;; limit (WithMemoryLimitPages(256)): "section memory: min 65536 pages (4 Gi)
;; over limit of 256 pages (16 Mi)". The host must report that as a load
;; error naming the memory limit. With wazero's default limit (65536 pages)
;; it COMPILES, and instantiating it would allocate 4 GiB: the host must
;; compile in a runtime that already has the tenant's memory limit.
(module
  (memory (export "memory") 65536)
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_connection") (param i32) (result i32) (i32.const 1))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))
)
