/* model_config.c — HF config.json for Qwen2 and Llama (docs/formats.md §9): defaults per
 * model_type, both RoPE spellings (top-level rope_theta/rope_scaling and rope_parameters, with
 * "rope_type" or the older "type"), the llama3 rope type, validation of contradictions, and a
 * writer whose output HF transformers loads. Input: JSON text; output: model_config or an error
 * "config.json: <field>: <problem>". No global state; never prints or exits. */
#include "model/model_config.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CFG_MAX_DIM 2147483647LL /* every dimension and id fits an int32 */

const char *model_arch_name(model_arch arch) {
    return arch == MODEL_ARCH_QWEN2 ? "qwen2" : arch == MODEL_ARCH_LLAMA ? "llama" : "?";
}

void model_config_defaults(model_arch arch, model_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->arch = arch;
    int qwen = arch == MODEL_ARCH_QWEN2;
    cfg->vocab_size = qwen ? 151936 : 32000;
    cfg->hidden_size = 4096;
    cfg->intermediate_size = qwen ? 22016 : 11008;
    cfg->num_hidden_layers = 32;
    cfg->num_attention_heads = 32;
    cfg->num_key_value_heads = 32;
    cfg->head_dim = 128;
    cfg->max_position_embeddings = qwen ? 32768 : 2048;
    cfg->rms_norm_eps = 1e-6;
    cfg->rope_theta = 10000.0;
    cfg->qkv_bias = qwen;
    cfg->bos_token_id = qwen ? -1 : 1;
    cfg->n_eos = qwen ? 0 : 1;
    cfg->eos_token_ids[0] = qwen ? 0 : 2;
    cfg->pad_token_id = -1;
    cfg->sliding_window = 4096;
    cfg->max_window_layers = 28;
}

/* ---- typed field getters: absent or null → keep *out; wrong type/range → error ---------- */

static json_t *field(json_t *obj, const char *key) {
    json_t *v = json_object_get(obj, key);
    return json_is_null(v) ? NULL : v;
}

static int get_int(json_t *obj, const char *pfx, const char *key, int64_t lo, int64_t hi,
                   int64_t *out, svs_err *err) {
    json_t *v = field(obj, key);
    if (!v) return 0;
    if (!json_is_integer(v)) return svs_errf(err, "config.json: %s%s: expected an integer", pfx, key);
    long long x = json_integer_value(v);
    if (x < lo || x > hi)
        return svs_errf(err, "config.json: %s%s: %lld out of range [%lld, %lld]", pfx, key, x,
                        (long long)lo, (long long)hi);
    *out = x;
    return 0;
}

static int get_num(json_t *obj, const char *pfx, const char *key, double *out, svs_err *err) {
    json_t *v = field(obj, key);
    if (!v) return 0;
    if (!json_is_number(v)) return svs_errf(err, "config.json: %s%s: expected a number", pfx, key);
    double x = json_number_value(v);
    if (!isfinite(x)) return svs_errf(err, "config.json: %s%s: not finite", pfx, key);
    *out = x;
    return 0;
}

static int get_bool(json_t *obj, const char *key, int *out, svs_err *err) {
    json_t *v = field(obj, key);
    if (!v) return 0;
    if (!json_is_boolean(v)) return svs_errf(err, "config.json: %s: expected true or false", key);
    *out = json_is_true(v);
    return 0;
}

/* *out = the string or NULL when absent/null. */
static int get_str(json_t *obj, const char *pfx, const char *key, const char **out, svs_err *err) {
    json_t *v = field(obj, key);
    *out = NULL;
    if (!v) return 0;
    if (!json_is_string(v)) return svs_errf(err, "config.json: %s%s: expected a string", pfx, key);
    *out = json_string_value(v);
    return 0;
}

/* ---- sections ------------------------------------------------------------------------------ */

static int parse_arch(json_t *root, model_config *cfg, svs_err *err) {
    const char *mt;
    if (get_str(root, "", "model_type", &mt, err)) return -1;
    if (!mt) return svs_errf(err, "config.json: model_type: missing");
    if (strcmp(mt, "qwen2") == 0) model_config_defaults(MODEL_ARCH_QWEN2, cfg);
    else if (strcmp(mt, "llama") == 0) model_config_defaults(MODEL_ARCH_LLAMA, cfg);
    else return svs_errf(err, "config.json: model_type: unsupported \"%.64s\" (qwen2, llama)", mt);
    return 0;
}

