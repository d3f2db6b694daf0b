/* safetensors.c — safetensors reader (single file, memory image, sharded index) and F32 writer
 * (docs/formats.md §8). Input: bytes "u64 N | N bytes JSON header | data buffer"; output: the
 * tensors appended to a tensorset as f32 (F32/BF16/F16 converted; other dtypes refused by name).
 *
 * Every header field is validated before any tensor byte is read or any tensor is allocated:
 * N ≤ 100,000,000 and 8 + N ≤ file size, a JSON object without duplicate keys, per entry a known
 * dtype, a shape of non-negative integers (rank ≤ 4), data_offsets [BEGIN, END] inside the
 * buffer with END − BEGIN = numel × dtype size (overflow-checked), and the buffer covered
 * exactly by the sorted entries (no hole, no overlap). No alignment is assumed: bytes are copied
 * and decoded little-endian. Errors name the file and the tensor. No global state. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/ckpt_io.h"
#include "model/tensorset.h"

#define ST_MAX_HEADER 100000000ULL
#define ST_CHUNK 65536 /* elements converted per read */

typedef struct st_dtype {
    const char *name;
    unsigned size;
} st_dtype;

static const st_dtype st_dtypes[] = {
    {"F32", 4}, {"BF16", 2}, {"F16", 2}, /* the three the loader converts: indices 0..2 */
    {"BOOL", 1}, {"U8", 1}, {"I8", 1}, {"F8_E4M3", 1}, {"F8_E5M2", 1}, {"F8_E8M0", 1},
    {"U16", 2}, {"I16", 2}, {"U32", 4}, {"I32", 4}, {"U64", 8}, {"I64", 8}, {"F64", 8}, {"C64", 8},
};
enum { ST_F32 = 0, ST_BF16 = 1, ST_F16 = 2, ST_N_DTYPES = sizeof st_dtypes / sizeof st_dtypes[0] };

typedef struct st_entry {
    const char *name; /* borrowed from the JSON tree */
    int dtype;
    int ndim;
    int64_t shape[TS_MAX_DIMS];
    uint64_t begin, end;
} st_entry;

/* ---- header parsing ----------------------------------------------------------------------- */

static int parse_dtype(const char *name, json_t *v, int *dtype, svs_err *err) {
    if (!json_is_string(v)) return svs_errf(err, "%s: dtype missing or not a string", name);
    const char *s = json_string_value(v);
    for (int i = 0; i < ST_N_DTYPES; i++)
        if (strcmp(s, st_dtypes[i].name) == 0) { *dtype = i; return 0; }
    return svs_errf(err, "%s: unknown dtype \"%.32s\"", name, s);
}

static int parse_shape(const char *name, json_t *v, st_entry *e, svs_err *err) {
    if (!json_is_array(v)) return svs_errf(err, "%s: shape missing or not a list", name);
    size_t n = json_array_size(v);
    if (n > TS_MAX_DIMS) return svs_errf(err, "%s: rank %zu exceeds %d", name, n, TS_MAX_DIMS);
    e->ndim = (int)n;
    for (size_t i = 0; i < n; i++) {
        json_t *d = json_array_get(v, i);
        if (!json_is_integer(d) || json_integer_value(d) < 0)
            return svs_errf(err, "%s: shape[%zu] is not a non-negative integer", name, i);
        e->shape[i] = json_integer_value(d);
    }
    return 0;
}

static int parse_offsets(const char *name, json_t *v, st_entry *e, svs_err *err) {
    json_t *b = json_array_get(v, 0), *en = json_array_get(v, 1);
    if (!json_is_array(v) || json_array_size(v) != 2 || !json_is_integer(b) || !json_is_integer(en) ||
        json_integer_value(b) < 0 || json_integer_value(en) < 0)
        return svs_errf(err, "%s: data_offsets must be [BEGIN, END] with non-negative integers", name);
    e->begin = (uint64_t)json_integer_value(b);
    e->end = (uint64_t)json_integer_value(en);
    if (e->begin > e->end)
        return svs_errf(err, "%s: data_offsets [%llu, %llu]: BEGIN > END", name,
                        (unsigned long long)e->begin, (unsigned long long)e->end);
    return 0;
}

