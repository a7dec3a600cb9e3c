;; wrong_sig.wat: secretpath_get_connection has type (i32, i32) -> i32
;; instead of (i32) -> i32. Built by: wat2wasm wrong_sig.wat -o wrong_sig.wasm
;;
;; The host must refuse it at load with (ABI.md §2)
;; "export secretpath_get_connection: want (i32) -> i32, have (i32, i32) -> i32".
(module
  (memory (export "memory") 1)
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_connection") (param i32 i32) (result i32) (i32.const 1))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))
)
