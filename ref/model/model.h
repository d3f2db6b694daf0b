/* model.h — the Qwen2 / Llama decoder-only transformer in fp32: training forward over a padded
 * batch with every activation kept, backward for every parameter, log-probs / entropy / loss,
 * AdamW with gradient clipping and LR schedules, and a KV-cache forward for decoding.
 * Architecture: spec/formats.md §9 (RMSNorm, q/k/v bias, GQA, SwiGLU, residuals, final norm,
 * tied embeddings, RoPE rotate_half, llama3 scaling). Log-probs: spec/grpo-conventions.md §3
 * (verl divides the logits by the temperature; logits at position p predict token p+1).
 * Optimizer and schedules: spec/grpo-conventions.md §9. Every number is computed through the
 * ops table (ref/ops.h), so this code runs unchanged on any backend. docs/model.md explains
 * the formulas block by block and the memory layout.
 *
 * Memory (llm.c, spec/style.md §1.2): one slab each for parameters, gradients, AdamW m and v
 * and activations, each carved into named views by a sizes table. Per-layer tensors are stored
 * [L, ...] (all layers of one kind together). The activation slab is allocated on the first
 * forward for (B, T) and grown when a later batch is larger.
 *
 * Batches (model_batch): B sequences, right-padded to a row stride T; sequence b has lens[b]
 * tokens, positions 0..lens[b]−1, attention within the sequence only (no masks: the kernels run
 * on each unpadded sequence). Internally the valid tokens are packed into N = Σ lens[b] rows.
 * Per-token outputs (logits, targets, log-probs) use the padded [B, T] layout; entries at
 * t >= lens[b] are zero (outputs) or ignored (inputs).
 *
 * Errors: functions that can fail take a trailing svs_err * and return -1 (or NULL). */
#ifndef SVS_MODEL_H
#define SVS_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "model_config.h"
#include "ops.h"
#include "tensorset.h"

/* ---- parameters: one slab, named views ------------------------------------------------ */

/* Letters: V vocab, C hidden, F intermediate, L layers, H / KVH heads, hd head dim,
 * QD = H·hd, KVD = KVH·hd. Biases are NULL when the config has none. */
typedef struct model_params {
    float *embed;   /* [V, C]      model.embed_tokens.weight */
    float *ln1;     /* [L, C]      input_layernorm.weight */
    float *wq;      /* [L, QD, C]  self_attn.q_proj.weight */
    float *bq;      /* [L, QD]     q_proj.bias (Qwen2; Llama attention_bias) */
    float *wk;      /* [L, KVD, C] */
    float *bk;      /* [L, KVD] */
    float *wv;      /* [L, KVD, C] */
    float *bv;      /* [L, KVD] */
    float *wo;      /* [L, C, QD]  self_attn.o_proj.weight */
    float *bo;      /* [L, C]      o_proj.bias (Llama attention_bias only) */
    float *ln2;     /* [L, C]      post_attention_layernorm.weight */
    float *wgate;   /* [L, F, C]   mlp.gate_proj.weight */
    float *bgate;   /* [L, F]      (Llama mlp_bias) */
    float *wup;     /* [L, F, C] */
    float *bup;     /* [L, F] */
    float *wdown;   /* [L, C, F] */
    float *bdown;   /* [L, C] */
    float *norm;    /* [C]         model.norm.weight */
    float *lm_head; /* [V, C]      lm_head.weight; == embed when tie_word_embeddings */
} model_params;

enum { /* the order of the fields above, which is also the slab order */
    MODEL_T_EMBED, MODEL_T_LN1, MODEL_T_WQ, MODEL_T_BQ, MODEL_T_WK, MODEL_T_BK, MODEL_T_WV,
    MODEL_T_BV, MODEL_T_WO, MODEL_T_BO, MODEL_T_LN2, MODEL_T_WGATE, MODEL_T_BGATE, MODEL_T_WUP,
    MODEL_T_BUP, MODEL_T_WDOWN, MODEL_T_BDOWN, MODEL_T_NORM, MODEL_T_LMHEAD, MODEL_NUM_TENSORS
};

