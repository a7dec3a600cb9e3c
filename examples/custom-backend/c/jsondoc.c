/* jsondoc: the example secretpath backend "jsondoc" in C: connections,
 * variables and configs served from a JSON document given in the
 * backend_kwargs, with Airflow-style prefixes. Its behaviour is specified in
 * examples/custom-backend/README.md; build it with make. */
#include "secretpath.h"

enum { CONN, VAR, CFG, NKINDS };
static const char *const values_key[NKINDS] = {"connections", "variables", "configs"};
static const char *const prefix_key[NKINDS] = {"connections_prefix", "variables_prefix", "config_prefix"};

/* The kwargs' seven keys, in this order: */
enum { K_VALUES = 0, K_PREFIX = NKINDS, K_SEP = 2 * NKINDS, NKEYS };

/* A kind's values by id (the name with its prefix and sep removed), in an
 * open-addressing hash table. A NULL value is a name set to null (absent). */
typedef struct {
    const char *id, *v;
    uint32_t idlen, vlen, hash, used;
} slot;

static struct {
    int on;
    slot *slots;
    uint32_t mask;
} tables[NKINDS];

static uint32_t hash(const char *s, size_t n) {
    uint32_t h = 2166136261u;
    while (n--) h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

static slot *find(int k, const char *id, size_t n, uint32_t h) {
    uint32_t i = h & tables[k].mask;
    for (;;) {
        slot *s = &tables[k].slots[i];
        if (!s->used || (s->hash == h && s->idlen == n && memcmp(s->id, id, n) == 0)) return s;
        i = (i + 1) & tables[k].mask;
    }
}

static sp_status get(int k, const char *id, size_t n) {
    if (!tables[k].slots) return SP_NOT_FOUND;
    slot *s = find(k, id, n, hash(id, n));
    if (!s->used || !s->v) return SP_NOT_FOUND;
    return sp_result(s->v, s->vlen);
}

sp_status sp_get_connection(const char *id, size_t n) { return get(CONN, id, n); }
sp_status sp_get_variable(const char *id, size_t n) { return get(VAR, id, n); }
sp_status sp_get_config(const char *id, size_t n) { return get(CFG, id, n); }

static sp_status invalid(const char *what) { return sp_error(SP_INVALID_ARGUMENT, what); }

static int key_is(const char *k, size_t n, const char *name) { return strlen(name) == n && memcmp(k, name, n) == 0; }

/* load fills kind k's table from the object at span v (validated already),
 * keeping the names that start with lead = prefix + sep (when on). */
static sp_status load(int k, sp_json_span v, const char *prefix, size_t plen, const char *sep, size_t slen, int on) {
    const char *key;
    size_t klen;
    sp_json_span e;
    /* First walk: check the value types and count the members. */
    sp_json j = sp_json_start(v.p, v.len);
    sp_json_enter(&j);
    uint32_t count = 0;
    for (int i = 0; sp_json_member(&j, i, &key, &klen) > 0; i++, count++) {
        sp_json_kind t = sp_json_value(&j, &e);
        if (t == SP_JSON_NULL || t == SP_JSON_STRING || (k == CONN && t == SP_JSON_OBJECT)) continue;
        return sp_error2(SP_INVALID_ARGUMENT,
                         k == CONN ? "jsondoc: a value must be a string, an object or null in: "
                                   : "jsondoc: a value must be a string or null in: ",
                         values_key[k], strlen(values_key[k]));
    }
    if (!on) return SP_OK;
    uint32_t cap = 8;
    while (cap < 2 * count) cap *= 2;
    slot *slots = sp_alloc(cap * sizeof(slot));
    if (!slots) return sp_error(SP_RESOURCE_EXHAUSTED, "jsondoc: out of memory");
    memset(slots, 0, cap * sizeof(slot));
    tables[k].slots = slots;
    tables[k].mask = cap - 1;
    /* Second walk: decode (in place) and insert; the last name wins. */
    size_t lead = plen ? plen + slen : 0;
    j = sp_json_start(v.p, v.len);
    sp_json_enter(&j);
    for (int i = 0; sp_json_member(&j, i, &key, &klen) > 0; i++) {
        sp_json_kind t = sp_json_value(&j, &e);
        klen = sp_json_unescape(key, klen, (char *)key);
        if (klen < lead || memcmp(key, prefix, plen) != 0 || memcmp(key + plen, sep, lead - plen) != 0) continue;
        const char *id = key + lead;
        size_t idlen = klen - lead;
        uint32_t h = hash(id, idlen);
        slot *s = find(k, id, idlen, h);
        s->used = 1, s->hash = h, s->id = id, s->idlen = (uint32_t)idlen;
        if (t == SP_JSON_NULL) {
            s->v = 0, s->vlen = 0;
        } else if (t == SP_JSON_STRING) {
            s->vlen = (uint32_t)sp_json_unescape(e.p, e.len, (char *)e.p);
            s->v = e.p;
        } else { /* an object connection: its text as written */
            s->v = e.p, s->vlen = (uint32_t)e.len;
        }
    }
    return SP_OK;
}

sp_status sp_init(char *kwargs, size_t len) {
    sp_json j = sp_json_start(kwargs, len);
    sp_json_span top[NKEYS];
    int have[NKEYS] = {0};
    if (!sp_json_enter(&j)) return invalid("jsondoc: the kwargs must be a JSON object");
    const char *key;
    size_t klen;
    int r, i;
    for (i = 0; (r = sp_json_member(&j, i, &key, &klen)) > 0; i++) {
        klen = sp_json_unescape(key, klen, (char *)key);
        int which = -1;
        for (int k = 0; k < NKINDS; k++) {
            if (key_is(key, klen, values_key[k])) which = K_VALUES + k;
            if (key_is(key, klen, prefix_key[k])) which = K_PREFIX + k;
        }
        if (key_is(key, klen, "sep")) which = K_SEP;
        if (which < 0) return sp_error2(SP_INVALID_ARGUMENT, "jsondoc: unknown key: ", key, klen);
        if (sp_json_value(&j, &top[which]) == SP_JSON_ERROR) break;
        have[which] = 1; /* the last one wins */
    }
    if (r != 0 || !sp_json_end(&j)) return invalid("jsondoc: the kwargs must be a JSON object");

    const char *sep = "/";
    size_t slen = 1;
    if (have[K_SEP]) {
        if (top[K_SEP].kind != SP_JSON_STRING) return invalid("jsondoc: \"sep\" must be a string");
        sep = top[K_SEP].p;
        slen = sp_json_unescape(sep, top[K_SEP].len, (char *)sep);
    }
    for (int k = 0; k < NKINDS; k++) {
        const char *prefix = "";
        size_t plen = 0;
        int on = 1;
        if (have[K_PREFIX + k]) {
            sp_json_span p = top[K_PREFIX + k];
            if (p.kind == SP_JSON_NULL) {
                on = 0;
            } else if (p.kind == SP_JSON_STRING) {
                prefix = p.p;
                plen = sp_json_unescape(p.p, p.len, (char *)p.p);
            } else {
                return sp_error2(SP_INVALID_ARGUMENT, "jsondoc: a prefix must be a string or null: ", prefix_key[k],
                                 strlen(prefix_key[k]));
            }
        }
        tables[k].on = on;
        if (!have[K_VALUES + k] || top[K_VALUES + k].kind == SP_JSON_NULL) continue;
        if (top[K_VALUES + k].kind != SP_JSON_OBJECT)
            return sp_error2(SP_INVALID_ARGUMENT, "jsondoc: must be an object or null: ", values_key[k],
                             strlen(values_key[k]));
        sp_status s = load(k, top[K_VALUES + k], prefix, plen, sep, slen, on);
        if (s != SP_OK) return s;
    }
    return SP_OK;
}
