;; unknown_import.wat: a module built for a future ABI: it imports
;; secretpath_v2.result_set. Otherwise valid v1 exports.
;; Built by: wat2wasm unknown_import.wat -o unknown_import.wasm
;;
;; The host must refuse it at load with (ABI.md §5) "module imports
;; secretpath_v2.result_set, which this host does not provide".
(module
  (import "secretpath_v2" "result_set" (func (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_connection") (param i32) (result i32) (i32.const 1))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))
)
