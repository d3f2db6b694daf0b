/* gguf_model.c — the model view of a GGUF file (docs/formats.md §10.3–§10.6, §11): a
 * model_config from llama.* / qwen2.* metadata, GGUF → HF tensor names, the Llama Q/K row
 * un-permutation, the whole checkpoint as an HF-layout tensorset ([out, in], f32), and the
 * tokenizer metadata. Input: an open gguf_file; outputs: model_config, tensorset,
 * gguf_tokenizer, or an error naming the key or tensor. No global state; never prints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/gguf.h"

/* ---- config ------------------------------------------------------------------------------------ */

/* "<arch>.<suffix>" into buf. */
static const char *akey(char *buf, size_t size, const char *arch, const char *suffix) {
    snprintf(buf, size, "%s.%s", arch, suffix);
    return buf;
}

/* Required (def < 0) or optional integer key into *out, range 1 … 2^31−1. */
static int cfg_int(const gguf_file *g, const char *arch, const char *suffix, int64_t def, int64_t *out,
                   svs_err *err) {
    char k[128];
    uint64_t v;
    akey(k, sizeof k, arch, suffix);
    if (!gguf_get(g, k) && def >= 0) { *out = def; return 0; }
    if (gguf_get_u64(g, k, &v, err)) return -1;
    if (v < 1 || v > 2147483647u) return svs_errf(err, "%s: value %llu out of range", k, (unsigned long long)v);
    *out = (int64_t)v;
    return 0;
}

/* The double nearest the shortest decimal that reads back as the same float (1e-05f → 1e-5),
 * so that a config.json written from GGUF metadata says 1e-05, as the HF original did. */
static double f32_as_decimal(float v) {
    char s[32];
    for (int p = 1; p <= 9; p++) {
        snprintf(s, sizeof s, "%.*g", p, (double)v);
        if (strtof(s, NULL) == v) return strtod(s, NULL);
    }
    return v;
}

static int cfg_real(const gguf_file *g, const char *arch, const char *suffix, double def, double *out,
                    svs_err *err) {
    char k[128];
    float v;
    akey(k, sizeof k, arch, suffix);
    if (!gguf_get(g, k) && def >= 0) { *out = def; return 0; }
    if (gguf_get_f32(g, k, &v, err)) return -1;
    *out = f32_as_decimal(v);
    return 0;
}

static int cfg_arch(const gguf_file *g, model_config *cfg, const char **arch, svs_err *err) {
    if (gguf_get_str(g, "general.architecture", arch, NULL, err)) return -1;
    if (strcmp(*arch, "llama") == 0) model_config_defaults(MODEL_ARCH_LLAMA, cfg);
    else if (strcmp(*arch, "qwen2") == 0) model_config_defaults(MODEL_ARCH_QWEN2, cfg);
    else return svs_errf(err, "general.architecture: unsupported \"%.64s\" (llama, qwen2)", *arch);
    return 0;
}

static int cfg_rope(const gguf_file *g, const char *arch, model_config *cfg, svs_err *err) {
    char k[128];
    const char *st;
    if (gguf_get(g, akey(k, sizeof k, arch, "rope.scaling.type"))) {
        if (gguf_get_str(g, k, &st, NULL, err)) return -1;
        if (strcmp(st, "none") != 0) return svs_errf(err, "%s: unsupported \"%.64s\"", k, st);
    }
    if (gguf_find_tensor(g, "rope_freqs.weight"))
        return svs_errf(err, "rope_freqs.weight: rope frequency factors (llama3 scaling) are not supported");
    int64_t rdim = 0;
    if (cfg_int(g, arch, "rope.dimension_count", 0, &rdim, err)) return -1;
    if (rdim && rdim != cfg->head_dim)
        return svs_errf(err, "%s.rope.dimension_count: %lld differs from head_dim %lld (partial RoPE unsupported)",
                        arch, (long long)rdim, (long long)cfg->head_dim);
    return cfg_real(g, arch, "rope.freq_base", 10000.0, &cfg->rope_theta, err);
}

static int cfg_vocab(const gguf_file *g, const char *arch, model_config *cfg, svs_err *err) {
    const gguf_tensor_info *emb = gguf_find_tensor(g, "token_embd.weight");
    const gguf_value *toks = gguf_get(g, "tokenizer.ggml.tokens");
    int64_t def = emb && emb->n_dims == 2 ? (int64_t)emb->ne[1]
                  : toks && toks->type == GGUF_ARRAY ? (int64_t)toks->arr.n : -1;
    if (def == 0) def = -1;
    return cfg_int(g, arch, "vocab_size", def, &cfg->vocab_size, err);
}

