/* model_params.c — the model's life cycle and its parameter slab: config checks, the sizes
 * table and the named views into the parameter / gradient slabs (llm.c style, spec/style.md
 * §1.2), random initialization for tests, and copying tensors by HF name from and to a
 * tensorset (spec/formats.md §9.4, including tie_word_embeddings). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "sample.h"

/* ---- the tensor table ------------------------------------------------------------------- */

enum { D_NONE, D_V, D_C, D_F, D_QD, D_KVD }; /* symbolic dimensions */
enum { ALWAYS, IF_QKV_BIAS, IF_O_BIAS, IF_MLP_BIAS, IF_UNTIED };

static const struct {
    const char *name; /* HF name; "%d" is the layer */
    int per_layer;    /* stored [L, rows, cols] */
    int rows, cols;   /* cols == D_NONE: a vector [rows] */
    int present;      /* when the tensor exists */
    int is_norm;      /* RMSNorm weight (init around 1; HF Trainer does not decay it) */
} TENSORS[MODEL_NUM_TENSORS] = {
    [MODEL_T_EMBED] = {"model.embed_tokens.weight", 0, D_V, D_C, ALWAYS, 0},
    [MODEL_T_LN1] = {"model.layers.%d.input_layernorm.weight", 1, D_C, D_NONE, ALWAYS, 1},
    [MODEL_T_WQ] = {"model.layers.%d.self_attn.q_proj.weight", 1, D_QD, D_C, ALWAYS, 0},
    [MODEL_T_BQ] = {"model.layers.%d.self_attn.q_proj.bias", 1, D_QD, D_NONE, IF_QKV_BIAS, 0},
    [MODEL_T_WK] = {"model.layers.%d.self_attn.k_proj.weight", 1, D_KVD, D_C, ALWAYS, 0},
    [MODEL_T_BK] = {"model.layers.%d.self_attn.k_proj.bias", 1, D_KVD, D_NONE, IF_QKV_BIAS, 0},
    [MODEL_T_WV] = {"model.layers.%d.self_attn.v_proj.weight", 1, D_KVD, D_C, ALWAYS, 0},
    [MODEL_T_BV] = {"model.layers.%d.self_attn.v_proj.bias", 1, D_KVD, D_NONE, IF_QKV_BIAS, 0},
    [MODEL_T_WO] = {"model.layers.%d.self_attn.o_proj.weight", 1, D_C, D_QD, ALWAYS, 0},
    [MODEL_T_BO] = {"model.layers.%d.self_attn.o_proj.bias", 1, D_C, D_NONE, IF_O_BIAS, 0},
    [MODEL_T_LN2] = {"model.layers.%d.post_attention_layernorm.weight", 1, D_C, D_NONE, ALWAYS,
                     1},
    [MODEL_T_WGATE] = {"model.layers.%d.mlp.gate_proj.weight", 1, D_F, D_C, ALWAYS, 0},
    [MODEL_T_BGATE] = {"model.layers.%d.mlp.gate_proj.bias", 1, D_F, D_NONE, IF_MLP_BIAS, 0},
    [MODEL_T_WUP] = {"model.layers.%d.mlp.up_proj.weight", 1, D_F, D_C, ALWAYS, 0},
    [MODEL_T_BUP] = {"model.layers.%d.mlp.up_proj.bias", 1, D_F, D_NONE, IF_MLP_BIAS, 0},
    [MODEL_T_WDOWN] = {"model.layers.%d.mlp.down_proj.weight", 1, D_C, D_F, ALWAYS, 0},
    [MODEL_T_BDOWN] = {"model.layers.%d.mlp.down_proj.bias", 1, D_C, D_NONE, IF_MLP_BIAS, 0},
    [MODEL_T_NORM] = {"model.norm.weight", 0, D_C, D_NONE, ALWAYS, 1},
    [MODEL_T_LMHEAD] = {"lm_head.weight", 0, D_V, D_C, IF_UNTIED, 0},
};

static int64_t dim_value(const model *m, int d) {
    switch (d) {
    case D_V: return m->V;
    case D_C: return m->C;
    case D_F: return m->F;
    case D_QD: return m->QD;
    case D_KVD: return m->KVD;
    default: return 1;
    }
}

static int tensor_present(const model *m, int t) {
    switch (TENSORS[t].present) {
    case IF_QKV_BIAS: return m->has_qkv_bias;
    case IF_O_BIAS: return m->has_o_bias;
    case IF_MLP_BIAS: return m->has_mlp_bias;
    case IF_UNTIED: return !m->tied;
    default: return 1;
    }
}

