/* gguf.h — GGUF version 3 (little-endian) reader: header, metadata of every value type (nested
 * arrays included), tensor infos, dequantization of F32/F16/BF16/Q8_0/Q4_0/Q4_1 to f32, the
 * mapping to Hugging Face tensor names with the Llama Q/K row un-permutation, a model_config
 * from llama.* / qwen2.* metadata, and the tokenizer metadata (docs/formats.md §10, §11).
 *
 * Input: a file (kept open for tensor reads) or a memory image (borrowed). Every count and
 * length is checked against the bytes that remain before anything is allocated; tensor data
 * ranges are checked inside the file. Errors name the file and the key or tensor at fault
 * ("blk.0.attn_q.weight: unsupported ggml type Q6_K (14)"). Never prints, exits or aborts. */
#ifndef SVS_GGUF_H
#define SVS_GGUF_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "model/ckpt_io.h"
#include "model/model_config.h"
#include "model/tensorset.h"

enum gguf_vtype {
    GGUF_U8 = 0, GGUF_I8 = 1, GGUF_U16 = 2, GGUF_I16 = 3, GGUF_U32 = 4, GGUF_I32 = 5, GGUF_F32 = 6,
    GGUF_BOOL = 7, GGUF_STRING = 8, GGUF_ARRAY = 9, GGUF_U64 = 10, GGUF_I64 = 11, GGUF_F64 = 12
};

enum ggml_type_id {
    GGML_F32 = 0, GGML_F16 = 1, GGML_Q4_0 = 2, GGML_Q4_1 = 3, GGML_Q5_0 = 6, GGML_Q5_1 = 7,
    GGML_Q8_0 = 8, GGML_Q8_1 = 9, GGML_Q2_K = 10, GGML_Q3_K = 11, GGML_Q4_K = 12, GGML_Q5_K = 13,
    GGML_Q6_K = 14, GGML_Q8_K = 15, GGML_I8 = 24, GGML_I16 = 25, GGML_I32 = 26, GGML_I64 = 27,
    GGML_F64 = 28, GGML_BF16 = 30
};

typedef struct gguf_value gguf_value;
struct gguf_value {
    uint32_t type; /* enum gguf_vtype */
    union {
        uint64_t u; /* U8 U16 U32 U64 BOOL */
        int64_t i;  /* I8 I16 I32 I64 */
        double f;   /* F32 F64 */
        struct { char *s; size_t len; } str;                /* NUL-terminated as well */
        struct { uint32_t type; size_t n; gguf_value *v; } arr; /* elements, all of arr.type */
    };
};

typedef struct gguf_kv {
    char *key;
    gguf_value v;
} gguf_kv;

typedef struct gguf_tensor_info {
    char *name;
    uint32_t n_dims;  /* 1 … 4 */
    uint64_t ne[4];   /* ggml order: ne[0] contiguous; unused entries 1 */
    uint32_t type;    /* ggml type id */
    uint64_t offset;  /* relative to the data section */
    uint64_t nbytes;  /* checked inside the file */
} gguf_tensor_info;

typedef struct gguf_file {
    ckpt_src src;
    uint32_t version;
    size_t n_kv;
    gguf_kv *kv;
    size_t n_tensors;
    gguf_tensor_info *tensors;
    uint64_t alignment;  /* general.alignment or 32 */
    uint64_t data_start; /* absolute offset of the tensor data section */
} gguf_file;

/* Opens and validates a GGUF file / memory image (data must outlive the gguf_file). */
int gguf_open(const char *path, gguf_file **out, svs_err *err);
int gguf_read_mem(const void *data, size_t len, gguf_file **out, svs_err *err);
void gguf_close(gguf_file *g);

/* Metadata lookup (NULL when absent). */
const gguf_value *gguf_get(const gguf_file *g, const char *key);

/* Typed getters: 0 on success; -1 with "KEY: missing" / "KEY: <type> is not an integer" /
 * "KEY: value N out of range". Integer getters accept any integer value type. */
