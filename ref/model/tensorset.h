/* tensorset.h — a named collection of f32 tensors (rank ≤ 4, C order, owned data): what every
 * checkpoint reader produces (safetensors, GGUF) and what the model consumes. Also the checks
 * that a checkpoint matches a config (docs/formats.md §9.4) and the safetensors reader/writer
 * (§8, implemented in safetensors.c).
 *
 * Conventions: fallible functions return 0 / -1 and fill svs_err with a message that names the
 * tensor ("model.layers.0.self_attn.k_proj.weight: shape [64, 96] but config implies [32, 96]").
 * Nothing here prints, exits or aborts; all sizes are int64/uint64 with overflow checks. */
#ifndef SVS_TENSORSET_H
#define SVS_TENSORSET_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

#define TS_MAX_DIMS 4

struct model_config;

typedef struct ts_tensor {
    char *name;
    int ndim;                     /* 0 (scalar) … 4 */
    int64_t shape[TS_MAX_DIMS];   /* PyTorch order (shape[ndim-1] contiguous); unused dims 1 */
    float *data;                  /* numel floats, owned (never NULL) */
} ts_tensor;

typedef struct tensorset {
    ts_tensor *t;
    size_t n, cap;
    char **meta_keys, **meta_vals; /* safetensors __metadata__ as read (n_meta pairs) */
    size_t n_meta;
} tensorset;

/* Number of elements; -1 if the product overflows int64 (never for a tensor in a tensorset). */
int64_t ts_numel(int ndim, const int64_t *shape);

void tensorset_init(tensorset *ts);
void tensorset_free(tensorset *ts);

/* Appends a tensor and takes ownership of data (numel floats from svs_malloc/malloc; freed on
 * failure too). Fails on rank > 4, negative dims, overflow; does not check duplicates. */
int tensorset_add_owned(tensorset *ts, const char *name, int ndim, const int64_t *shape,
                        float *data, svs_err *err);
/* Same, copying data (NULL → zeros). */
int tensorset_add(tensorset *ts, const char *name, int ndim, const int64_t *shape,
                  const float *data, svs_err *err);

/* Frees the tensors from index n on (used to roll back a failed load). */
void tensorset_truncate(tensorset *ts, size_t n);

/* Lookup by exact name; NULL when absent. */
const ts_tensor *tensorset_find(const tensorset *ts, const char *name);
ts_tensor *tensorset_find_mut(tensorset *ts, const char *name);

/* Fails with "duplicate tensor NAME" if two tensors share a name (O(n log n)). */
int tensorset_check_unique(const tensorset *ts, svs_err *err);

/* Every name in names[0..n) must be present: else "NAME: missing tensor". */
int tensorset_require(const tensorset *ts, const char *const *names, size_t n, svs_err *err);

/* Reports tensors whose name is not in names[0..n): returns their count and, when count > 0,
 * sets report to "extra tensors: A, B, … (N in all)". Returns -1 on allocation failure. */
long tensorset_find_extra(const tensorset *ts, const char *const *names, size_t n, svs_err *report);

/* Formats "[d0, d1, …]" into buf (at least 96 bytes). */
void ts_shape_str(int ndim, const int64_t *shape, char *buf, size_t size);

/* ---- config ↔ tensors (§9.4) ------------------------------------------------------------- */

typedef struct ts_spec {
    char name[96];
    int ndim;
    int64_t shape[TS_MAX_DIMS];
} ts_spec;

/* The HF tensors a config implies, in a fixed order (embed, layers 0…L-1, norm, lm_head unless
 * tied), biases included per qkv_bias / o_bias / mlp_bias. *specs is malloc'd (free it). */
int model_expected_tensors(const struct model_config *cfg, ts_spec **specs, size_t *n, svs_err *err);

/* Every expected tensor present with the implied shape, and no unexpected tensor (ignored:
 * "*.rotary_emb.inv_freq" buffers, and lm_head.weight when the embeddings are tied).
 * Messages: "NAME: missing (required by config)", "NAME: shape [64, 96] but config implies
 * [32, 96]", "NAME: unexpected tensor (not implied by config)". */
int tensorset_check_config(const tensorset *ts, const struct model_config *cfg, svs_err *err);

/* ---- safetensors (§8; safetensors.c) ----------------------------------------------------- */

/* Parses a safetensors image (data, len bytes) and appends its tensors, converted to f32 from
 * F32/BF16/F16, to ts (other dtypes: "NAME: unsupported dtype I64"). label names the file in
 * messages. Validates: 8 + N ≤ len ("truncated"), N ≤ 100,000,000, JSON object header, every
 * entry's dtype/shape/data_offsets, END − BEGIN = numel × dtype size, offsets inside the
 * buffer, exact coverage (no holes or overlaps), no duplicate names. On failure ts keeps what
 * it had before the call. */
int safetensors_read_mem(const void *data, size_t len, const char *label, tensorset *ts, svs_err *err);

/* Same for one file (read tensor by tensor; the whole file is never held in memory). */
int safetensors_read_file(const char *path, tensorset *ts, svs_err *err);

/* Sharded checkpoint: model.safetensors.index.json (weight_map: name → shard file in the same
 * directory). Loads each shard once; every weight_map entry must be in its shard, every shard
 * tensor must be in weight_map with that shard, no tensor in two shards. */
int safetensors_read_index(const char *index_path, tensorset *ts, svs_err *err);

/* path: a directory (model.safetensors, else model.safetensors.index.json), an *.index.json,
 * or a single .safetensors file. */
int safetensors_load(const char *path, tensorset *ts, svs_err *err);

#define SAFETENSORS_SORTED 1 /* write tensors (header and data) in name order; else ts order */

/* Serializes ts as F32 safetensors into out (appending): header {name: {dtype "F32", shape,
 * data_offsets}} plus "__metadata__" from meta_kv (n_meta key/value pairs: meta_kv[2i] key,
 * meta_kv[2i+1] value; NULL/0 for none), padded with spaces so that 8 + N is a multiple of 8. */
int safetensors_serialize(const tensorset *ts, const char *const *meta_kv, size_t n_meta, int flags,
                          svs_buf *out, svs_err *err);

/* Writes the serialization to path (via path.tmp + rename). */
int safetensors_write(const char *path, const tensorset *ts, const char *const *meta_kv, size_t n_meta,
                      int flags, svs_err *err);

#endif
