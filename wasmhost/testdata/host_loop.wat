;; host_loop.wat: a valid ABI v1 module with no capability import that calls
;; one host function in a loop, each time with arguments as large as its
;; memory (256 pages = 16 MiB, the default limit). It checks that host work
;; is charged (a host call costs fuel by the bytes it handles) and that a
;; call's time limit, its caller's cancellation and its fuel budget stop a
;; guest that spends its time in host functions.
;; Built by: wat2wasm host_loop.wat -o host_loop.wasm
;;
;; secretpath_get_connection, id = one letter (the target) and an optional
;; decimal count N: calls the target N times, then returns NOT_FOUND (1); no
;; count (or 0) loops forever. Targets:
;;   r  WASI random_get(0, 16 MiB)
;;   w  WASI fd_write(1, iovs at 65536, 2088960 iovecs): the first iovec is
;;      the whole memory (16 MiB), the others empty (zeroed first)
;;   l  log(1, 0, 16 MiB): dropped without the log grant, else cut to the
;;      per-call log budget
;;   k  kwargs_read(65536, 16 MiB - 65536): the tenant's kwargs, copied
;;      whenever they fit
;; Any other target traps (unreachable). An empty id: INVALID_ARGUMENT (2).
;; secretpath_get_variable: NOT_FOUND.
;;
;; The host must stop every looping target within the call's limits: the
;; wall time limit, the caller's cancellation and, metered, the fuel budget,
;; which host work counts against.
(module
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "secretpath_v1" "log" (func $log (param i32 i32 i32)))
  (import "secretpath_v1" "kwargs_read" (func $kwargs_read (param i32 i32) (result i32)))
  (memory (export "memory") 256)

  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))

  ;; count returns the decimal number in the id after its first byte.
  (func $count (param $len i32) (result i32)
    (local $i i32)
    (local $n i32)
    (local.set $i (i32.const 1))
    (block $end
      (loop $digit
        (br_if $end (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $n (i32.add (i32.mul (local.get $n) (i32.const 10))
          (i32.sub (i32.load8_u (i32.add (i32.const 1024) (local.get $i))) (i32.const 48))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $digit)))
    (local.get $n))

  (func $once (param $t i32)
    (if (i32.eq (local.get $t) (i32.const 114)) ;; r
      (then (drop (call $random_get (i32.const 0) (i32.const 16777216))) (return)))
    (if (i32.eq (local.get $t) (i32.const 119)) ;; w
      (then (drop (call $fd_write (i32.const 1) (i32.const 65536) (i32.const 2088960) (i32.const 0))) (return)))
    (if (i32.eq (local.get $t) (i32.const 108)) ;; l
      (then (call $log (i32.const 1) (i32.const 0) (i32.const 16777216)) (return)))
    (if (i32.eq (local.get $t) (i32.const 107)) ;; k
      (then (drop (call $kwargs_read (i32.const 65536) (i32.const 16711680))) (return)))
    (unreachable))

  (func (export "secretpath_get_connection") (param $len i32) (result i32)
    (local $t i32)
    (local $n i32)
    (local $i i32)
    (if (i32.eqz (local.get $len)) (then (return (i32.const 2))))
    (local.set $t (i32.load8_u (i32.const 1024)))
    (local.set $n (call $count (local.get $len)))
    (if (i32.eq (local.get $t) (i32.const 119)) ;; w: the iovecs
      (then
        (memory.fill (i32.const 65536) (i32.const 0) (i32.const 16711680))
        (i32.store (i32.const 65540) (i32.const 16777216))))
    (block $done
      (loop $again
        (if (local.get $n) (then (br_if $done (i32.ge_u (local.get $i) (local.get $n)))))
        (call $once (local.get $t))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $again)))
    (i32.const 1))
)
