;; lookup.wat: a waPC guest (the protocol of github.com/wapc/wapc-go, module
;; "wapc") doing the benchmark's lookup work, the same as
;; wasmhost/testdata/bench_guest.wat does through our ABI: a ~16-byte id in,
;; the 60-byte URI out, the id's first byte read so the input is really passed.
;; The benchmark builds it: wat2wasm lookup.wat -o lookup.wasm
;;
;; __guest_call(op_len, payload_len) -> 1 (success) | 0 (failure), as the
;; waPC guest protocol has it:
;;   1. the guest gives the host room for the operation name and the payload
;;      (waPC guests allocate them per call; this one has two static 1 KiB
;;      buffers, at 1024 and 2048, and refuses bigger ones) and calls
;;      __guest_request(op_ptr, payload_ptr): the host writes both;
;;   2. operation "lookup" (any other: __guest_error("unknown operation"), 0);
;;   3. an empty id or one starting with NUL: __guest_error("not found"), 0;
;;   4. __guest_response(uri_ptr, 60), 1.
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "postgres://user:password@db.example.com:5432/analytics?x=123")
  (data (i32.const 128) "lookup")
  (data (i32.const 160) "unknown operation")
  (data (i32.const 192) "not found")
  (data (i32.const 224) "request too large")

  (func (export "__guest_call") (param $op_len i32) (param $payload_len i32) (result i32)
    (if (i32.or (i32.gt_u (local.get $op_len) (i32.const 1024))
                (i32.gt_u (local.get $payload_len) (i32.const 1024)))
      (then
        (call $guest_error (i32.const 224) (i32.const 17))
        (return (i32.const 0))))
    (call $guest_request (i32.const 1024) (i32.const 2048))
    ;; operation == "lookup": 6 bytes, compared as an i32 and an i16
    (if (i32.or (i32.ne (local.get $op_len) (i32.const 6))
                (i32.or (i32.ne (i32.load (i32.const 1024)) (i32.load (i32.const 128)))
                        (i32.ne (i32.load16_u (i32.const 1028)) (i32.load16_u (i32.const 132)))))
      (then
        (call $guest_error (i32.const 160) (i32.const 17))
        (return (i32.const 0))))
    (if (i32.or (i32.eqz (local.get $payload_len))
                (i32.eqz (i32.load8_u (i32.const 2048))))
      (then
        (call $guest_error (i32.const 192) (i32.const 9))
        (return (i32.const 0))))
    (call $guest_response (i32.const 64) (i32.const 60))
    (i32.const 1))
)
