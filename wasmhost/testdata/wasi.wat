;; wasi.wat: a valid ABI v1 module that probes the WASI sandbox (ABI.md §5
;; "WASI"). It imports wasi_snapshot_preview1 functions and no capability.
;; Built by: wat2wasm wasi.wat -o wasi.wasm
;;
;; secretpath_get_connection, id selects the probe; the result is
;; "<errno> <value>" (both unsigned decimal) via result_set and OK:
;;   environ  environ_sizes_get -> value = number of env vars    expect "0 0"
;;   args     args_sizes_get    -> value = number of args        expect "0 0"
;;   random   random_get(8 bytes) -> value = them as a u64 (little endian).
;;            Same value on every instance unless the tenant is granted
;;            "random" (wazero's default source is deterministic).
;;   clock    clock_time_get(realtime) -> value = ns. Fake unless the tenant
;;            is granted "clock": wazero's fake walltime starts at
;;            1640995200000000000 (2022-01-01) and advances 1 ms per read.
;;   write    fd_write(1, "hello from wasi stdout\n") then
;;            fd_write(2, "hello from wasi stderr\n") -> value = bytes
;;            written to stdout (23). Discarded, or with the "log"
;;            capability sent to the log at debug level.
;;   read     fd_read(0, 64 bytes) -> value = bytes read: expect "0 0" (EOF)
;;   preopen  fd_prestat_get(3) -> errno: expect "8 0" (EBADF: no preopens)
;;   exit0    proc_exit(0): wazero returns *sys.ExitError (code 0) from the
;;            call and closes the module. The host must treat it as a failed
;;            lookup (not OK, not NOT_FOUND), naming proc_exit / exit code 0,
;;            and discard the instance. Exit code 0 is NOT success here.
;;   exit1    proc_exit(1): the same, exit code 1.
;;   other ids: INVALID_ARGUMENT(2).
;; secretpath_get_variable: NOT_FOUND.
(module
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "secretpath_v1" "result_set" (func $result_set (param i32 i32)))
  (memory (export "memory") 1)

  (data (i32.const 0) "environ")                    ;; 7
  (data (i32.const 16) "args")                      ;; 4
  (data (i32.const 32) "random")                    ;; 6
  (data (i32.const 48) "clock")                     ;; 5
  (data (i32.const 64) "write")                     ;; 5
  (data (i32.const 80) "read")                      ;; 4
  (data (i32.const 96) "preopen")                   ;; 7
  (data (i32.const 112) "exit0")                    ;; 5
  (data (i32.const 128) "exit1")                    ;; 5
  (data (i32.const 160) "hello from wasi stdout\n") ;; 23
  (data (i32.const 192) "hello from wasi stderr\n") ;; 23
  ;; 512..519 an iovec; 600..615 out-parameters; 768.. the result text;
  ;; 1024..2047 the exchange buffer; 4096..4159 fd_read's destination

  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))

  ;; $is: 1 when the id (buffer, $id_len) equals [$s, $s+$len).
  (func $is (param $id_len i32) (param $s i32) (param $len i32) (result i32)
    (local $i i32)
    (if (i32.ne (local.get $id_len) (local.get $len)) (then (return (i32.const 0))))
    (block $done
      (loop $next
        (br_if $done (i32.eq (local.get $i) (local.get $len)))
        (if (i32.ne (i32.load8_u (i32.add (i32.const 1024) (local.get $i)))
                    (i32.load8_u (i32.add (local.get $s) (local.get $i))))
          (then (return (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const 1))

  ;; $u64 writes $v in decimal at $w; returns the address after it.
  (func $u64 (param $w i32) (param $v i64) (result i32)
    (local $t i64)
    (local $digits i32)
    (local $p i32)
    (local.set $digits (i32.const 1))
    (local.set $t (local.get $v))
    (block $counted
      (loop $count
        (br_if $counted (i64.lt_u (local.get $t) (i64.const 10)))
        (local.set $t (i64.div_u (local.get $t) (i64.const 10)))
        (local.set $digits (i32.add (local.get $digits) (i32.const 1)))
        (br $count)))
    (local.set $p (i32.add (local.get $w) (local.get $digits)))
    (loop $put
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.wrap_i64 (i64.add (i64.const 48) (i64.rem_u (local.get $v) (i64.const 10)))))
      (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
      (br_if $put (i32.gt_u (local.get $p) (local.get $w))))
    (i32.add (local.get $w) (local.get $digits)))

  ;; $answer sets "<errno> <value>" as the result and returns OK.
  (func $answer (param $errno i32) (param $v i64) (result i32)
    (local $w i32)
    (local.set $w (call $u64 (i32.const 768) (i64.extend_i32_u (local.get $errno))))
    (i32.store8 (local.get $w) (i32.const 32))
    (local.set $w (call $u64 (i32.add (local.get $w) (i32.const 1)) (local.get $v)))
    (call $result_set (i32.const 768) (i32.sub (local.get $w) (i32.const 768)))
    (i32.const 0))

  (func (export "secretpath_get_connection") (param $id_len i32) (result i32)
    (local $e i32)
    (i64.store (i32.const 600) (i64.const 0))
    (i64.store (i32.const 608) (i64.const 0))
    (if (call $is (local.get $id_len) (i32.const 0) (i32.const 7))
      (then
        (local.set $e (call $environ_sizes_get (i32.const 600) (i32.const 604)))
        (return (call $answer (local.get $e) (i64.load32_u (i32.const 600))))))
    (if (call $is (local.get $id_len) (i32.const 16) (i32.const 4))
      (then
        (local.set $e (call $args_sizes_get (i32.const 600) (i32.const 604)))
        (return (call $answer (local.get $e) (i64.load32_u (i32.const 600))))))
    (if (call $is (local.get $id_len) (i32.const 32) (i32.const 6))
      (then
        (local.set $e (call $random_get (i32.const 600) (i32.const 8)))
        (return (call $answer (local.get $e) (i64.load (i32.const 600))))))
    (if (call $is (local.get $id_len) (i32.const 48) (i32.const 5))
      (then
        (local.set $e (call $clock_time_get (i32.const 0) (i64.const 1) (i32.const 600)))
        (return (call $answer (local.get $e) (i64.load (i32.const 600))))))
    (if (call $is (local.get $id_len) (i32.const 64) (i32.const 5))
      (then
        (i32.store (i32.const 512) (i32.const 160))
        (i32.store (i32.const 516) (i32.const 23))
        (local.set $e (call $fd_write (i32.const 1) (i32.const 512) (i32.const 1) (i32.const 600)))
        (i32.store (i32.const 512) (i32.const 192))
        (drop (call $fd_write (i32.const 2) (i32.const 512) (i32.const 1) (i32.const 604)))
        (return (call $answer (local.get $e) (i64.load32_u (i32.const 600))))))
    (if (call $is (local.get $id_len) (i32.const 80) (i32.const 4))
      (then
        (i32.store (i32.const 512) (i32.const 4096))
        (i32.store (i32.const 516) (i32.const 64))
        (local.set $e (call $fd_read (i32.const 0) (i32.const 512) (i32.const 1) (i32.const 600)))
        (return (call $answer (local.get $e) (i64.load32_u (i32.const 600))))))
    (if (call $is (local.get $id_len) (i32.const 96) (i32.const 7))
      (then
        (local.set $e (call $fd_prestat_get (i32.const 3) (i32.const 600)))
        (return (call $answer (local.get $e) (i64.const 0)))))
    (if (call $is (local.get $id_len) (i32.const 112) (i32.const 5))
      (then (call $proc_exit (i32.const 0)) (unreachable)))
    (if (call $is (local.get $id_len) (i32.const 128) (i32.const 5))
      (then (call $proc_exit (i32.const 1)) (unreachable)))
    (i32.const 2))
)