static int cfg_ids(const gguf_file *g, model_config *cfg, svs_err *err) {
    uint32_t v;
    cfg->n_eos = 0;
    cfg->bos_token_id = cfg->pad_token_id = -1;
    if (gguf_get(g, "tokenizer.ggml.bos_token_id")) {
        if (gguf_get_u32(g, "tokenizer.ggml.bos_token_id", &v, err)) return -1;
        cfg->bos_token_id = v;
    }
    if (gguf_get(g, "tokenizer.ggml.eos_token_id")) {
        if (gguf_get_u32(g, "tokenizer.ggml.eos_token_id", &v, err)) return -1;
        cfg->eos_token_ids[cfg->n_eos++] = v;
    }
    if (gguf_get(g, "tokenizer.ggml.padding_token_id")) {
        if (gguf_get_u32(g, "tokenizer.ggml.padding_token_id", &v, err)) return -1;
        cfg->pad_token_id = v;
    }
    return 0;
}

static int cfg_dims(const gguf_file *g, const char *a, model_config *c, svs_err *err) {
    if (cfg_int(g, a, "context_length", -1, &c->max_position_embeddings, err) ||
        cfg_int(g, a, "embedding_length", -1, &c->hidden_size, err) ||
        cfg_int(g, a, "block_count", -1, &c->num_hidden_layers, err) ||
        cfg_int(g, a, "feed_forward_length", -1, &c->intermediate_size, err) ||
        cfg_int(g, a, "attention.head_count", -1, &c->num_attention_heads, err) ||
        cfg_real(g, a, "attention.layer_norm_rms_epsilon", -1, &c->rms_norm_eps, err))
        return -1;
    if (cfg_int(g, a, "attention.head_count_kv", c->num_attention_heads, &c->num_key_value_heads, err)) return -1;
    c->head_dim = 0;
    if (cfg_int(g, a, "attention.key_length", 0, &c->head_dim, err)) return -1;
    c->head_dim_explicit = c->head_dim != 0;
    if (!c->head_dim_explicit) {
        if (c->hidden_size % c->num_attention_heads)
            return svs_errf(err, "%s.embedding_length %lld is not a multiple of %s.attention.head_count %lld", a,
                            (long long)c->hidden_size, a, (long long)c->num_attention_heads);
        c->head_dim = c->hidden_size / c->num_attention_heads;
    }
    return 0;
}

static int gguf_model_config_(const gguf_file *g, model_config *cfg, svs_err *err) {
    const char *arch;
    if (cfg_arch(g, cfg, &arch, err) || cfg_dims(g, arch, cfg, err) || cfg_rope(g, arch, cfg, err) ||
        cfg_vocab(g, arch, cfg, err) || cfg_ids(g, cfg, err))
        return -1;
    cfg->tie_word_embeddings = gguf_find_tensor(g, "output.weight") == NULL;
    if (cfg->arch == MODEL_ARCH_LLAMA) {
        cfg->attention_bias = gguf_find_tensor(g, "blk.0.attn_q.bias") != NULL;
        cfg->qkv_bias = cfg->o_bias = cfg->attention_bias;
        cfg->mlp_bias = gguf_find_tensor(g, "blk.0.ffn_gate.bias") != NULL;
    }
    snprintf(cfg->torch_dtype, sizeof cfg->torch_dtype, "float32");
    return model_config_validate(cfg, err);
}

int gguf_model_config(const gguf_file *g, model_config *cfg, svs_err *err) {
    return gguf_model_config_(g, cfg, err) ? svs_err_prefix(err, "%s", g->src.label) : 0;
}

/* ---- names --------------------------------------------------------------------------------------- */

static const char *const name_map[][2] = {
    {"attn_norm.weight", "input_layernorm.weight"},
    {"attn_q.weight", "self_attn.q_proj.weight"}, {"attn_q.bias", "self_attn.q_proj.bias"},
    {"attn_k.weight", "self_attn.k_proj.weight"}, {"attn_k.bias", "self_attn.k_proj.bias"},
    {"attn_v.weight", "self_attn.v_proj.weight"}, {"attn_v.bias", "self_attn.v_proj.bias"},
    {"attn_output.weight", "self_attn.o_proj.weight"}, {"attn_output.bias", "self_attn.o_proj.bias"},
    {"ffn_norm.weight", "post_attention_layernorm.weight"},
    {"ffn_gate.weight", "mlp.gate_proj.weight"}, {"ffn_gate.bias", "mlp.gate_proj.bias"},
    {"ffn_up.weight", "mlp.up_proj.weight"}, {"ffn_up.bias", "mlp.up_proj.bias"},
    {"ffn_down.weight", "mlp.down_proj.weight"}, {"ffn_down.bias", "mlp.down_proj.bias"},
};