/* Entry fields, then END − BEGIN = numel × size and END ≤ buffer size. */
static int parse_entry(const char *name, json_t *v, uint64_t bufsize, st_entry *e, svs_err *err) {
    memset(e, 0, sizeof *e);
    e->name = name;
    if (!json_is_object(v)) return svs_errf(err, "%s: header entry is not an object", name);
    if (parse_dtype(name, json_object_get(v, "dtype"), &e->dtype, err) ||
        parse_shape(name, json_object_get(v, "shape"), e, err) ||
        parse_offsets(name, json_object_get(v, "data_offsets"), e, err))
        return -1;
    int64_t numel = ts_numel(e->ndim, e->shape);
    uint64_t nbytes;
    char sh[96];
    ts_shape_str(e->ndim, e->shape, sh, sizeof sh);
    if (numel < 0 || ckpt_mul_u64((uint64_t)numel, st_dtypes[e->dtype].size, &nbytes))
        return svs_errf(err, "%s: shape %s overflows", name, sh);
    if (e->end - e->begin != nbytes)
        return svs_errf(err, "%s: data_offsets [%llu, %llu] span %llu bytes but shape %s of %s needs %llu",
                        name, (unsigned long long)e->begin, (unsigned long long)e->end,
                        (unsigned long long)(e->end - e->begin), sh, st_dtypes[e->dtype].name,
                        (unsigned long long)nbytes);
    if (e->end > bufsize)
        return svs_errf(err, "%s: data_offsets [%llu, %llu] outside the data buffer of %llu bytes", name,
                        (unsigned long long)e->begin, (unsigned long long)e->end,
                        (unsigned long long)bufsize);
    return 0;
}

static int parse_metadata(json_t *v, tensorset *meta, svs_err *err) {
    if (!json_is_object(v)) return svs_errf(err, "__metadata__: not an object");
    size_t n = json_object_size(v), i = 0;
    meta->meta_keys = svs_calloc(n, sizeof(char *), err);
    meta->meta_vals = svs_calloc(n, sizeof(char *), err);
    if (!meta->meta_keys || !meta->meta_vals) return -1;
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x) {
        if (!json_is_string(x)) return svs_errf(err, "__metadata__.%s: value is not a string", k);
        meta->meta_keys[i] = svs_strndup(k, strlen(k), err);
        meta->meta_vals[i] = svs_strndup(json_string_value(x), json_string_length(x), err);
        meta->n_meta = ++i;
        if (!meta->meta_keys[i - 1] || !meta->meta_vals[i - 1]) return -1;
    }
    return 0;
}

static int cmp_entry(const void *a, const void *b) {
    const st_entry *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Entries sorted by offsets must tile [0, bufsize) exactly. */
static int check_coverage(const st_entry *e, size_t n, uint64_t bufsize, svs_err *err) {
    uint64_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        if (e[i].begin < pos)
            return svs_errf(err, "%s: data_offsets [%llu, %llu] overlap %s (which ends at %llu)", e[i].name,
                            (unsigned long long)e[i].begin, (unsigned long long)e[i].end, e[i - 1].name,
                            (unsigned long long)pos);
        if (e[i].begin > pos)
            return svs_errf(err, "%s: data_offsets [%llu, %llu] leave a hole: bytes [%llu, %llu) of the "
                            "data buffer belong to no tensor", e[i].name, (unsigned long long)e[i].begin,
                            (unsigned long long)e[i].end, (unsigned long long)pos,
                            (unsigned long long)e[i].begin);
        pos = e[i].end;
    }
    if (pos != bufsize)
        return svs_errf(err, "data buffer has %llu bytes but the tensors cover only %llu (hole at the end)",
                        (unsigned long long)bufsize, (unsigned long long)pos);
    return 0;
}

typedef struct st_header {
    json_t *root;
    st_entry *e;
    size_t n;
    uint64_t data_start, bufsize;
    tensorset meta; /* only meta_* used */
} st_header;

static void st_header_free(st_header *h) {
    json_decref(h->root);
    free(h->e);
    tensorset_free(&h->meta);
}

