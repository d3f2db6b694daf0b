/* ops.h — the table of numeric kernels behind the transformer (DESIGN.md "The ops interface").
 *
 * Every kernel that ref/model.c runs — linear layers, embedding, RMSNorm, RoPE, causal GQA
 * attention (full or against a KV cache), SwiGLU, softmax / log-prob / entropy, cross-entropy,
 * AdamW, gradient-norm clipping — is a function pointer in `ops_table`. The model calls only
 * through the table, so it is written once; ref/ops_ref_*.c fills the table with the plainest
 * correct loops (that implementation IS the specification), opt/ (OpenBLAS + OpenMP) and
 * opencl/ fill the same table and are checked against it. docs/ops.md lists every op with its
 * formula, its source and the tolerance of its checks.
 *
 * Conventions (spec/style.md §1.2, §6.1 #2):
 *   - Arguments: outputs first, then inputs, then dimensions. Every pointer carries a shape
 *     comment; all tensors are dense, row-major fp32 (the last index is contiguous).
 *   - Backward kernels ACCUMULATE into gradients (+=): zeroing a gradient is the caller's
 *     explicit step. A gradient pointer documented "may be NULL" is skipped.
 *   - Dimensions are `int` (each < 2^31); every product of dimensions and every offset is
 *     computed in size_t, so N*V or T*H*hd never overflows. Flat element counts are size_t.
 *   - Kernels never allocate and never fail: callers pass every buffer, scratch included, and
 *     guarantee the documented preconditions (ids in [0, V), H % KVH == 0, ...). Functions
 *     that check input (the RoPE helpers, ops_ids_check) return -1 with an svs_err.
 *   - Aliasing: outputs must not overlap inputs unless an op says "in place allowed".
 *
 * Numbers (DESIGN.md "Numbers and determinism"; spec/grpo-conventions.md §11):
 *   - The reference runs single-threaded with a fixed reduction order: same inputs, same bits.
 *   - Elementwise arithmetic is fp32 in the order torch / HF write it (cited per kernel).
 *   - Every reduction (dot products, sums of squares, softmax denominators, gradient sums)
 *     accumulates in double and is rounded to float once. The reference is then within about
 *     one float ulp of the exact result of its fp32 inputs, a tighter oracle than any fp32
 *     summation order (torch's included); it also avoids the cancellation in the entropy
 *     H = logsumexp(z) − Σ p·z when H is small. Backends may sum in float; they are compared
 *     with a per-op normalized error (docs/ops.md).
 *
 * Backend registry (DESIGN.md "Layout": nothing in ref/ includes opt/ or opencl/):
 *   ref/ops_ref.c holds a small array of `const ops_table *` with "ref" always first.
 *   A backend's own file defines its table and adds it with ops_register(), either from a
 *   constructor in that file (`__attribute__((constructor))`, GCC/Clang) or by an explicit call
 *   from the CLI, which is the one place allowed to know about opt/ and opencl/. Note that a
 *   linker drops an object of a static archive that nobody references, so a constructor-only
 *   backend must be linked as an object file (or with --whole-archive). ops_find("opt") then
 *   returns it; `--backend NAME` is a lookup by name. Registration happens before any lookup
 *   (at start-up, single-threaded); after that the registry is read-only.
 *
 * Letters used in shape comments: N rows (batch × tokens), I/O linear in/out features,
 * C channels (hidden size), V vocabulary, F MLP intermediate size, T / Tq / Tk sequence,
 * query and key lengths, H query heads, KVH key/value heads, hd head dim, P table positions. */
#ifndef SVS_OPS_H
#define SVS_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

