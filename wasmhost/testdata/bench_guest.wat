;; bench_guest.wat: the smallest honest ABI v1 guest, for the per-lookup
;; benchmark (same work as floor.wat: ~16-byte id in, 60-byte URI out).
;; Built by build.sh: wat2wasm bench_guest.wat -o bench_guest.wasm
;;
;; imports: secretpath_v1.result_set only. No _initialize, no get_config.
;; secretpath_init            -> OK (ignores kwargs)
;; secretpath_get_connection  -> reads the first byte of the id from the buffer;
;;                               an empty id or one starting with NUL ->
;;                               NOT_FOUND; otherwise
;;                               result_set("postgres://user:password@db.example.com:5432/analytics?x=123")
;;                               (60 bytes) and OK, whatever the id
;; secretpath_get_variable    -> NOT_FOUND
(module
  (import "secretpath_v1" "result_set" (func $result_set (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "postgres://user:password@db.example.com:5432/analytics?x=123")

  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))

  (func (export "secretpath_get_connection") (param $id_len i32) (result i32)
    (if (i32.eqz (local.get $id_len)) (then (return (i32.const 1))))
    (if (i32.eqz (i32.load8_u (i32.const 1024))) (then (return (i32.const 1))))
    (call $result_set (i32.const 64) (i32.const 60))
    (i32.const 0))

  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))
)
