/* ops_opt_attention.c — opt causal grouped-query attention for one sequence (ref/ops.h; the
 * reference is ref/ops_ref_attention.c, HF eager_attention_forward).
 *
 * Work is cut into tasks of up to ROWS query rows of one head (or, in the second half of the
 * backward, ROWS key rows of one KV head); OpenMP runs the tasks in parallel and each task is
 * a few GEMMs on strided views of the [T, H, hd] tensors (lda = H·hd or KVH·hd), which run on
 * the calling thread. Causality is exploited per block: query rows t0..t1-1 see keys
 * 0 .. kmax-1 with kmax = Tk − Tq + t1, so the GEMMs skip the keys no row of the block sees
 * (about half the work of the full square when Tq == Tk); the few masked entries a block does
 * compute are overwritten with 0 afterwards, so probs has the reference's exact zeros.
 *
 * Forward, task (h, t0..t1):   S = scale · Q_h·K_g^T  written straight into probs[h, t0..t1, :]
 *                              row softmax in place (fp32, max-subtracted, opt_expf); the row
 *                              max m and the fp32 sum l go to stats (kept for the backward)
 *                              out_h = P·V_g          (g = h / (H/KVH), HF repeat_kv)
 * Backward, one KV group g at a time (scratch = [2, H/KVH, Tq, Tk]: P then dS of the group):
 *   pass A, task (h in g, t0..t1):
 *                              S = scale · Q_h·K_g^T  (the forward's GEMM call: same bits),
 *                              P = exp(S − m)·(1/l)   (the forward's expression: same bits)
 *                              dP = dout_h·V_g^T      into the d-scores half
 *                              dS = P ⊙ (dP − rowsum(P ⊙ dP))
 *                              dq_h += scale · dS·K_g
 *   pass B, task (j0..j1):     for the heads h of group g, in order,
 *                              dk_g += scale · dS_h^T·Q_h,  dv_g += P_h^T·dout_h
 * (only query rows t >= j0 − (Tk − Tq) see these keys; earlier rows are skipped).
 * Recomputing P costs one GEMM of the size of dP per backward (+25 % over the 4 of a backward
 * that keeps P) and saves L·H·T² floats of kept probabilities per sequence.
 * Every output element is written by one task, so results do not depend on the schedule.
 *
 * On AVX-512F + FMA CPUs with hd % 16 == 0 (hd <= 256) the products and row passes of a task
 * run in the kernels of ops_opt_attn512.c instead of opt_gemm calls (a BLAS call on a
 * 32 × kmax × hd block costs ~6 µs of fixed overhead, more than the product): the same tasks,
 * blocks and formulas, with the causal skip finer than the block (16 query rows for the
 * scores, 4 rows for the sums over keys or queries). The forward and the backward's
 * recompute call the same score kernel and the same exp, so P has the same bits in both. */
#include <math.h>
#include <stddef.h>

#include "ops_opt.h"
#include "ops_opt_int.h"

/* Query (or key) rows per task: big enough for an efficient GEMM, small enough to give every
 * thread work on a 128-token sequence with 4 heads. */
#define ROWS 32

static float attn_scale(int hd) { return (float)pow((double)hd, -0.5); }

static size_t at3(int a, int b, int B, int C) {
    return ((size_t)a * (size_t)B + (size_t)b) * (size_t)C;
}

/* Number of tasks that split `rows` into blocks of ROWS, for `heads` heads. */
static int ntasks(int heads, int rows) { return heads * ((rows + ROWS - 1) / ROWS); }

/* Whether the training attention takes the AVX-512 block kernels (ops_opt_attn512.c); call
 * outside parallel regions (opt_have_avx512 caches its answer). The score kernel takes at
 * most 32 query rows, so ROWS must stay <= 32. */
_Static_assert(ROWS <= 32, "opt_attn512_scores takes at most 32 query rows");
static int attn_wide(int hd) {
    return hd % 16 == 0 && hd <= OPT_ATTN512_MAXHD && opt_have_avx512();
}