static int parse_dims(json_t *root, model_config *cfg, svs_err *err) {
    if (get_int(root, "", "vocab_size", 1, CFG_MAX_DIM, &cfg->vocab_size, err) ||
        get_int(root, "", "hidden_size", 1, CFG_MAX_DIM, &cfg->hidden_size, err) ||
        get_int(root, "", "intermediate_size", 1, CFG_MAX_DIM, &cfg->intermediate_size, err) ||
        get_int(root, "", "num_hidden_layers", 1, CFG_MAX_DIM, &cfg->num_hidden_layers, err) ||
        get_int(root, "", "num_attention_heads", 1, CFG_MAX_DIM, &cfg->num_attention_heads, err) ||
        get_int(root, "", "max_position_embeddings", 1, CFG_MAX_DIM, &cfg->max_position_embeddings, err))
        return -1;
    cfg->num_key_value_heads = cfg->num_attention_heads; /* null/absent → heads (both archs) */
    if (cfg->arch == MODEL_ARCH_QWEN2 && !json_object_get(root, "num_key_value_heads"))
        cfg->num_key_value_heads = 32; /* qwen2's default is 32, not "heads" */
    if (get_int(root, "", "num_key_value_heads", 1, CFG_MAX_DIM, &cfg->num_key_value_heads, err))
        return -1;
    cfg->head_dim = 0;
    if (get_int(root, "", "head_dim", 1, CFG_MAX_DIM, &cfg->head_dim, err)) return -1;
    cfg->head_dim_explicit = cfg->head_dim != 0;
    if (!cfg->head_dim_explicit) {
        if (cfg->hidden_size % cfg->num_attention_heads)
            return svs_errf(err, "config.json: hidden_size %lld is not a multiple of "
                            "num_attention_heads %lld (and head_dim is absent)",
                            (long long)cfg->hidden_size, (long long)cfg->num_attention_heads);
        cfg->head_dim = cfg->hidden_size / cfg->num_attention_heads;
    }
    return 0;
}

static int parse_llama3(json_t *o, const char *pfx, model_config *cfg, svs_err *err) {
    static const char *keys[] = {"factor", "low_freq_factor", "high_freq_factor"};
    double *dst[] = {&cfg->rope_scaling.factor, &cfg->rope_scaling.low_freq_factor,
                     &cfg->rope_scaling.high_freq_factor};
    for (int i = 0; i < 3; i++) {
        if (!field(o, keys[i])) return svs_errf(err, "config.json: %s%s: missing (rope_type llama3)", pfx, keys[i]);
        if (get_num(o, pfx, keys[i], dst[i], err)) return -1;
    }
    const char *k = "original_max_position_embeddings";
    if (!field(o, k)) return svs_errf(err, "config.json: %s%s: missing (rope_type llama3)", pfx, k);
    if (get_int(o, pfx, k, 1, CFG_MAX_DIM, &cfg->rope_scaling.original_max_position_embeddings, err))
        return -1;
    cfg->rope_scaling.type = MODEL_ROPE_LLAMA3;
    return 0;
}

/* o: the rope_scaling or rope_parameters object; name: its field name for messages. */
static int parse_rope_obj(json_t *o, const char *name, model_config *cfg, svs_err *err) {
    char pfx[40];
    snprintf(pfx, sizeof pfx, "%s.", name);
    if (!json_is_object(o)) return svs_errf(err, "config.json: %s: expected an object or null", name);
    const char *key = field(o, "rope_type") ? "rope_type" : "type";
    const char *t;
    if (get_str(o, pfx, key, &t, err)) return -1;
    if (!t) return svs_errf(err, "config.json: %srope_type: missing", pfx);
    if (strcmp(t, "default") == 0) cfg->rope_scaling.type = MODEL_ROPE_DEFAULT;
    else if (strcmp(t, "llama3") == 0) { if (parse_llama3(o, pfx, cfg, err)) return -1; }
    else return svs_errf(err, "config.json: %s%s: unsupported \"%.64s\" (default, llama3)", pfx, key, t);
    return get_num(o, pfx, "rope_theta", &cfg->rope_theta, err);
}

static int parse_rope(json_t *root, model_config *cfg, svs_err *err) {
    if (get_num(root, "", "rope_theta", &cfg->rope_theta, err)) return -1;
    json_t *rp = field(root, "rope_parameters");
    if (rp) return parse_rope_obj(rp, "rope_parameters", cfg, err);
    json_t *rs = field(root, "rope_scaling");
    if (rs) return parse_rope_obj(rs, "rope_scaling", cfg, err);
    return 0;
}