static int read_header_json(ckpt_src *s, st_header *h, svs_err *err) {
    uint8_t b8[8];
    if (s->size < 8)
        return svs_errf(err, "truncated: %llu bytes, shorter than the 8-byte header size",
                        (unsigned long long)s->size);
    if (ckpt_src_read(s, 0, b8, 8, "header size", err)) return -1;
    uint64_t n = ckpt_le64(b8);
    if (n > ST_MAX_HEADER)
        return svs_errf(err, "header size %llu exceeds the limit %llu", (unsigned long long)n, ST_MAX_HEADER);
    if (n > s->size - 8)
        return svs_errf(err, "truncated: header of %llu bytes needs %llu bytes but the file has %llu",
                        (unsigned long long)n, (unsigned long long)n + 8, (unsigned long long)s->size);
    if (n < 2) return svs_errf(err, "header of %llu bytes is too short", (unsigned long long)n);
    char *text = svs_malloc((size_t)n, err);
    if (!text || ckpt_src_read(s, 8, text, (size_t)n, "header", err)) { free(text); return -1; }
    json_error_t je;
    h->root = text[0] == '{' ? json_loadb(text, (size_t)n, JSON_REJECT_DUPLICATES, &je) : NULL;
    int bad_start = text[0] != '{';
    free(text);
    if (bad_start) return svs_errf(err, "header JSON does not start with '{'");
    if (!h->root) return svs_errf(err, "header JSON: line %d column %d: %s", je.line, je.column, je.text);
    if (!json_is_object(h->root)) return svs_errf(err, "header JSON is not an object");
    h->data_start = 8 + n;
    h->bufsize = s->size - h->data_start;
    return 0;
}

static int parse_header(ckpt_src *s, st_header *h, svs_err *err) {
    memset(h, 0, sizeof *h);
    if (read_header_json(s, h, err)) return -1;
    h->e = svs_calloc(json_object_size(h->root), sizeof *h->e, err);
    if (!h->e) return -1;
    const char *k;
    json_t *v;
    json_object_foreach(h->root, k, v) {
        if (strcmp(k, "__metadata__") == 0) {
            if (parse_metadata(v, &h->meta, err)) return -1;
        } else if (parse_entry(k, v, h->bufsize, &h->e[h->n++], err)) {
            return -1;
        }
    }
    qsort(h->e, h->n, sizeof *h->e, cmp_entry);
    return check_coverage(h->e, h->n, h->bufsize, err);
}

/* ---- data ----------------------------------------------------------------------------------- */

static void convert(const uint8_t *raw, int dtype, size_t n, float *dst) {
    for (size_t i = 0; i < n; i++) {
        if (dtype == ST_F32) dst[i] = ckpt_bits_to_f32(ckpt_le32(raw + 4 * i));
        else if (dtype == ST_BF16) dst[i] = ckpt_bf16_to_f32(ckpt_le16(raw + 2 * i));
        else dst[i] = ckpt_f16_to_f32(ckpt_le16(raw + 2 * i));
    }
}

static int load_entry(ckpt_src *s, const st_header *h, const st_entry *e, tensorset *ts, svs_err *err) {
    if (e->dtype > ST_F16)
        return svs_errf(err, "%s: unsupported dtype %s (the loader converts F32, BF16, F16)", e->name,
                        st_dtypes[e->dtype].name);
    size_t numel = (size_t)ts_numel(e->ndim, e->shape), size = st_dtypes[e->dtype].size;
    float *data = svs_calloc(numel, sizeof(float), err);
    uint8_t *raw = svs_malloc(ST_CHUNK * 4, err);
    int rc = data && raw ? 0 : -1;
    for (size_t i = 0; !rc && i < numel; i += ST_CHUNK) {
        size_t m = numel - i < ST_CHUNK ? numel - i : ST_CHUNK;
        rc = ckpt_src_read(s, h->data_start + e->begin + i * size, raw, m * size, e->name, err);
        if (!rc) convert(raw, e->dtype, m, data + i);
    }
    free(raw);
    if (rc) { free(data); return svs_err_prefix(err, "%s", e->name); }
    return tensorset_add_owned(ts, e->name, e->ndim, e->shape, data, err);
}

/* Moves the metadata pairs of src into dst (keys already in dst are dropped). */
static void take_meta(tensorset *dst, tensorset *src) {
    if (!dst->n_meta && !dst->meta_keys) {
        dst->meta_keys = src->meta_keys;
        dst->meta_vals = src->meta_vals;
        dst->n_meta = src->n_meta;
        src->meta_keys = src->meta_vals = NULL;
        src->n_meta = 0;
    }
}

