;; big_output.wat: a valid ABI v1 module that sets large results and
;; messages. Built by: wat2wasm big_output.wat -o big_output.wasm
;; Memory: 17 pages; secretpath_init fills [65536, 65536 + 1 MiB) with 'a'.
;;
;; secretpath_get_connection (any id): result_set(65536, 1048576) (1 MiB of
;;   valid memory) and OK. The host must: fail the lookup with
;;   RESOURCE_EXHAUSTED and a message saying the tenant's result limit
;;   (default 64 KiB); keep the instance (the next lookup on it works).
;; secretpath_get_variable (id = decimal N, 0 <= N <= 1048576):
;;   result_set(65536, N) and OK: N bytes of 'a'. Default limit: "65536" ->
;;   OK with 64 KiB of 'a' (the limit is inclusive: "over the limit" fails),
;;   "65537" -> RESOURCE_EXHAUSTED. Not a number or too big: INVALID_ARGUMENT.
;; secretpath_get_config (id = decimal N as above): error_set(65536, N) and
;;   INTERNAL(5). The host must truncate the message to 1 KiB.
(module
  (import "secretpath_v1" "result_set" (func $result_set (param i32 i32)))
  (import "secretpath_v1" "error_set" (func $error_set (param i32 i32)))
  (memory (export "memory") 17)

  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32)
    (memory.fill (i32.const 65536) (i32.const 97) (i32.const 1048576))
    (i32.const 0))

  ;; $number: the decimal id in the buffer, or -1.
  (func $number (param $len i32) (result i32)
    (local $i i32)
    (local $c i32)
    (local $v i32)
    (if (i32.or (i32.eqz (local.get $len)) (i32.gt_u (local.get $len) (i32.const 7)))
      (then (return (i32.const -1))))
    (loop $digit
      (local.set $c (i32.sub (i32.load8_u (i32.add (i32.const 1024) (local.get $i))) (i32.const 48)))
      (if (i32.gt_u (local.get $c) (i32.const 9)) (then (return (i32.const -1))))
      (local.set $v (i32.add (i32.mul (local.get $v) (i32.const 10)) (local.get $c)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $digit (i32.lt_u (local.get $i) (local.get $len))))
    (if (i32.gt_u (local.get $v) (i32.const 1048576)) (then (return (i32.const -1))))
    (local.get $v))

  (func (export "secretpath_get_connection") (param i32) (result i32)
    (call $result_set (i32.const 65536) (i32.const 1048576))
    (i32.const 0))

  (func (export "secretpath_get_variable") (param $id_len i32) (result i32)
    (local $n i32)
    (local.set $n (call $number (local.get $id_len)))
    (if (i32.lt_s (local.get $n) (i32.const 0)) (then (return (i32.const 2))))
    (call $result_set (i32.const 65536) (local.get $n))
    (i32.const 0))

  (func (export "secretpath_get_config") (param $id_len i32) (result i32)
    (local $n i32)
    (local.set $n (call $number (local.get $id_len)))
    (if (i32.lt_s (local.get $n) (i32.const 0)) (then (return (i32.const 2))))
    (call $error_set (i32.const 65536) (local.get $n))
    (i32.const 5))
)