/* elements of one layer's copy of tensor t (or of the whole tensor when not per layer) */
static size_t tensor_layer_size(const model *m, int t) {
    return (size_t)dim_value(m, TENSORS[t].rows) * (size_t)dim_value(m, TENSORS[t].cols);
}

int model_tensor_info(const model *m, int t, int layer, char *buf, size_t bufsize,
                      int64_t shape[2], int *ndim) {
    if (t < 0 || t >= MODEL_NUM_TENSORS || !tensor_present(m, t)) return -1;
    snprintf(buf, bufsize, TENSORS[t].name, layer); /* extra argument ignored without %d */
    shape[0] = dim_value(m, TENSORS[t].rows);
    shape[1] = dim_value(m, TENSORS[t].cols);
    *ndim = TENSORS[t].cols == D_NONE ? 1 : 2;
    return 0;
}

/* Points the named views of p into slab, in table order; absent tensors get NULL and a tied
 * lm_head aliases the embedding (llm.c's point_parameters). */
static void carve(const model *m, model_params *p, float *slab) {
    float **fields[MODEL_NUM_TENSORS] = {
        &p->embed, &p->ln1,   &p->wq,  &p->bq,    &p->wk,    &p->bk,   &p->wv,
        &p->bv,    &p->wo,    &p->bo,  &p->ln2,   &p->wgate, &p->bgate, &p->wup,
        &p->bup,   &p->wdown, &p->bdown, &p->norm, &p->lm_head};
    float *at = slab;
    for (int t = 0; t < MODEL_NUM_TENSORS; t++) {
        *fields[t] = m->tensor_sizes[t] ? at : NULL;
        at += m->tensor_sizes[t];
    }
    if (m->tied) p->lm_head = p->embed;
}

/* ---- create / free ------------------------------------------------------------------------ */

/* copies an int64 config field into an int, checking 1 <= v <= INT_MAX */
static int dim_from_config(int *out, int64_t v, const char *field, svs_err *err) {
    if (v < 1 || v > INT_MAX) return svs_errf(err, "model: config %s = %lld out of range",
                                               field, (long long)v);
    *out = (int)v;
    return 0;
}

static int read_dims(model *m, const model_config *c, svs_err *err) {
    if (dim_from_config(&m->V, c->vocab_size, "vocab_size", err) ||
        dim_from_config(&m->C, c->hidden_size, "hidden_size", err) ||
        dim_from_config(&m->F, c->intermediate_size, "intermediate_size", err) ||
        dim_from_config(&m->L, c->num_hidden_layers, "num_hidden_layers", err) ||
        dim_from_config(&m->H, c->num_attention_heads, "num_attention_heads", err) ||
        dim_from_config(&m->KVH, c->num_key_value_heads, "num_key_value_heads", err) ||
        dim_from_config(&m->hd, c->head_dim, "head_dim", err))
        return -1;
    if (m->H % m->KVH)
        return svs_errf(err, "model: num_attention_heads %d not a multiple of "
                             "num_key_value_heads %d", m->H, m->KVH);
    if (m->hd % 2) return svs_errf(err, "model: head_dim %d must be even (RoPE)", m->hd);
    if ((int64_t)m->H * m->hd > INT_MAX) return svs_errf(err, "model: heads·head_dim too large");
    if (!(c->rms_norm_eps > 0)) return svs_errf(err, "model: rms_norm_eps must be positive");
    m->QD = m->H * m->hd;
    m->KVD = m->KVH * m->hd;
    m->has_qkv_bias = c->qkv_bias != 0;
    m->has_o_bias = c->o_bias != 0;
    m->has_mlp_bias = c->mlp_bias != 0;
    m->tied = c->tie_word_embeddings != 0;
    return 0;
}

static int init_rope(model *m, svs_err *err) {
    ops_rope_scaling sc = {OPS_ROPE_DEFAULT, 0, 0, 0, 0};
    if (m->cfg.rope_scaling.type == MODEL_ROPE_LLAMA3) {
        sc.type = OPS_ROPE_LLAMA3;
        sc.factor = m->cfg.rope_scaling.factor;
        sc.low_freq_factor = m->cfg.rope_scaling.low_freq_factor;
        sc.high_freq_factor = m->cfg.rope_scaling.high_freq_factor;
        sc.original_max_position = (double)m->cfg.rope_scaling.original_max_position_embeddings;
    }
    m->inv_freq = svs_malloc((size_t)(m->hd / 2) * sizeof(float), err);
    if (!m->inv_freq) return -1;
    return ops_rope_inv_freq(m->inv_freq, m->hd, m->cfg.rope_theta, &sc, err);
}