static int st_read(ckpt_src *s, tensorset *ts, svs_err *err) {
    st_header h;
    size_t n0 = ts->n;
    int rc = parse_header(s, &h, err);
    for (size_t i = 0; !rc && i < h.n; i++) rc = load_entry(s, &h, &h.e[i], ts, err);
    if (rc) tensorset_truncate(ts, n0);
    else take_meta(ts, &h.meta);
    st_header_free(&h);
    if (rc) svs_err_prefix(err, "%s", s->label);
    return rc;
}

int safetensors_read_mem(const void *data, size_t len, const char *label, tensorset *ts, svs_err *err) {
    ckpt_src s;
    ckpt_src_mem(&s, data, len, label ? label : "<safetensors>");
    return st_read(&s, ts, err);
}

int safetensors_read_file(const char *path, tensorset *ts, svs_err *err) {
    ckpt_src s;
    if (ckpt_src_open_file(&s, path, err)) return -1;
    int rc = st_read(&s, ts, err);
    ckpt_src_close(&s);
    return rc;
}

/* ---- sharded checkpoints -------------------------------------------------------------------- */

static int bad_shard_name(const char *f) {
    return !*f || strchr(f, '/') || strchr(f, '\\') || strcmp(f, ".") == 0 || strcmp(f, "..") == 0;
}

/* Distinct shard files of weight_map in order of first appearance (pointers into the tree). */
static int list_shards(json_t *wm, const char *index, const char ***out, size_t *n, svs_err *err) {
    const char **v = svs_calloc(json_object_size(wm) + 1, sizeof *v, err);
    if (!v) return -1;
    size_t m = 0;
    const char *k;
    json_t *f;
    json_object_foreach(wm, k, f) {
        if (!json_is_string(f) || bad_shard_name(json_string_value(f))) {
            free(v);
            return svs_errf(err, "%s: weight_map.%s: not a plain shard file name", index, k);
        }
        size_t j = 0;
        while (j < m && strcmp(v[j], json_string_value(f)) != 0) j++;
        if (j == m) v[m++] = json_string_value(f);
    }
    *out = v;
    *n = m;
    return 0;
}

/* Appends the tensors of one shard after checking each against weight_map. */
static int take_shard(tensorset *ts, tensorset *shard, json_t *wm, const char *file, svs_err *err) {
    for (size_t i = 0; i < shard->n; i++) {
        json_t *f = json_object_get(wm, shard->t[i].name);
        if (!f) return svs_errf(err, "%s: tensor %s is not in weight_map", file, shard->t[i].name);
        if (strcmp(json_string_value(f), file) != 0)
            return svs_errf(err, "%s: tensor %s: weight_map says %s", file, shard->t[i].name, json_string_value(f));
    }
    for (size_t i = 0; i < shard->n; i++) {
        ts_tensor *t = &shard->t[i];
        float *data = t->data;
        t->data = NULL; /* ownership moves to ts (or is freed by add_owned on failure) */
        if (tensorset_add_owned(ts, t->name, t->ndim, t->shape, data, err)) return -1;
    }
    take_meta(ts, shard);
    return 0;
}

static int load_shards(const char *index, json_t *wm, tensorset *ts, svs_err *err) {
    const char **files = NULL;
    size_t nf = 0;
    if (list_shards(wm, index, &files, &nf, err)) return -1;
    int rc = 0;
    for (size_t i = 0; i < nf && !rc; i++) {
        char *path = ckpt_sibling_path(index, files[i], err);
        tensorset shard;
        tensorset_init(&shard);
        rc = path ? safetensors_read_file(path, &shard, err) : -1;
        if (!rc) rc = take_shard(ts, &shard, wm, files[i], err);
        tensorset_free(&shard);
        free(path);
    }
    free(files);
    return rc;
}

/* Every weight_map name must have been loaded (names are unique by now). */
static int check_all_mapped(const char *index, json_t *wm, const tensorset *ts, size_t n0, svs_err *err) {
    if (ts->n - n0 == json_object_size(wm)) return 0;
    const char *k;
    json_t *f;
    json_object_foreach(wm, k, f) {
        if (!tensorset_find(ts, k))
            return svs_errf(err, "%s: weight_map.%s: tensor not found in %s", index, k, json_string_value(f));
    }
    return svs_errf(err, "%s: weight_map and shards disagree", index);
}

