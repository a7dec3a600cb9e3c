;; import_memory.wat: imports a memory secretpath_v1.memory (instead of
;; defining one) and re-exports it as "memory". Functions exports are valid.
;; Built by: wat2wasm import_memory.wat -o import_memory.wasm
;;
;; The host must refuse it at load: "module imports memory
;; secretpath_v1.memory, which this host does not provide". A host that
;; checks only ImportedFunctions() misses it (wazero lists imported memories
;; in ImportedMemories()) and fails later at instantiation with wazero's
;; wording. Also covers imported globals/tables in spirit: only function
;; imports are allowed.
(module
  (import "secretpath_v1" "memory" (memory 1))
  (export "memory" (memory 0))
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_connection") (param i32) (result i32) (i32.const 1))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))
)