typedef struct ops_table {
    const char *name; /* "ref", "opt", "opencl", ... (the --backend value) */

    /* ---- linear layer (HF nn.Linear: weight [out, in]) -------------------------------- */

    /* out = x · W^T (+ bias): out[n,o] = Σ_i x[n,i]·W[o,i] + bias[o] */
    void (*matmul_forward)(float *out,        /* [N, O] */
                           const float *x,    /* [N, I] */
                           const float *w,    /* [O, I] */
                           const float *bias, /* [O], may be NULL */
                           int N, int I, int O);
    /* dx += dout·W, dW += dout^T·x, dbias += Σ_n dout */
    void (*matmul_backward)(float *dx,         /* [N, I] +=, may be NULL */
                            float *dw,         /* [O, I] +=, may be NULL */
                            float *dbias,      /* [O]    +=, may be NULL */
                            const float *dout, /* [N, O] */
                            const float *x,    /* [N, I] */
                            const float *w,    /* [O, I] */
                            int N, int I, int O);

    /* ---- token embedding ----------------------------------------------------------------- */

    /* out[n,:] = wte[ids[n],:]; precondition 0 <= ids[n] < V (ops_ids_check) */
    void (*embedding_forward)(float *out,          /* [N, C] */
                              const float *wte,    /* [V, C] */
                              const int32_t *ids,  /* [N] */
                              int N, int C);
    /* dwte[ids[n],:] += dout[n,:], rows in order n = 0..N-1 */
    void (*embedding_backward)(float *dwte,         /* [V, C] += */
                               const float *dout,   /* [N, C] */
                               const int32_t *ids,  /* [N] */
                               int N, int C);

    /* ---- RMSNorm (HF Qwen2RMSNorm / LlamaRMSNorm) ------------------------------------------ */

    /* rstd[n] = 1/sqrt(mean_i x[n,i]² + eps); out[n,i] = w[i]·(x[n,i]·rstd[n]) */
    void (*rmsnorm_forward)(float *out,       /* [N, C] */
                            float *rstd,      /* [N] kept for backward */
                            const float *x,   /* [N, C] */
                            const float *w,   /* [C] */
                            int N, int C, float eps);
    void (*rmsnorm_backward)(float *dx,         /* [N, C] += */
                             float *dw,         /* [C] +=, may be NULL */
                             const float *dout, /* [N, C] */
                             const float *x,    /* [N, C] */
                             const float *w,    /* [C] */
                             const float *rstd, /* [N] from the forward */
                             int N, int C);

    /* ---- rotary position embedding, HF rotate_half (NeoX) layout -------------------------- */

    /* For each row n, head h and i < hd/2, with c = cos[pos[n], i], s = sin[pos[n], i]:
     *   out[i]      = x[i]·c − x[i+hd/2]·s
     *   out[i+hd/2] = x[i+hd/2]·c + x[i]·s
     * Tables come from ops_rope_tables(). In place allowed (out == x). hd even. */
    void (*rope_forward)(float *out,           /* [N, H, hd] */
                         const float *x,       /* [N, H, hd] */
                         const float *cos_t,   /* [P, hd/2] */
                         const float *sin_t,   /* [P, hd/2] */
                         const int32_t *pos,   /* [N] positions, 0 <= pos[n] < P */
                         int N, int H, int hd);
    /* dx += R(θ)^T · dout (the rotation by −θ) */
    void (*rope_backward)(float *dx,            /* [N, H, hd] += */
                          const float *dout,    /* [N, H, hd] */
                          const float *cos_t,   /* [P, hd/2] */
                          const float *sin_t,   /* [P, hd/2] */
                          const int32_t *pos,   /* [N] */
                          int N, int H, int hd);

    /* ---- causal grouped-query attention, one sequence -------------------------------------- */

    /* Query row t sits at absolute position Tk − Tq + t and attends to keys 0 .. Tk − Tq + t.
     * Tq == Tk is ordinary causal self-attention; Tq < Tk is the KV-cache form (decoding or
     * chunked prefill: k and v hold the cached rows 0 .. Tk−Tq−1 followed by the Tq new ones).
     * Head h reads KV head h / (H/KVH) (HF repeat_kv). scale = 1/sqrt(hd);
     *   s[h,t,j]     = fp32(q[t,h,:]·k[j,kvh,:]) · scale                  (j ≤ Tk−Tq+t)
     *   m[h,t]       = max_j s[h,t,j],   l[h,t] = fp32(Σ_j exp(s[h,t,j] − m[h,t]))
     *   probs[h,t,j] = exp(s[h,t,j] − m[h,t]) / l[h,t]   (j ≤ Tk−Tq+t, else 0)
     *   out[t,h,:]   = Σ_j probs[h,t,j] · v[j,kvh,:]
     * The probabilities are NOT needed by the backward (which recomputes them from q, k and
     * stats): `probs` is scratch the caller may reuse at once. stats[h,t,:] = (m, l) is what the
     * backward keeps (2 floats per head and row instead of Tk). Preconditions: 1 <= Tq <= Tk,
     * H % KVH == 0. */
    void (*attention_forward)(float *out,       /* [Tq, H, hd] */
                              float *probs,     /* [H, Tq, Tk] scratch (the probabilities) */
                              float *stats,     /* [H, Tq, 2] (m, l) for the backward, may be NULL */
                              const float *q,   /* [Tq, H, hd] (RoPE applied) */
                              const float *k,   /* [Tk, KVH, hd] (RoPE applied) */
                              const float *v,   /* [Tk, KVH, hd] */
                              int Tq, int Tk, int H, int KVH, int hd);
    /* Recomputes probs from q, k and stats (same bits as the forward's in ref), then
     *   dv += probsᵀ·dout, ds = probs⊙(dout·vᵀ − rowsum(probs⊙(dout·vᵀ))),
     *   dq += scale·ds·k,  dk += scale·dsᵀ·q   (dk, dv summed over the heads of a group).
     * scratch holds one KV group's probabilities and d-scores: ops_attention_scratch() floats. */
    void (*attention_backward)(float *dq,          /* [Tq, H, hd] += */
                               float *dk,          /* [Tk, KVH, hd] += */
                               float *dv,          /* [Tk, KVH, hd] += */
                               float *scratch,     /* [2, H/KVH, Tq, Tk] overwritten */
                               const float *dout,  /* [Tq, H, hd] */
                               const float *stats, /* [H, Tq, 2] from the forward */
                               const float *q,     /* [Tq, H, hd] */
                               const float *k,     /* [Tk, KVH, hd] */
                               const float *v,     /* [Tk, KVH, hd] */
                               int Tq, int Tk, int H, int KVH, int hd);

    /* ---- attention of single query rows against KV caches (decoding) --------------------- */

    /* n query rows from any sequences in one call (a decode round: one new row per sequence;
     * a short chunk of Tq new rows of one sequence is Tq rows with the same off and
     * len = L0+1 .. L0+Tq). Row i is attention_forward with Tq = 1, Tk = len[i] on q row i and
     * the cache rows off[i] .. off[i]+len[i]−1 of k and v (its own key and value are already
     * there: row i sits at position len[i]−1 of its sequence):
     *   s[h,j]     = fp32(q[i,h,:]·k[off[i]+j,kvh,:]) · scale          (j < len[i])
     *   p[h,:]     = softmax(s[h,:])   (m = max, l = fp32(Σ exp(s − m)), p = exp(s − m)/l)
     *   out[i,h,:] = Σ_j p[h,j] · v[off[i]+j,kvh,:]
     * kvh = h / (H/KVH). scratch holds the probabilities: n·H·Tmax floats, Tmax >= every len[i].
     * Nothing is kept for a backward (there is none: decoding only). Preconditions: n >= 1,
     * 1 <= len[i] <= Tmax, H % KVH == 0. */
    void (*attention_decode)(float *out,         /* [n, H, hd] */
                             float *scratch,     /* [n, H, Tmax] overwritten */
                             const float *q,     /* [n, H, hd] (RoPE applied) */
                             const float *k,     /* [rows, KVH, hd] the caches (RoPE applied) */
                             const float *v,     /* [rows, KVH, hd] */
                             const size_t *off,  /* [n] first cache row of row i's sequence */
                             const int *len,     /* [n] keys row i attends to */
                             int n, int Tmax, int H, int KVH, int hd);

    /* ---- SwiGLU MLP activation ------------------------------------------------------------- */

    /* out = silu(gate) · up, silu(g) = g / (1 + exp(−g)) */
    void (*swiglu_forward)(float *out,         /* [n] */
                           const float *gate,  /* [n] */
                           const float *up,    /* [n] */
                           size_t n);
    void (*swiglu_backward)(float *dgate,       /* [n] += */
                            float *dup,         /* [n] += */
                            const float *dout,  /* [n] */
                            const float *gate,  /* [n] */
                            const float *up,    /* [n] */
                            size_t n);

    /* ---- elementwise add (residual stream; its backward is the same add) ------------------- */

    /* out = a + b; in place allowed (out == a or out == b) */
    void (*add)(float *out, const float *a, const float *b, size_t n); /* all [n] */

    /* ---- softmax, log-prob, entropy, cross-entropy (spec/grpo-conventions.md §3) ----------- */

    /* probs[n,:] = softmax(logits[n,:] / temperature) (for sampling); temperature > 0 */
    void (*softmax_forward)(float *probs,        /* [N, V] */
                            const float *logits, /* [N, V] */
                            int N, int V, float temperature);
    /* With z = logits / temperature (verl divides the logits first):
     *   logp[n]    = z[y] − logsumexp(z),  y = targets[n]
     *   entropy[n] = logsumexp(z) − Σ_j softmax(z)_j · z_j      (verl form)
     * logp (with targets) or entropy may be NULL. */
    void (*logprob_forward)(float *logp,            /* [N], may be NULL */
                            float *entropy,         /* [N], may be NULL */
                            const float *logits,    /* [N, V] raw logits */
                            const int32_t *targets, /* [N] in [0, V); NULL iff logp is NULL */
                            int N, int V, float temperature);
    /* dlogits[n,j] += dlogp[n]·(δ_jy − p_j)/T + dentropy[n]·(−p_j·(log p_j + H))/T */
    void (*logprob_backward)(float *dlogits,         /* [N, V] += */
                             const float *dlogp,     /* [N], may be NULL */
                             const float *dentropy,  /* [N], may be NULL */
                             const float *logits,    /* [N, V] */
                             const int32_t *targets, /* [N]; may be NULL iff dlogp is NULL */
                             int N, int V, float temperature);
    /* loss = mean over rows with targets[n] >= 0 of −log softmax(logits[n,:])[targets[n]]
     * (torch F.cross_entropy, mean reduction; negative targets are ignored like ignore_index;
     * no valid row gives NaN, as torch does). losses[n] = per-row loss, 0 when ignored. */
    void (*crossentropy_forward)(float *loss,            /* [1] */
                                 float *losses,          /* [N], may be NULL */
                                 const float *logits,    /* [N, V] */
                                 const int32_t *targets, /* [N], < 0 = ignored */
                                 int N, int V);
    /* dlogits[n,j] += dloss/count · (p_j − δ_jy) for each valid row */
    void (*crossentropy_backward)(float *dlogits,         /* [N, V] += */
                                  float dloss,            /* scalar d(objective)/d(loss) */
                                  const float *logits,    /* [N, V] */
                                  const int32_t *targets, /* [N], < 0 = ignored */
                                  int N, int V);

    /* ---- optimizer (spec/grpo-conventions.md §9.2–9.3) ----------------------------------- */

    /* torch.optim.AdamW single-tensor step; `step` is the 1-based step count k:
     *   p ← p·(1 − lr·wd); m ← m + (1−β1)(g − m); v ← β2·v + (1−β2)·g·g;
     *   p ← p − (lr/(1−β1^k)) · m / (sqrt(v)/sqrt(1−β2^k) + eps) */
    void (*adamw_update)(float *p,       /* [n] parameters, updated */
                         float *m,       /* [n] first moment, updated (zeros before step 1) */
                         float *v,       /* [n] second moment, updated (zeros before step 1) */
                         const float *g, /* [n] gradient */
                         size_t n, double lr, double beta1, double beta2, double eps,
                         double weight_decay, int64_t step);
    /* returns sqrt(Σ g²) over one flat buffer (the gradient slab) */
    float (*grad_norm)(const float *g, size_t n); /* g: [n] */
    /* x *= s (gradient clipping with s = ops_clip_coef(...)) */
    void (*scale)(float *x, size_t n, float s); /* x: [n] */
} ops_table;