/* s[t, j] = fp32(a_t·b_j)·scale for the m (<= ROWS) query rows t of a block whose first row
 * sees keys 0 .. kbase, rows a: [m, lda], keys b: [., ldb], s: [m, lds]: the scores and the
 * backward's dP = dout·Vᵀ. One routine for both passes, so the backward's recomputed scores
 * have the forward's bits. Entries past a row's last key may be written (masked later). */
static void block_scores(int wide, float *s, const float *a, int lda, const float *b, int ldb,
                         int m, int kbase, int hd, float scale, int lds) {
    if (wide)
        opt_attn512_scores(s, (size_t)lds, a, (size_t)lda, b, (size_t)ldb, m, kbase, hd, scale);
    else
        opt_gemm(0, 1, m, kbase + m, hd, scale, a, lda, b, ldb, 0.0f, s, lds);
}

/* Row softmax of s[0..last] in place, zeros in s[last+1 .. Tk-1]; the row max and the sum
 * of exponentials into st[0], st[1]. The loops run over whole vectors up to nv = last+1
 * rounded up to 16 (at most Tk), the entries past `last` masked out (opt_sel), so that no
 * scalar remainder loop computes exps one by one; the values there (masked scores, or whatever
 * the buffer held) are read but never used. */
OPT_CLONES static void softmax_row(float *s, float *st, int last, int Tk) {
    int n = last + 1, nv = (n + 15) & ~15;
    if (nv > Tk) nv = Tk;
    /* 16 lanes, then a halving tree (vectorizes; a lane-by-lane scalar combine is a chain) */
    float m16[16], s16[16];
    for (int k = 0; k < 16; k++) m16[k] = -INFINITY;
    int j = 0;
    for (; j + 16 <= nv; j += 16)
        for (int k = 0; k < 16; k++)
            m16[k] = opt_sel((j + k < n) & (s[j + k] > m16[k]), s[j + k], m16[k]);
    for (; j < n; j++) m16[0] = opt_sel(s[j] > m16[0], s[j], m16[0]);
    for (int w = 8; w > 0; w >>= 1)
        for (int k = 0; k < w; k++) m16[k] = opt_sel(m16[k + w] > m16[k], m16[k + w], m16[k]);
    float mx = m16[0];
    for (int k = 0; k < 16; k++) s16[k] = 0.0f;
    for (j = 0; j + 16 <= nv; j += 16)
        for (int k = 0; k < 16; k++) {
            float e = opt_sel(j + k < n, opt_expf(s[j + k] - mx), 0.0f);
            s[j + k] = e;
            s16[k] += e;
        }
    for (; j < nv; j++) {
        float e = opt_sel(j < n, opt_expf(s[j] - mx), 0.0f);
        s[j] = e;
        s16[0] += e;
    }
    for (int w = 8; w > 0; w >>= 1)
        for (int k = 0; k < w; k++) s16[k] += s16[k + w];
    float sum = s16[0];
    float inv = 1.0f / sum;
#pragma omp simd
    for (j = 0; j < nv; j++) s[j] *= inv;
    for (j = nv; j < Tk; j++) s[j] = 0.0f;
    st[0] = mx;
    st[1] = sum;
}

/* The probabilities of softmax_row again from the scores s[0..last] and st = (max, sum):
 * the same fp32 operations, hence the same bits (the same whole-vector masking). */
OPT_CLONES static void prob_row(float *s, const float *st, int last, int Tk) {
    int n = last + 1, nv = (n + 15) & ~15;
    if (nv > Tk) nv = Tk;
    float mx = st[0], inv = 1.0f / st[1];
#pragma omp simd
    for (int j = 0; j < nv; j++) s[j] = opt_sel(j < n, opt_expf(s[j] - mx), 0.0f) * inv;
    for (int j = nv; j < Tk; j++) s[j] = 0.0f;
}

