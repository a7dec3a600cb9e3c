;; reference.wat: the reference ABI v1 guest ("example backend") for the
;; host's conformance tests. Built by build.sh: wat2wasm reference.wat -o reference.wasm
;;
;; KWARGS FORMAT. backend_kwargs must be a flat JSON object whose values are
;; all JSON strings. Keys say what an entry is:
;;
;;   "c:<conn_id>"  the connection <conn_id>   (secretpath_get_connection)
;;   "v:<key>"      the variable <key>         (secretpath_get_variable)
;;   "g:<key>"      the config <key>           (secretpath_get_config)
;;   "log"          if present, every lookup first calls log(1, <this value>)
;;                  once (level 1 = info), whether the id is found or not
;;
;; Any other key is accepted and ignored. Example:
;;   {"c:pg": "postgres://u:p@db:5432/x", "v:hello": "world", "log": "reference lookup"}
;;
;; Strings are full JSON strings: escapes \" \\ \/ \b \f \n \r \t and \uXXXX
;; (a surrogate pair becomes one 4-byte UTF-8 character; a lone surrogate
;; becomes U+FFFD, as Go's encoding/json does). Raw control bytes (< 0x20) in a
;; string are refused; bytes >= 0x80 are copied as they are (not checked to be
;; UTF-8). Whitespace (space, \t, \n, \r) is allowed between tokens. Empty
;; kwargs (length 0) or whitespace only mean {}. A duplicate key: the last
;; one wins (as Go and Python do). Ids are compared byte for byte (case
;; sensitive); an id is at most 1024 bytes (the buffer); values may be as
;; large as memory allows (kwargs are kept in memory that grows as needed).
;;
;; STATUSES. init: OK; INVALID_ARGUMENT(2) with
;;   error_set("reference: bad kwargs at byte N: <reason>") when the kwargs are
;;   not such an object (N = offset into the kwargs, <reason> one of:
;;   expected '{' | expected a string key | expected ':' | expected a string
;;   value | expected ',' or '}' | unterminated string | control character in
;;   string | bad escape | bad \u escape | trailing data after the object);
;;   INTERNAL(5) if memory cannot grow to hold them, if _initialize was not
;;   called exactly once before it, or if it is called twice.
;; lookups: OK + result_set(value); NOT_FOUND(1) when absent; INTERNAL(5)
;;   "reference: lookup before a successful secretpath_init"; INVALID_ARGUMENT(2)
;;   "reference: id longer than the buffer" (the host must never send one).
;;
;; MEMORY MAP.
;;   0..2047     constant strings (one per 64-byte slot)
;;   2048..3071  the exchange buffer (secretpath_buffer, 1024 bytes)
;;   3072..4095  scratch for composing the init error message
;;   65536..     the kwargs, decoded in place (a decoded JSON string is never
;;               longer than its encoding, so it is written over it), then a
;;               table of entries {key_ptr, key_len, val_ptr, val_len} (16
;;               bytes each) starting at the next 16-byte boundary.
(module
  (import "secretpath_v1" "kwargs_read" (func $kwargs_read (param i32 i32) (result i32)))
  (import "secretpath_v1" "result_set" (func $result_set (param i32 i32)))
  (import "secretpath_v1" "error_set" (func $error_set (param i32 i32)))
  (import "secretpath_v1" "log" (func $log (param i32 i32 i32)))

  (memory (export "memory") 2)

  (data (i32.const 0) "reference: bad kwargs at byte ")                        ;; 30
  (data (i32.const 64) "expected '{'")                                         ;; 12
  (data (i32.const 128) "expected a string key")                               ;; 21
  (data (i32.const 192) "expected ':'")                                        ;; 12
  (data (i32.const 256) "expected a string value")                             ;; 23
  (data (i32.const 320) "expected ',' or '}'")                                 ;; 19
  (data (i32.const 384) "unterminated string")                                 ;; 19
  (data (i32.const 448) "control character in string")                         ;; 27
  (data (i32.const 512) "bad escape")                                          ;; 10
  (data (i32.const 576) "bad \\u escape")                                      ;; 13
  (data (i32.const 640) "trailing data after the object")                      ;; 30
  (data (i32.const 704) "reference: out of memory for kwargs")                 ;; 35
  (data (i32.const 768) "reference: kwargs changed size between reads")        ;; 44
  (data (i32.const 832) "reference: _initialize was not called exactly once")  ;; 50
  (data (i32.const 896) "reference: secretpath_init called twice")             ;; 39
  (data (i32.const 960) "reference: lookup before a successful secretpath_init") ;; 53
  (data (i32.const 1024) "reference: id longer than the buffer")               ;; 36
  (data (i32.const 1088) ": ")                                                 ;; 2

  (global $BUF i32 (i32.const 2048))
  (global $BUF_SIZE i32 (i32.const 1024))
  (global $SCRATCH i32 (i32.const 3072))
  (global $KW i32 (i32.const 65536))

  (global $initialize_calls (mut i32) (i32.const 0))
  (global $init_called (mut i32) (i32.const 0))
  (global $ready (mut i32) (i32.const 0))
  ;; parser state: current position and end (absolute addresses)
  (global $pos (mut i32) (i32.const 0))
  (global $end (mut i32) (i32.const 0))
  (global $str (mut i32) (i32.const 0))       ;; start of the last decoded string
  (global $why_ptr (mut i32) (i32.const 0))   ;; reason of the last string error
  (global $why_len (mut i32) (i32.const 0))
  ;; the entry table
  (global $tab (mut i32) (i32.const 0))
  (global $n (mut i32) (i32.const 0))
  ;; the "log" value; $log_len = -1 when there is no "log" key
  (global $log_ptr (mut i32) (i32.const 0))
  (global $log_len (mut i32) (i32.const -1))

  (func (export "secretpath_abi_v1"))

  (func (export "_initialize")
    (global.set $initialize_calls (i32.add (global.get $initialize_calls) (i32.const 1))))

  (func (export "secretpath_buffer") (result i32) (global.get $BUF))
  (func (export "secretpath_buffer_size") (result i32) (global.get $BUF_SIZE))

  ;; $ensure makes memory at least $end_addr bytes long. Returns 1, or 0 when
  ;; memory.grow fails.
  (func $ensure (param $end_addr i32) (result i32)
    (local $need i32)
    (local $cur i32)
    (local.set $need
      (i32.add (i32.shr_u (local.get $end_addr) (i32.const 16))
               (i32.ne (i32.and (local.get $end_addr) (i32.const 0xFFFF)) (i32.const 0))))
    (local.set $cur (memory.size))
    (if (i32.gt_u (local.get $need) (local.get $cur))
      (then
        (if (i32.eq (memory.grow (i32.sub (local.get $need) (local.get $cur))) (i32.const -1))
          (then (return (i32.const 0))))))
    (i32.const 1))

  ;; $utoa writes $v in decimal at $w and returns the address after it.
  (func $utoa (param $w i32) (param $v i32) (result i32)
    (local $digits i32)
    (local $t i32)
    (local $p i32)
    (local.set $digits (i32.const 1))
    (local.set $t (local.get $v))
    (block $done
      (loop $count
        (br_if $done (i32.lt_u (local.get $t) (i32.const 10)))
        (local.set $t (i32.div_u (local.get $t) (i32.const 10)))
        (local.set $digits (i32.add (local.get $digits) (i32.const 1)))
        (br $count)))
    (local.set $p (i32.add (local.get $w) (local.get $digits)))
    (loop $write
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p)
        (i32.add (i32.const 48) (i32.rem_u (local.get $v) (i32.const 10))))
      (local.set $v (i32.div_u (local.get $v) (i32.const 10)))
      (br_if $write (i32.gt_u (local.get $p) (local.get $w))))
    (i32.add (local.get $w) (local.get $digits)))

  ;; $fail sets "reference: bad kwargs at byte <pos>: <reason>" and returns
  ;; INVALID_ARGUMENT.
  (func $fail (param $why_ptr i32) (param $why_len i32) (result i32)
    (local $w i32)
    (memory.copy (global.get $SCRATCH) (i32.const 0) (i32.const 30))
    (local.set $w (call $utoa (i32.add (global.get $SCRATCH) (i32.const 30))
                              (i32.sub (global.get $pos) (global.get $KW))))
    (memory.copy (local.get $w) (i32.const 1088) (i32.const 2))
    (local.set $w (i32.add (local.get $w) (i32.const 2)))
    (memory.copy (local.get $w) (local.get $why_ptr) (local.get $why_len))
    (local.set $w (i32.add (local.get $w) (local.get $why_len)))
    (call $error_set (global.get $SCRATCH) (i32.sub (local.get $w) (global.get $SCRATCH)))
    (i32.const 2))

  (func $skip_ws
    (local $c i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (global.get $pos) (global.get $end)))
        (local.set $c (i32.load8_u (global.get $pos)))
        (br_if $done
          (i32.eqz
            (i32.or (i32.or (i32.eq (local.get $c) (i32.const 32)) (i32.eq (local.get $c) (i32.const 9)))
                    (i32.or (i32.eq (local.get $c) (i32.const 10)) (i32.eq (local.get $c) (i32.const 13))))))
        (global.set $pos (i32.add (global.get $pos) (i32.const 1)))
        (br $next))))

  ;; $peek: the byte at $pos, or -1 at the end.
  (func $peek (result i32)
    (if (result i32) (i32.lt_u (global.get $pos) (global.get $end))
      (then (i32.load8_u (global.get $pos)))
      (else (i32.const -1))))

  ;; $hex4: the value of the 4 hex digits at $p, or -1.
  (func $hex4 (param $p i32) (result i32)
    (local $i i32)
    (local $v i32)
    (local $c i32)
    (if (i32.gt_u (i32.add (local.get $p) (i32.const 4)) (global.get $end))
      (then (return (i32.const -1))))
    (loop $digit
      (local.set $c (i32.load8_u (i32.add (local.get $p) (local.get $i))))
      (if (i32.and (i32.ge_u (local.get $c) (i32.const 48)) (i32.le_u (local.get $c) (i32.const 57)))
        (then (local.set $c (i32.sub (local.get $c) (i32.const 48))))
        (else
          (if (i32.and (i32.ge_u (local.get $c) (i32.const 97)) (i32.le_u (local.get $c) (i32.const 102)))
            (then (local.set $c (i32.sub (local.get $c) (i32.const 87))))
            (else
              (if (i32.and (i32.ge_u (local.get $c) (i32.const 65)) (i32.le_u (local.get $c) (i32.const 70)))
                (then (local.set $c (i32.sub (local.get $c) (i32.const 55))))
                (else (return (i32.const -1))))))))
      (local.set $v (i32.or (i32.shl (local.get $v) (i32.const 4)) (local.get $c)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $digit (i32.lt_u (local.get $i) (i32.const 4))))
    (local.get $v))

  ;; $simple_escape: the byte for \<c>, or -1 when <c> is not a one-letter escape.
  (func $simple_escape (param $c i32) (result i32)
    (if (i32.eq (local.get $c) (i32.const 34)) (then (return (i32.const 34))))   ;; \"
    (if (i32.eq (local.get $c) (i32.const 92)) (then (return (i32.const 92))))   ;; \\
    (if (i32.eq (local.get $c) (i32.const 47)) (then (return (i32.const 47))))   ;; \/
    (if (i32.eq (local.get $c) (i32.const 98)) (then (return (i32.const 8))))    ;; \b
    (if (i32.eq (local.get $c) (i32.const 102)) (then (return (i32.const 12))))  ;; \f
    (if (i32.eq (local.get $c) (i32.const 110)) (then (return (i32.const 10))))  ;; \n
    (if (i32.eq (local.get $c) (i32.const 114)) (then (return (i32.const 13))))  ;; \r
    (if (i32.eq (local.get $c) (i32.const 116)) (then (return (i32.const 9))))   ;; \t
    (i32.const -1))

  ;; $put_utf8 writes code point $cp (< 0x110000, not a surrogate) at $w and
  ;; returns the address after it.
  (func $put_utf8 (param $w i32) (param $cp i32) (result i32)
    (if (i32.lt_u (local.get $cp) (i32.const 0x80))
      (then
        (i32.store8 (local.get $w) (local.get $cp))
        (return (i32.add (local.get $w) (i32.const 1)))))
    (if (i32.lt_u (local.get $cp) (i32.const 0x800))
      (then
        (i32.store8 (local.get $w) (i32.or (i32.const 0xC0) (i32.shr_u (local.get $cp) (i32.const 6))))
        (i32.store8 offset=1 (local.get $w) (i32.or (i32.const 0x80) (i32.and (local.get $cp) (i32.const 0x3F))))
        (return (i32.add (local.get $w) (i32.const 2)))))
    (if (i32.lt_u (local.get $cp) (i32.const 0x10000))
      (then
        (i32.store8 (local.get $w) (i32.or (i32.const 0xE0) (i32.shr_u (local.get $cp) (i32.const 12))))
        (i32.store8 offset=1 (local.get $w)
          (i32.or (i32.const 0x80) (i32.and (i32.shr_u (local.get $cp) (i32.const 6)) (i32.const 0x3F))))
        (i32.store8 offset=2 (local.get $w) (i32.or (i32.const 0x80) (i32.and (local.get $cp) (i32.const 0x3F))))
        (return (i32.add (local.get $w) (i32.const 3)))))
    (i32.store8 (local.get $w) (i32.or (i32.const 0xF0) (i32.shr_u (local.get $cp) (i32.const 18))))
    (i32.store8 offset=1 (local.get $w)
      (i32.or (i32.const 0x80) (i32.and (i32.shr_u (local.get $cp) (i32.const 12)) (i32.const 0x3F))))
    (i32.store8 offset=2 (local.get $w)
      (i32.or (i32.const 0x80) (i32.and (i32.shr_u (local.get $cp) (i32.const 6)) (i32.const 0x3F))))
    (i32.store8 offset=3 (local.get $w) (i32.or (i32.const 0x80) (i32.and (local.get $cp) (i32.const 0x3F))))
    (i32.add (local.get $w) (i32.const 4)))

  ;; $string decodes the JSON string whose opening quote is at $pos, in place:
  ;; the decoded bytes start at the quote ($str). Leaves $pos after the closing
  ;; quote and returns the decoded length, or sets $pos at the fault,
  ;; $why_ptr/$why_len, and returns -1.
  (func $string (result i32)
    (local $r i32)
    (local $w i32)
    (local $c i32)
    (local $cp i32)
    (local $lo i32)
    (global.set $str (global.get $pos))
    (local.set $w (global.get $pos))
    (local.set $r (i32.add (global.get $pos) (i32.const 1)))
    (block $bad
      (loop $next
        (if (i32.ge_u (local.get $r) (global.get $end))
          (then (global.set $why_ptr (i32.const 384)) (global.set $why_len (i32.const 19)) (br $bad)))
        (local.set $c (i32.load8_u (local.get $r)))
        ;; closing quote
        (if (i32.eq (local.get $c) (i32.const 34))
          (then
            (global.set $pos (i32.add (local.get $r) (i32.const 1)))
            (return (i32.sub (local.get $w) (global.get $str)))))
        (if (i32.lt_u (local.get $c) (i32.const 32))
          (then (global.set $why_ptr (i32.const 448)) (global.set $why_len (i32.const 27)) (br $bad)))
        ;; a plain byte
        (if (i32.ne (local.get $c) (i32.const 92))
          (then
            (i32.store8 (local.get $w) (local.get $c))
            (local.set $w (i32.add (local.get $w) (i32.const 1)))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $next)))
        ;; an escape
        (if (i32.ge_u (i32.add (local.get $r) (i32.const 1)) (global.get $end))
          (then (global.set $why_ptr (i32.const 384)) (global.set $why_len (i32.const 19)) (br $bad)))
        (local.set $c (i32.load8_u offset=1 (local.get $r)))
        (local.set $cp (call $simple_escape (local.get $c)))
        (if (i32.ge_s (local.get $cp) (i32.const 0))
          (then
            (i32.store8 (local.get $w) (local.get $cp))
            (local.set $w (i32.add (local.get $w) (i32.const 1)))
            (local.set $r (i32.add (local.get $r) (i32.const 2)))
            (br $next)))
        (if (i32.ne (local.get $c) (i32.const 117)) ;; 'u'
          (then (global.set $why_ptr (i32.const 512)) (global.set $why_len (i32.const 10)) (br $bad)))
        (local.set $cp (call $hex4 (i32.add (local.get $r) (i32.const 2))))
        (if (i32.lt_s (local.get $cp) (i32.const 0))
          (then (global.set $why_ptr (i32.const 576)) (global.set $why_len (i32.const 13)) (br $bad)))
        (local.set $r (i32.add (local.get $r) (i32.const 6)))
        (if (i32.eq (i32.and (local.get $cp) (i32.const 0xFC00)) (i32.const 0xD800))
          (then
            ;; a high surrogate: combine with a following \uDC00-\uDFFF
            (local.set $lo (i32.const -1))
            (if (i32.le_u (i32.add (local.get $r) (i32.const 6)) (global.get $end))
              (then
                (if (i32.and (i32.eq (i32.load8_u (local.get $r)) (i32.const 92))
                             (i32.eq (i32.load8_u offset=1 (local.get $r)) (i32.const 117)))
                  (then (local.set $lo (call $hex4 (i32.add (local.get $r) (i32.const 2))))))))
            (if (i32.eq (i32.and (local.get $lo) (i32.const 0xFC00)) (i32.const 0xDC00))
              (then
                (local.set $cp
                  (i32.add (i32.const 0x10000)
                    (i32.or (i32.shl (i32.sub (local.get $cp) (i32.const 0xD800)) (i32.const 10))
                            (i32.sub (local.get $lo) (i32.const 0xDC00)))))
                (local.set $r (i32.add (local.get $r) (i32.const 6))))
              (else (local.set $cp (i32.const 0xFFFD)))))
          (else
            (if (i32.eq (i32.and (local.get $cp) (i32.const 0xFC00)) (i32.const 0xDC00))
              (then (local.set $cp (i32.const 0xFFFD))))))
        (local.set $w (call $put_utf8 (local.get $w) (local.get $cp)))
        (br $next)))
    (global.set $pos (local.get $r))
    (i32.const -1))

  ;; $parse parses the kwargs at [$pos, $end) and fills the entry table.
  ;; Returns a status.
  (func $parse (result i32)
    (local $c i32)
    (local $kptr i32)
    (local $klen i32)
    (local $vlen i32)
    (local $e i32)
    (call $skip_ws)
    (if (i32.eq (global.get $pos) (global.get $end))
      (then (return (i32.const 0)))) ;; empty kwargs: {}
    (if (i32.ne (call $peek) (i32.const 123)) ;; '{'
      (then (return (call $fail (i32.const 64) (i32.const 12)))))
    (global.set $pos (i32.add (global.get $pos) (i32.const 1)))
    (call $skip_ws)
    (block $closed
      (if (i32.eq (call $peek) (i32.const 125)) ;; '}'
        (then
          (global.set $pos (i32.add (global.get $pos) (i32.const 1)))
          (br $closed)))
      (loop $member
        (call $skip_ws)
        (if (i32.ne (call $peek) (i32.const 34))
          (then (return (call $fail (i32.const 128) (i32.const 21)))))
        (local.set $klen (call $string))
        (if (i32.lt_s (local.get $klen) (i32.const 0))
          (then (return (call $fail (global.get $why_ptr) (global.get $why_len)))))
        (local.set $kptr (global.get $str))
        (call $skip_ws)
        (if (i32.ne (call $peek) (i32.const 58)) ;; ':'
          (then (return (call $fail (i32.const 192) (i32.const 12)))))
        (global.set $pos (i32.add (global.get $pos) (i32.const 1)))
        (call $skip_ws)
        (if (i32.ne (call $peek) (i32.const 34))
          (then (return (call $fail (i32.const 256) (i32.const 23)))))
        (local.set $vlen (call $string))
        (if (i32.lt_s (local.get $vlen) (i32.const 0))
          (then (return (call $fail (global.get $why_ptr) (global.get $why_len)))))
        ;; record the entry
        (local.set $e (i32.add (global.get $tab) (i32.shl (global.get $n) (i32.const 4))))
        (if (i32.eqz (call $ensure (i32.add (local.get $e) (i32.const 16))))
          (then
            (call $error_set (i32.const 704) (i32.const 35))
            (return (i32.const 5))))
        (i32.store (local.get $e) (local.get $kptr))
        (i32.store offset=4 (local.get $e) (local.get $klen))
        (i32.store offset=8 (local.get $e) (global.get $str))
        (i32.store offset=12 (local.get $e) (local.get $vlen))
        (global.set $n (i32.add (global.get $n) (i32.const 1)))
        ;; the "log" key
        (if (i32.eq (local.get $klen) (i32.const 3))
          (then
            (if (i32.and
                  (i32.eq (i32.load8_u (local.get $kptr)) (i32.const 108))          ;; l
                  (i32.and (i32.eq (i32.load8_u offset=1 (local.get $kptr)) (i32.const 111)) ;; o
                           (i32.eq (i32.load8_u offset=2 (local.get $kptr)) (i32.const 103)))) ;; g
              (then
                (global.set $log_ptr (global.get $str))
                (global.set $log_len (local.get $vlen))))))
        (call $skip_ws)
        (local.set $c (call $peek))
        (if (i32.eq (local.get $c) (i32.const 44)) ;; ','
          (then
            (global.set $pos (i32.add (global.get $pos) (i32.const 1)))
            (br $member)))
        (if (i32.eq (local.get $c) (i32.const 125)) ;; '}'
          (then
            (global.set $pos (i32.add (global.get $pos) (i32.const 1)))
            (br $closed)))
        (return (call $fail (i32.const 320) (i32.const 19)))))
    (call $skip_ws)
    (if (i32.ne (global.get $pos) (global.get $end))
      (then (return (call $fail (i32.const 640) (i32.const 30)))))
    (i32.const 0))

  (func (export "secretpath_init") (result i32)
    (local $len i32)
    (local $status i32)
    (if (i32.ne (global.get $initialize_calls) (i32.const 1))
      (then
        (call $error_set (i32.const 832) (i32.const 50))
        (return (i32.const 5))))
    (if (global.get $init_called)
      (then
        (call $error_set (i32.const 896) (i32.const 39))
        (return (i32.const 5))))
    (global.set $init_called (i32.const 1))
    ;; size, then read (limit 0 writes nothing)
    (local.set $len (call $kwargs_read (i32.const 0) (i32.const 0)))
    (if (i32.or (i32.gt_u (local.get $len) (i32.const 0x7FFF0000))
                (i32.eqz (call $ensure (i32.add (global.get $KW) (local.get $len)))))
      (then
        (call $error_set (i32.const 704) (i32.const 35))
        (return (i32.const 5))))
    (if (i32.ne (call $kwargs_read (global.get $KW) (local.get $len)) (local.get $len))
      (then
        (call $error_set (i32.const 768) (i32.const 44))
        (return (i32.const 5))))
    (global.set $pos (global.get $KW))
    (global.set $end (i32.add (global.get $KW) (local.get $len)))
    (global.set $tab (i32.and (i32.add (global.get $end) (i32.const 15)) (i32.const -16)))
    (global.set $n (i32.const 0))
    (local.set $status (call $parse))
    (if (i32.eqz (local.get $status))
      (then (global.set $ready (i32.const 1))))
    (local.get $status))

  ;; $lookup answers the id at the buffer for the entry kind $kind ('c', 'v' or 'g').
  (func $lookup (param $kind i32) (param $id_len i32) (result i32)
    (local $i i32)
    (local $e i32)
    (local $kptr i32)
    (local $j i32)
    (if (i32.eqz (global.get $ready))
      (then
        (call $error_set (i32.const 960) (i32.const 53))
        (return (i32.const 5))))
    (if (i32.ge_s (global.get $log_len) (i32.const 0))
      (then (call $log (i32.const 1) (global.get $log_ptr) (global.get $log_len))))
    (if (i32.gt_u (local.get $id_len) (global.get $BUF_SIZE))
      (then
        (call $error_set (i32.const 1024) (i32.const 36))
        (return (i32.const 2))))
    ;; newest first, so that the last duplicate wins
    (local.set $i (global.get $n))
    (block $absent
      (loop $entry
        (br_if $absent (i32.eqz (local.get $i)))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (local.set $e (i32.add (global.get $tab) (i32.shl (local.get $i) (i32.const 4))))
        (local.set $kptr (i32.load (local.get $e)))
        (block $differs
          (br_if $differs
            (i32.ne (i32.load offset=4 (local.get $e)) (i32.add (local.get $id_len) (i32.const 2))))
          (br_if $differs (i32.ne (i32.load8_u (local.get $kptr)) (local.get $kind)))
          (br_if $differs (i32.ne (i32.load8_u offset=1 (local.get $kptr)) (i32.const 58))) ;; ':'
          (local.set $j (i32.const 0))
          (block $same
            (loop $byte
              (br_if $same (i32.eq (local.get $j) (local.get $id_len)))
              (br_if $differs
                (i32.ne (i32.load8_u offset=2 (i32.add (local.get $kptr) (local.get $j)))
                        (i32.load8_u (i32.add (global.get $BUF) (local.get $j)))))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br $byte)))
          (call $result_set (i32.load offset=8 (local.get $e)) (i32.load offset=12 (local.get $e)))
          (return (i32.const 0)))
        (br $entry)))
    (i32.const 1))

  (func (export "secretpath_get_connection") (param $id_len i32) (result i32)
    (call $lookup (i32.const 99) (local.get $id_len)))   ;; 'c'
  (func (export "secretpath_get_variable") (param $id_len i32) (result i32)
    (call $lookup (i32.const 118) (local.get $id_len)))  ;; 'v'
  (func (export "secretpath_get_config") (param $id_len i32) (result i32)
    (call $lookup (i32.const 103) (local.get $id_len)))  ;; 'g'
)