static int parse_act_and_flags(json_t *root, model_config *cfg, svs_err *err) {
    const char *act;
    if (get_str(root, "", "hidden_act", &act, err)) return -1;
    if (act && strcmp(act, "silu") != 0)
        return svs_errf(err, "config.json: hidden_act: unsupported \"%.64s\" (silu)", act);
    if (get_num(root, "", "rms_norm_eps", &cfg->rms_norm_eps, err) ||
        get_bool(root, "tie_word_embeddings", &cfg->tie_word_embeddings, err))
        return -1;
    double prf = 1.0;
    if (get_num(root, "", "partial_rotary_factor", &prf, err)) return -1;
    if (prf != 1.0) return svs_errf(err, "config.json: partial_rotary_factor: unsupported %g (1.0)", prf);
    if (cfg->arch == MODEL_ARCH_LLAMA) {
        if (get_bool(root, "attention_bias", &cfg->attention_bias, err) ||
            get_bool(root, "mlp_bias", &cfg->mlp_bias, err))
            return -1;
        cfg->qkv_bias = cfg->o_bias = cfg->attention_bias;
        return 0;
    }
    int sliding = 0;
    if (get_bool(root, "use_sliding_window", &sliding, err)) return -1;
    if (sliding) return svs_errf(err, "config.json: use_sliding_window: true is not supported");
    if (get_int(root, "", "sliding_window", 0, CFG_MAX_DIM, &cfg->sliding_window, err) ||
        get_int(root, "", "max_window_layers", 0, CFG_MAX_DIM, &cfg->max_window_layers, err))
        return -1;
    cfg->qkv_bias = 1; /* qwen2: q/k/v bias always, no switch (§9.1) */
    return 0;
}

static int parse_ids(json_t *root, model_config *cfg, svs_err *err) {
    if (get_int(root, "", "bos_token_id", 0, CFG_MAX_DIM, &cfg->bos_token_id, err) ||
        get_int(root, "", "pad_token_id", 0, CFG_MAX_DIM, &cfg->pad_token_id, err))
        return -1;
    json_t *e = json_object_get(root, "eos_token_id");
    if (!e) return 0;
    if (json_is_null(e)) { cfg->n_eos = 0; return 0; }
    if (json_is_integer(e)) {
        if (get_int(root, "", "eos_token_id", 0, CFG_MAX_DIM, &cfg->eos_token_ids[0], err)) return -1;
        cfg->n_eos = 1;
        return 0;
    }
    if (!json_is_array(e)) return svs_errf(err, "config.json: eos_token_id: expected an integer or a list");
    size_t n = json_array_size(e);
    if (n > MODEL_MAX_EOS) return svs_errf(err, "config.json: eos_token_id: more than %d ids", MODEL_MAX_EOS);
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(e, i);
        long long v = json_is_integer(x) ? json_integer_value(x) : -1;
        if (v < 0 || v > CFG_MAX_DIM)
            return svs_errf(err, "config.json: eos_token_id[%zu]: expected a token id", i);
        cfg->eos_token_ids[i] = v;
    }
    cfg->n_eos = (int)n;
    return 0;
}

static int parse_dtype(json_t *root, model_config *cfg, svs_err *err) {
    const char *key = field(root, "torch_dtype") ? "torch_dtype" : "dtype";
    const char *d;
    if (get_str(root, "", key, &d, err)) return -1;
    if (!d) return 0;
    size_t n = strlen(d);
    if (n >= sizeof cfg->torch_dtype || strspn(d, "abcdefghijklmnopqrstuvwxyz0123456789_") != n)
        return svs_errf(err, "config.json: %s: unknown dtype \"%.32s\"", key, d);
    strcpy(cfg->torch_dtype, d);
    return 0;
}