void opt_attention_forward(float *out,     /* [Tq, H, hd] */
                           float *probs,   /* [H, Tq, Tk] scratch */
                           float *stats,   /* [H, Tq, 2], may be NULL */
                           const float *q, /* [Tq, H, hd] */
                           const float *k, /* [Tk, KVH, hd] */
                           const float *v, /* [Tk, KVH, hd] */
                           int Tq, int Tk, int H, int KVH, int hd) {
    int n_rep = H / KVH, nblk = (Tq + ROWS - 1) / ROWS, ldq = H * hd, ldk = KVH * hd;
    float scale = attn_scale(hd);
    int nt = ntasks(H, Tq), wide = attn_wide(hd);
#pragma omp parallel for schedule(dynamic, 1) if (nt > 1 && (size_t)Tq * (size_t)Tk * (size_t)H * (size_t)hd > OPT_PAR_MIN)
    for (int task = 0; task < nt; task++) {
        int h = task / nblk, t0 = (task % nblk) * ROWS;
        int t1 = t0 + ROWS < Tq ? t0 + ROWS : Tq, m = t1 - t0, g = h / n_rep;
        int kmax = Tk - Tq + t1; /* keys seen by the last row of the block */
        float *p = probs + at3(h, t0, Tq, Tk);
        /* s[t,j] = (q_t·k_j)·scale for j < kmax */
        block_scores(wide, p, q + at3(t0, h, H, hd), ldq, k + (size_t)g * hd, ldk, m, Tk - Tq + t0,
                     hd, scale, Tk);
        if (wide) {
            float st[2 * ROWS];
            opt_attn512_softmax(p, stats ? stats + at3(h, t0, Tq, 2) : st, (size_t)Tk, m,
                                Tk - Tq + t0, Tk);
        } else
            for (int t = t0; t < t1; t++) {
                float st[2];
                softmax_row(p + (size_t)(t - t0) * Tk, st, Tk - Tq + t, Tk);
                if (stats) {
                    stats[at3(h, t, Tq, 2)] = st[0];
                    stats[at3(h, t, Tq, 2) + 1] = st[1];
                }
            }
        /* out[t,h,:] = Σ_j p_tj · v_j (masked p are 0) */
        if (wide)
            opt_attn512_accum(out + at3(t0, h, H, hd), (size_t)ldq, p, (size_t)Tk, 1,
                              v + (size_t)g * hd, (size_t)ldk, m, kmax, Tk - Tq + t0, -m, hd, 1.0f,
                              0);
        else
            opt_gemm(0, 0, m, hd, kmax, 1.0f, p, Tk, v + (size_t)g * hd, ldk, 0.0f,
                     out + at3(t0, h, H, hd), ldq);
    }
}

