;; locals_bomb.wat: a 43-byte module whose one function declares 2^26 i64
;; locals in a single compressed local-declaration entry (count 67108864).
;; The text format cannot say that compactly, so the module is written as
;; annotated bytes: (module binary ...). Not an ABI module (it exports only
;; "f": () -> i32, which returns its last local, 0).
;; Built by: wat2wasm locals_bomb.wat -o locals_bomb.wasm
;;
;; wazero v1.12.0 accepts up to 2^32-1 locals per function and compiles this
;; one in ~4.6 s, allocating ~1.9 GiB (measured on the 2-core dev machine;
;; 2^24 locals: 0.9 s / 0.5 GiB); compilation does not stop on context
;; cancellation. Declaring 2^32-1 instead (the same 43 bytes) would take
;; minutes and far more memory than the machine has.
;; The host must refuse it before calling CompileModule, e.g. from a cheap
;; pre-scan of the code section's local declarations (a limit such as 50,000
;; locals per function), naming the function and the count. A host that
;; compiles it first is the bug this module shows.
(module binary
  "\00asm" "\01\00\00\00"                       ;; magic, version 1
  "\01\05" "\01" "\60\00\01\7f"                 ;; type section: 1 type, () -> i32
  "\03\02" "\01" "\00"                          ;; function section: 1 function of type 0
  "\07\05" "\01" "\01f" "\00\00"                ;; export section: "f" = func 0
  "\0a\0f" "\01"                                ;; code section (15 bytes): 1 body
    "\0d"                                       ;;   body size 13
    "\01" "\80\80\80\20" "\7e"                  ;;   1 local entry: 67108864 (LEB128) x i64
    "\20" "\ff\ff\ff\1f"                        ;;   local.get 67108863
    "\a7"                                       ;;   i32.wrap_i64
    "\0b"                                       ;;   end
)
