/* httpsecrets: the example secretpath backend "httpsecrets" in C:
 * connections, variables and configs fetched with the http capability from a
 * tiny service, GET {url}/v1/{kind}/{id} with a bearer token. Its behaviour
 * and protocol are specified in examples/custom-backend/README.md. */
#include "secretpath.h"

static char *url;         /* base + "/v1/" + kind + "/" + escaped id, rebuilt per lookup */
static size_t base_len;   /* the url kwarg without its trailing slashes */
static char *headers;     /* "Authorization: Bearer {token}" or empty */
static size_t headers_len;

static sp_status get(const char *kind, const char *id, size_t n) {
    static const char hex[] = "0123456789ABCDEF";
    char *p = url + base_len;
    memcpy(p, "/v1/", 4), p += 4;
    size_t kl = strlen(kind);
    memcpy(p, kind, kl), p += kl;
    *p++ = '/';
    char *path = url + base_len;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)id[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '~') {
            *p++ = (char)c;
        } else {
            *p++ = '%', *p++ = hex[c >> 4], *p++ = hex[c & 15];
        }
    }
    size_t plen = (size_t)(p - path);
    int32_t st = sp_http_request("GET", 3, url, (size_t)(p - url), headers, headers_len, 0, 0);
    if (sp_log_enabled(SP_DEBUG)) sp_log_n(SP_DEBUG, path, plen); /* the path, never the base URL */
    /* Messages name the kind, never the base URL (it may hold credentials),
     * the token or a body. */
    switch (st) {
    case 200: return sp_http_result();
    case 404: return SP_NOT_FOUND;
    case 401: case 403: return sp_error2(SP_PERMISSION_DENIED, "httpsecrets: the service refused access to ", kind, kl);
    case SP_HTTP_NETWORK: return sp_error2(SP_UNAVAILABLE, "httpsecrets: network failure fetching ", kind, kl);
    case SP_HTTP_NOT_ALLOWED: return sp_error2(SP_PERMISSION_DENIED, "httpsecrets: host not allowed fetching ", kind, kl);
    case SP_HTTP_BAD_REQUEST: return sp_error2(SP_INVALID_ARGUMENT, "httpsecrets: bad request fetching ", kind, kl);
    }
    return sp_error2(SP_UNAVAILABLE, "httpsecrets: unexpected HTTP status fetching ", kind, kl);
}

sp_status sp_get_connection(const char *id, size_t n) { return get("connections", id, n); }
sp_status sp_get_variable(const char *id, size_t n) { return get("variables", id, n); }
sp_status sp_get_config(const char *id, size_t n) { return get("configs", id, n); }

static sp_status invalid(const char *what) { return sp_error(SP_INVALID_ARGUMENT, what); }

sp_status sp_init(char *kwargs, size_t len) {
    sp_json j = sp_json_start(kwargs, len);
    sp_json_span u = {SP_JSON_ERROR, 0, 0}, t = {SP_JSON_NULL, 0, 0};
    if (!sp_json_enter(&j)) return invalid("httpsecrets: the kwargs must be a JSON object");
    const char *key;
    size_t klen;
    int r, i;
    for (i = 0; (r = sp_json_member(&j, i, &key, &klen)) > 0; i++) {
        klen = sp_json_unescape(key, klen, (char *)key);
        sp_json_span *dst;
        if (klen == 3 && memcmp(key, "url", 3) == 0) dst = &u;
        else if (klen == 5 && memcmp(key, "token", 5) == 0) dst = &t;
        else return sp_error2(SP_INVALID_ARGUMENT, "httpsecrets: unknown key: ", key, klen);
        if (sp_json_value(&j, dst) == SP_JSON_ERROR) break;
    }
    if (r != 0 || !sp_json_end(&j)) return invalid("httpsecrets: the kwargs must be a JSON object");
    if (u.kind != SP_JSON_STRING) return invalid("httpsecrets: \"url\" is required and must be a string");
    char *base = (char *)u.p;
    size_t n = sp_json_unescape(u.p, u.len, base);
    while (n > 0 && base[n - 1] == '/') n--;
    size_t scheme = 0;
    if (n >= 7 && memcmp(base, "http://", 7) == 0) scheme = 7;
    else if (n >= 8 && memcmp(base, "https://", 8) == 0) scheme = 8;
    int bad = scheme == 0 || n == scheme;
    for (size_t k = 0; k < n; k++)
        if (base[k] == '?' || base[k] == '#') bad = 1;
    if (bad) return invalid("httpsecrets: \"url\" must be an http:// or https:// URL with a host and no query or fragment");

    const char *tok = "";
    size_t tlen = 0;
    if (t.kind == SP_JSON_STRING) {
        tok = t.p;
        tlen = sp_json_unescape(t.p, t.len, (char *)t.p);
        for (size_t k = 0; k < tlen; k++)
            if (tok[k] == '\r' || tok[k] == '\n' || tok[k] == 0) return invalid("httpsecrets: \"token\" contains a line break or NUL");
    } else if (t.kind != SP_JSON_NULL) {
        return invalid("httpsecrets: \"token\" must be a string or null");
    }

    /* The URL buffer: base, "/v1/configs/" (the longest kind), an escaped id. */
    url = sp_alloc(n + 16 + 3 * SP_BUFFER_SIZE);
    headers = sp_alloc(tlen + 32);
    if (!url || !headers) return sp_error(SP_RESOURCE_EXHAUSTED, "httpsecrets: out of memory");
    memcpy(url, base, n);
    base_len = n;
    headers_len = 0;
    if (tlen) {
        memcpy(headers, "Authorization: Bearer ", 22);
        memcpy(headers + 22, tok, tlen);
        headers_len = 22 + tlen;
    }
    return SP_OK;
}
