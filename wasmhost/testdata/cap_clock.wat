;; cap_clock.wat: a valid ABI v1 module using the clock capability: it
;; imports secretpath_v1.clock_now. Built by: wat2wasm cap_clock.wat -o cap_clock.wasm
;;
;; Creating a tenant not granted "clock" must fail (ABI.md §5): "tenant "t":
;; module imports secretpath_v1.clock_now but the tenant is not granted "clock"".
;; Granted: secretpath_get_variable (any id) calls clock_now twice; if the
;; second reading is below the first: error_set("clock_now went backwards")
;; and INTERNAL(5); else result_set(<second reading as unsigned decimal>),
;; OK. secretpath_get_connection: NOT_FOUND.
(module
  (import "secretpath_v1" "result_set" (func $result_set (param i32 i32)))
  (import "secretpath_v1" "error_set" (func $error_set (param i32 i32)))
  (import "secretpath_v1" "clock_now" (func $clock_now (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "clock_now went backwards")  ;; 24
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_connection") (param i32) (result i32) (i32.const 1))
  (func (export "secretpath_get_variable") (param i32) (result i32)
    (local $t1 i64)
    (local $t2 i64)
    (local $w i32)
    (local.set $t1 (call $clock_now))
    (local.set $t2 (call $clock_now))
    (if (i64.lt_s (local.get $t2) (local.get $t1))
      (then
        (call $error_set (i32.const 0) (i32.const 24))
        (return (i32.const 5))))
    ;; write the digits backwards, ending at 128
    (local.set $w (i32.const 128))
    (loop $digit
      (local.set $w (i32.sub (local.get $w) (i32.const 1)))
      (i32.store8 (local.get $w)
        (i32.wrap_i64 (i64.add (i64.const 48) (i64.rem_u (local.get $t2) (i64.const 10)))))
      (local.set $t2 (i64.div_u (local.get $t2) (i64.const 10)))
      (br_if $digit (i64.ne (local.get $t2) (i64.const 0))))
    (call $result_set (local.get $w) (i32.sub (i32.const 128) (local.get $w)))
    (i32.const 0))
)