int safetensors_read_index(const char *index_path, tensorset *ts, svs_err *err) {
    size_t len, n0 = ts->n;
    char *text = svs_read_file(index_path, (size_t)1 << 26, &len, err);
    if (!text) return -1;
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    free(text);
    if (!root) return svs_errf(err, "%s: line %d column %d: %s", index_path, je.line, je.column, je.text);
    json_t *wm = json_object_get(root, "weight_map");
    int rc;
    if (!json_is_object(wm)) rc = svs_errf(err, "%s: weight_map: missing or not an object", index_path);
    else rc = load_shards(index_path, wm, ts, err);
    if (!rc) rc = tensorset_check_unique(ts, err);
    if (!rc) rc = check_all_mapped(index_path, wm, ts, n0, err);
    if (rc) tensorset_truncate(ts, n0);
    json_decref(root);
    return rc;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int safetensors_load(const char *path, tensorset *ts, svs_err *err) {
    struct stat st;
    if (stat(path, &st) != 0) return svs_errf(err, "%s: cannot open: %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return ends_with(path, ".index.json") ? safetensors_read_index(path, ts, err)
                                              : safetensors_read_file(path, ts, err);
    svs_buf p = {0};
    int rc = svs_buf_printf(&p, err, "%s/model.safetensors", path);
    if (!rc && stat(p.data, &st) == 0) rc = safetensors_read_file(p.data, ts, err);
    else if (!rc) {
        rc = svs_buf_puts(&p, ".index.json", err);
        if (!rc && stat(p.data, &st) == 0) rc = safetensors_read_index(p.data, ts, err);
        else if (!rc) rc = svs_errf(err, "%s: no model.safetensors or model.safetensors.index.json", path);
    }
    svs_buf_free(&p);
    return rc;
}

/* ---- writer ----------------------------------------------------------------------------------- */

static int put_json_str(svs_buf *b, const char *s, svs_err *err) {
    if (!svs_utf8_valid(s, strlen(s), NULL)) return svs_errf(err, "\"%.64s\": not valid UTF-8", s);
    if (svs_buf_putc(b, '"', err)) return -1;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int rc = *p == '"' || *p == '\\' ? svs_buf_printf(b, err, "\\%c", *p)
                 : *p < 0x20            ? svs_buf_printf(b, err, "\\u%04x", *p)
                                        : svs_buf_putc(b, (char)*p, err);
        if (rc) return -1;
    }
    return svs_buf_putc(b, '"', err);
}

static int cmp_tensor_name(const void *a, const void *b) {
    return strcmp((*(const ts_tensor *const *)a)->name, (*(const ts_tensor *const *)b)->name);
}

/* Tensor order for the file: ts order or sorted by name. */
static const ts_tensor **write_order(const tensorset *ts, int flags, svs_err *err) {
    const ts_tensor **o = svs_calloc(ts->n + 1, sizeof *o, err);
    if (!o) return NULL;
    for (size_t i = 0; i < ts->n; i++) o[i] = &ts->t[i];
    if (flags & SAFETENSORS_SORTED) qsort(o, ts->n, sizeof *o, cmp_tensor_name);
    return o;
}

static int put_meta(svs_buf *b, const char *const *kv, size_t n, svs_err *err) {
    if (!n) return 0;
    if (svs_buf_puts(b, "\"__metadata__\":{", err)) return -1;
    for (size_t i = 0; i < n; i++)
        if ((i && svs_buf_putc(b, ',', err)) || put_json_str(b, kv[2 * i], err) || svs_buf_putc(b, ':', err) ||
            put_json_str(b, kv[2 * i + 1], err))
            return -1;
    return svs_buf_puts(b, "},", err);
}

static int put_entry(svs_buf *b, const ts_tensor *t, uint64_t *pos, svs_err *err) {
    if (strcmp(t->name, "__metadata__") == 0) return svs_errf(err, "__metadata__: reserved tensor name");
    int64_t numel = ts_numel(t->ndim, t->shape);
    uint64_t end;
    if (numel < 0 || numel > INT64_MAX / 4 || ckpt_add_u64(*pos, (uint64_t)numel * 4, &end))
        return svs_errf(err, "%s: too large", t->name);
    if (put_json_str(b, t->name, err) || svs_buf_puts(b, ":{\"dtype\":\"F32\",\"shape\":[", err))
        return -1;
    for (int d = 0; d < t->ndim; d++)
        if (svs_buf_printf(b, err, "%s%lld", d ? "," : "", (long long)t->shape[d])) return -1;
    if (svs_buf_printf(b, err, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)*pos,
                       (unsigned long long)end))
        return -1;
    *pos = end;
    return 0;
}

