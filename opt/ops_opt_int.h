/* ops_opt_int.h — internal to opt/: the prototypes of the opt kernels (one file per idea:
 * ops_opt_linear.c, _attention.c, _elem.c, _loss.c, _optim.c; ops_opt.c puts them in the
 * table), and two shared helpers: a vectorizable fp32 exp and the rule that decides when a loop
 * is worth an OpenMP parallel region.
 *
 * Determinism (DESIGN.md "Numbers and determinism"): a reduction that spans threads never uses
 * `reduction(+:...)` (its combine order is unspecified); each thread writes its partial into a
 * slot indexed by thread number and the slots are added in index order, so the same inputs and
 * the same thread count give the same bits. Every other loop writes disjoint outputs. */
#ifndef SVS_OPS_OPT_INT_H
#define SVS_OPS_OPT_INT_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Most threads a reduction keeps a partial for (slots on the stack). */
#define OPT_MAX_THREADS 256

/* A loop over this many elements or fewer runs on the calling thread: the fork/join of a
 * parallel region (a few µs) would cost more than the loop. */
#define OPT_PAR_MIN 16384

/* OPT_CLONES before a function compiles it three times, for AVX-512F, AVX2 and the x86-64
 * baseline (SSE2), and lets the dynamic loader pick one for the CPU (GCC/Clang target_clones,
 * an ifunc): the hot exp loops run two to four times as wide without -march flags in the
 * build (AVX-512F since issue 5). Elementwise results are the same in every version (no FMA:
 * neither "avx2" nor "avx512f" enables it, and opt/ is built with -ffp-contract=off); sums
 * that must not depend on the version use explicit lanes (8 in the loss kernels, 16 in
 * RMSNorm and the attention softmax). Define OPT_NO_CLONES to build the baseline only. */
#if defined(__x86_64__) && defined(__GNUC__) && defined(__ELF__) && !defined(OPT_NO_CLONES)
#define OPT_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define OPT_CLONES
#endif

/* Helpers forced inline, so that each OPT_CLONES clone gets its own AVX2 or baseline copy. */
#define OPT_INLINE static inline __attribute__((always_inline))

/* c ? a : b on floats without a branch or a floating-point select: GCC if-converts (and so
 * vectorizes) a float comparison used as a mask, where under the default -ftrapping-math it
 * keeps a `?:` on floats as control flow and gives up on the loop. */
OPT_INLINE float opt_sel(int c, float a, float b) {
    int32_t ia, ib, m = -(int32_t)(c != 0), r;
    float f;
    memcpy(&ia, &a, sizeof ia);
    memcpy(&ib, &b, sizeof ib);
    r = (ia & m) | (ib & ~m);
    memcpy(&f, &r, sizeof f);
    return f;
}

/* exp(x) in fp32 for x in [-87.3, 88.7] within about 2 ulp (Cephes expf: x = n·ln2 + r, a
 * degree-6 polynomial for e^r on |r| <= ln2/2, 2^n from exponent bits); x below -87.3 (and
 * -inf) gives 0, above 88.7 gives e^88.7, NaN gives NaN. Branch-free, so loops over it
 * vectorize (checked with -fopt-info-vec); exp(0) is exactly 1. Used where the reference calls
 * exp() in double and rounds once (softmax, log-prob, SiLU): the difference is ~1e-7 relative,
 * far inside the per-op NMSE thresholds. */
OPT_INLINE float opt_expf(float x) {
    const float hi = 88.7f, lo = -87.3f, magic = 12582912.0f; /* 1.5·2^23 */
    float xc = opt_sel(x < hi, x, hi); /* NaN becomes hi here, and NaN again at the end */
    xc = opt_sel(xc > lo, xc, lo);
    /* n = round(x / ln2): adding 1.5·2^23 leaves the rounded integer in the low mantissa bits */
    float fx = xc * 1.44269504088896341f + magic;
    int32_t bits;
    memcpy(&bits, &fx, sizeof bits);
    int32_t n = bits - 0x4B400000; /* the bits of 1.5·2^23 */
    float fn = fx - magic;
    /* r = x − n·ln2 in two steps (Cody–Waite) */
    float r = xc - fn * 0.693359375f;
    r = r - fn * -2.12194440e-4f;
    float r2 = r * r;
    float y = 1.9875691500e-4f;
    y = y * r + 1.3981999507e-3f;
    y = y * r + 8.3334519073e-3f;
    y = y * r + 4.1665795894e-2f;
    y = y * r + 1.6666665459e-1f;
    y = y * r + 5.0000001201e-1f;
    y = y * r2 + r + 1.0f;
    /* y · 2^n for n in [-126, 128]: two factors 2^(n/2) keep both ends in range */
    int32_t n1 = n >> 1, n2 = n - n1;
    int32_t b1 = (n1 + 127) * (1 << 23), b2 = (n2 + 127) * (1 << 23);
    float s1, s2;
    memcpy(&s1, &b1, sizeof s1);
    memcpy(&s2, &b2, sizeof s2);
    y = y * s1 * s2;
    y = opt_sel(x == x, y, x);
    return opt_sel(x < lo, 0.0f, y);
}

/* max of z[0..n-1] in 8 explicit lanes (vectorizes without a float reduction, which GCC and
 * Clang refuse under strict FP); NaN entries are skipped, as the reference's `if (z > mx)`
 * skips them; n = 0 gives -inf. */
