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
 * Every output element is written by one task, so results do not depend on the schedule. */
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

/* Row softmax of s[0..last] in place, zeros in s[last+1 .. Tk-1]; the row max and the sum
 * of exponentials into st[0], st[1]. */
OPT_CLONES static void softmax_row(float *s, float *st, int last, int Tk) {
    int n = last + 1;
    float mx = opt_max(s, n);
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int j = 0; j < n; j++) {
        float e = opt_expf(s[j] - mx);
        s[j] = e;
        sum += e;
    }
    float inv = 1.0f / sum;
#pragma omp simd
    for (int j = 0; j < n; j++) s[j] *= inv;
    for (int j = n; j < Tk; j++) s[j] = 0.0f;
    st[0] = mx;
    st[1] = sum;
}

/* The probabilities of softmax_row again from the scores s[0..last] and st = (max, sum):
 * the same fp32 operations, hence the same bits. */
OPT_CLONES static void prob_row(float *s, const float *st, int last, int Tk) {
    int n = last + 1;
    float mx = st[0], inv = 1.0f / st[1];
#pragma omp simd
    for (int j = 0; j < n; j++) s[j] = opt_expf(s[j] - mx) * inv;
    for (int j = n; j < Tk; j++) s[j] = 0.0f;
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
    int nt = ntasks(H, Tq);
#pragma omp parallel for schedule(dynamic, 1) if (nt > 1 && (size_t)Tq * (size_t)Tk * (size_t)H * (size_t)hd > OPT_PAR_MIN)
    for (int task = 0; task < nt; task++) {
        int h = task / nblk, t0 = (task % nblk) * ROWS;
        int t1 = t0 + ROWS < Tq ? t0 + ROWS : Tq, m = t1 - t0, g = h / n_rep;
        int kmax = Tk - Tq + t1; /* keys seen by the last row of the block */
        float *p = probs + at3(h, t0, Tq, Tk);
        /* s[t,j] = (q_t·k_j)·scale for j < kmax */
        opt_gemm(0, 1, m, kmax, hd, scale, q + at3(t0, h, H, hd), ldq, k + (size_t)g * hd, ldk,
                 0.0f, p, Tk);
        for (int t = t0; t < t1; t++) {
            float st[2];
            softmax_row(p + (size_t)(t - t0) * Tk, st, Tk - Tq + t, Tk);
            if (stats) {
                stats[at3(h, t, Tq, 2)] = st[0];
                stats[at3(h, t, Tq, 2) + 1] = st[1];
            }
        }
        /* out[t,h,:] = Σ_j p_tj · v_j (masked p are 0) */
        opt_gemm(0, 0, m, hd, kmax, 1.0f, p, Tk, v + (size_t)g * hd, ldk, 0.0f,
                 out + at3(t0, h, H, hd), ldq);
    }
}

/* The backward for the heads of KV group g; P and dS are that group's [n_rep, Tq, Tk]. */
static void backward_group(float *dq, float *dk, float *dv, float *P, float *dS,
                           const float *dout, const float *stats, const float *q, const float *k,
                           const float *v, int g, int Tq, int Tk, int H, int KVH, int hd,
                           int par) {
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
        /* recompute: the forward's GEMM and row expression */
        opt_gemm(0, 1, m, kmax, hd, scale, q + at3(t0, h, H, hd), ldq, k + (size_t)g * hd, ldk,
                 0.0f, p, Tk);
        for (int t = t0; t < t1; t++)
            prob_row(p + (size_t)(t - t0) * Tk, stats + at3(h, t, Tq, 2), Tk - Tq + t, Tk);
        opt_gemm(0, 1, m, kmax, hd, 1.0f, dout + at3(t0, h, H, hd), ldq, v + (size_t)g * hd, ldk,
                 0.0f, ds, Tk);
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
            opt_gemm(1, 0, m, hd, kk, scale, dS + sp, Tk, q + at3(ts, h, H, hd), ldq, 1.0f,
                     dk + at3(j0, g, KVH, hd), ldk);
            opt_gemm(1, 0, m, hd, kk, 1.0f, P + sp, Tk, dout + at3(ts, h, H, hd), ldq, 1.0f,
                     dv + at3(j0, g, KVH, hd), ldk);
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
    for (int g = 0; g < KVH; g++)
        backward_group(dq, dk, dv, P, dS, dout, stats, q, k, v, g, Tq, Tk, H, KVH, hd, par);
}
