/* tensorset.c — the named f32 tensor container (add, find, uniqueness, required names) and the
 * check that a checkpoint's tensors match what a model_config implies (docs/formats.md §9.4).
 * Inputs: tensors from the readers; outputs: lookups and errors naming the tensor at fault.
 * No global state; never prints or exits. */
#include "model/tensorset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model_config.h"

int64_t ts_numel(int ndim, const int64_t *shape) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++)
        if (shape[i] == 0) return 0;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0 || n > INT64_MAX / shape[i]) return -1;
        n *= shape[i];
    }
    return n;
}

void tensorset_init(tensorset *ts) { memset(ts, 0, sizeof *ts); }

void tensorset_free(tensorset *ts) {
    for (size_t i = 0; i < ts->n; i++) {
        free(ts->t[i].name);
        free(ts->t[i].data);
    }
    for (size_t i = 0; i < ts->n_meta; i++) {
        free(ts->meta_keys[i]);
        free(ts->meta_vals[i]);
    }
    free(ts->meta_keys);
    free(ts->meta_vals);
    free(ts->t);
    memset(ts, 0, sizeof *ts);
}

static int ts_grow(tensorset *ts, svs_err *err) {
    if (ts->n < ts->cap) return 0;
    size_t cap = ts->cap ? ts->cap * 2 : 16;
    if (cap > SIZE_MAX / sizeof(ts_tensor)) return svs_errf(err, "tensorset: too many tensors");
    ts_tensor *t = svs_realloc(ts->t, cap * sizeof *t, err);
    if (!t) return -1;
    ts->t = t;
    ts->cap = cap;
    return 0;
}

int tensorset_add_owned(tensorset *ts, const char *name, int ndim, const int64_t *shape,
                        float *data, svs_err *err) {
    int rc = -1;
    if (ndim < 0 || ndim > TS_MAX_DIMS) { svs_errf(err, "%s: rank %d exceeds %d", name, ndim, TS_MAX_DIMS); goto done; }
    if (ts_numel(ndim, shape) < 0) { svs_errf(err, "%s: bad or overflowing shape", name); goto done; }
    if (!data) { svs_errf(err, "%s: no data", name); goto done; }
    if (ts_grow(ts, err)) goto done;
    ts_tensor *t = &ts->t[ts->n];
    memset(t, 0, sizeof *t);
    t->name = svs_strndup(name, strlen(name), err);
    if (!t->name) goto done;
    t->ndim = ndim;
    for (int i = 0; i < TS_MAX_DIMS; i++) t->shape[i] = i < ndim ? shape[i] : 1;
    t->data = data;
    ts->n++;
    return 0;
done:
    free(data);
    return rc;
}

int tensorset_add(tensorset *ts, const char *name, int ndim, const int64_t *shape,
                  const float *data, svs_err *err) {
    int64_t n = ndim >= 0 && ndim <= TS_MAX_DIMS ? ts_numel(ndim, shape) : -1;
    if (n < 0) return svs_errf(err, "%s: bad shape or rank", name);
    float *d = svs_calloc((size_t)n, sizeof(float), err);
    if (!d) return svs_err_prefix(err, "%s", name);
    if (data && n) memcpy(d, data, (size_t)n * sizeof(float));
    return tensorset_add_owned(ts, name, ndim, shape, d, err);
}

void tensorset_truncate(tensorset *ts, size_t n) {
    for (size_t i = n; i < ts->n; i++) {
        free(ts->t[i].name);
        free(ts->t[i].data);
    }
    if (n < ts->n) ts->n = n;
}

const ts_tensor *tensorset_find(const tensorset *ts, const char *name) {
    for (size_t i = 0; i < ts->n; i++)
        if (strcmp(ts->t[i].name, name) == 0) return &ts->t[i];
    return NULL;
}

ts_tensor *tensorset_find_mut(tensorset *ts, const char *name) {
    return (ts_tensor *)tensorset_find(ts, name);
}

