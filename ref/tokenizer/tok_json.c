/* tok_json.c — a small strict JSON reader for tokenizer.json (RFC 8259).
 *
 * Why not jansson directly: jansson builds a hash table per object and one heap block per value;
 * for the 7 MB Qwen2.5 file (151k vocabulary keys, 151k merge strings) that alone takes ~200 ms
 * to parse and free. This reader puts every value into one node array and every unescaped string
 * into one arena (no per-value allocation) and parses the same file in a few tens of ms. It
 * accepts exactly RFC 8259 JSON in UTF-8 (strings must be valid UTF-8; \u0000 is allowed, lone
 * surrogates are not; nesting depth <= 256). When it rejects a document, tok_load.c re-parses it
 * with jansson only to report jansson's line and column.
 *
 * Layout: nodes[0] is the root. A container's children are contiguous in `kids` (node indices),
 * so arrays have O(1) random access; object members keep file order, and tj_get returns the LAST
 * member with a given key (jansson's behaviour for duplicate keys). */
#include <stdlib.h>
#include <string.h>

#include "tok_json.h"

#define TJ_MAX_DEPTH 256

typedef struct parser {
    const char *s;
    size_t n, i;
    tj_doc *doc;
    uint32_t *stack; /* child indices of the open containers */
    size_t nstack, capstack;
    svs_err *err;
} parser;

static int perr(parser *p, const char *what) {
    return svs_errf(p->err, "byte offset %zu: %s", p->i, what);
}

static void skip_ws(parser *p) {
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r')) p->i++;
}

static int new_node(parser *p, uint8_t type, uint32_t *idx) {
    tj_doc *d = p->doc;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 1024;
        tj_node *nn = svs_realloc(d->nodes, cap * sizeof *nn, p->err);
        if (!nn) return -1;
        d->nodes = nn;
        d->cap = cap;
    }
    if (d->n >= UINT32_MAX) return perr(p, "too many values");
    memset(&d->nodes[d->n], 0, sizeof d->nodes[d->n]);
    d->nodes[d->n].doc = d;
    d->nodes[d->n].type = type;
    *idx = (uint32_t)d->n++;
    return 0;
}

static int stack_push(parser *p, uint32_t v) {
    if (p->nstack == p->capstack) {
        size_t cap = p->capstack ? p->capstack * 2 : 1024;
        uint32_t *s = svs_realloc(p->stack, cap * sizeof *s, p->err);
        if (!s) return -1;
        p->stack = s;
        p->capstack = cap;
    }
    p->stack[p->nstack++] = v;
    return 0;
}

/* Moves the children pushed since `base` into doc->kids and records them in node c. */
static int close_container(parser *p, uint32_t c, size_t base) {
    tj_doc *d = p->doc;
    size_t k = p->nstack - base;
    if (d->nkids + k > d->capkids) {
        size_t cap = d->capkids ? d->capkids : 1024;
        while (cap < d->nkids + k) cap *= 2;
        uint32_t *kk = svs_realloc(d->kids, cap * sizeof *kk, p->err);
        if (!kk) return -1;
        d->kids = kk;
        d->capkids = cap;
    }
    if (k) memcpy(d->kids + d->nkids, p->stack + base, k * sizeof *p->stack);
    d->nodes[c].off = (uint32_t)d->nkids;
    d->nodes[c].len = (uint32_t)k;
    d->nkids += k;
    p->nstack = base;
    return 0;
}

static int hex4(parser *p, uint32_t *v) {
    if (p->n - p->i < 4) return perr(p, "truncated \\u escape");
    *v = 0;
    for (int k = 0; k < 4; k++) {
        char c = p->s[p->i++];
        int h = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (h < 0) return perr(p, "invalid \\u escape");
        *v = *v << 4 | (uint32_t)h;
    }
    return 0;
}

