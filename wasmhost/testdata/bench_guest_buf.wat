;; bench_guest_buf.wat: bench_guest.wat answering with OK_IN_BUFFER (status 8)
;; instead of result_set: the result goes into the exchange buffer after a
;; little-endian u32 length, so a lookup makes no host call (ABI.md §2).
;; Built by build.sh: wat2wasm bench_guest_buf.wat -o bench_guest_buf.wasm
;;
;; imports: nothing.
;; secretpath_get_connection  -> an empty id or one starting with NUL ->
;;                               NOT_FOUND; otherwise buffer = u32le(60) +
;;                               "postgres://user:password@db.example.com:5432/analytics?x=123"
;;                               and OK_IN_BUFFER (8)
;; secretpath_get_variable    -> buffer = u32le(1021) (more than the 1020
;;                               bytes after the length): OK_IN_BUFFER, an
;;                               ABI violation the host must refuse
(module
  (memory (export "memory") 1)
  (data (i32.const 64) "postgres://user:password@db.example.com:5432/analytics?x=123")

  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))

  (func (export "secretpath_get_connection") (param $id_len i32) (result i32)
    (if (i32.eqz (local.get $id_len)) (then (return (i32.const 1))))
    (if (i32.eqz (i32.load8_u (i32.const 1024))) (then (return (i32.const 1))))
    (i32.store (i32.const 1024) (i32.const 60))
    (memory.copy (i32.const 1028) (i32.const 64) (i32.const 60))
    (i32.const 8))

  (func (export "secretpath_get_variable") (param i32) (result i32)
    (i32.store (i32.const 1024) (i32.const 1021))
    (i32.const 8))
)
