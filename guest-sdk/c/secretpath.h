/*
 * secretpath C guest SDK: write a secretpath secrets backend in C and build it
 * as a WebAssembly module speaking ABI v1 (wasmhost/ABI.md, including v1.1's
 * OK_IN_BUFFER fast path).
 *
 * Freestanding: no libc, no allocator of the host, no external dependency.
 * Build with Debian's clang 14 + lld:
 *
 *   clang --target=wasm32 -O2 -nostdlib -ffreestanding -c secretpath.c backend.c
 *   wasm-ld --no-entry --gc-sections --strip-all -o backend.wasm secretpath.o backend.o
 *
 * The backend implements sp_init and the lookup functions below; the SDK
 * exports the ABI (memory, marker, exchange buffer, init and lookups) and
 * maps the returned status to the ABI's. See README.md.
 */
#ifndef SECRETPATH_H
#define SECRETPATH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The exchange buffer's size: the longest id the module accepts (the host
 * answers INVALID_ARGUMENT for longer ids without calling the guest), and,
 * minus 4, the longest result returned without a host call. Define it when
 * compiling secretpath.c to change it (at least 256). */
#ifndef SP_BUFFER_SIZE
#define SP_BUFFER_SIZE 4096
#endif

/* ABI v1 status codes (ABI.md §4). */
typedef enum {
    SP_OK = 0,
    SP_NOT_FOUND = 1,
    SP_INVALID_ARGUMENT = 2,
    SP_UNAVAILABLE = 3,
    SP_PERMISSION_DENIED = 4,
    SP_INTERNAL = 5,
    SP_UNIMPLEMENTED = 6,
    SP_RESOURCE_EXHAUSTED = 7
} sp_status;

/* ---- What the backend implements ---------------------------------------
 *
 * sp_init gets the tenant's backend_kwargs, a JSON object as text ("{}" when
 * the tenant has none), NUL-terminated, in memory the backend may keep and
 * modify. It runs once per instance, before any lookup.
 *
 * A lookup gets the id (a NUL-terminated copy, valid for the call; it may
 * contain NUL bytes, so use len). On success it calls sp_result and returns
 * SP_OK; otherwise it returns another status, optionally with a message
 * (sp_error). Returning SP_OK without sp_result is a bug the SDK reports as
 * SP_INTERNAL.
 *
 * sp_get_config is optional: without one, config lookups return
 * SP_UNIMPLEMENTED (treated as not found). sp_get_connection and
 * sp_get_variable are optional the same way (weak defaults). */
sp_status sp_init(char *kwargs, size_t len);
sp_status sp_get_connection(const char *id, size_t len);
sp_status sp_get_variable(const char *id, size_t len);
sp_status sp_get_config(const char *id, size_t len);

/* ---- Results and errors ------------------------------------------------ */

/* sp_result sets the lookup's result (copied at once) and returns SP_OK, so
 * that `return sp_result(v, n);` ends a successful lookup. A result of at
 * most SP_BUFFER_SIZE-4 bytes goes back in the exchange buffer (no host
 * call); a longer one through the host's result_set (the host's output limit,
 * 64 KiB by default, applies: over it the lookup is RESOURCE_EXHAUSTED). */
sp_status sp_result(const void *value, size_t len);
/* sp_result_str is sp_result of a NUL-terminated string. */
sp_status sp_result_str(const char *value);

/* sp_error sets the failure message (the host keeps 1 KiB of it) and returns
 * status: `return sp_error(SP_INVALID_ARGUMENT, "unknown key");`. The message
 * is logged by the host: never put a secret value, a token or a URL in it.
 * sp_error2 joins two parts (a fixed text and a key, say). */
sp_status sp_error(sp_status status, const char *msg);
sp_status sp_error_n(sp_status status, const char *msg, size_t len);
sp_status sp_error2(sp_status status, const char *a, const char *b, size_t blen);

/* ---- Logging (a no-op unless the tenant is granted "log") -------------- */

enum { SP_DEBUG = 0, SP_INFO = 1, SP_WARN = 2, SP_ERROR = 3 };
void sp_log(int level, const char *msg);
void sp_log_n(int level, const char *msg, size_t len);
int sp_log_enabled(int level); /* 1 when a message at level would be logged */

/* ---- Capabilities: the module imports a capability's host function only
 * when the backend calls it, and a tenant must be granted what the module
 * imports. ---------------------------------------------------------------- */

/* env: the value of an allow-listed environment variable. Returns its length
 * (written to buf only if <= limit), or -1 when unset or not allowed. */
int32_t sp_getenv(const char *name, size_t name_len, char *buf, size_t limit);

