/* gguf.c — GGUF v3 parsing (header, metadata key/values, tensor infos, alignment, data ranges),
 * metadata getters and dequantization to f32 (docs/formats.md §10.1–§10.2). Input: a bounded
 * byte source (file or memory); output: a validated gguf_file. Before each allocation the count
 * or length read from the file is compared with the bytes that remain, so a forged header
 * cannot make the reader allocate more than a small multiple of the file size. Errors are
 * "<file>: <key or tensor>: <problem>". No global mutable state; never prints or exits. */
#include "model/gguf.h"

#include <stdlib.h>
#include <string.h>

#define GGUF_MAGIC 0x46554747u
#define GGUF_MAX_KEY 65535
#define GGUF_MAX_NAME 64
#define GGUF_MAX_DEPTH 4 /* nested arrays */

/* ---- ggml types ------------------------------------------------------------------------------ */

typedef struct ggml_type_info {
    uint32_t id;
    const char *name;
    uint32_t blck;  /* values per block */
    uint32_t bytes; /* bytes per block */
} ggml_type_info;

static const ggml_type_info ggml_types[] = {
    {GGML_F32, "F32", 1, 4},      {GGML_F16, "F16", 1, 2},       {GGML_Q4_0, "Q4_0", 32, 18},
    {GGML_Q4_1, "Q4_1", 32, 20},  {GGML_Q5_0, "Q5_0", 32, 22},   {GGML_Q5_1, "Q5_1", 32, 24},
    {GGML_Q8_0, "Q8_0", 32, 34},  {GGML_Q8_1, "Q8_1", 32, 36},   {GGML_Q2_K, "Q2_K", 256, 84},
    {GGML_Q3_K, "Q3_K", 256, 110}, {GGML_Q4_K, "Q4_K", 256, 144}, {GGML_Q5_K, "Q5_K", 256, 176},
    {GGML_Q6_K, "Q6_K", 256, 210}, {GGML_Q8_K, "Q8_K", 256, 292}, {GGML_I8, "I8", 1, 1},
    {GGML_I16, "I16", 1, 2},      {GGML_I32, "I32", 1, 4},       {GGML_I64, "I64", 1, 8},
    {GGML_F64, "F64", 1, 8},      {GGML_BF16, "BF16", 1, 2},
};

static const ggml_type_info *type_info(uint32_t id) {
    for (size_t i = 0; i < sizeof ggml_types / sizeof ggml_types[0]; i++)
        if (ggml_types[i].id == id) return &ggml_types[i];
    return NULL;
}

const char *ggml_type_name(uint32_t type) {
    const ggml_type_info *t = type_info(type);
    return t ? t->name : "?";
}

/* ---- cursor ------------------------------------------------------------------------------------ */

typedef struct gcur {
    ckpt_src *s;
    uint64_t pos;
    svs_err *err;
} gcur;

static uint64_t remaining(const gcur *c) { return c->pos <= c->s->size ? c->s->size - c->pos : 0; }

static int rd(gcur *c, void *dst, size_t n, const char *what) {
    if (ckpt_src_read(c->s, c->pos, dst, n, what, c->err)) return -1;
    c->pos += n;
    return 0;
}

static int rd_u32(gcur *c, uint32_t *v, const char *what) {
    uint8_t b[4];
    if (rd(c, b, 4, what)) return -1;
    *v = ckpt_le32(b);
    return 0;
}

static int rd_u64(gcur *c, uint64_t *v, const char *what) {
    uint8_t b[8];
    if (rd(c, b, 8, what)) return -1;
    *v = ckpt_le64(b);
    return 0;
}

/* gguf_string: u64 length (checked against the remaining bytes and max) + bytes. */
static int rd_string(gcur *c, char **s, size_t *len, uint64_t max, const char *what) {
    uint64_t n;
    if (rd_u64(c, &n, what)) return -1;
    if (n > remaining(c))
        return svs_errf(c->err, "truncated: %s: string length %llu exceeds the remaining %llu bytes", what,
                        (unsigned long long)n, (unsigned long long)remaining(c));
    if (n > max) return svs_errf(c->err, "%s: string length %llu exceeds %llu", what, (unsigned long long)n,
                                 (unsigned long long)max);
    *s = svs_malloc((size_t)n + 1, c->err);
    if (!*s || rd(c, *s, (size_t)n, what)) return -1;
    (*s)[n] = 0;
    if (len) *len = (size_t)n;
    return 0;
}