/* ---- activations kept by the training forward ------------------------------------------- */

/* N = Σ lens (packed valid tokens). Row n of every [.., N, ..] tensor is token tok[n] at
 * position pos[n] of its sequence. Memory: the attention probabilities are not kept (the
 * backward recomputes them from q, k and att_stats: ops.h attention_*), and the logits are kept
 * only for small batches (see logits_keep_max below). */
typedef struct model_acts {
    float *x;        /* [L+1, N, C] residual stream: x[l] enters layer l, x[L] leaves the last */
    float *ln1;      /* [L, N, C]   input_layernorm(x[l]) */
    float *ln1_rstd; /* [L, N] */
    float *q;        /* [L, N, QD]  q_proj(ln1), after RoPE */
    float *k;        /* [L, N, KVD] k_proj(ln1), after RoPE */
    float *v;        /* [L, N, KVD] */
    float *att_stats; /* [L, N, H, 2] per query row and head: row max and softmax denominator
                        of the scores (ops attention_forward's stats); sequence b's [H, len, 2]
                        starts at row_off[b]·H·2 */
    float *att;      /* [L, N, QD]  probs·v, heads concatenated */
    float *h;        /* [L, N, C]   x[l] + o_proj(att) */
    float *ln2;      /* [L, N, C]   post_attention_layernorm(h) */
    float *ln2_rstd; /* [L, N] */
    float *gate;     /* [L, N, F]   gate_proj(ln2) */
    float *up;       /* [L, N, F]   up_proj(ln2) */
    float *act;      /* [L, N, F]   silu(gate)·up;  x[l+1] = h + down_proj(act) */
    float *lnf;      /* [N, C]      model.norm(x[L]) */
    float *lnf_rstd; /* [N] */
    float *logits;   /* [B, T, V]   lm_head(lnf), padded layout, zero rows at t >= lens[b];
                        NULL when the last forward did not keep the logits */
    float *dlogits;  /* [B, T, V]   d objective / d logits, the input of model_backward (NULL
                        with the logits) */
    /* backward scratch (one layer at a time) */
    float *dres;     /* [N, C]  gradient of the residual stream */
    float *dln;      /* [N, C]  gradient of a norm output */
    float *dq;       /* [N, QD] gradient of q after RoPE */
    float *dqpre;    /* [N, QD] ... and before RoPE */
    float *dk;       /* [N, KVD] */
    float *dkpre;    /* [N, KVD] */
    float *dv;       /* [N, KVD] */
    float *datt;     /* [N, QD] */
    float *dgate;    /* [N, F] */
    float *dup;      /* [N, F] */
    float *dact;     /* [N, F] */
    float *att_scratch; /* [max(H, 2·H/KVH)·T·T]: attention_forward's probs, then
                           attention_backward's scratch, one sequence at a time */
} model_acts;

typedef struct model_batch {
    int B;                /* number of sequences, >= 1 */
    int T;                /* row stride of ids, >= max lens[b] */
    const int32_t *ids;   /* [B, T] right-padded token ids; entries at t >= lens[b] ignored */
    const int *lens;      /* [B] 1 <= lens[b] <= T */
} model_batch;

