;; small_buffer.wat: secretpath_buffer_size returns 16 (< 256, ABI.md §2).
;; Built by: wat2wasm small_buffer.wat -o small_buffer.wasm
;;
;; The host must refuse the instance before secretpath_init (tenant creation
;; fails): "secretpath_buffer_size 16 is less than 256".
(module
  (memory (export "memory") 1)
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 16))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_connection") (param i32) (result i32) (i32.const 1))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))
)
