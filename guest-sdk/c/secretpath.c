/* secretpath C guest SDK: the ABI v1 exports and imports, the bump
 * allocator, and the JSON reader. See secretpath.h and README.md. */
#include "secretpath.h"

#define SP_EXPORT(name) __attribute__((export_name(name), visibility("default")))
#define SP_IMPORT(name) __attribute__((import_module("secretpath_v1"), import_name(name)))

/* ---- Imports (ABI.md §5) ------------------------------------------------ */

SP_IMPORT("kwargs_read") int32_t sp__kwargs_read(void *buf, int32_t limit);
SP_IMPORT("result_set") void sp__result_set(const void *p, int32_t n);
SP_IMPORT("error_set") void sp__error_set(const void *p, int32_t n);
SP_IMPORT("log") void sp__log(int32_t level, const void *p, int32_t n);
SP_IMPORT("log_enabled") int32_t sp__log_enabled(int32_t level);
SP_IMPORT("env_get") int32_t sp__env_get(const void *name, int32_t nlen, void *buf, int32_t limit);
SP_IMPORT("clock_now") int64_t sp__clock_now(void);
SP_IMPORT("http_request")
int32_t sp__http_request(const void *m, int32_t ml, const void *u, int32_t ul, const void *h, int32_t hl,
                         const void *b, int32_t bl);
SP_IMPORT("http_response_body") int32_t sp__http_response_body(void *buf, int32_t limit);
SP_IMPORT("http_response_header")
int32_t sp__http_response_header(const void *name, int32_t nlen, void *buf, int32_t limit);

/* ---- The exchange buffer and the lookup exports ------------------------- */

#if SP_BUFFER_SIZE < 256
#error "SP_BUFFER_SIZE must be at least 256 (ABI.md §6)"
#endif

static unsigned char sp__buffer[SP_BUFFER_SIZE] __attribute__((aligned(8)));
static char sp__id[SP_BUFFER_SIZE + 1]; /* the id, copied out of the buffer, NUL-terminated */

enum { RESULT_NONE, RESULT_IN_BUFFER, RESULT_SET };
static int sp__result_mode;
#define SP_OK_IN_BUFFER 8

SP_EXPORT("secretpath_abi_v1") void secretpath_abi_v1(void) {}
SP_EXPORT("secretpath_buffer") int32_t secretpath_buffer(void) { return (int32_t)(uintptr_t)sp__buffer; }
SP_EXPORT("secretpath_buffer_size") int32_t secretpath_buffer_size(void) { return SP_BUFFER_SIZE; }

SP_EXPORT("secretpath_init") int32_t secretpath_init(void) {
    int32_t n = sp__kwargs_read(0, 0);
    if (n < 0) return sp_error(SP_INTERNAL, "kwargs_read failed");
    char *kw = sp_alloc((size_t)n + 1);
    if (!kw) return sp_error(SP_RESOURCE_EXHAUSTED, "no memory for the kwargs");
    sp__kwargs_read(kw, n);
    kw[n] = 0;
    sp_status s = sp_init(kw, (size_t)n);
    return s == SP_OK ? SP_OK : (int32_t)s;
}

static int32_t sp__lookup(sp_status (*f)(const char *, size_t), int32_t n) {
    if (n < 0 || n > SP_BUFFER_SIZE) return sp_error(SP_INVALID_ARGUMENT, "id longer than the exchange buffer");
    memcpy(sp__id, sp__buffer, (size_t)n);
    sp__id[n] = 0;
    sp__result_mode = RESULT_NONE;
    sp_status s = f(sp__id, (size_t)n);
    if (s != SP_OK) return (int32_t)s;
    switch (sp__result_mode) {
    case RESULT_IN_BUFFER: return SP_OK_IN_BUFFER;
    case RESULT_SET: return SP_OK;
    }
    return sp_error(SP_INTERNAL, "the backend returned SP_OK without calling sp_result");
}

SP_EXPORT("secretpath_get_connection") int32_t secretpath_get_connection(int32_t n) {
    return sp__lookup(sp_get_connection, n);
}
SP_EXPORT("secretpath_get_variable") int32_t secretpath_get_variable(int32_t n) {
    return sp__lookup(sp_get_variable, n);
}
SP_EXPORT("secretpath_get_config") int32_t secretpath_get_config(int32_t n) { return sp__lookup(sp_get_config, n); }

