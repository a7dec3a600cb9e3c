;; no_marker.wat: every ABI v1 export but the marker secretpath_abi_v1.
;; Built by: wat2wasm no_marker.wat -o no_marker.wasm
;;
;; The host must refuse it at load with "not a secretpath ABI v1 module"
;; (ABI.md §7).
(module
  (memory (export "memory") 1)
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_connection") (param i32) (result i32) (i32.const 1))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))
)
