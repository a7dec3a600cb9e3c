;; no_memory.wat: every ABI v1 function export, and no memory at all.
;; Built by: wat2wasm no_memory.wat -o no_memory.wasm
;;
;; The host must refuse it at load, naming the memory: "module does not
;; export memory". (A host that skipped the check would find
;; Module.Memory() == nil at the first pointer: it must not get that far.)
(module
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_connection") (param i32) (result i32) (i32.const 1))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))
)