/* ---- registry --------------------------------------------------------------------------- */

const ops_table *ops_ref(void);              /* the reference table, always registered */
/* Adds a backend (its name must be new). Returns 0, or -1 when the registry (8 slots) is full,
 * the table or its name is NULL, or the name is taken. */
int ops_register(const ops_table *t);
const ops_table *ops_find(const char *name);  /* NULL if no backend has that name */
int ops_count(void);                          /* number of registered backends */
const ops_table *ops_get(int i);              /* i in [0, ops_count()); 0 is "ref" */

/* ---- helpers shared by every backend (computed once, on the CPU) ------------------------ */

typedef enum { OPS_ROPE_DEFAULT = 0, OPS_ROPE_LLAMA3 = 1 } ops_rope_type;

/* config.json rope_scaling / rope_parameters (spec/formats.md §9.3). */
typedef struct ops_rope_scaling {
    ops_rope_type type;
    double factor;                    /* llama3: 8 (Llama-3.1), 32 (Llama-3.2) */
    double low_freq_factor;           /* llama3: 1 */
    double high_freq_factor;          /* llama3: 4 */
    double original_max_position;     /* llama3: original_max_position_embeddings, 8192 */
} ops_rope_scaling;

/* inv_freq[i] = 1 / theta^(2i/hd), i < hd/2, in fp32 as HF computes it, then the llama3
 * rescaling when scaling->type == OPS_ROPE_LLAMA3 (scaling may be NULL: default).
 * Returns -1 with err on hd odd or <= 0, theta <= 0, or bad llama3 parameters. */