model *model_create(const model_config *cfg, svs_err *err) {
    model *m = svs_calloc(1, sizeof *m, err);
    if (!m) return NULL;
    m->cfg = *cfg;
    m->ops = ops_find("ref");
    m->logits_keep_max = MODEL_LOGITS_KEEP_MAX;
    m->logits_chunk_max = MODEL_LOGITS_CHUNK_MAX;
    if (read_dims(m, cfg, err) || init_rope(m, err)) goto fail;
    m->num_params = 0;
    for (int t = 0; t < MODEL_NUM_TENSORS; t++) {
        size_t n = tensor_present(m, t) ? tensor_layer_size(m, t) : 0;
        if (TENSORS[t].per_layer) n *= (size_t)m->L;
        m->tensor_sizes[t] = n;
        m->num_params += n;
    }
    m->params_mem = svs_calloc(m->num_params, sizeof(float), err);
    m->grads_mem = svs_calloc(m->num_params, sizeof(float), err);
    if (!m->params_mem || !m->grads_mem) goto fail;
    carve(m, &m->p, m->params_mem);
    carve(m, &m->g, m->grads_mem);
    return m;
fail:
    svs_err_prefix(err, "model_create");
    model_free(m);
    return NULL;
}

void model_free(model *m) {
    if (!m) return;
    free(m->params_mem);
    free(m->grads_mem);
    free(m->adam_m);
    free(m->adam_v);
    free(m->inv_freq);
    free(m->rope_cos);
    free(m->rope_sin);
    free(m->acts_mem);
    free(m->tok);
    free(m->pos);
    free(m->lens);
    free(m->row_off);
    free(m->head_mem);
    free(m);
}

void model_init_random(model *m, uint64_t seed, float std) {
    svs_rng rng;
    svs_rng_seed(&rng, seed);
    float *at = m->params_mem;
    for (int t = 0; t < MODEL_NUM_TENSORS; t++) {
        for (size_t i = 0; i < m->tensor_sizes[t]; i++) {
            float z = (float)svs_rng_normal(&rng) * std;
            at[i] = TENSORS[t].is_norm ? 1.0f + z : z;
        }
        at += m->tensor_sizes[t];
    }
}

/* ---- tensorset in / out ---------------------------------------------------------------- */

/* the view of tensor t, layer l, inside the slab of p (NULL if absent) */
static float *tensor_ptr(const model *m, float *slab, int t, int l) {
    if (!tensor_present(m, t)) return NULL;
    size_t off = 0;
    for (int i = 0; i < t; i++) off += m->tensor_sizes[i];
    return slab + off + (TENSORS[t].per_layer ? (size_t)l * tensor_layer_size(m, t) : 0);
}

float *model_tensor_slab(const model *m, float *slab, int t, int layer) {
    if (t == MODEL_T_LMHEAD && m->tied) t = MODEL_T_EMBED;
    if (t < 0 || t >= MODEL_NUM_TENSORS || layer < 0 || layer >= (TENSORS[t].per_layer ? m->L : 1))
        return NULL;
    return tensor_ptr(m, slab, t, layer);
}

int model_load_tensorset(model *m, const tensorset *ts, svs_err *err) {
    char name[128];
    int64_t shape[2];
    int ndim;
    for (int t = 0; t < MODEL_NUM_TENSORS; t++) {
        int layers = TENSORS[t].per_layer ? m->L : 1;
        for (int l = 0; l < layers; l++) {
            if (model_tensor_info(m, t, l, name, sizeof name, shape, &ndim)) break;
            const ts_tensor *x = tensorset_find(ts, name);
            if (!x) return svs_errf(err, "%s: missing tensor", name);
            int ok = x->ndim == ndim;
            for (int d = 0; ok && d < ndim; d++) ok = x->shape[d] == shape[d];
            if (!ok) {
                char got[96], want[96];
                ts_shape_str(x->ndim, x->shape, got, sizeof got);
                ts_shape_str(ndim, shape, want, sizeof want);
                return svs_errf(err, "%s: shape %s but config implies %s", name, got, want);
            }
            memcpy(tensor_ptr(m, m->params_mem, t, l), x->data,
                   tensor_layer_size(m, t) * sizeof(float));
        }
    }
    return 0;
}

int model_to_tensorset(const model *m, tensorset *ts, svs_err *err) {
    char name[128];
    int64_t shape[2];
    int ndim;
    for (int t = 0; t < MODEL_NUM_TENSORS; t++) {
        int layers = TENSORS[t].per_layer ? m->L : 1;
        for (int l = 0; l < layers; l++) {
            if (model_tensor_info(m, t, l, name, sizeof name, shape, &ndim)) break;
            if (tensorset_add(ts, name, ndim, shape, tensor_ptr(m, m->params_mem, t, l), err))
                return svs_err_prefix(err, "model_to_tensorset");
        }
    }
    return 0;
}