/* clock: monotonic nanoseconds. */
int64_t sp_clock_now(void);

/* http: one request; headers are "Name: value" lines separated by "\n".
 * Returns the HTTP status (100-599) or SP_HTTP_BAD_REQUEST,
 * SP_HTTP_NETWORK or SP_HTTP_NOT_ALLOWED. */
enum { SP_HTTP_BAD_REQUEST = -2, SP_HTTP_NETWORK = -3, SP_HTTP_NOT_ALLOWED = -4 };
int32_t sp_http_request(const char *method, size_t method_len, const char *url, size_t url_len,
                        const char *headers, size_t headers_len, const void *body, size_t body_len);
/* The last response's body (of this call): its length, written only if <= limit. */
int32_t sp_http_response_body(void *buf, size_t limit);
/* A header of the last response: its length (written only if <= limit), or -1. */
int32_t sp_http_response_header(const char *name, size_t name_len, char *buf, size_t limit);
/* sp_http_result makes the last response's body the lookup's result, with
 * no copy when it fits the exchange buffer. Returns SP_OK, or
 * SP_RESOURCE_EXHAUSTED when memory cannot grow to hold it. */
sp_status sp_http_result(void);

/* ---- Memory: a bump allocator over memory.grow (nothing is freed). Use it
 * in sp_init for what lives as long as the instance. --------------------- */

/* sp_alloc returns n bytes aligned to 8, or NULL when memory cannot grow
 * (the host's memory limit: 16 MiB by default). */
void *sp_alloc(size_t n);
/* sp_scratch returns a region of at least n bytes, the same one (or a larger
 * one) at every call: its content is valid until the next sp_scratch call. */
void *sp_scratch(size_t n);

/* Freestanding builds get these from secretpath.c (clang may emit calls). */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* ---- A small, strict JSON reader (RFC 8259) for the kwargs ---------------
 *
 * It never allocates: it walks the text, validates it, and hands back spans.
 * Strings decode in place (a decoded string is never longer than its literal).
 *
 *   sp_json j = sp_json_start(kwargs, len);
 *   if (sp_json_peek(&j) != SP_JSON_OBJECT) return sp_error(SP_INVALID_ARGUMENT, "not an object");
 *   sp_json_enter(&j);
 *   const char *key; size_t klen;
 *   for (int n = 0, r; (r = sp_json_member(&j, n, &key, &klen)) > 0; n++) {
 *       klen = sp_json_unescape((char *)key, klen, (char *)key); // decoded key
 *       sp_json_span v;
 *       if (sp_json_value(&j, &v) < 0) ...;                      // validated value
 *   }  // r == 0: the object ended; r < 0: a syntax error
 *   if (!sp_json_end(&j)) ...;                                   // only whitespace left
 */
typedef enum {
    SP_JSON_ERROR = -1,
    SP_JSON_NULL = 0,
    SP_JSON_FALSE,
    SP_JSON_TRUE,
    SP_JSON_NUMBER,
    SP_JSON_STRING,
    SP_JSON_ARRAY,
    SP_JSON_OBJECT
} sp_json_kind;

typedef struct {
    const char *p, *end;
} sp_json;

/* A value's text: for a string, the literal's content without its quotes. */
typedef struct {
    sp_json_kind kind;
    const char *p;
    size_t len;
} sp_json_span;

/* The deepest nesting sp_json_value accepts. */
#define SP_JSON_MAX_DEPTH 256

sp_json sp_json_start(const char *text, size_t len);
/* The kind of the next value (after whitespace), judged by its first
 * character, or SP_JSON_ERROR. Consumes only whitespace. */
sp_json_kind sp_json_peek(sp_json *j);
/* Validates and skips the next value; returns its kind (and span) or
 * SP_JSON_ERROR. */
sp_json_kind sp_json_value(sp_json *j, sp_json_span *out);
/* Consumes the '{' of an object; 0 if the next value is not an object. */
int sp_json_enter(sp_json *j);
/* Reads member n (0 for the first) of the entered object up to its ':': 1
 * with the key literal's content (still escaped), 0 when the object ends
 * (its '}' consumed), -1 on a syntax error. Read the value (sp_json_value,
 * or sp_json_enter for a nested walk) before the next member. */
int sp_json_member(sp_json *j, int n, const char **key, size_t *key_len);
/* 1 when only whitespace is left. */
int sp_json_end(sp_json *j);
/* Decodes a validated string literal's content into out (which may be lit
 * itself) and returns the decoded length (<= len). Lone surrogates become
 * U+FFFD. */
size_t sp_json_unescape(const char *lit, size_t len, char *out);

#ifdef __cplusplus
}
#endif
#endif