/* Weak defaults: a backend defines what it serves. */
__attribute__((weak)) sp_status sp_get_connection(const char *id, size_t len) {
    (void)id, (void)len;
    return SP_UNIMPLEMENTED;
}
__attribute__((weak)) sp_status sp_get_variable(const char *id, size_t len) {
    (void)id, (void)len;
    return SP_UNIMPLEMENTED;
}
__attribute__((weak)) sp_status sp_get_config(const char *id, size_t len) {
    (void)id, (void)len;
    return SP_UNIMPLEMENTED;
}

/* ---- Results, errors, logging ------------------------------------------- */

sp_status sp_result(const void *v, size_t n) {
    if (n <= SP_BUFFER_SIZE - 4) {
        uint32_t l = (uint32_t)n;
        sp__buffer[0] = (unsigned char)l;
        sp__buffer[1] = (unsigned char)(l >> 8);
        sp__buffer[2] = (unsigned char)(l >> 16);
        sp__buffer[3] = (unsigned char)(l >> 24);
        memmove(sp__buffer + 4, v, n);
        sp__result_mode = RESULT_IN_BUFFER;
    } else {
        sp__result_set(v, (int32_t)n);
        sp__result_mode = RESULT_SET;
    }
    return SP_OK;
}

sp_status sp_result_str(const char *v) { return sp_result(v, strlen(v)); }

sp_status sp_error_n(sp_status s, const char *msg, size_t n) {
    sp__error_set(msg, (int32_t)n);
    return s;
}

sp_status sp_error(sp_status s, const char *msg) { return sp_error_n(s, msg, strlen(msg)); }

sp_status sp_error2(sp_status s, const char *a, const char *b, size_t blen) {
    static char msg[1024];
    size_t n = strlen(a);
    if (n > sizeof msg) n = sizeof msg;
    memcpy(msg, a, n);
    if (blen > sizeof msg - n) blen = sizeof msg - n;
    memcpy(msg + n, b, blen);
    return sp_error_n(s, msg, n + blen);
}

void sp_log_n(int level, const char *msg, size_t n) { sp__log(level, msg, (int32_t)n); }
void sp_log(int level, const char *msg) { sp_log_n(level, msg, strlen(msg)); }
int sp_log_enabled(int level) { return sp__log_enabled(level) != 0; }

/* ---- Capabilities -------------------------------------------------------- */

int32_t sp_getenv(const char *name, size_t nlen, char *buf, size_t limit) {
    return sp__env_get(name, (int32_t)nlen, buf, (int32_t)limit);
}

int64_t sp_clock_now(void) { return sp__clock_now(); }

int32_t sp_http_request(const char *m, size_t ml, const char *u, size_t ul, const char *h, size_t hl, const void *b,
                        size_t bl) {
    return sp__http_request(m, (int32_t)ml, u, (int32_t)ul, h, (int32_t)hl, b, (int32_t)bl);
}

int32_t sp_http_response_body(void *buf, size_t limit) { return sp__http_response_body(buf, (int32_t)limit); }

int32_t sp_http_response_header(const char *name, size_t nlen, char *buf, size_t limit) {
    return sp__http_response_header(name, (int32_t)nlen, buf, (int32_t)limit);
}

sp_status sp_http_result(void) {
    /* Try the exchange buffer first: one host call when the body fits. */
    int32_t n = sp__http_response_body(sp__buffer + 4, SP_BUFFER_SIZE - 4);
    if (n < 0) n = 0;
    if (n <= SP_BUFFER_SIZE - 4) {
        uint32_t l = (uint32_t)n;
        sp__buffer[0] = (unsigned char)l;
        sp__buffer[1] = (unsigned char)(l >> 8);
        sp__buffer[2] = (unsigned char)(l >> 16);
        sp__buffer[3] = (unsigned char)(l >> 24);
        sp__result_mode = RESULT_IN_BUFFER;
        return SP_OK;
    }
    void *p = sp_scratch((size_t)n);
    if (!p) return sp_error(SP_RESOURCE_EXHAUSTED, "no memory for the response body");
    sp__http_response_body(p, n);
    sp__result_set(p, n);
    sp__result_mode = RESULT_SET;
    return SP_OK;
}

/* ---- Memory -------------------------------------------------------------- */

extern unsigned char __heap_base;
static uintptr_t sp__brk;