/* The backward for the heads of KV group g; P and dS are that group's [n_rep, Tq, Tk]. */
static void backward_group(float *dq, float *dk, float *dv, float *P, float *dS,
                           const float *dout, const float *stats, const float *q, const float *k,
                           const float *v, int g, int Tq, int Tk, int H, int KVH, int hd,
                           int par, int wide) {
    int n_rep = H / KVH, ldq = H * hd, ldk = KVH * hd;
    float scale = attn_scale(hd);
    /* Pass A. The forward computed s = scale·q·k_j, p = softmax(s), out = Σ_j p_j·v_j, so
     *   dp_j = dout·v_j,  ds_j = p_j·(dp_j − Σ_i p_i·dp_i),  dq = scale · Σ_j ds_j·k_j      */
    int nblk = (Tq + ROWS - 1) / ROWS, nt = ntasks(n_rep, Tq);
#pragma omp parallel for schedule(dynamic, 1) if (par && nt > 1)
    for (int task = 0; task < nt; task++) {
        int r = task / nblk, h = g * n_rep + r, t0 = (task % nblk) * ROWS;
        int t1 = t0 + ROWS < Tq ? t0 + ROWS : Tq, m = t1 - t0;
        int kmax = Tk - Tq + t1;
        float *p = P + at3(r, t0, Tq, Tk), *ds = dS + at3(r, t0, Tq, Tk);
        /* recompute: the forward's score kernel and row expression */
        block_scores(wide, p, q + at3(t0, h, H, hd), ldq, k + (size_t)g * hd, ldk, m, Tk - Tq + t0,
                     hd, scale, Tk);
        if (wide)
            opt_attn512_probs(p, stats + at3(h, t0, Tq, 2), (size_t)Tk, m, Tk - Tq + t0, Tk);
        else
            for (int t = t0; t < t1; t++)
                prob_row(p + (size_t)(t - t0) * Tk, stats + at3(h, t, Tq, 2), Tk - Tq + t, Tk);
        block_scores(wide, ds, dout + at3(t0, h, H, hd), ldq, v + (size_t)g * hd, ldk, m,
                     Tk - Tq + t0, hd, 1.0f, Tk);
        if (wide)
            opt_attn512_dscores(ds, p, (size_t)Tk, m, Tk - Tq + t0, Tk);
        else
            for (int t = t0; t < t1; t++) {
                int n = Tk - Tq + t + 1;
                float *ds_t = ds + (size_t)(t - t0) * Tk;
                const float *p_t = p + (size_t)(t - t0) * Tk;
                float pdp = 0.0f;
#pragma omp simd reduction(+ : pdp)
                for (int j = 0; j < n; j++) pdp += p_t[j] * ds_t[j];
#pragma omp simd
                for (int j = 0; j < n; j++) ds_t[j] = p_t[j] * (ds_t[j] - pdp);
                for (int j = n; j < Tk; j++) ds_t[j] = 0.0f;
            }
        if (wide)
            opt_attn512_accum(dq + at3(t0, h, H, hd), (size_t)ldq, ds, (size_t)Tk, 1,
                              k + (size_t)g * hd, (size_t)ldk, m, kmax, Tk - Tq + t0, -m, hd,
                              scale, 1);
        else
            opt_gemm(0, 0, m, hd, kmax, scale, ds, Tk, k + (size_t)g * hd, ldk, 1.0f,
                     dq + at3(t0, h, H, hd), ldq);
    }
    /* Pass B. From s_tj = scale·q_t·k_j and out_t = Σ_j p_tj·v_j, summed over the heads of
     * the group (repeat_kv):
     *   dk_j = scale · Σ_h Σ_t ds_h[t,j]·q_h[t],   dv_j = Σ_h Σ_t p_h[t,j]·dout_h[t]        */
    int kt = (Tk + ROWS - 1) / ROWS;
#pragma omp parallel for schedule(dynamic, 1) if (par && kt > 1)
    for (int task = 0; task < kt; task++) {
        int j0 = task * ROWS;
        int j1 = j0 + ROWS < Tk ? j0 + ROWS : Tk, m = j1 - j0;
        int ts = j0 - (Tk - Tq); /* first query row that sees key j0 */
        if (ts < 0) ts = 0;
        int kk = Tq - ts;
        for (int r = 0; r < n_rep; r++) {
            int h = g * n_rep + r;
            size_t sp = at3(r, ts, Tq, Tk) + (size_t)j0;
            if (wide) { /* dS and P read transposed: element (j, t) at [t·Tk + j]; key j0+r is
                         * first seen by query row ts + ib + r */
                int ib = j0 - (Tk - Tq) - ts;
                opt_attn512_accum(dk + at3(j0, g, KVH, hd), (size_t)ldk, dS + sp, 1, (size_t)Tk,
                                  q + at3(ts, h, H, hd), (size_t)ldq, m, kk, kk, ib, hd, scale, 1);
                opt_attn512_accum(dv + at3(j0, g, KVH, hd), (size_t)ldk, P + sp, 1, (size_t)Tk,
                                  dout + at3(ts, h, H, hd), (size_t)ldq, m, kk, kk, ib, hd, 1.0f,
                                  1);
            } else {
                opt_gemm(1, 0, m, hd, kk, scale, dS + sp, Tk, q + at3(ts, h, H, hd), ldq, 1.0f,
                         dk + at3(j0, g, KVH, hd), ldk);
                opt_gemm(1, 0, m, hd, kk, 1.0f, P + sp, Tk, dout + at3(ts, h, H, hd), ldq, 1.0f,
                         dv + at3(j0, g, KVH, hd), ldk);
            }
        }
    }
}