typedef struct model {
    model_config cfg;
    const ops_table *ops; /* ops_find("ref") unless the caller sets another before use */
    int L, C, F, V, H, KVH, hd, QD, KVD;
    int has_qkv_bias, has_o_bias, has_mlp_bias, tied;

    size_t tensor_sizes[MODEL_NUM_TENSORS]; /* elements; 0 for absent tensors (and lm_head
                                               when tied) */
    size_t num_params;                      /* Σ tensor_sizes: the length of every slab */
    float *params_mem;                      /* [num_params] */
    model_params p;
    float *grads_mem;                       /* [num_params], zeroed at creation */
    model_params g;
    float *adam_m, *adam_v;                 /* [num_params] each, allocated on the first step */
    int64_t adam_step;                      /* AdamW steps taken (torch's state["step"]) */

    float *inv_freq;                        /* [hd/2] */
    float *rope_cos, *rope_sin;             /* [rope_P, hd/2] each */
    int rope_P;

    /* the last forward's batch, packed (see model_acts) */
    float *acts_mem;
    size_t acts_floats;
    /* capacities of the activation slab; a larger batch re-allocates it */
    size_t cap_N;                           /* packed rows */
    int cap_B, cap_T;                       /* sequences; longest sequence (att_scratch) */
    model_acts a;
    int B, T, N;
    int32_t *tok, *pos;                     /* [cap_N] each */
    int *lens, *row_off;                    /* [cap_B] each: lens and first packed row */
    int have_forward;                       /* activations hold a forward of the current batch */

    /* The LM head (model_head.c). model_forward keeps the full logits [B, T, V] (a.logits,
     * a.dlogits) when B·T·V <= logits_keep_max; above it a.logits is NULL and the read-outs
     * (model_logprobs, model_loss, model_loss_backward, model_token_backward) run the head on
     * chunks of at most max(1, logits_chunk_max / V) rows: logits of a chunk, its log-probs /
     * losses, and in the backward the chunk's logits again, its dlogits, d lnf and d lm_head,
     * so that [B·T, V] floats never live at once. Defaults MODEL_LOGITS_KEEP_MAX and
     * MODEL_LOGITS_CHUNK_MAX; the caller may change both between forwards. */
    size_t logits_keep_max;                 /* floats */
    size_t logits_chunk_max;                /* floats */
    void *head_mem;                         /* kept logits + dlogits, or the chunk buffers */
    size_t head_bytes;                      /* allocated in head_mem */
} model;

/* 2^25 floats (128 MiB): the golden, test and sampling batches keep their logits; a training
 * micro-batch of SmolLM2 (4·1024·49152 = 2^27.6 floats) does not. */
#define MODEL_LOGITS_KEEP_MAX ((size_t)1 << 25)
/* 2^24 floats (64 MiB) per chunk buffer: 341 rows of SmolLM2's 49152-token vocabulary */
#define MODEL_LOGITS_CHUNK_MAX ((size_t)1 << 24)

/* ---- life cycle, parameters ------------------------------------------------------------ */

/* Checks the config (positive sizes, H % KVH == 0, hd even) and allocates the parameter and
 * gradient slabs (zeroed) and the RoPE inverse frequencies. NULL with err on failure. */
model *model_create(const model_config *cfg, svs_err *err);
void model_free(model *m); /* NULL allowed */

/* For tests: every weight and bias ~ N(0, std²), norm weights 1 + N(0, std²), drawn in slab
 * order from svs_rng seeded with `seed` (svs_rng_normal). Not HF's initialization. */
void model_init_random(model *m, uint64_t seed, float std);

/* HF name of tensor t (for per-layer tensors, of layer `layer`) into buf; its shape into
 * shape[0..*ndim−1] (per layer, without the L). Returns 0, or -1 if t is absent. */
int model_tensor_info(const model *m, int t, int layer, char *buf, size_t bufsize,
                      int64_t shape[2], int *ndim);

/* Layer `layer` of tensor t inside a slab laid out like the parameters (params_mem, grads_mem,
 * adam_m, adam_v); NULL when t is absent. A tied lm_head returns the embedding's slice. */
float *model_tensor_slab(const model *m, float *slab, int t, int layer);

/* Copies every tensor of the model from ts by HF name, checking shapes; a missing tensor or
 * a shape mismatch is an error naming the tensor. With tie_word_embeddings, `lm_head.weight`
 * is not read (the embedding is the output projection). */
int model_load_tensorset(model *m, const tensorset *ts, svs_err *err);
/* Adds every tensor of the model to ts under its HF name (lm_head absent when tied). */
int model_to_tensorset(const model *m, tensorset *ts, svs_err *err);

