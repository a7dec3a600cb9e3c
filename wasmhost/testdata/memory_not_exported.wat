;; memory_not_exported.wat: the module has a memory but exports it as
;; "mem", not "memory" (a guest built without exporting its memory under the
;; standard name). Built by: wat2wasm memory_not_exported.wat -o memory_not_exported.wasm
;;
;; The host must refuse it at load: "module does not export memory". (wazero's
;; Module.Memory() returns the first memory whatever its export name, so a
;; host must check ExportedMemories()["memory"], not Memory() != nil.)
(module
  (memory (export "mem") 1)
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_connection") (param i32) (result i32) (i32.const 1))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))
)