void opt_attention_backward(float *dq,          /* [Tq, H, hd] += */
                            float *dk,          /* [Tk, KVH, hd] += */
                            float *dv,          /* [Tk, KVH, hd] += */
                            float *scratch,     /* [2, H/KVH, Tq, Tk] */
                            const float *dout,  /* [Tq, H, hd] */
                            const float *stats, /* [H, Tq, 2] */
                            const float *q,     /* [Tq, H, hd] */
                            const float *k,     /* [Tk, KVH, hd] */
                            const float *v,     /* [Tk, KVH, hd] */
                            int Tq, int Tk, int H, int KVH, int hd) {
    int n_rep = H / KVH;
    int par = (size_t)Tq * (size_t)Tk * (size_t)n_rep * (size_t)hd > OPT_PAR_MIN;
    float *P = scratch, *dS = scratch + at3(n_rep, 0, Tq, Tk);
    int wide = attn_wide(hd);
    for (int g = 0; g < KVH; g++)
        backward_group(dq, dk, dv, P, dS, dout, stats, q, k, v, g, Tq, Tk, H, KVH, hd, par, wide);
}

/* Decode rounds (attention_decode): one task per (query row i, KV group g), no GEMM calls —
 * a row is a [n_rep, hd]·[hd, len] product, too small for a BLAS call's fixed cost:
 *   s[r, j] = (q_r·k_j)·scale    fp32 dot products, the n_rep heads of the group per key j
 *   p[r, :] = softmax_row(s[r, :])  (the forward's row softmax: max, opt_expf, 1/sum)
 *   out_r   = Σ_j p[r, j]·v_j    fp32
 * Keys and values of the group are read once per task for all its heads (GQA). For hd a
 * multiple of 8 the sums run in 8-float vectors held in registers (GCC vector extensions:
 * AVX2 in the OPT_CLONES avx2 clone, two SSE halves in the baseline); other hd take plain
 * loops. */
typedef float v8 __attribute__((vector_size(32)));
typedef float v8u __attribute__((vector_size(32), aligned(4))); /* unaligned loads, stores */

/* Macros, not functions: a function taking or returning a 32-byte vector draws GCC's -Wpsabi
 * note in the baseline clone even when it is always inlined. */
#define LD8(p) (*(const v8u *)(p))
#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 12)
#define SHUF8(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
#else
typedef int v8i __attribute__((vector_size(32)));
#define SHUF8(a, b, ...) __builtin_shuffle(a, b, (v8i){__VA_ARGS__})
#endif

/* x[0] + ... + x[7] */
#define HSUM8(x) ((x)[0] + (x)[1] + (x)[2] + (x)[3] + (x)[4] + (x)[5] + (x)[6] + (x)[7])

/* r = (Σ a0, Σ a1, ..., Σ a7): eight horizontal sums at once, by pairwise transposing adds */
#define HSUM8X8(r, a0, a1, a2, a3, a4, a5, a6, a7)                                            \
    do {                                                                                      \
        v8 t0_ = SHUF8(a0, a1, 0, 8, 1, 9, 4, 12, 5, 13) + SHUF8(a0, a1, 2, 10, 3, 11, 6, 14, 7, 15); \
        v8 t1_ = SHUF8(a2, a3, 0, 8, 1, 9, 4, 12, 5, 13) + SHUF8(a2, a3, 2, 10, 3, 11, 6, 14, 7, 15); \
        v8 t2_ = SHUF8(a4, a5, 0, 8, 1, 9, 4, 12, 5, 13) + SHUF8(a4, a5, 2, 10, 3, 11, 6, 14, 7, 15); \
        v8 t3_ = SHUF8(a6, a7, 0, 8, 1, 9, 4, 12, 5, 13) + SHUF8(a6, a7, 2, 10, 3, 11, 6, 14, 7, 15); \
        v8 u_ = SHUF8(t0_, t1_, 0, 1, 8, 9, 4, 5, 12, 13) + SHUF8(t0_, t1_, 2, 3, 10, 11, 6, 7, 14, 15); \
        v8 w_ = SHUF8(t2_, t3_, 0, 1, 8, 9, 4, 5, 12, 13) + SHUF8(t2_, t3_, 2, 3, 10, 11, 6, 7, 14, 15); \
        (r) = SHUF8(u_, w_, 0, 1, 2, 3, 8, 9, 10, 11) + SHUF8(u_, w_, 4, 5, 6, 7, 12, 13, 14, 15); \
    } while (0)