static size_t put_utf8(char *o, uint32_t cp) {
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | cp >> 6); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12); o[1] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18); o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* One escape after the backslash; appends its UTF-8 to o, returns the byte count or -1. */
static int escape(parser *p, char *o) {
    if (p->i >= p->n) return perr(p, "truncated escape");
    char c = p->s[p->i++];
    switch (c) {
    case '"': case '\\': case '/': o[0] = c; return 1;
    case 'b': o[0] = '\b'; return 1;
    case 'f': o[0] = '\f'; return 1;
    case 'n': o[0] = '\n'; return 1;
    case 'r': o[0] = '\r'; return 1;
    case 't': o[0] = '\t'; return 1;
    case 'u': break;
    default: p->i--; return perr(p, "invalid escape");
    }
    uint32_t cp, lo;
    if (hex4(p, &cp)) return -1;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return perr(p, "lone low surrogate in \\u escape");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (p->n - p->i < 2 || p->s[p->i] != '\\' || p->s[p->i + 1] != 'u') return perr(p, "lone high surrogate in \\u escape");
        p->i += 2;
        if (hex4(p, &lo)) return -1;
        if (lo < 0xDC00 || lo > 0xDFFF) return perr(p, "invalid surrogate pair in \\u escape");
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    return (int)put_utf8(o, cp);
}

/* Parses a string at p->s[p->i] == '"' into the arena; *off and *len locate it. */
static int parse_string(parser *p, uint32_t *off, uint32_t *len) {
    tj_doc *d = p->doc;
    size_t o = d->arena_len;
    p->i++;
    /* Fast path: copy runs of plain bytes; validate UTF-8 per run. */
    for (;;) {
        size_t j = p->i;
        while (j < p->n && p->s[j] != '"' && p->s[j] != '\\' && (uint8_t)p->s[j] >= 0x20) j++;
        size_t bad;
        if (!svs_utf8_valid(p->s + p->i, j - p->i, &bad)) {
            p->i += bad;
            return perr(p, "invalid UTF-8 in string");
        }
        memcpy(d->arena + o, p->s + p->i, j - p->i);
        o += j - p->i;
        p->i = j;
        if (j >= p->n) return perr(p, "unterminated string");
        if (p->s[j] == '"') break;
        if ((uint8_t)p->s[j] < 0x20) return perr(p, "control character in string");
        p->i++; /* backslash */
        int k = escape(p, d->arena + o);
        if (k < 0) return -1;
        o += (size_t)k;
    }
    p->i++; /* closing quote */
    *off = (uint32_t)d->arena_len;
    *len = (uint32_t)(o - d->arena_len);
    d->arena[o] = 0;
    d->arena_len = o + 1;
    return 0;
}

static int parse_number(parser *p, tj_node *nd) {
    size_t st = p->i;
    int is_int = 1;
    if (p->s[p->i] == '-') p->i++;
    if (p->i < p->n && p->s[p->i] == '0') p->i++;
    else if (p->i < p->n && p->s[p->i] >= '1' && p->s[p->i] <= '9')
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
    else return perr(p, "invalid number");
    if (p->i < p->n && p->s[p->i] == '.') {
        is_int = 0;
        p->i++;
        if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9') return perr(p, "invalid number");
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
    }
    if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        is_int = 0;
        p->i++;
        if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-')) p->i++;
        if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9') return perr(p, "invalid number");
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
    }
    nd->type = TJ_REAL;
    if (is_int) { /* exact int64 or it is a real, as in jansson (which errors on overflow) */
        int neg = p->s[st] == '-';
        uint64_t v = 0;
        for (size_t k = st + neg; k < p->i; k++) {
            if (v > (UINT64_MAX - 9) / 10) { p->i = st; return perr(p, "integer overflow"); }
            v = v * 10 + (uint64_t)(p->s[k] - '0');
        }
        if (v > (uint64_t)INT64_MAX + (uint64_t)neg) { p->i = st; return perr(p, "integer overflow"); }
        nd->type = TJ_INT;
        nd->ival = neg ? (int64_t)(0 - v) : (int64_t)v;
    }
    return 0;
}

static int parse_value(parser *p, uint32_t *idx, int depth);