OPT_INLINE float opt_max(const float *z, int n) {
    float mx[8];
    for (int k = 0; k < 8; k++) mx[k] = -INFINITY;
    int j = 0;
    for (; j + 8 <= n; j += 8)
        for (int k = 0; k < 8; k++) mx[k] = opt_sel(z[j + k] > mx[k], z[j + k], mx[k]);
    float r = -INFINITY;
    for (int k = 0; k < 8; k++) r = opt_sel(mx[k] > r, mx[k], r);
    for (; j < n; j++) r = opt_sel(z[j] > r, z[j], r);
    return r;
}

/* ops_opt_decode512.c: attention_decode's (row, KV group) task with AVX-512F + FMA (hd % 16 == 0),
 * and whether this CPU runs it (call outside parallel regions: it caches the answer) */
int opt_have_avx512(void);
void opt_decode_task512(float *out, float *s, const float *q, const float *kb, const float *vb,
                        int ldk, int len, int n_rep, int hd, int Tmax, float scale);

/* ops_opt_attn512.c: the training attention's block products with AVX-512F + FMA, used by
 * attention_forward / attention_backward when opt_have_avx512() and hd % 16 == 0, hd <= MAXHD:
 *   scores: s[i, j] = fp32(Σ_d a[i, d]·b[j, d])·scale, i < m <= 32, j < kbase + i + 1
 *   accum:  out[r, :] (+)= alpha·Σ_{lo_r <= i < n_r} a[r·ars + i·acs]·b[i, :],
 *           n_r ~ min(n, nb + r + 1), lo_r ~ max(0, ib + r) */
#define OPT_ATTN512_MAXHD 256
void opt_attn512_scores(float *s, size_t lds, const float *a, size_t lda, const float *b,
                        size_t ldb, int m, int kbase, int hd, float scale);
void opt_attn512_accum(float *out, size_t ldo, const float *a, size_t ars, size_t acs,
                       const float *b, size_t ldb, int m, int n, int nb, int ib, int hd,
                       float alpha, int add);
/* the block's rows (row i sees keys < kbase+i+1; zeros after, up to Tk): softmax with its
 * (max, sum) stats; the same probabilities again from the stats; ds = p⊙(dp − rowsum(p⊙dp)) */
void opt_attn512_softmax(float *s, float *st, size_t lds, int m, int kbase, int Tk);
void opt_attn512_probs(float *s, const float *st, size_t lds, int m, int kbase, int Tk);
void opt_attn512_dscores(float *dp, const float *p, size_t ld, int m, int kbase, int Tk);

/* ops_opt_linear.c */
void opt_matmul_forward(float *out, const float *x, const float *w, const float *bias, int N,
                        int I, int O);
void opt_matmul_backward(float *dx, float *dw, float *dbias, const float *dout, const float *x,
                         const float *w, int N, int I, int O);
void opt_embedding_forward(float *out, const float *wte, const int32_t *ids, int N, int C);
void opt_embedding_backward(float *dwte, const float *dout, const int32_t *ids, int N, int C);

/* ops_opt_elem.c */
void opt_rmsnorm_forward(float *out, float *rstd, const float *x, const float *w, int N, int C,
                         float eps);
void opt_rmsnorm_backward(float *dx, float *dw, const float *dout, const float *x,
                          const float *w, const float *rstd, int N, int C);
void opt_rope_forward(float *out, const float *x, const float *cos_t, const float *sin_t,
                      const int32_t *pos, int N, int H, int hd);
void opt_rope_backward(float *dx, const float *dout, const float *cos_t, const float *sin_t,
                       const int32_t *pos, int N, int H, int hd);
void opt_swiglu_forward(float *out, const float *gate, const float *up, size_t n);
void opt_swiglu_backward(float *dgate, float *dup, const float *dout, const float *gate,
                         const float *up, size_t n);
void opt_add(float *out, const float *a, const float *b, size_t n);

/* ops_opt_attention.c */
void opt_attention_forward(float *out, float *probs, float *stats, const float *q,
                           const float *k, const float *v, int Tq, int Tk, int H, int KVH, int hd);
void opt_attention_backward(float *dq, float *dk, float *dv, float *scratch, const float *dout,
                            const float *stats, const float *q, const float *k, const float *v,
                            int Tq, int Tk, int H, int KVH, int hd);
void opt_attention_decode(float *out, float *scratch, const float *q, const float *k,
                          const float *v, const size_t *off, const int *len, int n, int Tmax,
                          int H, int KVH, int hd);

/* ops_opt_loss.c */
void opt_softmax_forward(float *probs, const float *logits, int N, int V, float temperature);
void opt_logprob_forward(float *logp, float *entropy, const float *logits,
                         const int32_t *targets, int N, int V, float temperature);
void opt_logprob_backward(float *dlogits, const float *dlogp, const float *dentropy,
                          const float *logits, const int32_t *targets, int N, int V,
                          float temperature);
void opt_crossentropy_forward(float *loss, float *losses, const float *logits,
                              const int32_t *targets, int N, int V);
void opt_crossentropy_backward(float *dlogits, float dloss, const float *logits,
                               const int32_t *targets, int N, int V);

/* ops_opt_optim.c */
void opt_adamw_update(float *p, float *m, float *v, const float *g, size_t n, double lr,
                      double beta1, double beta2, double eps, double weight_decay, int64_t step);
float opt_grad_norm(const float *g, size_t n);
void opt_scale(float *x, size_t n, float s);

#endif