/* ---- metadata values ---------------------------------------------------------------------------- */

static void value_free(gguf_value *v) {
    if (v->type == GGUF_STRING) free(v->str.s);
    if (v->type == GGUF_ARRAY) {
        for (size_t i = 0; i < v->arr.n; i++) value_free(&v->arr.v[i]);
        free(v->arr.v);
    }
    v->type = GGUF_U8;
}

/* Smallest encoding of one value of a type (for bounding counts); 0 for an unknown type. */
static uint64_t min_value_size(uint32_t t) {
    static const uint8_t sz[] = {1, 1, 2, 2, 4, 4, 4, 1, 8, 12, 8, 8, 8};
    return t < sizeof sz ? sz[t] : 0;
}

static int rd_value(gcur *c, uint32_t type, gguf_value *v, int depth, const char *key);

static int rd_array(gcur *c, gguf_value *v, int depth, const char *key) {
    uint32_t et;
    uint64_t n;
    if (rd_u32(c, &et, key) || rd_u64(c, &n, key)) return -1;
    uint64_t min = min_value_size(et);
    if (!min) return svs_errf(c->err, "%s: unknown array element type %u", key, et);
    if (depth >= GGUF_MAX_DEPTH) return svs_errf(c->err, "%s: arrays nested deeper than %d", key, GGUF_MAX_DEPTH);
    if (n > remaining(c) / min)
        return svs_errf(c->err, "truncated: %s: array of %llu elements exceeds the remaining %llu bytes", key,
                        (unsigned long long)n, (unsigned long long)remaining(c));
    v->arr.type = et;
    v->arr.n = 0;
    v->arr.v = svs_calloc((size_t)n, sizeof(gguf_value), c->err);
    if (!v->arr.v) return -1;
    for (uint64_t i = 0; i < n; i++) {
        if (rd_value(c, et, &v->arr.v[i], depth + 1, key)) {
            value_free(&v->arr.v[i]); /* the partly read element */
            return -1;
        }
        v->arr.n++;
    }
    return 0;
}

static int rd_scalar(gcur *c, uint32_t type, gguf_value *v, const char *key) {
    uint8_t b[8];
    size_t n = (size_t)min_value_size(type);
    if (rd(c, b, n, key)) return -1;
    uint64_t u = n == 1 ? b[0] : n == 2 ? ckpt_le16(b) : n == 4 ? ckpt_le32(b) : ckpt_le64(b);
    switch (type) {
    case GGUF_I8: v->i = (int8_t)u; break;
    case GGUF_I16: v->i = (int16_t)u; break;
    case GGUF_I32: v->i = (int32_t)(uint32_t)u; break;
    case GGUF_I64: v->i = (int64_t)u; break;
    case GGUF_F32: v->f = ckpt_bits_to_f32((uint32_t)u); break;
    case GGUF_F64: { double d; memcpy(&d, &u, 8); v->f = d; break; }
    case GGUF_BOOL:
        if (u > 1) return svs_errf(c->err, "%s: bool value %llu is not 0 or 1", key, (unsigned long long)u);
        v->u = u;
        break;
    default: v->u = u;
    }
    return 0;
}

static int rd_value(gcur *c, uint32_t type, gguf_value *v, int depth, const char *key) {
    v->type = type;
    if (type == GGUF_STRING) {
        v->str.s = NULL;
        return rd_string(c, &v->str.s, &v->str.len, UINT64_MAX, key);
    }
    if (type == GGUF_ARRAY) {
        v->arr.n = 0;
        v->arr.v = NULL;
        return rd_array(c, v, depth, key);
    }
    if (!min_value_size(type)) {
        v->type = GGUF_U8;
        return svs_errf(c->err, "%s: unknown value type %u", key, type);
    }
    return rd_scalar(c, type, v, key);
}

/* ---- header, metadata, tensor infos -------------------------------------------------------- */

