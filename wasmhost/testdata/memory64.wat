;; memory64.wat: an ABI v1 module with a 64-bit memory (memory64 proposal).
;; Built by: wat2wasm --enable-memory64 memory64.wat -o memory64.wasm
;;
;; wazero v1.12.0 does not support memory64 and refuses it at CompileModule:
;; "section memory: invalid byte for limits: 0x4 not in (0x00, 0x01, 0x02,
;; 0x03)". The host must report it as a load error (a guest built for
;; wasm64 cannot be loaded).
(module
  (memory (export "memory") i64 1)
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_connection") (param i32) (result i32) (i32.const 1))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))
)
