;; marker_global.wat: secretpath_abi_v1 is exported as a global, not a
;; function; all else is right. Built by: wat2wasm marker_global.wat -o marker_global.wasm
;;
;; The host must refuse it at load: the marker is missing as a function
;; ("not a secretpath ABI v1 module" or "export secretpath_abi_v1 is a
;; global, want a function"). A host that looks the name up only in
;; ExportedFunctions() gets the first; either names the problem.
(module
  (memory (export "memory") 1)
  (global (export "secretpath_abi_v1") i32 (i32.const 1))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_connection") (param i32) (result i32) (i32.const 1))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))
)
