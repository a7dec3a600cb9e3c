;; memory_max_huge.wat: an ABI v1 module declaring memory min 1, max 65536
;; pages (a declared maximum above the host's limit).
;; Built by: wat2wasm memory_max_huge.wat -o memory_max_huge.wasm
;;
;; Valid: wazero silently lowers the maximum to the runtime's limit
;; (Definition().Max() reports 256 under WithMemoryLimitPages(256)), so it
;; loads; init OK, lookups NOT_FOUND; memory.grow past 256 pages returns -1.
;; The host must accept it (refusing would break toolchains that declare a
;; 4 GiB max) and still enforce its own limit.
(module
  (memory (export "memory") 1 65536)
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_connection") (param i32) (result i32) (i32.const 1))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))
)