OPT_CLONES static void decode_task(float *out,       /* [n_rep, hd] at head g·n_rep of row i */
                                   float *s,         /* [n_rep, Tmax] */
                                   const float *q,   /* [n_rep, hd] */
                                   const float *kb,  /* key 0 of the group, row stride ldk */
                                   const float *vb,  /* value 0 of the group, row stride ldk */
                                   int ldk, int len, int n_rep, int hd, int Tmax, float scale) {
    size_t lk = (size_t)ldk, lt = (size_t)Tmax;
    int vec = hd % 8 == 0;
    /* scores s[r, j] = (q_r·k_j)·scale */
    for (int r = 0; r < n_rep; r++) {
        const float *qr = q + (size_t)r * (size_t)hd;
        float *sr = s + (size_t)r * lt;
        if (vec) {
            int j = 0;
            for (; j + 8 <= len; j += 8) { /* eight keys: eight sums, one transposed reduce */
                const float *k0 = kb + (size_t)j * lk;
                v8 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, a4 = {0}, a5 = {0}, a6 = {0}, a7 = {0};
                for (int d = 0; d < hd; d += 8) {
                    v8 qd = LD8(qr + d);
                    a0 += qd * LD8(k0 + d);
                    a1 += qd * LD8(k0 + lk + d);
                    a2 += qd * LD8(k0 + 2 * lk + d);
                    a3 += qd * LD8(k0 + 3 * lk + d);
                    a4 += qd * LD8(k0 + 4 * lk + d);
                    a5 += qd * LD8(k0 + 5 * lk + d);
                    a6 += qd * LD8(k0 + 6 * lk + d);
                    a7 += qd * LD8(k0 + 7 * lk + d);
                }
                v8 r8;
                HSUM8X8(r8, a0, a1, a2, a3, a4, a5, a6, a7);
                *(v8u *)(sr + j) = r8 * scale;
            }
            for (; j + 2 <= len; j += 2) { /* two keys: two independent sums */
                const float *k0 = kb + (size_t)j * lk, *k1 = k0 + lk;
                v8 a0 = {0}, a1 = {0};
                for (int d = 0; d < hd; d += 8) {
                    v8 qd = LD8(qr + d);
                    a0 += qd * LD8(k0 + d);
                    a1 += qd * LD8(k1 + d);
                }
                sr[j] = HSUM8(a0) * scale;
                sr[j + 1] = HSUM8(a1) * scale;
            }
            for (; j < len; j++) {
                const float *k0 = kb + (size_t)j * lk;
                v8 a0 = {0};
                for (int d = 0; d < hd; d += 8) a0 += LD8(qr + d) * LD8(k0 + d);
                sr[j] = HSUM8(a0) * scale;
            }
        } else {
            for (int j = 0; j < len; j++) {
                const float *kj = kb + (size_t)j * lk;
                float acc = 0.0f;
                for (int d = 0; d < hd; d++) acc += qr[d] * kj[d];
                sr[j] = acc * scale;
            }
        }
        float st[2];
        int padded = (len + 15) & ~15; /* whole vectors: the rest of the row is scratch */
        softmax_row(sr, st, len - 1, padded < Tmax ? padded : Tmax);
    }
    /* out_r = Σ_j p[r, j]·v_j: 32 (then 8) columns at a time in register sums over j */
    for (int r = 0; r < n_rep; r++) {
        const float *pr = s + (size_t)r * lt;
        float *o = out + (size_t)r * (size_t)hd;
        if (vec) {
            int d = 0;
            for (; d + 32 <= hd; d += 32) {
                v8 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
                for (int j = 0; j < len; j++) {
                    const float *vj = vb + (size_t)j * lk + d;
                    v8 p = {pr[j], pr[j], pr[j], pr[j], pr[j], pr[j], pr[j], pr[j]};
                    a0 += p * LD8(vj);
                    a1 += p * LD8(vj + 8);
                    a2 += p * LD8(vj + 16);
                    a3 += p * LD8(vj + 24);
                }
                *(v8u *)(o + d) = a0;
                *(v8u *)(o + d + 8) = a1;
                *(v8u *)(o + d + 16) = a2;
                *(v8u *)(o + d + 24) = a3;
            }
            for (; d < hd; d += 8) {
                v8 a0 = {0};
                for (int j = 0; j < len; j++) a0 += pr[j] * LD8(vb + (size_t)j * lk + d);
                *(v8u *)(o + d) = a0;
            }
        } else {
            for (int d = 0; d < hd; d++) o[d] = 0.0f;
            for (int j = 0; j < len; j++) {
                const float *vj = vb + (size_t)j * lk;
                for (int d = 0; d < hd; d++) o[d] += pr[j] * vj[d];
            }
        }
    }
}