/* Object or array at p->s[p->i] ('{' or '['). */
static int parse_container(parser *p, uint32_t *idx, int depth) {
    int is_obj = p->s[p->i] == '{';
    char close = is_obj ? '}' : ']';
    uint32_t c;
    if (depth >= TJ_MAX_DEPTH) return perr(p, "nesting too deep");
    if (new_node(p, is_obj ? TJ_OBJECT : TJ_ARRAY, &c)) return -1;
    size_t base = p->nstack;
    p->i++;
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == close) {
        p->i++;
    } else {
        for (;;) {
            uint32_t koff = 0, klen = 0, v;
            skip_ws(p);
            if (is_obj) {
                if (p->i >= p->n || p->s[p->i] != '"') return perr(p, "expected a string key");
                if (parse_string(p, &koff, &klen)) return -1;
                skip_ws(p);
                if (p->i >= p->n || p->s[p->i] != ':') return perr(p, "expected ':'");
                p->i++;
            }
            if (parse_value(p, &v, depth + 1)) return -1;
            p->doc->nodes[v].key_off = koff;
            p->doc->nodes[v].key_len = klen;
            if (stack_push(p, v)) return -1;
            skip_ws(p);
            if (p->i < p->n && p->s[p->i] == ',') { p->i++; continue; }
            if (p->i < p->n && p->s[p->i] == close) { p->i++; break; }
            return perr(p, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
    *idx = c;
    return close_container(p, c, base);
}

static int parse_literal(parser *p, const char *lit, uint8_t type, uint32_t *idx) {
    size_t l = strlen(lit);
    if (p->n - p->i < l || memcmp(p->s + p->i, lit, l) != 0) return perr(p, "invalid literal");
    p->i += l;
    return new_node(p, type, idx);
}

static int parse_value(parser *p, uint32_t *idx, int depth) {
    skip_ws(p);
    if (p->i >= p->n) return perr(p, "unexpected end of input");
    char c = p->s[p->i];
    if (c == '{' || c == '[') return parse_container(p, idx, depth);
    if (c == '"') {
        uint32_t off, len;
        if (parse_string(p, &off, &len) || new_node(p, TJ_STRING, idx)) return -1;
        p->doc->nodes[*idx].off = off;
        p->doc->nodes[*idx].len = len;
        return 0;
    }
    if (c == 't') return parse_literal(p, "true", TJ_TRUE, idx);
    if (c == 'f') return parse_literal(p, "false", TJ_FALSE, idx);
    if (c == 'n') return parse_literal(p, "null", TJ_NULL, idx);
    if (c == '-' || (c >= '0' && c <= '9')) {
        if (new_node(p, TJ_INT, idx)) return -1;
        tj_node tmp = {0};
        if (parse_number(p, &tmp)) return -1;
        p->doc->nodes[*idx].type = tmp.type;
        p->doc->nodes[*idx].ival = tmp.ival;
        return 0;
    }
    return perr(p, "invalid value");
}

int tj_parse(const char *text, size_t n, tj_doc *doc, svs_err *err) {
    memset(doc, 0, sizeof *doc);
    if (n >= UINT32_MAX) return svs_errf(err, "document too large");
    parser p = {.s = text, .n = n, .doc = doc, .err = err};
    /* An unescaped string plus its NUL is never longer than its quoted source: n + 1 bytes. */
    doc->arena = svs_malloc(n + 1, err);
    if (!doc->arena) return -1;
    uint32_t root;
    int rc = parse_value(&p, &root, 0);
    if (rc == 0) {
        skip_ws(&p);
        if (p.i != n) rc = perr(&p, "trailing characters after the document");
    }
    free(p.stack);
    if (rc) tj_free(doc);
    return rc;
}

void tj_free(tj_doc *doc) {
    free(doc->nodes);
    free(doc->kids);
    free(doc->arena);
    memset(doc, 0, sizeof *doc);
}

const tj_node *tj_get(const tj_node *obj, const char *key) {
    if (!obj || obj->type != TJ_OBJECT) return NULL;
    const tj_doc *d = obj->doc;
    size_t kl = strlen(key);
    const tj_node *found = NULL;
    for (uint32_t k = 0; k < obj->len; k++) {
        const tj_node *m = &d->nodes[d->kids[obj->off + k]];
        if (m->key_len == kl && memcmp(d->arena + m->key_off, key, kl) == 0) found = m;
    }
    return found;
}

const tj_node *tj_at(const tj_node *c, size_t i) {
    return c && (c->type == TJ_ARRAY || c->type == TJ_OBJECT) && i < c->len ? &c->doc->nodes[c->doc->kids[c->off + i]] : NULL;
}