static int rd_header(gcur *c, gguf_file *g, uint64_t *n_tensors, uint64_t *n_kv) {
    uint32_t magic;
    if (c->s->size < 24)
        return svs_errf(c->err, "truncated: %llu bytes, shorter than the 24-byte GGUF header",
                        (unsigned long long)c->s->size);
    if (rd_u32(c, &magic, "magic") || rd_u32(c, &g->version, "version")) return -1;
    if (magic != GGUF_MAGIC) return svs_errf(c->err, "magic: not a GGUF file (bad magic 0x%08x)", magic);
    if (g->version == 0x03000000u)
        return svs_errf(c->err, "version: reads 0x03000000, a big-endian GGUF (only little-endian v3 is read)");
    if (g->version != 3) return svs_errf(c->err, "version: %u unsupported (only version 3)", g->version);
    if (rd_u64(c, n_tensors, "tensor_count") || rd_u64(c, n_kv, "metadata_kv_count")) return -1;
    /* smallest kv: 8-byte key length + 1 byte + u32 type + 1-byte value; smallest tensor info:
     * 8 + 1 name + u32 n_dims + one u64 + u32 type + u64 offset */
    if (*n_kv > remaining(c) / 14)
        return svs_errf(c->err, "truncated: metadata_kv_count %llu exceeds what the remaining %llu bytes can hold",
                        (unsigned long long)*n_kv, (unsigned long long)remaining(c));
    if (*n_tensors > remaining(c) / 33)
        return svs_errf(c->err, "truncated: tensor_count %llu exceeds what the remaining %llu bytes can hold",
                        (unsigned long long)*n_tensors, (unsigned long long)remaining(c));
    return 0;
}

static int valid_name(const char *s, size_t len) { return len > 0 && strlen(s) == len; }

static int rd_kv(gcur *c, gguf_kv *kv, size_t idx) {
    char what[48];
    snprintf(what, sizeof what, "metadata key #%zu", idx);
    size_t len;
    uint32_t type;
    if (rd_string(c, &kv->key, &len, GGUF_MAX_KEY, what)) return -1;
    if (!valid_name(kv->key, len)) return svs_errf(c->err, "%s: empty key or NUL byte in key", what);
    if (rd_u32(c, &type, kv->key)) return -1;
    return rd_value(c, type, &kv->v, 0, kv->key);
}

/* Number of bytes of a tensor; checks the type and ne[0] against the block size. */
static int tensor_nbytes(gcur *c, gguf_tensor_info *t) {
    const ggml_type_info *ti = type_info(t->type);
    if (!ti) return svs_errf(c->err, "%s: unsupported ggml type id %u", t->name, t->type);
    if (t->ne[0] % ti->blck)
        return svs_errf(c->err, "%s: ne[0] = %llu is not a multiple of the block size %u of %s", t->name,
                        (unsigned long long)t->ne[0], ti->blck, ti->name);
    uint64_t n = (t->ne[0] / ti->blck);
    if (ckpt_mul_u64(n, ti->bytes, &n) || ckpt_mul_u64(n, t->ne[1], &n) || ckpt_mul_u64(n, t->ne[2], &n) ||
        ckpt_mul_u64(n, t->ne[3], &n))
        return svs_errf(c->err, "%s: size overflows", t->name);
    uint64_t numel = 1;
    for (int d = 0; d < 4; d++)
        if (ckpt_mul_u64(numel, t->ne[d], &numel) || numel > (uint64_t)INT64_MAX / 8)
            return svs_errf(c->err, "%s: element count overflows", t->name);
    t->nbytes = n;
    return 0;
}

static int rd_tensor_info(gcur *c, gguf_tensor_info *t, size_t idx) {
    char what[48];
    snprintf(what, sizeof what, "tensor info #%zu", idx);
    size_t len;
    if (rd_string(c, &t->name, &len, GGUF_MAX_NAME, what)) return -1;
    if (!valid_name(t->name, len)) return svs_errf(c->err, "%s: empty name or NUL byte in name", what);
    if (rd_u32(c, &t->n_dims, t->name)) return -1;
    if (t->n_dims < 1 || t->n_dims > 4) return svs_errf(c->err, "%s: n_dims %u not in 1..4", t->name, t->n_dims);
    for (int d = 0; d < 4; d++) t->ne[d] = 1;
    for (uint32_t d = 0; d < t->n_dims; d++) {
        if (rd_u64(c, &t->ne[d], t->name)) return -1;
        if (t->ne[d] > (uint64_t)INT64_MAX)
            return svs_errf(c->err, "%s: ne[%u] = %llu too large", t->name, d, (unsigned long long)t->ne[d]);
    }
    if (rd_u32(c, &t->type, t->name) || rd_u64(c, &t->offset, t->name)) return -1;
    return tensor_nbytes(c, t);
}

