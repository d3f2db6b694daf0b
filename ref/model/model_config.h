/* model_config.h — the transformer's hyper-parameters, read from a Hugging Face config.json
 * (Qwen2 / Llama, docs/formats.md §9) or built from GGUF metadata (gguf.h), and written back as
 * a config.json that HF transformers loads.
 *
 * Inputs: JSON text. Output: a filled model_config, or an error naming the field at fault
 * ("config.json: rope_scaling.rope_type: unsupported \"yarn\""). Missing fields take the
 * defaults of the model_type (§9.1 / §9.2); derived fields (head_dim, num_key_value_heads,
 * qkv_bias/o_bias) are resolved so that consumers never look at the JSON again. */
#ifndef SVS_MODEL_CONFIG_H
#define SVS_MODEL_CONFIG_H

#include <stdint.h>

#include "common.h"

typedef enum model_arch { MODEL_ARCH_QWEN2 = 1, MODEL_ARCH_LLAMA = 2 } model_arch;

typedef enum model_rope_type {
    MODEL_ROPE_DEFAULT = 0, /* plain inv_freq = 1/theta^(2i/d) */
    MODEL_ROPE_LLAMA3 = 1   /* §9.3 llama3 frequency rescaling */
} model_rope_type;

#define MODEL_MAX_EOS 8

typedef struct model_rope_scaling {
    model_rope_type type;
    double factor;          /* llama3 only */
    double low_freq_factor; /* llama3 only */
    double high_freq_factor;/* llama3 only */
    int64_t original_max_position_embeddings; /* llama3 only */
} model_rope_scaling;

typedef struct model_config {
    model_arch arch;
    int64_t vocab_size;
    int64_t hidden_size;
    int64_t intermediate_size;
    int64_t num_hidden_layers;
    int64_t num_attention_heads;
    int64_t num_key_value_heads; /* resolved: never 0 */
    int64_t head_dim;            /* resolved: hidden_size / heads when not given */
    int head_dim_explicit;       /* 1 when the file gave head_dim */
    int64_t max_position_embeddings;
    double rms_norm_eps;
    double rope_theta;
    model_rope_scaling rope_scaling;
    int tie_word_embeddings;
    int attention_bias; /* the Llama field as read (0 for qwen2) */
    int qkv_bias;       /* q, k, v projections have a bias: always for qwen2, attention_bias for llama */
    int o_bias;         /* o_proj has a bias: attention_bias for llama, never for qwen2 */
    int mlp_bias;       /* gate/up/down have a bias (llama mlp_bias) */
    int64_t bos_token_id;                 /* -1 when absent/null */
    int n_eos;                            /* 0 when absent/null */
    int64_t eos_token_ids[MODEL_MAX_EOS]; /* eos_token_id: an int or a list */
    int64_t pad_token_id;                 /* -1 when absent/null */
    int64_t sliding_window;    /* qwen2, informational (use_sliding_window must be false) */
    int64_t max_window_layers; /* qwen2, informational */
    char torch_dtype[16];      /* "bfloat16", "float32", ... ("" when absent) */
} model_config;

/* Parses config.json text (n bytes, need not be NUL-terminated). Returns 0, or -1 with err
 * naming the field: unsupported model_type / hidden_act / rope type / use_sliding_window true,
 * wrong JSON types, out-of-range values, and contradictions (hidden_size not a multiple of
 * num_attention_heads when head_dim is absent, heads not a multiple of kv heads, odd head_dim). */
int model_config_from_json(const char *text, size_t n, model_config *cfg, svs_err *err);

/* Reads and parses a config.json file (messages prefixed by the path). */
int model_config_load(const char *path, model_config *cfg, svs_err *err);

/* Fills cfg with the HF defaults of the architecture (§9.1 / §9.2), already resolved. */
void model_config_defaults(model_arch arch, model_config *cfg);

/* Checks the invariants above on a filled config (used after GGUF import too). */
int model_config_validate(const model_config *cfg, svs_err *err);

/* Appends a config.json (model_type, architectures, every field above; rope as top-level
 * rope_theta + rope_scaling) that HF transformers' AutoConfig loads to the same values. */
int model_config_to_json(const model_config *cfg, svs_buf *out, svs_err *err);

/* "qwen2" / "llama". */
const char *model_arch_name(model_arch arch);

#endif