void *sp_alloc(size_t n) {
    if (!sp__brk) sp__brk = ((uintptr_t)&__heap_base + 7) & ~(uintptr_t)7;
    uintptr_t p = sp__brk;
    if (n > 0xFFFFFFFFu - p - 8) return 0;
    uintptr_t end = (p + n + 7) & ~(uintptr_t)7;
    uintptr_t have = __builtin_wasm_memory_size(0) * 65536u;
    if (end > have) {
        size_t pages = (end - have + 65535) / 65536;
        if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1) return 0;
    }
    sp__brk = end;
    return (void *)p;
}

void *sp_scratch(size_t n) {
    static void *p;
    static size_t cap;
    if (n > cap) {
        size_t c = cap ? cap : 4096;
        while (c < n && c < ((size_t)1 << 30)) c *= 2;
        if (c < n) c = n;
        void *q = sp_alloc(c);
        if (!q) return 0;
        p = q, cap = c;
    }
    return p;
}

/* ---- libc pieces for a freestanding build ------------------------------- */

__attribute__((weak)) void *memcpy(void *dst, const void *src, size_t n) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--) *d++ = *s++;
    return dst;
}

__attribute__((weak)) void *memmove(void *dst, const void *src, size_t n) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d < s) {
        while (n--) *d++ = *s++;
    } else if (d > s) {
        while (n--) d[n] = s[n];
    }
    return dst;
}

__attribute__((weak)) void *memset(void *dst, int c, size_t n) {
    unsigned char *d = dst;
    while (n--) *d++ = (unsigned char)c;
    return dst;
}

__attribute__((weak)) int memcmp(const void *a, const void *b, size_t n) {
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y) return *x - *y;
    return 0;
}

__attribute__((weak)) size_t strlen(const char *s) {
    const char *p = s;
    while (*p) p++;
    return (size_t)(p - s);
}

/* ---- JSON reader ---------------------------------------------------------- */

sp_json sp_json_start(const char *text, size_t len) {
    sp_json j = {text, text + len};
    return j;
}

static void sp__ws(sp_json *j) {
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) j->p++;
}

sp_json_kind sp_json_peek(sp_json *j) {
    sp__ws(j);
    if (j->p >= j->end) return SP_JSON_ERROR;
    switch (*j->p) {
    case '{': return SP_JSON_OBJECT;
    case '[': return SP_JSON_ARRAY;
    case '"': return SP_JSON_STRING;
    case 't': return SP_JSON_TRUE;
    case 'f': return SP_JSON_FALSE;
    case 'n': return SP_JSON_NULL;
    }
    if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9')) return SP_JSON_NUMBER;
    return SP_JSON_ERROR;
}

static int sp__hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* j->p at the opening quote; on success past the closing one. */
static int sp__string(sp_json *j, const char **s, size_t *n) {
    const char *p = j->p + 1;
    *s = p;
    while (p < j->end) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') {
            *n = (size_t)(p - *s);
            j->p = p + 1;
            return 1;
        }
        if (c < 0x20) return 0;
        if (c == '\\') {
            if (++p >= j->end) return 0;
            switch (*p) {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't': p++; break;
            case 'u':
                if (j->end - p < 5) return 0;
                for (int i = 1; i <= 4; i++)
                    if (sp__hex(p[i]) < 0) return 0;
                p += 5;
                break;
            default: return 0;
            }
            continue;
        }
        p++;
    }
    return 0;
}

static int sp__digits(sp_json *j) {
    const char *s = j->p;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9') j->p++;
    return j->p > s;
}

static int sp__number(sp_json *j) {
    if (*j->p == '-') j->p++;
    if (j->p >= j->end) return 0;
    if (*j->p == '0') {
        j->p++;
    } else if (!sp__digits(j)) {
        return 0;
    }
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (!sp__digits(j)) return 0;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-')) j->p++;
        if (!sp__digits(j)) return 0;
    }
    return 1;
}

static int sp__lit(sp_json *j, const char *w, size_t n) {
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0) return 0;
    j->p += n;
    return 1;
}

