;; huge_table.wat: an ABI v1 module declaring a funcref table of 2^27
;; (134217728) elements, the most wazero allows per table.
;; Built by: wat2wasm huge_table.wat -o huge_table.wasm
;;
;; wazero compiles it and InstantiateModule allocates the table eagerly:
;; 1 GiB of Go heap (8 bytes per element; 9-560 ms here), per instance, outside
;; the memory limit (WithMemoryLimitPages does not cover tables). With
;; reference types (on by default) a module may declare many such tables
;; (see many_tables.wat). The host must refuse it at load, before
;; instantiating: wazero's CompiledModule does not expose tables, so this
;; needs a pre-scan of the table/import sections (e.g. total table elements
;; <= 1,000,000), naming the table size. Otherwise valid (init OK, lookups
;; NOT_FOUND).
(module
  (memory (export "memory") 1)
  (table 134217728 funcref)
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_connection") (param i32) (result i32) (i32.const 1))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))
)