static int cmp_name_ptr(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int tensorset_check_unique(const tensorset *ts, svs_err *err) {
    if (ts->n < 2) return 0;
    const char **names = svs_calloc(ts->n, sizeof *names, err);
    if (!names) return -1;
    for (size_t i = 0; i < ts->n; i++) names[i] = ts->t[i].name;
    qsort(names, ts->n, sizeof *names, cmp_name_ptr);
    int rc = 0;
    for (size_t i = 1; i < ts->n && !rc; i++)
        if (strcmp(names[i - 1], names[i]) == 0) rc = svs_errf(err, "duplicate tensor %s", names[i]);
    free(names);
    return rc;
}

int tensorset_require(const tensorset *ts, const char *const *names, size_t n, svs_err *err) {
    for (size_t i = 0; i < n; i++)
        if (!tensorset_find(ts, names[i])) return svs_errf(err, "%s: missing tensor", names[i]);
    return 0;
}

long tensorset_find_extra(const tensorset *ts, const char *const *names, size_t n, svs_err *report) {
    svs_buf b = {0};
    long count = 0;
    for (size_t i = 0; i < ts->n; i++) {
        size_t j = 0;
        while (j < n && strcmp(names[j], ts->t[i].name) != 0) j++;
        if (j < n) continue;
        if (count < 8 && svs_buf_printf(&b, report, "%s%s", count ? ", " : "", ts->t[i].name)) {
            svs_buf_free(&b);
            return -1;
        }
        count++;
    }
    if (count) svs_errf(report, "extra tensors: %s%s (%ld in all)", b.data, count > 8 ? ", …" : "", count);
    svs_buf_free(&b);
    return count;
}

void ts_shape_str(int ndim, const int64_t *shape, char *buf, size_t size) {
    size_t k = 0;
    k += (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < ndim && k < size; i++)
        k += (size_t)snprintf(buf + k, size - k, "%s%lld", i ? ", " : "", (long long)shape[i]);
    if (k < size) snprintf(buf + k, size - k, "]");
}

/* ---- config ↔ tensors -------------------------------------------------------------------- */

typedef struct spec_list {
    ts_spec *v;
    size_t n, cap;
} spec_list;

static int spec_push(spec_list *l, const char *name, int ndim, int64_t d0, int64_t d1, svs_err *err) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        ts_spec *v = svs_realloc(l->v, cap * sizeof *v, err);
        if (!v) return -1;
        l->v = v;
        l->cap = cap;
    }
    ts_spec *s = &l->v[l->n++];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    s->ndim = ndim;
    s->shape[0] = d0;
    s->shape[1] = d1;
    return 0;
}

/* Pushes "model.layers.{i}.{suffix}" */
static int layer_push(spec_list *l, int64_t i, const char *suffix, int ndim, int64_t d0, int64_t d1,
                      svs_err *err) {
    char name[96];
    snprintf(name, sizeof name, "model.layers.%lld.%s", (long long)i, suffix);
    return spec_push(l, name, ndim, d0, d1, err);
}

static int layer_specs(spec_list *l, const model_config *c, int64_t i, svs_err *err) {
    int64_t H = c->hidden_size, I = c->intermediate_size;
    int64_t q = c->num_attention_heads * c->head_dim, kv = c->num_key_value_heads * c->head_dim;
    if (layer_push(l, i, "input_layernorm.weight", 1, H, 0, err) ||
        layer_push(l, i, "self_attn.q_proj.weight", 2, q, H, err) ||
        (c->qkv_bias && layer_push(l, i, "self_attn.q_proj.bias", 1, q, 0, err)) ||
        layer_push(l, i, "self_attn.k_proj.weight", 2, kv, H, err) ||
        (c->qkv_bias && layer_push(l, i, "self_attn.k_proj.bias", 1, kv, 0, err)) ||
        layer_push(l, i, "self_attn.v_proj.weight", 2, kv, H, err) ||
        (c->qkv_bias && layer_push(l, i, "self_attn.v_proj.bias", 1, kv, 0, err)) ||
        layer_push(l, i, "self_attn.o_proj.weight", 2, H, q, err) ||
        (c->o_bias && layer_push(l, i, "self_attn.o_proj.bias", 1, H, 0, err)) ||
        layer_push(l, i, "post_attention_layernorm.weight", 1, H, 0, err) ||
        layer_push(l, i, "mlp.gate_proj.weight", 2, I, H, err) ||
        (c->mlp_bias && layer_push(l, i, "mlp.gate_proj.bias", 1, I, 0, err)) ||
        layer_push(l, i, "mlp.up_proj.weight", 2, I, H, err) ||
        (c->mlp_bias && layer_push(l, i, "mlp.up_proj.bias", 1, I, 0, err)) ||
        layer_push(l, i, "mlp.down_proj.weight", 2, H, I, err) ||
        (c->mlp_bias && layer_push(l, i, "mlp.down_proj.bias", 1, H, 0, err)))
        return -1;
    return 0;
}

