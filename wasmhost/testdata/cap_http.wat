;; cap_http.wat: a valid ABI v1 module using the http capability: it imports
;; http_request, http_response_body and http_response_header.
;; Built by: wat2wasm cap_http.wat -o cap_http.wasm
;;
;; Creating a tenant not granted "http" must fail (ABI.md §5): "tenant "t":
;; module imports secretpath_v1.http_request but the tenant is not granted
;; "http"". Granted, the id is a URL:
;; secretpath_get_connection(url): http_request("GET", url, "Accept:
;;   text/plain", ""); 200 -> the response body (read with limit 0 for the
;;   size, then into grown memory at 65536) via result_set, OK; 404 ->
;;   NOT_FOUND; another HTTP status -> UNAVAILABLE(3) "upstream returned a
;;   status other than 200 or 404".
;; secretpath_get_variable(url): the same request; 200 -> the value of the
;;   response header "X-Secret" via result_set, OK, or NOT_FOUND if absent;
;;   other statuses as above.
;; Negative results: -2 -> INVALID_ARGUMENT "http_request: bad request (-2)";
;; -3 -> UNAVAILABLE "http_request: network failure or timeout (-3)"; -4 ->
;; INTERNAL "http_request: host not allowed (-4)"; any other value outside
;; 100..599 -> INTERNAL "http_request: unexpected result".
(module
  (import "secretpath_v1" "result_set" (func $result_set (param i32 i32)))
  (import "secretpath_v1" "error_set" (func $error_set (param i32 i32)))
  (import "secretpath_v1" "http_request"
    (func $http_request (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "secretpath_v1" "http_response_body" (func $http_response_body (param i32 i32) (result i32)))
  (import "secretpath_v1" "http_response_header"
    (func $http_response_header (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 0) "GET")                                                ;; 3
  (data (i32.const 16) "Accept: text/plain")                                ;; 18
  (data (i32.const 48) "X-Secret")                                          ;; 8
  (data (i32.const 64) "http_request: bad request (-2)")                    ;; 30
  (data (i32.const 128) "http_request: network failure or timeout (-3)")    ;; 45
  (data (i32.const 192) "http_request: host not allowed (-4)")              ;; 35
  (data (i32.const 256) "http_request: unexpected result")                  ;; 31
  (data (i32.const 320) "upstream returned a status other than 200 or 404") ;; 48

  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  ;; $ensure makes memory at least $end_addr bytes long; 0 when memory.grow fails.
  (func $ensure (param $end_addr i32) (result i32)
    (local $need i32)
    (local.set $need
      (i32.add (i32.shr_u (local.get $end_addr) (i32.const 16))
               (i32.ne (i32.and (local.get $end_addr) (i32.const 0xFFFF)) (i32.const 0))))
    (if (i32.gt_u (local.get $need) (memory.size))
      (then
        (if (i32.eq (memory.grow (i32.sub (local.get $need) (memory.size))) (i32.const -1))
          (then (return (i32.const 0))))))
    (i32.const 1))
  ;; $get makes the request; returns -1 when the response is a 200 (go on),
  ;; otherwise the status the lookup must return.
  (func $get (param $id_len i32) (result i32)
    (local $st i32)
    (local.set $st
      (call $http_request (i32.const 0) (i32.const 3) (i32.const 1024) (local.get $id_len)
                          (i32.const 16) (i32.const 18) (i32.const 0) (i32.const 0)))
    (if (i32.eq (local.get $st) (i32.const 200)) (then (return (i32.const -1))))
    (if (i32.eq (local.get $st) (i32.const 404)) (then (return (i32.const 1))))
    (if (i32.eq (local.get $st) (i32.const -2))
      (then (call $error_set (i32.const 64) (i32.const 30)) (return (i32.const 2))))
    (if (i32.eq (local.get $st) (i32.const -3))
      (then (call $error_set (i32.const 128) (i32.const 45)) (return (i32.const 3))))
    (if (i32.eq (local.get $st) (i32.const -4))
      (then (call $error_set (i32.const 192) (i32.const 35)) (return (i32.const 5))))
    (if (i32.or (i32.lt_s (local.get $st) (i32.const 100)) (i32.gt_s (local.get $st) (i32.const 599)))
      (then (call $error_set (i32.const 256) (i32.const 31)) (return (i32.const 5))))
    (call $error_set (i32.const 320) (i32.const 48))
    (i32.const 3))

  (func (export "secretpath_get_connection") (param $id_len i32) (result i32)
    (local $st i32)
    (local $n i32)
    (local.set $st (call $get (local.get $id_len)))
    (if (i32.ge_s (local.get $st) (i32.const 0)) (then (return (local.get $st))))
    (local.set $n (call $http_response_body (i32.const 65536) (i32.const 0)))
    (if (i32.or (i32.gt_u (local.get $n) (i32.const 0x7FFF0000))
                (i32.eqz (call $ensure (i32.add (i32.const 65536) (local.get $n)))))
      (then (return (i32.const 5))))
    (if (i32.ne (call $http_response_body (i32.const 65536) (local.get $n)) (local.get $n))
      (then (return (i32.const 5))))
    (call $result_set (i32.const 65536) (local.get $n))
    (i32.const 0))

  (func (export "secretpath_get_variable") (param $id_len i32) (result i32)
    (local $st i32)
    (local $n i32)
    (local.set $st (call $get (local.get $id_len)))
    (if (i32.ge_s (local.get $st) (i32.const 0)) (then (return (local.get $st))))
    (local.set $n (call $http_response_header (i32.const 48) (i32.const 8) (i32.const 65536) (i32.const 0)))
    (if (i32.eq (local.get $n) (i32.const -1)) (then (return (i32.const 1))))
    (if (i32.or (i32.gt_u (local.get $n) (i32.const 0x7FFF0000))
                (i32.eqz (call $ensure (i32.add (i32.const 65536) (local.get $n)))))
      (then (return (i32.const 5))))
    (if (i32.ne (call $http_response_header (i32.const 48) (i32.const 8) (i32.const 65536) (local.get $n))
                (local.get $n))
      (then (return (i32.const 5))))
    (call $result_set (i32.const 65536) (local.get $n))
    (i32.const 0))
)