/* The 8-byte size + padded JSON header into out. */
static int build_header(const ts_tensor **o, size_t n, const char *const *kv, size_t n_meta,
                        svs_buf *out, svs_err *err) {
    svs_buf h = {0};
    uint64_t pos = 0;
    int rc = svs_buf_putc(&h, '{', err) || put_meta(&h, kv, n_meta, err);
    for (size_t i = 0; !rc && i < n; i++)
        rc = (i && svs_buf_putc(&h, ',', err)) || put_entry(&h, o[i], &pos, err);
    if (!rc && h.data[h.len - 1] == ',') h.len--; /* metadata only */
    rc = rc || svs_buf_putc(&h, '}', err);
    while (!rc && (8 + h.len) % 8) rc = svs_buf_putc(&h, ' ', err);
    uint8_t b8[8];
    for (int i = 0; i < 8; i++) b8[i] = (uint8_t)((uint64_t)h.len >> (8 * i));
    rc = rc || svs_buf_append(out, (const char *)b8, 8, err) || svs_buf_append(out, h.data, h.len, err);
    svs_buf_free(&h);
    return rc ? -1 : 0;
}

static int append_f32_le(svs_buf *out, const float *x, size_t n, svs_err *err) {
    if (n > SIZE_MAX / 4 || svs_buf_reserve(out, n * 4, err)) return -1;
    uint8_t *p = (uint8_t *)out->data + out->len;
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &x[i], 4);
        p[4 * i] = (uint8_t)u;
        p[4 * i + 1] = (uint8_t)(u >> 8);
        p[4 * i + 2] = (uint8_t)(u >> 16);
        p[4 * i + 3] = (uint8_t)(u >> 24);
    }
    out->len += n * 4;
    out->data[out->len] = 0;
    return 0;
}

int safetensors_serialize(const tensorset *ts, const char *const *meta_kv, size_t n_meta, int flags,
                          svs_buf *out, svs_err *err) {
    if (tensorset_check_unique(ts, err)) return -1;
    const ts_tensor **o = write_order(ts, flags, err);
    if (!o) return -1;
    size_t len0 = out->len;
    int rc = build_header(o, ts->n, meta_kv, n_meta, out, err);
    for (size_t i = 0; !rc && i < ts->n; i++)
        rc = append_f32_le(out, o[i]->data, (size_t)ts_numel(o[i]->ndim, o[i]->shape), err);
    free(o);
    if (rc && out->data) out->data[out->len = len0] = 0;
    return rc;
}

int safetensors_write(const char *path, const tensorset *ts, const char *const *meta_kv, size_t n_meta,
                      int flags, svs_err *err) {
    svs_buf b = {0}, tmp = {0};
    if (safetensors_serialize(ts, meta_kv, n_meta, flags, &b, err) || svs_buf_printf(&tmp, err, "%s.tmp", path)) {
        svs_buf_free(&b);
        svs_buf_free(&tmp);
        return -1;
    }
    int rc = 0;
    FILE *f = fopen(tmp.data, "wb");
    if (!f) rc = svs_errf(err, "%s: cannot create: %s", tmp.data, strerror(errno));
    else {
        size_t w = fwrite(b.data, 1, b.len, f);
        if (fclose(f) != 0 || w != b.len) rc = svs_errf(err, "%s: write failed: %s", tmp.data, strerror(errno));
        else if (rename(tmp.data, path) != 0) rc = svs_errf(err, "%s: rename failed: %s", path, strerror(errno));
        if (rc) remove(tmp.data);
    }
    svs_buf_free(&b);
    svs_buf_free(&tmp);
    return rc;
}
