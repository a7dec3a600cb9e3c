;; memory_is_func.wat: "memory" is exported as a function; the real memory is
;; not exported. Built by: wat2wasm memory_is_func.wat -o memory_is_func.wasm
;;
;; The host must refuse it at load: "export memory is a function, want a
;; memory" or "module does not export memory" (ABI.md §7: "does not export
;; memory, or exports it as something else").
(module
  (memory 1)
  (func (export "memory"))
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_connection") (param i32) (result i32) (i32.const 1))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))
)