static int cmp_key_ptr(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* names: n string pointers; what: "metadata key" / "tensor". */
static int check_unique(const char **names, size_t n, const char *what, svs_err *err) {
    qsort(names, n, sizeof *names, cmp_key_ptr);
    for (size_t i = 1; i < n; i++)
        if (strcmp(names[i - 1], names[i]) == 0) return svs_errf(err, "%s: duplicate %s", names[i], what);
    return 0;
}

static int check_unique_names(gguf_file *g, svs_err *err) {
    size_t n = g->n_kv > g->n_tensors ? g->n_kv : g->n_tensors;
    const char **v = svs_calloc(n + 1, sizeof *v, err);
    if (!v) return -1;
    for (size_t i = 0; i < g->n_kv; i++) v[i] = g->kv[i].key;
    int rc = check_unique(v, g->n_kv, "metadata key", err);
    for (size_t i = 0; i < g->n_tensors; i++) v[i] = g->tensors[i].name;
    if (!rc) rc = check_unique(v, g->n_tensors, "tensor", err);
    free(v);
    return rc;
}

static int read_alignment(gguf_file *g, svs_err *err) {
    g->alignment = 32;
    if (!gguf_get(g, "general.alignment")) return 0;
    if (gguf_get_u64(g, "general.alignment", &g->alignment, err)) return -1;
    if (g->alignment == 0 || g->alignment % 8 || g->alignment > (1u << 30))
        return svs_errf(err, "general.alignment: %llu is not a positive multiple of 8 (≤ 2^30)",
                        (unsigned long long)g->alignment);
    return 0;
}

static int cmp_tensor_offset(const void *a, const void *b) {
    const gguf_tensor_info *x = *(const gguf_tensor_info *const *)a, *y = *(const gguf_tensor_info *const *)b;
    return x->offset < y->offset ? -1 : x->offset > y->offset ? 1 : 0;
}

/* Tensor data: aligned offsets, inside the file, no two tensors overlapping. */
static int check_data_ranges(gguf_file *g, svs_err *err) {
    uint64_t avail = g->data_start <= g->src.size ? g->src.size - g->data_start : 0;
    const gguf_tensor_info **o = svs_calloc(g->n_tensors + 1, sizeof *o, err);
    if (!o) return -1;
    int rc = 0;
    for (size_t i = 0; i < g->n_tensors && !rc; i++) {
        const gguf_tensor_info *t = o[i] = &g->tensors[i];
        if (t->offset % g->alignment)
            rc = svs_errf(err, "%s: offset %llu is not a multiple of the alignment %llu", t->name,
                          (unsigned long long)t->offset, (unsigned long long)g->alignment);
        else if (t->offset > avail || t->nbytes > avail - t->offset)
            rc = svs_errf(err, "%s: data [%llu, +%llu) outside the %llu-byte data section (truncated?)", t->name,
                          (unsigned long long)t->offset, (unsigned long long)t->nbytes, (unsigned long long)avail);
    }
    if (!rc) qsort(o, g->n_tensors, sizeof *o, cmp_tensor_offset);
    for (size_t i = 1; i < g->n_tensors && !rc; i++)
        if (o[i]->offset < o[i - 1]->offset + o[i - 1]->nbytes)
            rc = svs_errf(err, "%s: data at offset %llu overlaps %s", o[i]->name,
                          (unsigned long long)o[i]->offset, o[i - 1]->name);
    free(o);
    return rc;
}

static int needs_quant_version(const gguf_file *g, svs_err *err) {
    for (size_t i = 0; i < g->n_tensors; i++) {
        if (type_info(g->tensors[i].type)->blck == 1) continue;
        uint32_t qv;
        if (!gguf_get(g, "general.quantization_version"))
            return svs_errf(err, "general.quantization_version: missing (required with quantized tensor %s)",
                            g->tensors[i].name);
        return gguf_get_u32(g, "general.quantization_version", &qv, err);
    }
    return 0;
}

static int gguf_parse(gguf_file *g, svs_err *err) {
    gcur c = {&g->src, 0, err};
    uint64_t nt, nkv;
    if (rd_header(&c, g, &nt, &nkv)) return -1;
    g->kv = svs_calloc((size_t)nkv, sizeof *g->kv, err);
    g->tensors = svs_calloc((size_t)nt, sizeof *g->tensors, err);
    if (!g->kv || !g->tensors) return -1;
    for (; g->n_kv < nkv; g->n_kv++)
        if (rd_kv(&c, &g->kv[g->n_kv], g->n_kv)) { g->n_kv++; return -1; }
    for (; g->n_tensors < nt; g->n_tensors++)
        if (rd_tensor_info(&c, &g->tensors[g->n_tensors], g->n_tensors)) { g->n_tensors++; return -1; }
    if (check_unique_names(g, err) || read_alignment(g, err)) return -1;
    uint64_t pad = (g->alignment - c.pos % g->alignment) % g->alignment;
    if (ckpt_add_u64(c.pos, pad, &g->data_start)) return svs_errf(err, "data section offset overflows");
    return check_data_ranges(g, err) || needs_quant_version(g, err) ? -1 : 0;
}

static int gguf_finish_open(gguf_file *g, gguf_file **out, svs_err *err) {
    if (gguf_parse(g, err)) {
        svs_err_prefix(err, "%s", g->src.label);
        gguf_close(g);
        return -1;
    }
    *out = g;
    return 0;
}

int gguf_open(const char *path, gguf_file **out, svs_err *err) {
    *out = NULL;
    gguf_file *g = svs_calloc(1, sizeof *g, err);
    if (!g) return -1;
    if (ckpt_src_open_file(&g->src, path, err)) { free(g); return -1; }
    return gguf_finish_open(g, out, err);
}

int gguf_read_mem(const void *data, size_t len, gguf_file **out, svs_err *err) {
    *out = NULL;
    gguf_file *g = svs_calloc(1, sizeof *g, err);
    if (!g) return -1;
    ckpt_src_mem(&g->src, data, len, "<gguf>");
    return gguf_finish_open(g, out, err);
}

void gguf_close(gguf_file *g) {
    if (!g) return;
    for (size_t i = 0; i < g->n_kv; i++) {
        free(g->kv[i].key);
        value_free(&g->kv[i].v);
    }
    for (size_t i = 0; i < g->n_tensors; i++) free(g->tensors[i].name);
    free(g->kv);
    free(g->tensors);
    ckpt_src_close(&g->src);
    free(g);
}

/* ---- getters ------------------------------------------------------------------------------------ */

const gguf_value *gguf_get(const gguf_file *g, const char *key) {
    for (size_t i = 0; i < g->n_kv; i++)
        if (strcmp(g->kv[i].key, key) == 0) return &g->kv[i].v;
    return NULL;
}

static const char *vtype_name(uint32_t t) {
    static const char *n[] = {"u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array",
                              "u64", "i64", "f64"};
    return t < sizeof n / sizeof n[0] ? n[t] : "?";
}

static int is_int_type(uint32_t t) { return t <= GGUF_I32 || t == GGUF_U64 || t == GGUF_I64; }
static int is_signed_type(uint32_t t) { return t == GGUF_I8 || t == GGUF_I16 || t == GGUF_I32 || t == GGUF_I64; }

/* Integer value as int64 within [lo, hi] (u64 values above INT64_MAX fail unless hi allows). */
static int value_int(const gguf_value *v, const char *key, int64_t lo, uint64_t hi, uint64_t *out, svs_err *err) {
    if (!is_int_type(v->type)) return svs_errf(err, "%s: %s is not an integer", key, vtype_name(v->type));
    if (is_signed_type(v->type) ? (v->i < lo || (v->i >= 0 && (uint64_t)v->i > hi)) : v->u > hi)
        return svs_errf(err, "%s: value %lld out of range", key,
                        is_signed_type(v->type) ? (long long)v->i : (long long)v->u);
    *out = is_signed_type(v->type) ? (uint64_t)v->i : v->u;
    return 0;
}

static const gguf_value *must_get(const gguf_file *g, const char *key, svs_err *err) {
    const gguf_value *v = gguf_get(g, key);
    if (!v) svs_errf(err, "%s: missing", key);
    return v;
}

int gguf_get_u64(const gguf_file *g, const char *key, uint64_t *out, svs_err *err) {
    const gguf_value *v = must_get(g, key, err);
    return v ? value_int(v, key, 0, UINT64_MAX, out, err) : -1;
}

int gguf_get_u32(const gguf_file *g, const char *key, uint32_t *out, svs_err *err) {
    uint64_t x;
    const gguf_value *v = must_get(g, key, err);
    if (!v || value_int(v, key, 0, UINT32_MAX, &x, err)) return -1;
    *out = (uint32_t)x;
    return 0;
}

int gguf_get_i32(const gguf_file *g, const char *key, int32_t *out, svs_err *err) {
    uint64_t x;
    const gguf_value *v = must_get(g, key, err);
    if (!v || value_int(v, key, INT32_MIN, INT32_MAX, &x, err)) return -1;
    *out = (int32_t)(int64_t)x;
    return 0;
}

int gguf_get_f32(const gguf_file *g, const char *key, float *out, svs_err *err) {
    const gguf_value *v = must_get(g, key, err);
    if (!v) return -1;
    if (v->type == GGUF_F32 || v->type == GGUF_F64) *out = (float)v->f;
    else if (is_int_type(v->type)) *out = is_signed_type(v->type) ? (float)v->i : (float)v->u;
    else return svs_errf(err, "%s: %s is not a number", key, vtype_name(v->type));
    return 0;
}

int gguf_get_bool(const gguf_file *g, const char *key, int *out, svs_err *err) {
    const gguf_value *v = must_get(g, key, err);
    if (!v) return -1;
    if (v->type != GGUF_BOOL) return svs_errf(err, "%s: %s is not a bool", key, vtype_name(v->type));
    *out = (int)v->u;
    return 0;
}

int gguf_get_str(const gguf_file *g, const char *key, const char **s, size_t *len, svs_err *err) {
    const gguf_value *v = must_get(g, key, err);
    if (!v) return -1;
    if (v->type != GGUF_STRING) return svs_errf(err, "%s: %s is not a string", key, vtype_name(v->type));
    *s = v->str.s;
    if (len) *len = v->str.len;
    return 0;
}

static const gguf_value *get_array(const gguf_file *g, const char *key, svs_err *err) {
    const gguf_value *v = must_get(g, key, err);
    if (v && v->type != GGUF_ARRAY) {
        svs_errf(err, "%s: %s is not an array", key, vtype_name(v->type));
        return NULL;
    }
    return v;
}

int gguf_get_str_array(const gguf_file *g, const char *key, const char ***strs, size_t **lens, size_t *n,
                       svs_err *err) {
    const gguf_value *v = get_array(g, key, err);
    if (!v) return -1;
    if (v->arr.type != GGUF_STRING)
        return svs_errf(err, "%s: array of %s, not of strings", key, vtype_name(v->arr.type));
    *strs = svs_calloc(v->arr.n + 1, sizeof **strs, err);
    if (lens) *lens = svs_calloc(v->arr.n + 1, sizeof **lens, err);
    if (!*strs || (lens && !*lens)) {
        free(*strs);
        if (lens) free(*lens);
        return -1;
    }
    for (size_t i = 0; i < v->arr.n; i++) {
        (*strs)[i] = v->arr.v[i].str.s;
        if (lens) (*lens)[i] = v->arr.v[i].str.len;
    }
    *n = v->arr.n;
    return 0;
}

int gguf_get_int_array(const gguf_file *g, const char *key, int64_t **vals, size_t *n, svs_err *err) {
    const gguf_value *v = get_array(g, key, err);
    if (!v) return -1;
    if (!is_int_type(v->arr.type))
        return svs_errf(err, "%s: array of %s, not of integers", key, vtype_name(v->arr.type));
    *vals = svs_calloc(v->arr.n + 1, sizeof **vals, err);
    if (!*vals) return -1;
    for (size_t i = 0; i < v->arr.n; i++) {
        const gguf_value *x = &v->arr.v[i];
        if (!is_signed_type(x->type) && x->u > (uint64_t)INT64_MAX) {
            free(*vals);
            return svs_errf(err, "%s[%zu]: value out of range", key, i);
        }
        (*vals)[i] = is_signed_type(x->type) ? x->i : (int64_t)x->u;
    }
    *n = v->arr.n;
    return 0;
}

/* ---- tensors ------------------------------------------------------------------------------------- */

const gguf_tensor_info *gguf_find_tensor(const gguf_file *g, const char *name) {
    for (size_t i = 0; i < g->n_tensors; i++)
        if (strcmp(g->tensors[i].name, name) == 0) return &g->tensors[i];
    return NULL;
}

/* One row (ne[0] values) of raw bytes → f32. */
static void dequant_row(uint32_t type, const uint8_t *p, size_t n, float *y) {
    switch (type) {
    case GGML_F32: for (size_t i = 0; i < n; i++) y[i] = ckpt_bits_to_f32(ckpt_le32(p + 4 * i)); break;
    case GGML_F16: for (size_t i = 0; i < n; i++) y[i] = ckpt_f16_to_f32(ckpt_le16(p + 2 * i)); break;
    case GGML_BF16: for (size_t i = 0; i < n; i++) y[i] = ckpt_bf16_to_f32(ckpt_le16(p + 2 * i)); break;
    case GGML_Q8_0:
        for (size_t b = 0; b < n / 32; b++, p += 34, y += 32) {
            float d = ckpt_f16_to_f32(ckpt_le16(p));
            for (int j = 0; j < 32; j++) y[j] = (float)(int8_t)p[2 + j] * d;
        }
        break;
    case GGML_Q4_0:
        for (size_t b = 0; b < n / 32; b++, p += 18, y += 32) {
            float d = ckpt_f16_to_f32(ckpt_le16(p));
            for (int j = 0; j < 16; j++) {
                y[j] = (float)((p[2 + j] & 0x0F) - 8) * d;
                y[j + 16] = (float)((p[2 + j] >> 4) - 8) * d;
            }
        }
        break;
    case GGML_Q4_1:
        for (size_t b = 0; b < n / 32; b++, p += 20, y += 32) {
            float d = ckpt_f16_to_f32(ckpt_le16(p)), m = ckpt_f16_to_f32(ckpt_le16(p + 2));
            for (int j = 0; j < 16; j++) {
                y[j] = (float)(p[4 + j] & 0x0F) * d + m;
                y[j + 16] = (float)(p[4 + j] >> 4) * d + m;
            }
        }
        break;
    }
}

static int supported_type(uint32_t t) {
    return t == GGML_F32 || t == GGML_F16 || t == GGML_BF16 || t == GGML_Q8_0 || t == GGML_Q4_0 || t == GGML_Q4_1;
}

int gguf_tensor_to_f32(gguf_file *g, const gguf_tensor_info *t, float **out, svs_err *err) {
    *out = NULL;
    if (!supported_type(t->type))
        return svs_errf(err, "%s: unsupported ggml type %s (%u)", t->name, ggml_type_name(t->type), t->type);
    uint64_t rows = t->ne[1] * t->ne[2] * t->ne[3], numel = t->ne[0] * rows; /* checked at open */
    if (numel > SIZE_MAX / sizeof(float)) return svs_errf(err, "%s: too large for this machine", t->name);
    if (numel == 0) { /* empty: ne[0] may be huge while another dimension is 0 */
        *out = svs_malloc(sizeof(float), err);
        return *out ? 0 : svs_err_prefix(err, "%s", t->name);
    }
    const ggml_type_info *ti = type_info(t->type);
    size_t row_bytes = (size_t)(t->ne[0] / ti->blck * ti->bytes);
    float *y = svs_calloc((size_t)numel, sizeof(float), err);
    uint8_t *raw = y ? svs_malloc(row_bytes, err) : NULL;
    if (!raw) {
        free(y);
        return svs_err_prefix(err, "%s", t->name);
    }
    int rc = 0;
    for (uint64_t r = 0; !rc && r < rows; r++) {
        rc = ckpt_src_read(&g->src, g->data_start + t->offset + r * row_bytes, raw, row_bytes, t->name, err);
        if (!rc) dequant_row(t->type, raw, (size_t)t->ne[0], y + r * t->ne[0]);
    }
    free(raw);
    if (rc) {
        free(y);
        return -1; /* the message names the tensor */
    }
    *out = y;
    return 0;
}