static sp_json_kind sp__value(sp_json *j, sp_json_span *out, int depth) {
    sp_json_kind k = sp_json_peek(j);
    const char *start = j->p;
    const char *s;
    size_t n;
    int ok = 0;
    switch (k) {
    case SP_JSON_ERROR: return SP_JSON_ERROR;
    case SP_JSON_NULL: ok = sp__lit(j, "null", 4); break;
    case SP_JSON_TRUE: ok = sp__lit(j, "true", 4); break;
    case SP_JSON_FALSE: ok = sp__lit(j, "false", 5); break;
    case SP_JSON_NUMBER: ok = sp__number(j); break;
    case SP_JSON_STRING:
        if (!sp__string(j, &s, &n)) return SP_JSON_ERROR;
        if (out) out->kind = k, out->p = s, out->len = n;
        return k;
    case SP_JSON_ARRAY:
        if (depth >= SP_JSON_MAX_DEPTH) return SP_JSON_ERROR;
        j->p++;
        sp__ws(j);
        if (j->p < j->end && *j->p == ']') {
            j->p++;
            ok = 1;
            break;
        }
        for (;;) {
            if (sp__value(j, 0, depth + 1) == SP_JSON_ERROR) return SP_JSON_ERROR;
            sp__ws(j);
            if (j->p >= j->end) return SP_JSON_ERROR;
            if (*j->p == ',') {
                j->p++;
                continue;
            }
            if (*j->p != ']') return SP_JSON_ERROR;
            j->p++;
            ok = 1;
            break;
        }
        break;
    case SP_JSON_OBJECT: {
        if (depth >= SP_JSON_MAX_DEPTH) return SP_JSON_ERROR;
        sp_json_enter(j);
        int r, i = 0;
        while ((r = sp_json_member(j, i++, &s, &n)) > 0)
            if (sp__value(j, 0, depth + 1) == SP_JSON_ERROR) return SP_JSON_ERROR;
        ok = r == 0;
        break;
    }
    }
    if (!ok) return SP_JSON_ERROR;
    if (out) out->kind = k, out->p = start, out->len = (size_t)(j->p - start);
    return k;
}

sp_json_kind sp_json_value(sp_json *j, sp_json_span *out) { return sp__value(j, out, 0); }

int sp_json_enter(sp_json *j) {
    if (sp_json_peek(j) != SP_JSON_OBJECT) return 0;
    j->p++;
    return 1;
}

int sp_json_member(sp_json *j, int n, const char **key, size_t *klen) {
    sp__ws(j);
    if (j->p >= j->end) return -1;
    if (*j->p == '}') {
        j->p++;
        return 0;
    }
    if (n > 0) {
        if (*j->p != ',') return -1;
        j->p++;
        sp__ws(j);
        if (j->p >= j->end) return -1;
    }
    if (*j->p != '"' || !sp__string(j, key, klen)) return -1;
    sp__ws(j);
    if (j->p >= j->end || *j->p != ':') return -1;
    j->p++;
    return 1;
}

int sp_json_end(sp_json *j) {
    sp__ws(j);
    return j->p == j->end;
}

static char *sp__utf8(char *o, uint32_t c) {
    if (c < 0x80) {
        *o++ = (char)c;
    } else if (c < 0x800) {
        *o++ = (char)(0xC0 | (c >> 6));
        *o++ = (char)(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        *o++ = (char)(0xE0 | (c >> 12));
        *o++ = (char)(0x80 | ((c >> 6) & 0x3F));
        *o++ = (char)(0x80 | (c & 0x3F));
    } else {
        *o++ = (char)(0xF0 | (c >> 18));
        *o++ = (char)(0x80 | ((c >> 12) & 0x3F));
        *o++ = (char)(0x80 | ((c >> 6) & 0x3F));
        *o++ = (char)(0x80 | (c & 0x3F));
    }
    return o;
}

static uint32_t sp__u4(const char *p) {
    return (uint32_t)(sp__hex(p[0]) << 12 | sp__hex(p[1]) << 8 | sp__hex(p[2]) << 4 | sp__hex(p[3]));
}

size_t sp_json_unescape(const char *lit, size_t len, char *out) {
    const char *p = lit, *end = lit + len;
    char *o = out;
    while (p < end) {
        if (*p != '\\') {
            *o++ = *p++;
            continue;
        }
        p++;
        char c = *p++;
        switch (c) {
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            uint32_t u = sp__u4(p);
            p += 4;
            if (u >= 0xD800 && u < 0xDC00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
                uint32_t lo = sp__u4(p + 2);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    p += 6;
                    o = sp__utf8(o, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
                    break;
                }
            }
            if (u >= 0xD800 && u < 0xE000) u = 0xFFFD;
            o = sp__utf8(o, u);
            break;
        }
        default: *o++ = c; /* " \ / */
        }
    }
    return (size_t)(o - out);
}
