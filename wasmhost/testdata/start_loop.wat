;; start_loop.wat: a module with a start function (the wasm `start` section,
;; run by wazero inside InstantiateModule, before the host can call anything)
;; that never returns. Otherwise a valid ABI v1 module.
;; Built by: wat2wasm start_loop.wat -o start_loop.wasm
;;
;; The host must: pass a context with a deadline to InstantiateModule (with
;; WithCloseOnContextDone(true)) and fail the tenant's creation at the
;; wall-time limit with an error naming the time limit; never hang. wazero's
;; CompiledModule does not say whether a module has a start section, so the
;; host cannot refuse it at validation without parsing the binary itself.
(module
  (memory (export "memory") 1)
  (func $start (loop $forever (br $forever)))
  (start $start)
  (func (export "secretpath_abi_v1"))
  (func (export "secretpath_buffer") (result i32) (i32.const 1024))
  (func (export "secretpath_buffer_size") (result i32) (i32.const 1024))
  (func (export "secretpath_init") (result i32) (i32.const 0))
  (func (export "secretpath_get_connection") (param i32) (result i32) (i32.const 1))
  (func (export "secretpath_get_variable") (param i32) (result i32) (i32.const 1))
)
