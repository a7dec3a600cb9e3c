;; buffer_size_neg.wat: secretpath_buffer_size returns -1 (0xFFFFFFFF), with
;; the buffer at 1024 of a 1-page memory.
;; Built by: wat2wasm buffer_size_neg.wat -o buffer_size_neg.wasm
;;
;; The host must refuse the instance (tenant creation fails): read as
;; unsigned it is 4 GiB - 1 and outside memory; read as signed it is < 256.
;; Either message is right; accepting it is not (a host doing int32
;; arithmetic might take -1 as "no limit", or its min(size, len) check might
;; pass every id).
(module
  (memory (export "memory") 1)
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const -1))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_connection") (param i32) (result i32) (i32.const 1))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))
)