int model_config_validate(const model_config *c, svs_err *err) {
    if (c->arch != MODEL_ARCH_QWEN2 && c->arch != MODEL_ARCH_LLAMA)
        return svs_errf(err, "config: model_type: unsupported architecture");
    const int64_t *dims[] = {&c->vocab_size, &c->hidden_size, &c->intermediate_size,
                             &c->num_hidden_layers, &c->num_attention_heads,
                             &c->num_key_value_heads, &c->head_dim, &c->max_position_embeddings};
    static const char *names[] = {"vocab_size", "hidden_size", "intermediate_size",
                                  "num_hidden_layers", "num_attention_heads",
                                  "num_key_value_heads", "head_dim", "max_position_embeddings"};
    for (int i = 0; i < 8; i++)
        if (*dims[i] < 1 || *dims[i] > CFG_MAX_DIM)
            return svs_errf(err, "config: %s: %lld out of range", names[i], (long long)*dims[i]);
    if (c->num_hidden_layers > 65536 || c->num_attention_heads > 65536)
        return svs_errf(err, "config: num_hidden_layers / num_attention_heads: more than 65536");
    if (c->num_attention_heads % c->num_key_value_heads)
        return svs_errf(err, "config: num_attention_heads %lld is not a multiple of "
                        "num_key_value_heads %lld", (long long)c->num_attention_heads,
                        (long long)c->num_key_value_heads);
    if (c->head_dim % 2) return svs_errf(err, "config: head_dim %lld is odd (RoPE needs pairs)", (long long)c->head_dim);
    if (c->num_attention_heads * c->head_dim > CFG_MAX_DIM)
        return svs_errf(err, "config: num_attention_heads * head_dim too large");
    if (!(c->rms_norm_eps > 0) || !isfinite(c->rms_norm_eps))
        return svs_errf(err, "config: rms_norm_eps: %g must be positive", c->rms_norm_eps);
    if (!(c->rope_theta > 0) || !isfinite(c->rope_theta))
        return svs_errf(err, "config: rope_theta: %g must be positive", c->rope_theta);
    const model_rope_scaling *r = &c->rope_scaling;
    if (r->type == MODEL_ROPE_LLAMA3 &&
        (!(r->factor > 0) || !(r->low_freq_factor > 0) || !(r->high_freq_factor > r->low_freq_factor) ||
         r->original_max_position_embeddings < 1))
        return svs_errf(err, "config: rope_scaling: llama3 needs factor > 0, low_freq_factor > 0, "
                        "high_freq_factor > low_freq_factor, original_max_position_embeddings >= 1");
    return 0;
}

int model_config_from_json(const char *text, size_t n, model_config *cfg, svs_err *err) {
    json_error_t je;
    json_t *root = json_loadb(text, n, JSON_REJECT_DUPLICATES, &je);
    if (!root) return svs_errf(err, "config.json: line %d column %d: %s", je.line, je.column, je.text);
    int rc = -1;
    if (!json_is_object(root)) { svs_errf(err, "config.json: top level is not an object"); goto done; }
    if (parse_arch(root, cfg, err) || parse_dims(root, cfg, err) || parse_act_and_flags(root, cfg, err) ||
        parse_rope(root, cfg, err) || parse_ids(root, cfg, err) || parse_dtype(root, cfg, err))
        goto done;
    if (model_config_validate(cfg, err)) {
        /* "config: x" → "config.json: x" for messages about the file */
        char tmp[SVS_ERR_MAX];
        if (err && strncmp(err->msg, "config: ", 8) == 0) {
            snprintf(tmp, sizeof tmp, "%s", err->msg + 8);
            svs_errf(err, "config.json: %s", tmp);
        }
        goto done;
    }
    rc = 0;
done:
    json_decref(root);
    return rc;
}

int model_config_load(const char *path, model_config *cfg, svs_err *err) {
    size_t len;
    char *text = svs_read_file(path, (size_t)1 << 24, &len, err);
    if (!text) return -1;
    int rc = model_config_from_json(text, len, cfg, err);
    free(text);
    if (rc) svs_err_prefix(err, "%s", path);
    return rc;
}

/* ---- writer ------------------------------------------------------------------------------- */

/* Shortest "%.{p}g" that parses back to the same double, with ".0" added to integral values so
 * that Python reads a float. */
static int put_real(svs_buf *b, double x, svs_err *err) {
    char s[40];
    if (x == floor(x) && fabs(x) < 1e15) return svs_buf_printf(b, err, "%.1f", x);
    for (int p = 1; p <= 17; p++) {
        snprintf(s, sizeof s, "%.*g", p, x);
        if (strtod(s, NULL) == x) break;
    }
    if (!strpbrk(s, ".eEni")) strcat(s, ".0");
    return svs_buf_puts(b, s, err);
}

static int put_kv_int(svs_buf *b, const char *k, int64_t v, svs_err *err) {
    return svs_buf_printf(b, err, ",\n  \"%s\": %lld", k, (long long)v);
}

static int put_kv_real(svs_buf *b, const char *k, double v, svs_err *err) {
    return svs_buf_printf(b, err, ",\n  \"%s\": ", k) || put_real(b, v, err);
}

