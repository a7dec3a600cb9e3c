;; bad_import_sig.wat: imports secretpath_v1.result_set with type (i32) -> ()
;; instead of (i32, i32) -> (). Built by: wat2wasm bad_import_sig.wat -o bad_import_sig.wasm
;;
;; The host must refuse it at load, naming the import and both types:
;; "import secretpath_v1.result_set: want (i32, i32) -> (), have (i32) -> ()".
;; (wazero itself would only fail at instantiation with its own wording.)
(module
  (import "secretpath_v1" "result_set" (func (param i32)))
  (memory (export "memory") 1)
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_connection") (param i32) (result i32) (i32.const 1))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))
)
