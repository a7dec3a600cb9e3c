;; unknown_func.wat: imports secretpath_v1.no_such_function (a function v1
;; does not have, e.g. one added in a later minor version).
;; Built by: wat2wasm unknown_func.wat -o unknown_func.wasm
;;
;; The host must refuse it at load, naming the import: "module imports
;; secretpath_v1.no_such_function, which this host does not provide".
(module
  (import "secretpath_v1" "no_such_function" (func))
  (memory (export "memory") 1)
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_connection") (param i32) (result i32) (i32.const 1))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))
)
