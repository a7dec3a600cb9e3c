;; many_tables.wat: an ABI v1 module declaring 8 funcref tables of 2^24
;; elements each (reference types allow several tables): 8 x 128 MiB = 1 GiB
;; allocated by InstantiateModule, with nothing in the module that uses them.
;; Built by: wat2wasm many_tables.wat -o many_tables.wasm
;;
;; Same defence as huge_table.wat: the host must refuse it at load from a
;; pre-scan, counting the elements of all tables together (imported tables
;; are already refused as imports). Otherwise valid (init OK, lookups
;; NOT_FOUND).
(module
  (memory (export "memory") 1)
  (table 16777216 funcref)
  (table 16777216 funcref)
  (table 16777216 funcref)
  (table 16777216 funcref)
  (table 16777216 funcref)
  (table 16777216 funcref)
  (table 16777216 funcref)
  (table 16777216 funcref)
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_connection") (param i32) (result i32) (i32.const 1))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))
)
