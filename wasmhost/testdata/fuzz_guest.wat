;; fuzz_guest.wat: a valid ABI v1 module that is a tiny interpreter: each
;; lookup runs the program it is given as its id, calling every import of
;; secretpath_v1 with whatever raw values the program says. The host's fuzz
;; targets (abifuzz_test.go) and isolation tests drive it.
;; Built by: wat2wasm fuzz_guest.wat -o fuzz_guest.wasm
;;
;; It imports every secretpath_v1 function, so its tenant must be granted
;; env, clock and http (ABI.md §5); without one of them creation is refused.
;;
;; PROGRAM. A sequence of ops, each an opcode byte (taken mod 16) followed by
;; its arguments, each a little-endian i32. An argument whose top byte is
;; 0xFE is a register instead: 0xFE0000nn reads register nn & 15 (below).
;; The program ends, returning NOT_FOUND (1), at its end or at an op whose
;; arguments run past the end.
;;
;;   op  args  does
;;    0  2     r15 = kwargs_read(a, b)
;;    1  2     result_set(a, b)
;;    2  2     error_set(a, b)
;;    3  3     log(a, b, c)
;;    4  1     r15 = log_enabled(a)
;;    5  4     r15 = env_get(a, b, c, d)
;;    6  0     clock_now() (the value is dropped: programs stay deterministic)
;;    7  8     r15 = http_request(a, b, c, d, e, f, g, h)
;;    8  2     r15 = http_response_body(a, b)
;;    9  4     r15 = http_response_header(a, b, c, d)
;;   10  1     return a (the status)
;;   11  1     r15 = memory.grow(a)
;;   12  2     i32.store at a the value b (traps when out of bounds)
;;   13  3     memory.fill(dst a, byte b, len c) (traps when out of bounds)
;;   14  0     unreachable (traps)
;;   15  0     nothing
;;
;; REGISTERS (set afresh before every program; they live at 512..575, so a
;; program may overwrite them):
;;   r0 r1   the URL from the kwargs (ptr, len)   r8   memory size in bytes
;;   r2 r3   "GET" (0, 3)                        r9 r10  the exchange buffer
;;   r4 r5   "SECRETPATH_FUZZ_ENV" (80, 19)      r11 r12 request headers (16, 29)
;;   r6 r7   scratch (32768, 32768)              r13 r14 "X-Secret" (64, 8)
;;                                               r15  the last op's result
;;
;; KWARGS (binary, not JSON: the host passes kwargs verbatim). When at least
;; 10 bytes: u32 buffer address, u32 buffer size, u16 URL length, the URL,
;; then the init program (run by secretpath_init; empty = OK). Shorter or
;; over 16 KiB: buffer 1024 of 4096 bytes, no URL, no init program.
;; secretpath_buffer reads them (with kwargs_read) and grows memory so that
;; the buffer fits, when it can; the host checks the rest.
;;
;; LOOKUPS. Every lookup export copies the id (at most 8192 bytes of it) to
;; 8192 and runs it.
;;
;; MEMORY MAP (1 page to start).
;;   0..511       constant strings      8192..16383   the program being run
;;   512..575     registers             16384..32767  the kwargs
;;   1024..5119   the default buffer    32768..       scratch
(module
  (import "secretpath_v1" "kwargs_read" (func $kwargs_read (param i32 i32) (result i32)))
  (import "secretpath_v1" "result_set" (func $result_set (param i32 i32)))
  (import "secretpath_v1" "error_set" (func $error_set (param i32 i32)))
  (import "secretpath_v1" "log" (func $log (param i32 i32 i32)))
  (import "secretpath_v1" "log_enabled" (func $log_enabled (param i32) (result i32)))
  (import "secretpath_v1" "env_get" (func $env_get (param i32 i32 i32 i32) (result i32)))
  (import "secretpath_v1" "clock_now" (func $clock_now (result i64)))
  (import "secretpath_v1" "http_request"
    (func $http_request (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "secretpath_v1" "http_response_body" (func $http_response_body (param i32 i32) (result i32)))
  (import "secretpath_v1" "http_response_header"
    (func $http_response_header (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)

  (data (i32.const 0) "GET")                              ;; 3
  (data (i32.const 16) "Accept: text/plain\nX-Fuzz: 1\n") ;; 29
  (data (i32.const 64) "X-Secret")                        ;; 8
  (data (i32.const 80) "SECRETPATH_FUZZ_ENV")             ;; 19
  (data (i32.const 112) "SECRETPATH_FUZZ_HIDDEN")         ;; 22 (never granted)

  (global $buf_ptr (mut i32) (i32.const 1024))
  (global $buf_size (mut i32) (i32.const 4096))
  (global $url_len (mut i32) (i32.const 0))
  (global $init_ptr (mut i32) (i32.const 0))
  (global $init_len (mut i32) (i32.const 0))

  (func (export "secretpath_abi_v1"))

  ;; secretpath_buffer reads the kwargs and returns the buffer's address.
  (func (export "secretpath_buffer") (result i32)
    (local $n i32)
    (local $end i64)
    (local $pages i64)
    (local.set $n (call $kwargs_read (i32.const 16384) (i32.const 16384)))
    (if (i32.and (i32.ge_u (local.get $n) (i32.const 10)) (i32.le_u (local.get $n) (i32.const 16384)))
      (then
        (global.set $buf_ptr (i32.load (i32.const 16384)))
        (global.set $buf_size (i32.load (i32.const 16388)))
        (global.set $url_len (i32.load16_u (i32.const 16392)))
        (if (i32.le_u (i32.add (i32.const 10) (global.get $url_len)) (local.get $n))
          (then
            (global.set $init_ptr (i32.add (i32.const 16394) (global.get $url_len)))
            (global.set $init_len (i32.sub (local.get $n) (i32.add (i32.const 10) (global.get $url_len)))))
          (else (global.set $url_len (i32.const 0))))))
    ;; grow memory to hold the buffer when that is possible
    (local.set $end (i64.add (i64.extend_i32_u (global.get $buf_ptr)) (i64.extend_i32_u (global.get $buf_size))))
    (local.set $pages (i64.shr_u (i64.add (local.get $end) (i64.const 0xFFFF)) (i64.const 16)))
    (if (i32.and (i64.gt_u (local.get $pages) (i64.extend_i32_u (memory.size)))
                 (i64.le_u (local.get $pages) (i64.const 65536)))
      (then (drop (memory.grow (i32.wrap_i64 (i64.sub (local.get $pages) (i64.extend_i32_u (memory.size))))))))
    (global.get $buf_ptr))

  (func (export "secretpath_buffer_size") (result i32) (global.get $buf_size))

  (func (export "secretpath_init") (result i32)
    (if (i32.eqz (global.get $init_len)) (then (return (i32.const 0))))
    (call $run (global.get $init_ptr) (global.get $init_len)))

  (func (export "secretpath_get_connection") (param $id_len i32) (result i32)
    (call $run (global.get $buf_ptr) (local.get $id_len)))
  (func (export "secretpath_get_variable") (param $id_len i32) (result i32)
    (call $run (global.get $buf_ptr) (local.get $id_len)))
  (func (export "secretpath_get_config") (param $id_len i32) (result i32)
    (call $run (global.get $buf_ptr) (local.get $id_len)))

  ;; $setreg stores register i.
  (func $setreg (param $i i32) (param $v i32)
    (i32.store (i32.add (i32.const 512) (i32.shl (local.get $i) (i32.const 2))) (local.get $v)))

  ;; $reg reads register i (r8 is the memory size).
  (func $reg (param $i i32) (result i32)
    (if (i32.eq (local.get $i) (i32.const 8))
      (then (return (i32.shl (memory.size) (i32.const 16)))))
    (i32.load (i32.add (i32.const 512) (i32.shl (local.get $i) (i32.const 2)))))

  ;; $arg decodes the argument at address p: a raw i32, or a register.
  (func $arg (param $p i32) (result i32)
    (local $v i32)
    (local.set $v (i32.load (local.get $p)))
    (if (i32.eq (i32.shr_u (local.get $v) (i32.const 24)) (i32.const 0xFE))
      (then (return (call $reg (i32.and (local.get $v) (i32.const 15))))))
    (local.get $v))

  ;; $nargs is how many arguments op takes.
  (func $nargs (param $op i32) (result i32)
    (block $n0 (block $n1 (block $n2 (block $n3 (block $n4 (block $n8
      (br_table $n2 $n2 $n2 $n3 $n1 $n4 $n0 $n8 $n2 $n4 $n1 $n1 $n2 $n3 $n0 $n0 (local.get $op)))
      (return (i32.const 8)))
      (return (i32.const 4)))
      (return (i32.const 3)))
      (return (i32.const 2)))
      (return (i32.const 1)))
    (i32.const 0))

  ;; $run copies the program [src, src+len) (at most 8192 bytes) to 8192 and
  ;; runs it; it returns the program's status.
  (func $run (param $src i32) (param $len i32) (result i32)
    (local $pc i32) (local $op i32) (local $n i32) (local $p i32)
    (local $a i32) (local $b i32) (local $c i32) (local $d i32)
    (local $e i32) (local $f i32) (local $g i32) (local $h i32)
    (if (i32.gt_u (local.get $len) (i32.const 8192)) (then (local.set $len (i32.const 8192))))
    (memory.copy (i32.const 8192) (local.get $src) (local.get $len))
    (call $setreg (i32.const 0) (i32.const 16394))
    (call $setreg (i32.const 1) (global.get $url_len))
    (call $setreg (i32.const 2) (i32.const 0))
    (call $setreg (i32.const 3) (i32.const 3))
    (call $setreg (i32.const 4) (i32.const 80))
    (call $setreg (i32.const 5) (i32.const 19))
    (call $setreg (i32.const 6) (i32.const 32768))
    (call $setreg (i32.const 7) (i32.const 32768))
    (call $setreg (i32.const 9) (global.get $buf_ptr))
    (call $setreg (i32.const 10) (global.get $buf_size))
    (call $setreg (i32.const 11) (i32.const 16))
    (call $setreg (i32.const 12) (i32.const 29))
    (call $setreg (i32.const 13) (i32.const 64))
    (call $setreg (i32.const 14) (i32.const 8))
    (call $setreg (i32.const 15) (i32.const 0))
    (loop $next
      (if (i32.ge_u (local.get $pc) (local.get $len)) (then (return (i32.const 1))))
      (local.set $op (i32.and (i32.load8_u (i32.add (i32.const 8192) (local.get $pc))) (i32.const 15)))
      (local.set $n (call $nargs (local.get $op)))
      (if (i32.gt_u (i32.add (i32.add (local.get $pc) (i32.const 1)) (i32.shl (local.get $n) (i32.const 2)))
                    (local.get $len))
        (then (return (i32.const 1))))
      ;; decode eight arguments whatever n is (the extra ones are unused)
      (local.set $p (i32.add (i32.const 8193) (local.get $pc)))
      (local.set $a (call $arg (local.get $p)))
      (local.set $b (call $arg (i32.add (local.get $p) (i32.const 4))))
      (local.set $c (call $arg (i32.add (local.get $p) (i32.const 8))))
      (local.set $d (call $arg (i32.add (local.get $p) (i32.const 12))))
      (local.set $e (call $arg (i32.add (local.get $p) (i32.const 16))))
      (local.set $f (call $arg (i32.add (local.get $p) (i32.const 20))))
      (local.set $g (call $arg (i32.add (local.get $p) (i32.const 24))))
      (local.set $h (call $arg (i32.add (local.get $p) (i32.const 28))))
      (local.set $pc (i32.add (local.get $pc) (i32.add (i32.const 1) (i32.shl (local.get $n) (i32.const 2)))))
      (block $done
        (block $o15 (block $o14 (block $o13 (block $o12 (block $o11 (block $o10 (block $o9 (block $o8
        (block $o7 (block $o6 (block $o5 (block $o4 (block $o3 (block $o2 (block $o1 (block $o0
          (br_table $o0 $o1 $o2 $o3 $o4 $o5 $o6 $o7 $o8 $o9 $o10 $o11 $o12 $o13 $o14 $o15 (local.get $op)))
          ;; 0
          (call $setreg (i32.const 15) (call $kwargs_read (local.get $a) (local.get $b)))
          (br $done))
          ;; 1
          (call $result_set (local.get $a) (local.get $b))
          (br $done))
          ;; 2
          (call $error_set (local.get $a) (local.get $b))
          (br $done))
          ;; 3
          (call $log (local.get $a) (local.get $b) (local.get $c))
          (br $done))
          ;; 4
          (call $setreg (i32.const 15) (call $log_enabled (local.get $a)))
          (br $done))
          ;; 5
          (call $setreg (i32.const 15)
            (call $env_get (local.get $a) (local.get $b) (local.get $c) (local.get $d)))
          (br $done))
          ;; 6
          (drop (call $clock_now))
          (br $done))
          ;; 7
          (call $setreg (i32.const 15)
            (call $http_request (local.get $a) (local.get $b) (local.get $c) (local.get $d)
                                (local.get $e) (local.get $f) (local.get $g) (local.get $h)))
          (br $done))
          ;; 8
          (call $setreg (i32.const 15) (call $http_response_body (local.get $a) (local.get $b)))
          (br $done))
          ;; 9
          (call $setreg (i32.const 15)
            (call $http_response_header (local.get $a) (local.get $b) (local.get $c) (local.get $d)))
          (br $done))
          ;; 10
          (return (local.get $a)))
          ;; 11
          (call $setreg (i32.const 15) (memory.grow (local.get $a)))
          (br $done))
          ;; 12
          (i32.store (local.get $a) (local.get $b))
          (br $done))
          ;; 13
          (memory.fill (local.get $a) (local.get $b) (local.get $c))
          (br $done))
          ;; 14
          (unreachable))
        ;; 15: nothing
        )
      (br $next))
    (i32.const 1))
)