int ops_rope_inv_freq(float *inv_freq, /* [hd/2] */
                      int hd, double theta, const ops_rope_scaling *scaling, svs_err *err);

/* cos_t[p,i] = cos(p·inv_freq[i]), sin_t[p,i] = sin(p·inv_freq[i]); the angle is the fp32
 * product, as HF's fp32 matmul of positions by inv_freq (attention scaling is 1.0 for the
 * default and llama3 types). Returns -1 with err on P or hd out of range. */
int ops_rope_tables(float *cos_t,          /* [P, hd/2] */
                    float *sin_t,          /* [P, hd/2] */
                    const float *inv_freq, /* [hd/2] */
                    int P, int hd, svs_err *err);

/* Gradient-norm clip coefficient, torch clip_grad_norm_: min(1, max_norm / (total + 1e-6)),
 * in fp32 as torch computes it. The caller skips the step when total is not finite (verl). */
float ops_clip_coef(float total_norm, float max_norm);

/* Floats of attention_backward's scratch: 2·(H/KVH)·Tq·Tk (one KV group's probabilities and
 * d-scores). The forward's `probs` scratch is H·Tq·Tk. */
size_t ops_attention_scratch(int Tq, int Tk, int H, int KVH);

/* Checks 0 <= ids[i] < V for i < n; -1 with err naming the first bad position otherwise. */
int ops_ids_check(const int32_t *ids, size_t n, int V, svs_err *err);

#endif
