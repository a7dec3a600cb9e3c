;; missing_export.wat: an ABI v1 module without secretpath_get_variable
;; (everything else is right). Built by: wat2wasm missing_export.wat -o missing_export.wasm
;;
;; The host must refuse it at load, naming the export:
;; "missing export secretpath_get_variable" (wording is the host's; it must
;; name secretpath_get_variable). wazero compiles it.
(module
  (memory (export "memory") 1)
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_connection") (param i32) (result i32) (i32.const 1))
)