/* Loads a checkpoint (model_load.c): path is an HF folder (config.json + model.safetensors or
 * model.safetensors.index.json; generation_config.json's eos_token_id, when present, is added
 * to the config's EOS ids), a .safetensors / .index.json file next to a config.json, or a
 * .gguf file (dequantized, renamed to HF, Llama Q/K un-permuted: gguf.h). The tensors are
 * checked against the config (tensorset_check_config); errors name the file and the field or
 * tensor at fault. */
model *model_load(const char *path, svs_err *err);

/* ---- training forward, losses, backward -------------------------------------------------- */

/* Runs the batch and keeps every activation the backward needs; logits in m->a.logits
 * [B, T, V] when B·T·V <= m->logits_keep_max, else a.logits = NULL (the read-outs below compute
 * them chunk by chunk). Checks lens and token ids (error naming sequence and position). */
int model_forward(model *m, const model_batch *batch, svs_err *err);

/* Fills targets [B, T] with next-token ids: targets[b,t] = ids[b,t+1] for t < lens[b]−1,
 * else −1 (grpo-conventions §3.2: the logits at position p predict token p+1). */
void model_next_token_targets(int32_t *targets, const model_batch *batch);

/* With the last forward: for every (b, t) with targets[b,t] >= 0, z = logits[b,t,:]/temperature,
 * logp[b,t] = z_y − logsumexp(z), entropy[b,t] = logsumexp(z) − Σ softmax(z)·z (verl);
 * 0 elsewhere. logp or entropy may be NULL. Targets must be −1 at t >= lens[b]. */
int model_logprobs(model *m, const int32_t *targets, float temperature, float *logp,
                   float *entropy, svs_err *err);

/* Mean cross-entropy over the (b, t) with targets >= 0 (torch F.cross_entropy, ignore −1).
 * NaN when there is none. */
int model_loss(model *m, const int32_t *targets, float *loss, svs_err *err);

/* d(dloss·loss)/d params accumulated into the gradient slab (sets dlogits, then runs
 * model_backward). */
int model_loss_backward(model *m, const int32_t *targets, float dloss, svs_err *err);

/* The general entry for token-level objectives (the GRPO loss): given dJ/dlogp[b,t] and
 * dJ/dentropy[b,t] (either may be NULL) at the rows with targets >= 0, with logp and entropy
 * as in model_logprobs at `temperature`, accumulates dJ/d params. */
int model_token_backward(model *m, const int32_t *targets, const float *dlogp,
                         const float *dentropy, float temperature, svs_err *err);

/* Backpropagates m->a.dlogits (rows at t >= lens[b] must be zero) through the last forward;
 * ACCUMULATES into the gradient slab. Requires a forward that kept its logits (error
 * otherwise: use model_loss_backward / model_token_backward, which work in both modes). */
int model_backward(model *m, svs_err *err);

void model_zero_grad(model *m);

/* ---- optimizer (spec/grpo-conventions.md §9) -------------------------------------------- */

/* sqrt(Σ g²) over the whole gradient slab (torch clip_grad_norm_'s total norm). */
float model_grad_norm(const model *m);
/* torch clip_grad_norm_: total = model_grad_norm; every gradient ·= min(1, max_norm/(total +
 * 1e-6)) (ops_clip_coef). Returns the pre-clip total. A non-finite total leaves the gradients
 * as they are: verl then skips the step and zeroes the gradients (the caller's choice). */
float model_clip_grad(model *m, float max_norm);

typedef struct model_adamw_params {
    double lr, beta1, beta2, eps, weight_decay;
    int no_decay_bias_norm; /* 0: decay every tensor (verl); 1: no decay on biases and norm
                               weights (HF Trainer's default parameter groups) */
} model_adamw_params;

/* One torch.optim.AdamW step over all parameters with the current gradients; increments
 * m->adam_step first (the first step uses k = 1). Allocates m/v on the first call. */
