;; close_loop.wat: a valid ABI v1 module with no capability import that,
;; on a lookup, logs one line and then loops, calling one host function
;; (or none) each time round. It checks that closing a Host while such
;; calls run stops them cleanly (no freed memory under a running call) and
;; that poll_oneoff's subscriptions are capped.
;; Built by: wat2wasm close_loop.wat -o close_loop.wasm
;;
;; secretpath_get_connection, id = one letter (the target) and an optional
;; decimal count N: logs "close_loop: running" at level 1 (seen only with
;; the log capability), calls the target N times, then returns NOT_FOUND
;; (1); no count (or 0) loops forever. Targets:
;;   r  WASI random_get(0, 16 MiB): writes all of guest memory
;;   w  WASI fd_write(1, one iovec of 16 MiB at 0): reads all of it
;;   p  nothing: a pure loop
;; secretpath_get_variable, id = decimal N: one poll_oneoff of N clock
;; subscriptions (relative, timeout 0) read at 0, events written at
;; 8 MiB; result_set of "<errno> <nevents>" (both decimal), OK. N = 0 asks
;; for 0 subscriptions (wazero says EINVAL).
;; Memory: 256 pages (16 MiB, the default limit). The exchange buffer is at
;; 16 MiB - 2048 (1024 bytes), the iovec at 16 MiB - 1024, the result text
;; at 16 MiB - 512; subscriptions at 0 are zero-filled before the poll (a
;; zeroed subscription is a relative clock of timeout 0).
(module
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "secretpath_v1" "log" (func $log (param i32 i32 i32)))
  (import "secretpath_v1" "result_set" (func $result_set (param i32 i32)))
  (memory (export "memory") 256)

  (global $buf i32 (i32.const 16775168))   ;; 16 MiB - 2048
  (global $iov i32 (i32.const 16776192))   ;; 16 MiB - 1024
  (global $txt i32 (i32.const 16776704))   ;; 16 MiB - 512
  (data $msg "close_loop: running") ;; passive, 19 bytes: copied to 16 MiB - 256 before each log

  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (global.get $buf))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))

  ;; number returns the decimal number in the exchange buffer from byte
  ;; $from to $len.
  (func $number (param $from i32) (param $len i32) (result i32)
    (local $i i32)
    (local $n i32)
    (local.set $i (local.get $from))
    (block $end
      (loop $digit
        (br_if $end (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $n (i32.add (i32.mul (local.get $n) (i32.const 10))
          (i32.sub (i32.load8_u (i32.add (global.get $buf) (local.get $i))) (i32.const 48))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $digit)))
    (local.get $n))

  ;; decimal writes $n in decimal at $at and returns the address after it.
  (func $decimal (param $n i32) (param $at i32) (result i32)
    (local $digits i32)
    (local $m i32)
    (local.set $m (local.get $n))
    (loop $count
      (local.set $digits (i32.add (local.get $digits) (i32.const 1)))
      (local.set $m (i32.div_u (local.get $m) (i32.const 10)))
      (br_if $count (local.get $m)))
    (local.set $m (i32.add (local.get $at) (local.get $digits)))
    (loop $write
      (local.set $m (i32.sub (local.get $m) (i32.const 1)))
      (i32.store8 (local.get $m) (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $write (i32.gt_u (local.get $m) (local.get $at))))
    (i32.add (local.get $at) (local.get $digits)))

  (func $once (param $t i32)
    (if (i32.eq (local.get $t) (i32.const 114)) ;; r
      (then (drop (call $random_get (i32.const 0) (i32.const 16777216))) (return)))
    (if (i32.eq (local.get $t) (i32.const 119)) ;; w
      (then (drop (call $fd_write (i32.const 1) (global.get $iov) (i32.const 1) (global.get $txt))) (return)))
    (if (i32.eq (local.get $t) (i32.const 112)) ;; p
      (then (return)))
    (unreachable))

  (func (export "secretpath_get_connection") (param $len i32) (result i32)
    (local $t i32)
    (local $n i32)
    (local $i i32)
    (if (i32.eqz (local.get $len)) (then (return (i32.const 2))))
    (local.set $t (i32.load8_u (global.get $buf)))
    (local.set $n (call $number (i32.const 1) (local.get $len)))
    ;; the iovec: all of memory
    (i32.store (global.get $iov) (i32.const 0))
    (i32.store (i32.add (global.get $iov) (i32.const 4)) (i32.const 16777216))
    (memory.init $msg (i32.const 16776960) (i32.const 0) (i32.const 19))
    (call $log (i32.const 1) (i32.const 16776960) (i32.const 19))
    (block $done
      (loop $again
        (if (local.get $n) (then (br_if $done (i32.ge_u (local.get $i) (local.get $n)))))
        (call $once (local.get $t))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $again)))
    (i32.const 1))

  (func (export "secretpath_get_variable") (param $len i32) (result i32)
    (local $n i32)
    (local $errno i32)
    (local $end i32)
    (local.set $n (call $number (i32.const 0) (local.get $len)))
    ;; zero the subscriptions that fit below 8 MiB (48 bytes each)
    (memory.fill (i32.const 0) (i32.const 0) (i32.const 8388608))
    (i32.store (global.get $txt) (i32.const 0))
    (local.set $errno (call $poll_oneoff (i32.const 0) (i32.const 8388608) (local.get $n) (global.get $txt)))
    (local.set $end (call $decimal (local.get $errno) (global.get $iov)))
    (i32.store8 (local.get $end) (i32.const 32))
    (local.set $end (call $decimal (i32.load (global.get $txt)) (i32.add (local.get $end) (i32.const 1))))
    (call $result_set (global.get $iov) (i32.sub (local.get $end) (global.get $iov)))
    (i32.const 0))
)
