;; shared_memory.wat: an ABI v1 module whose memory is shared (threads
;; proposal). Built by: wat2wasm --enable-threads shared_memory.wat -o shared_memory.wasm
;;
;; wazero refuses it at CompileModule (threads is not in its default
;; features): "section memory: shared memory requested but threads feature
;; not enabled". The host must report it as a load error and never enable
;; CoreFeaturesThreads (memory.atomic.wait32 could block a call).
(module
  (memory (export "memory") 1 1 shared)
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_connection") (param i32) (result i32) (i32.const 1))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))
)