int gguf_get_u64(const gguf_file *g, const char *key, uint64_t *out, svs_err *err);
int gguf_get_u32(const gguf_file *g, const char *key, uint32_t *out, svs_err *err);
int gguf_get_i32(const gguf_file *g, const char *key, int32_t *out, svs_err *err);
int gguf_get_f32(const gguf_file *g, const char *key, float *out, svs_err *err); /* f32, f64 or int */
int gguf_get_bool(const gguf_file *g, const char *key, int *out, svs_err *err);
int gguf_get_str(const gguf_file *g, const char *key, const char **s, size_t *len, svs_err *err);
/* Array of strings: *strs (and *lens if non-NULL) are malloc'd arrays of pointers into g. */
int gguf_get_str_array(const gguf_file *g, const char *key, const char ***strs, size_t **lens, size_t *n,
                       svs_err *err);
/* Array of integers (any integer element type) as a malloc'd int64 array. */
int gguf_get_int_array(const gguf_file *g, const char *key, int64_t **vals, size_t *n, svs_err *err);

/* Tensors. */
const gguf_tensor_info *gguf_find_tensor(const gguf_file *g, const char *name);
const char *ggml_type_name(uint32_t type); /* "Q4_1", or "?" */
/* Dequantizes one tensor to a malloc'd f32 array of numel values (ggml order). */
int gguf_tensor_to_f32(gguf_file *g, const gguf_tensor_info *t, float **out, svs_err *err);

/* ---- model view (gguf_model.c) ----------------------------------------------------------- */

/* model_config from general.architecture ("llama" | "qwen2") and <arch>.* keys (§10.3):
 * context_length, embedding_length, block_count, feed_forward_length, attention.head_count,
 * attention.layer_norm_rms_epsilon required; head_count_kv, rope.freq_base, key_length,
 * rope.dimension_count, vocab_size optional; tied when output.weight is absent. */
int gguf_model_config(const gguf_file *g, model_config *cfg, svs_err *err);

/* HF name of a GGUF tensor name (§10.4) into out; -1 when there is none. */
int gguf_hf_name(const char *gguf_name, char *out, size_t size);

/* Q/K row permutation of llama.cpp's converter (§10.6) on a [n_head·head_dim, cols] matrix
 * (cols = 1 for a bias). to_hf = 1: HF[h·hd + j·hd/2 + i] = GGUF[h·hd + 2i + j];
 * to_hf = 0: the converter's direction (the inverse). dst and src must not overlap. */
void gguf_permute_qk(float *dst, const float *src, int64_t n_head, int64_t head_dim, int64_t cols, int to_hf);

/* All tensors dequantized, renamed to HF, shaped [out, in] (ne reversed), attn_q/attn_k
 * un-permuted for llama files, then checked against cfg (tensorset_check_config). Appends to
 * ts; on failure ts is left as it was. */
int gguf_to_tensorset(gguf_file *g, const model_config *cfg, tensorset *ts, svs_err *err);

/* Tokenizer metadata (§10.5) for the tokenizer: strings point into g (valid while g is open);
 * arrays are owned by tok. Absent optional fields: NULL / -1. tokens required. */
typedef struct gguf_tokenizer {
    const char *model;         /* tokenizer.ggml.model ("gpt2") */
    const char *pre;           /* tokenizer.ggml.pre ("smollm") */
    const char *chat_template; /* tokenizer.chat_template */
    size_t chat_template_len;
    size_t n_tokens;
    const char **tokens; /* id order */
    size_t *token_lens;
    int32_t *token_type; /* n_tokens entries or NULL */
    size_t n_merges;
    const char **merges; /* "a b", rank order; NULL when absent */
    int64_t bos_id, eos_id, pad_id, unk_id;
    int add_bos, add_eos; /* 0/1, -1 when absent */
} gguf_tokenizer;

int gguf_tokenizer_get(const gguf_file *g, gguf_tokenizer *tok, svs_err *err);
void gguf_tokenizer_free(gguf_tokenizer *tok);

#endif