/* How many query rows ahead attention_decode prefetches the keys and values. */
#ifndef DECODE_AHEAD
#define DECODE_AHEAD 8
#endif

/* Prefetches the key and value rows off .. off+len−1 ([., ldk] floats each) toward the core
 * (locality 1: prefetcht2, into L2; measured on the tiny model's 64-row rounds with cold caches:
 * 8 rows ahead into L2 took 150 µs per call against 190 µs for 4 rows ahead into L1, and 200
 * µs without prefetching). */
static void prefetch_rows(const float *k, const float *v, size_t off, int len, int ldk) {
    const char *pk = (const char *)(k + off * (size_t)ldk), *pv = (const char *)(v + off * (size_t)ldk);
    size_t bytes = (size_t)len * (size_t)ldk * sizeof(float);
    for (size_t b = 0; b < bytes; b += 64) {
        __builtin_prefetch(pk + b, 0, 1);
        __builtin_prefetch(pv + b, 0, 1);
    }
}

void opt_attention_decode(float *out,        /* [n, H, hd] */
                          float *scratch,    /* [n, H, Tmax] */
                          const float *q,    /* [n, H, hd] */
                          const float *k,    /* [rows, KVH, hd] */
                          const float *v,    /* [rows, KVH, hd] */
                          const size_t *off, /* [n] */
                          const int *len,    /* [n] */
                          int n, int Tmax, int H, int KVH, int hd) {
    int n_rep = H / KVH, ldk = KVH * hd;
    float scale = attn_scale(hd);
    size_t work = (size_t)n * (size_t)H * (size_t)Tmax * (size_t)hd;
    int wide = hd % 16 == 0 && opt_have_avx512(); /* ops_opt_decode512.c */
    /* one task per row, its KV groups in turn (the row's cache lines are read in order); the
     * caches are cold after the layer's GEMMs, so each task first prefetches the next row's
     * keys and values, which then arrive while this row computes */
#pragma omp parallel for schedule(static) if (n > 1 && work > OPT_PAR_MIN)
    for (int i = 0; i < n; i++) {
        if (i == 0) /* the first rows' own lines, then always DECODE_AHEAD rows ahead */
            for (int a = 1; a < DECODE_AHEAD && a < n; a++) prefetch_rows(k, v, off[a], len[a], ldk);
        if (i + DECODE_AHEAD < n && off[i + DECODE_AHEAD] != off[i + DECODE_AHEAD - 1])
            prefetch_rows(k, v, off[i + DECODE_AHEAD], len[i + DECODE_AHEAD], ldk);
        for (int g = 0; g < KVH; g++) {
            int h0 = g * n_rep;
            size_t kv0 = off[i] * (size_t)ldk + (size_t)g * (size_t)hd;
            if (wide)
                opt_decode_task512(out + at3(i, h0, H, hd), scratch + at3(i, h0, H, Tmax),
                                   q + at3(i, h0, H, hd), k + kv0, v + kv0, ldk, len[i], n_rep,
                                   hd, Tmax, scale);
            else
                decode_task(out + at3(i, h0, H, hd), scratch + at3(i, h0, H, Tmax),
                            q + at3(i, h0, H, hd), k + kv0, v + kv0, ldk, len[i], n_rep, hd,
                            Tmax, scale);
        }
    }
}