int model_expected_tensors(const model_config *c, ts_spec **specs, size_t *n, svs_err *err) {
    *specs = NULL;
    *n = 0;
    if (model_config_validate(c, err)) return -1;
    spec_list l = {0};
    if (spec_push(&l, "model.embed_tokens.weight", 2, c->vocab_size, c->hidden_size, err)) goto fail;
    for (int64_t i = 0; i < c->num_hidden_layers; i++)
        if (layer_specs(&l, c, i, err)) goto fail;
    if (spec_push(&l, "model.norm.weight", 1, c->hidden_size, 0, err)) goto fail;
    if (!c->tie_word_embeddings && spec_push(&l, "lm_head.weight", 2, c->vocab_size, c->hidden_size, err))
        goto fail;
    *specs = l.v;
    *n = l.n;
    return 0;
fail:
    free(l.v);
    return -1;
}

static int check_one(const tensorset *ts, const ts_spec *s, svs_err *err) {
    const ts_tensor *t = tensorset_find(ts, s->name);
    if (!t) return svs_errf(err, "%s: missing (required by config)", s->name);
    int same = t->ndim == s->ndim;
    for (int d = 0; same && d < s->ndim; d++) same = t->shape[d] == s->shape[d];
    if (same) return 0;
    char got[96], want[96];
    ts_shape_str(t->ndim, t->shape, got, sizeof got);
    ts_shape_str(s->ndim, s->shape, want, sizeof want);
    return svs_errf(err, "%s: shape %s but config implies %s", s->name, got, want);
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int is_ignorable(const char *name, const model_config *c) {
    return ends_with(name, ".rotary_emb.inv_freq") ||
           (c->tie_word_embeddings && strcmp(name, "lm_head.weight") == 0);
}

/* The non-layer tensors (embed, norm, lm_head unless tied) into l. */
static int top_specs(spec_list *l, const model_config *c, svs_err *err) {
    return spec_push(l, "model.embed_tokens.weight", 2, c->vocab_size, c->hidden_size, err) ||
           spec_push(l, "model.norm.weight", 1, c->hidden_size, 0, err) ||
           (!c->tie_word_embeddings && spec_push(l, "lm_head.weight", 2, c->vocab_size, c->hidden_size, err))
               ? -1 : 0;
}

/* 1 if name is a tensor the config implies: a top-level one, or "model.layers.{i}.…" with
 * i < num_hidden_layers and a suffix of layer 0's list (l0). */
static int is_expected(const char *name, const model_config *c, const spec_list *top, const spec_list *l0) {
    for (size_t i = 0; i < top->n; i++)
        if (strcmp(name, top->v[i].name) == 0) return 1;
    if (strncmp(name, "model.layers.", strlen("model.layers.")) != 0) return 0;
    const char *p = name + strlen("model.layers."), *q = p;
    int64_t layer = 0;
    while (*q >= '0' && *q <= '9' && q - p < 9) layer = layer * 10 + (*q++ - '0');
    if (q == p || *q != '.' || (*p == '0' && q - p > 1) || layer >= c->num_hidden_layers) return 0;
    for (size_t i = 0; i < l0->n; i++) /* l0 names are "model.layers.0.<suffix>" */
        if (strcmp(q + 1, l0->v[i].name + strlen("model.layers.0.")) == 0) return 1;
    return 0;
}

static int check_specs(const tensorset *ts, const spec_list *l, svs_err *err) {
    for (size_t i = 0; i < l->n; i++)
        if (check_one(ts, &l->v[i], err)) return -1;
    return 0;
}

/* Checks the expected tensors without materializing all layers at once (a config with many
 * layers and an empty checkpoint fails at the first missing tensor, cheaply). */
int tensorset_check_config(const tensorset *ts, const model_config *c, svs_err *err) {
    if (model_config_validate(c, err)) return -1;
    spec_list top = {0}, layer = {0}, l0 = {0};
    int rc = top_specs(&top, c, err) || check_specs(ts, &top, err) || layer_specs(&l0, c, 0, err);
    for (int64_t i = 0; !rc && i < c->num_hidden_layers; i++) {
        layer.n = 0;
        rc = layer_specs(&layer, c, i, err) || check_specs(ts, &layer, err);
    }
    for (size_t i = 0; !rc && i < ts->n; i++)
        if (!is_expected(ts->t[i].name, c, &top, &l0) && !is_ignorable(ts->t[i].name, c))
            rc = svs_errf(err, "%s: unexpected tensor (not implied by config)", ts->t[i].name);
    free(top.v);
    free(layer.v);
    free(l0.v);
    return rc ? -1 : 0;
}