int model_adamw_step(model *m, const model_adamw_params *hp, svs_err *err);

/* ---- learning-rate schedules: the multiplier λ(s) of the base lr ----------------------- */

/* s is the scheduler's step count: 0 before its first .step(). verl and HF step the scheduler
 * after each update, so training step t (1-based) uses λ(t − 1). */
typedef enum {
    MODEL_LR_CONSTANT,    /* verl constant / HF constant_with_warmup: s<W ? s/max(1,W) : 1 */
    MODEL_LR_LINEAR,      /* HF linear: s<W ? s/max(1,W) : max(0, (S−s)/max(1, S−W)) */
    MODEL_LR_COSINE_VERL, /* verl: s<W ? init + (1−init)·s/max(1,W) :
                             max(min, (1+min)/2 + (1−min)/2·cos(2π·cycles·progress)) */
    MODEL_LR_COSINE_HF    /* HF cosine (with_min_lr): s<W ? s/max(1,W) :
                             max(0, min + (1−min)·(1 + cos(2π·cycles·progress))/2) */
} model_lr_kind;

typedef struct model_lr_schedule {
    model_lr_kind kind;
    int64_t warmup_steps;  /* W */
    int64_t total_steps;   /* S (linear and cosine) */
    double min_ratio;      /* cosine floor ratio (verl min_lr_ratio, HF min_lr_rate); 0 */
    double init_ratio;     /* verl cosine warmup start; 0 */
    double num_cycles;     /* cosine; 0.5 = half a cosine from 1 to min */
} model_lr_schedule;

/* progress = (s − W) / max(1, S − W) */
double model_lr_lambda(const model_lr_schedule *sch, int64_t s);

/* ---- KV-cache forward (decoding) --------------------------------------------------------- */

/* A KV cache for B sequences: sequence b holds up to cap[b] positions. Its own scratch holds
 * the activations of one step (no gradients). */
typedef struct model_kv {
    int B;
    int *cap, *len;        /* [B] capacity and filled positions */
    size_t *off;           /* [B] first cache row of sequence b */
    size_t rows;           /* Σ cap */
    float *k, *v;          /* [L, rows, KVD] (k after RoPE) */
    int max_rows;          /* most new tokens one step may carry (Σ over its sequences) */
    float *mem;            /* the step scratch below, one allocation */
    float *x, *ln, *h, *tmp;          /* [max_rows, C] */
    float *q, *att;                   /* [max_rows, QD] */
    float *kn, *vn;                   /* [max_rows, KVD] */
    float *gate, *up, *act;           /* [max_rows, F] */
    float *rstd;                      /* [max(max_rows, B)] */
    float *last, *lastn;              /* [B, C] last rows of each sequence, before / after norm */
    float *probs;          /* [probs_cap] attention probabilities, grown per step */
    size_t probs_cap;
    int32_t *tok, *pos;    /* [max_rows] */
} model_kv;

/* cap: [B] positions per sequence (prompt + new tokens); max_rows: the most tokens one
 * model_kv_step will carry (the sum of the prompt lengths for a batched prefill). */
int model_kv_init(model_kv *kv, model *m, int B, const int *cap, int max_rows, svs_err *err);
void model_kv_free(model_kv *kv); /* frees what kv owns; kv itself is the caller's */

/* Runs ntok[i] new tokens of sequence seq[i] (i < n, distinct sequences) at positions
 * len[seq[i]].., appends their K/V to the cache, and writes the logits of the LAST new token
 * of each sequence to logits[i, :] ([n, V]). Prefill is one step with the whole prompt;
 * decoding is one token per sequence per step. Bit-identical to model_forward's logits. */
int model_kv_step(model *m, model_kv *kv, int n, const int *seq, const int *ntok,
                  const int32_t *tokens /* [Σ ntok], packed in order i */, float *logits,
                  svs_err *err);

#endif