int gguf_hf_name(const char *name, char *out, size_t size) {
    static const char *const top[][2] = {{"token_embd.weight", "model.embed_tokens.weight"},
                                         {"output_norm.weight", "model.norm.weight"},
                                         {"output.weight", "lm_head.weight"}};
    for (size_t i = 0; i < 3; i++)
        if (strcmp(name, top[i][0]) == 0) return snprintf(out, size, "%s", top[i][1]) < (int)size ? 0 : -1;
    if (strncmp(name, "blk.", 4) != 0) return -1;
    const char *p = name + 4, *q = p;
    while (*q >= '0' && *q <= '9') q++;
    if (q == p || q - p > 9 || (*p == '0' && q - p > 1) || *q != '.') return -1;
    for (size_t i = 0; i < sizeof name_map / sizeof name_map[0]; i++)
        if (strcmp(q + 1, name_map[i][0]) == 0) {
            int n = snprintf(out, size, "model.layers.%.*s.%s", (int)(q - p), p, name_map[i][1]);
            return n >= 0 && (size_t)n < size ? 0 : -1;
        }
    return -1;
}

/* ---- Q/K permutation ------------------------------------------------------------------------------ */

void gguf_permute_qk(float *dst, const float *src, int64_t n_head, int64_t hd, int64_t cols, int to_hf) {
    size_t row = (size_t)cols * sizeof(float);
    for (int64_t h = 0; h < n_head; h++)
        for (int64_t i = 0; i < hd / 2; i++)
            for (int64_t j = 0; j < 2; j++) {
                int64_t gr = h * hd + 2 * i + j, hr = h * hd + j * (hd / 2) + i;
                int64_t to = to_hf ? hr : gr, from = to_hf ? gr : hr;
                memcpy(dst + to * cols, src + from * cols, row);
            }
}

/* For llama files: un-permutes attn_q (n = heads) / attn_k (n = kv heads), weight or bias. */
static int unpermute(const gguf_tensor_info *t, const model_config *cfg, float **data, svs_err *err) {
    int q = strstr(t->name, ".attn_q.") != NULL, k = strstr(t->name, ".attn_k.") != NULL;
    if (cfg->arch != MODEL_ARCH_LLAMA || (!q && !k)) return 0;
    int64_t n_head = q ? cfg->num_attention_heads : cfg->num_key_value_heads, hd = cfg->head_dim;
    int64_t rows = t->n_dims == 1 ? (int64_t)t->ne[0] : (int64_t)t->ne[1];
    int64_t cols = t->n_dims == 1 ? 1 : (int64_t)t->ne[0];
    if (t->n_dims > 2 || rows != n_head * hd)
        return svs_errf(err, "%s: %lld rows but %s heads x head_dim = %lld (cannot un-permute)", t->name,
                        (long long)rows, q ? "attention" : "kv", (long long)(n_head * hd));
    float *out = svs_calloc((size_t)rows, (size_t)cols * sizeof(float), err);
    if (!out) return svs_err_prefix(err, "%s", t->name);
    gguf_permute_qk(out, *data, n_head, hd, cols, 1);
    free(*data);
    *data = out;
    return 0;
}

static int load_tensor(gguf_file *g, const gguf_tensor_info *t, const model_config *cfg, tensorset *ts,
                       svs_err *err) {
    char hf[128];
    if (gguf_hf_name(t->name, hf, sizeof hf))
        return svs_errf(err, "%s: no Hugging Face name for this GGUF tensor", t->name);
    float *data;
    if (gguf_tensor_to_f32(g, t, &data, err)) return -1;
    if (unpermute(t, cfg, &data, err)) {
        free(data);
        return -1;
    }
    int64_t shape[4];
    for (uint32_t d = 0; d < t->n_dims; d++) shape[d] = (int64_t)t->ne[t->n_dims - 1 - d];
    return tensorset_add_owned(ts, hf, (int)t->n_dims, shape, data, err);
}

int gguf_to_tensorset(gguf_file *g, const model_config *cfg, tensorset *ts, svs_err *err) {
    size_t n0 = ts->n;
    int rc = 0;
    for (size_t i = 0; i < g->n_tensors && !rc; i++) rc = load_tensor(g, &g->tensors[i], cfg, ts, err);
    tensorset tmp = *ts; /* check only what this file added */
    tmp.t = ts->t ? ts->t + n0 : NULL;
    tmp.n = ts->n - n0;
    if (!rc) rc = tensorset_check_config(&tmp, cfg, err);
    if (rc) {
        tensorset_truncate(ts, n0);
        svs_err_prefix(err, "%s", g->src.label);
    }
    return rc;
}