static int put_kv_bool(svs_buf *b, const char *k, int v, svs_err *err) {
    return svs_buf_printf(b, err, ",\n  \"%s\": %s", k, v ? "true" : "false");
}

static int put_rope(svs_buf *b, const model_config *c, svs_err *err) {
    if (put_kv_real(b, "rope_theta", c->rope_theta, err)) return -1;
    if (c->rope_scaling.type == MODEL_ROPE_DEFAULT) return svs_buf_puts(b, ",\n  \"rope_scaling\": null", err);
    const model_rope_scaling *r = &c->rope_scaling;
    return svs_buf_puts(b, ",\n  \"rope_scaling\": {\n    \"factor\": ", err) || put_real(b, r->factor, err) ||
           svs_buf_puts(b, ",\n    \"high_freq_factor\": ", err) || put_real(b, r->high_freq_factor, err) ||
           svs_buf_puts(b, ",\n    \"low_freq_factor\": ", err) || put_real(b, r->low_freq_factor, err) ||
           svs_buf_printf(b, err, ",\n    \"original_max_position_embeddings\": %lld,\n"
                          "    \"rope_type\": \"llama3\"\n  }", (long long)r->original_max_position_embeddings);
}

static int put_ids(svs_buf *b, const model_config *c, svs_err *err) {
    if (c->bos_token_id >= 0 ? put_kv_int(b, "bos_token_id", c->bos_token_id, err)
                             : svs_buf_puts(b, ",\n  \"bos_token_id\": null", err))
        return -1;
    if (c->n_eos == 1) { if (put_kv_int(b, "eos_token_id", c->eos_token_ids[0], err)) return -1; }
    else {
        if (svs_buf_puts(b, c->n_eos ? ",\n  \"eos_token_id\": [" : ",\n  \"eos_token_id\": null", err)) return -1;
        for (int i = 0; i < c->n_eos; i++)
            if (svs_buf_printf(b, err, "%s%lld", i ? ", " : "", (long long)c->eos_token_ids[i])) return -1;
        if (c->n_eos && svs_buf_putc(b, ']', err)) return -1;
    }
    if (c->pad_token_id >= 0 && put_kv_int(b, "pad_token_id", c->pad_token_id, err)) return -1;
    return 0;
}

int model_config_to_json(const model_config *c, svs_buf *b, svs_err *err) {
    if (model_config_validate(c, err)) return -1;
    int qwen = c->arch == MODEL_ARCH_QWEN2;
    if (svs_buf_printf(b, err, "{\n  \"architectures\": [\"%s\"],\n  \"model_type\": \"%s\"",
                       qwen ? "Qwen2ForCausalLM" : "LlamaForCausalLM", model_arch_name(c->arch)) ||
        put_kv_int(b, "vocab_size", c->vocab_size, err) || put_kv_int(b, "hidden_size", c->hidden_size, err) ||
        put_kv_int(b, "intermediate_size", c->intermediate_size, err) ||
        put_kv_int(b, "num_hidden_layers", c->num_hidden_layers, err) ||
        put_kv_int(b, "num_attention_heads", c->num_attention_heads, err) ||
        put_kv_int(b, "num_key_value_heads", c->num_key_value_heads, err) ||
        (c->head_dim_explicit && put_kv_int(b, "head_dim", c->head_dim, err)) ||
        svs_buf_puts(b, ",\n  \"hidden_act\": \"silu\"", err) ||
        put_kv_int(b, "max_position_embeddings", c->max_position_embeddings, err) ||
        put_kv_real(b, "rms_norm_eps", c->rms_norm_eps, err) || put_rope(b, c, err) ||
        put_kv_bool(b, "tie_word_embeddings", c->tie_word_embeddings, err) || put_ids(b, c, err))
        return -1;
    if (qwen ? (put_kv_bool(b, "use_sliding_window", 0, err) || put_kv_int(b, "sliding_window", c->sliding_window, err) ||
                put_kv_int(b, "max_window_layers", c->max_window_layers, err))
             : (put_kv_bool(b, "attention_bias", c->attention_bias, err) || put_kv_bool(b, "mlp_bias", c->mlp_bias, err)))
        return -1;
    if (c->torch_dtype[0] && svs_buf_printf(b, err, ",\n  \"torch_dtype\": \"%s\"", c->torch_dtype)) return -1;
    return svs_buf_puts(b, "\n}\n", err);
}
