;; buffer_oob.wat: secretpath_buffer returns 0xFFFFFF00 (beyond the 1-page
;; memory) and secretpath_buffer_size 512: buffer + size wraps in 32 bits to
;; 0x100, which a host adding uint32s would wrongly find in bounds.
;; Built by: wat2wasm buffer_oob.wat -o buffer_oob.wasm
;;
;; The host must refuse the instance before secretpath_init (tenant
;; creation fails): "exchange buffer [4294967040, +512) outside memory (65536
;; bytes)" or similar, naming secretpath_buffer. Compute in uint64.
(module
  (memory (export "memory") 1)
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 0xFFFFFF00))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 512))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_connection") (param i32) (result i32) (i32.const 1))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))
)
