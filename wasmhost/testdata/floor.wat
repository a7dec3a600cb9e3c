;; floor.wat: the benchmark floor. NOT an ABI v1 module: a bare export call,
;; for comparing the ABI's cost with the least a wazero call can do.
;; Built by build.sh: wat2wasm floor.wat -o floor.wasm
;;
;; exports:
;;   memory
;;   buffer() -> i32                   address of a 1024-byte input buffer (1024)
;;   lookup(id_ptr, id_len i32) -> i64 (ptr << 32) | len of a fixed 60-byte URI,
;;                                     or 0 when the id is empty or starts with a
;;                                     NUL byte (so that the id is really read)
;; The work matches the ABI benchmark (bench_guest.wat): ~16 bytes in, 60 out.
(module
  (memory (export "memory") 1)
  ;; 60 bytes
  (data (i32.const 64) "postgres://user:password@db.example.com:5432/analytics?x=123")

  (func (export "buffer") (result i32) (i32.const 1024))

  (func (export "lookup") (param $id_ptr i32) (param $id_len i32) (result i64)
    (if (i32.eqz (local.get $id_len)) (then (return (i64.const 0))))
    (if (i32.eqz (i32.load8_u (local.get $id_ptr))) (then (return (i64.const 0))))
    (i64.or (i64.shl (i64.const 64) (i64.const 32)) (i64.const 60)))
)