/* ---- tokenizer ------------------------------------------------------------------------------------ */

static int opt_str(const gguf_file *g, const char *key, const char **s, size_t *len, svs_err *err) {
    *s = NULL;
    if (len) *len = 0;
    return gguf_get(g, key) ? gguf_get_str(g, key, s, len, err) : 0;
}

static int opt_id(const gguf_file *g, const char *key, int64_t *id, svs_err *err) {
    uint32_t v;
    *id = -1;
    if (!gguf_get(g, key)) return 0;
    if (gguf_get_u32(g, key, &v, err)) return -1;
    *id = v;
    return 0;
}

static int opt_bool(const gguf_file *g, const char *key, int *b, svs_err *err) {
    *b = -1;
    return gguf_get(g, key) ? gguf_get_bool(g, key, b, err) : 0;
}

static int tok_types(const gguf_file *g, gguf_tokenizer *tok, svs_err *err) {
    const char *key = "tokenizer.ggml.token_type";
    if (!gguf_get(g, key)) return 0;
    int64_t *v;
    size_t n;
    if (gguf_get_int_array(g, key, &v, &n, err)) return -1;
    int rc = 0;
    if (n != tok->n_tokens)
        rc = svs_errf(err, "%s: %zu entries but tokenizer.ggml.tokens has %zu", key, n, tok->n_tokens);
    tok->token_type = rc ? NULL : svs_calloc(n + 1, sizeof(int32_t), err);
    if (!rc && !tok->token_type) rc = -1;
    for (size_t i = 0; !rc && i < n; i++) {
        if (v[i] < INT32_MIN || v[i] > INT32_MAX) rc = svs_errf(err, "%s[%zu]: out of range", key, i);
        else tok->token_type[i] = (int32_t)v[i];
    }
    free(v);
    return rc;
}

int gguf_tokenizer_get(const gguf_file *g, gguf_tokenizer *tok, svs_err *err) {
    memset(tok, 0, sizeof *tok);
    int rc = opt_str(g, "tokenizer.ggml.model", &tok->model, NULL, err) ||
             opt_str(g, "tokenizer.ggml.pre", &tok->pre, NULL, err) ||
             opt_str(g, "tokenizer.chat_template", &tok->chat_template, &tok->chat_template_len, err) ||
             gguf_get_str_array(g, "tokenizer.ggml.tokens", &tok->tokens, &tok->token_lens, &tok->n_tokens, err) ||
             tok_types(g, tok, err) ||
             (gguf_get(g, "tokenizer.ggml.merges") &&
              gguf_get_str_array(g, "tokenizer.ggml.merges", &tok->merges, NULL, &tok->n_merges, err)) ||
             opt_id(g, "tokenizer.ggml.bos_token_id", &tok->bos_id, err) ||
             opt_id(g, "tokenizer.ggml.eos_token_id", &tok->eos_id, err) ||
             opt_id(g, "tokenizer.ggml.padding_token_id", &tok->pad_id, err) ||
             opt_id(g, "tokenizer.ggml.unknown_token_id", &tok->unk_id, err) ||
             opt_bool(g, "tokenizer.ggml.add_bos_token", &tok->add_bos, err) ||
             opt_bool(g, "tokenizer.ggml.add_eos_token", &tok->add_eos, err);
    const int64_t ids[] = {tok->bos_id, tok->eos_id, tok->pad_id, tok->unk_id};
    static const char *names[] = {"bos_token_id", "eos_token_id", "padding_token_id", "unknown_token_id"};
    for (int i = 0; i < 4 && !rc; i++)
        if (ids[i] >= 0 && (uint64_t)ids[i] >= tok->n_tokens)
            rc = svs_errf(err, "tokenizer.ggml.%s: %lld is not below the vocabulary size %zu", names[i],
                          (long long)ids[i], tok->n_tokens);
    if (rc) {
        gguf_tokenizer_free(tok);
        svs_err_prefix(err, "%s", g->src.label);
    }
    return rc ? -1 : 0;
}

void gguf_tokenizer_free(gguf_tokenizer *tok) {
    free(tok->tokens);
    free(tok->token_lens);
    free(tok->token_type);
    free(tok->merges);
    memset(tok, 0, sizeof *tok);
}
