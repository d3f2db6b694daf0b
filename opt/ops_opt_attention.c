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
 *                              row softmax in place (fp32, max-subtracted, opt_expf)
 *                              out_h = P·V_g          (g = h / (H/KVH), HF repeat_kv)
 * Backward, pass A, task (h, t0..t1):
 *                              dP = dout_h·V_g^T      into scratch (the d-scores buffer)
 *                              dS = P ⊙ (dP − rowsum(P ⊙ dP))
 *                              dq_h += scale · dS·K_g
 * Backward, pass B, task (g, j0..j1): for the heads h of group g, in order,
 *                              dk_g += scale · dS_h^T·Q_h,  dv_g += P_h^T·dout_h
 * (only query rows t >= j0 − (Tk − Tq) see these keys; earlier rows are skipped).
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

/* Row softmax of s[0..last] in place, zeros in s[last+1 .. Tk-1]. */
OPT_CLONES static void softmax_row(float *s, int last, int Tk) {
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
}

void opt_attention_forward(float *out,     /* [Tq, H, hd] */
                           float *probs,   /* [H, Tq, Tk] */
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
        for (int t = t0; t < t1; t++) softmax_row(p + (size_t)(t - t0) * Tk, Tk - Tq + t, Tk);
        /* out[t,h,:] = Σ_j p_tj · v_j (masked p are 0) */
        opt_gemm(0, 0, m, hd, kmax, 1.0f, p, Tk, v + (size_t)g * hd, ldk, 0.0f,
                 out + at3(t0, h, H, hd), ldq);
    }
}

void opt_attention_backward(float *dq,          /* [Tq, H, hd] += */
                            float *dk,          /* [Tk, KVH, hd] += */
                            float *dv,          /* [Tk, KVH, hd] += */
                            float *scratch,     /* [H, Tq, Tk] */
                            const float *dout,  /* [Tq, H, hd] */
                            const float *probs, /* [H, Tq, Tk] */
                            const float *q,     /* [Tq, H, hd] */
                            const float *k,     /* [Tk, KVH, hd] */
                            const float *v,     /* [Tk, KVH, hd] */
                            int Tq, int Tk, int H, int KVH, int hd) {
    int n_rep = H / KVH, ldq = H * hd, ldk = KVH * hd;
    float scale = attn_scale(hd);
    int par = (size_t)Tq * (size_t)Tk * (size_t)H * (size_t)hd > OPT_PAR_MIN;
    /* Pass A. In the forward this was: p = softmax(s), out = Σ_j p_j·v_j, so
     *   dp_j = dout·v_j,  ds_j = p_j·(dp_j − Σ_i p_i·dp_i),  and from s = scale·q·k_j:
     *   dq = scale · Σ_j ds_j·k_j                                                       */
    int nblk = (Tq + ROWS - 1) / ROWS, nt = ntasks(H, Tq);
#pragma omp parallel for schedule(dynamic, 1) if (par && nt > 1)
    for (int task = 0; task < nt; task++) {
        int h = task / nblk, t0 = (task % nblk) * ROWS;
        int t1 = t0 + ROWS < Tq ? t0 + ROWS : Tq, m = t1 - t0, g = h / n_rep;
        int kmax = Tk - Tq + t1;
        float *ds = scratch + at3(h, t0, Tq, Tk);
        const float *p = probs + at3(h, t0, Tq, Tk);
        opt_gemm(0, 1, m, kmax, hd, 1.0f, dout + at3(t0, h, H, hd), ldq, v + (size_t)g * hd, ldk,
                 0.0f, ds, Tk);
        for (int t = t0; t < t1; t++) {
            int last = Tk - Tq + t;
            float *ds_t = ds + (size_t)(t - t0) * Tk;
            const float *p_t = p + (size_t)(t - t0) * Tk;
            int n = last + 1;
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
    int kblk = (Tk + ROWS - 1) / ROWS, kt = ntasks(KVH, Tk);
#pragma omp parallel for schedule(dynamic, 1) if (par && kt > 1)
    for (int task = 0; task < kt; task++) {
        int g = task / kblk, j0 = (task % kblk) * ROWS;
        int j1 = j0 + ROWS < Tk ? j0 + ROWS : Tk, m = j1 - j0;
        int ts = j0 - (Tk - Tq); /* first query row that sees key j0 */
        if (ts < 0) ts = 0;
        int kk = Tq - ts;
        for (int h = g * n_rep; h < (g + 1) * n_rep; h++) {
            size_t sp = at3(h, ts, Tq, Tk) + (size_t)j0;
            opt_gemm(1, 0, m, hd, kk, scale, scratch + sp, Tk, q + at3(ts, h, H, hd), ldq, 1.0f,
                     dk + at3(j0, g, KVH, hd), ldk);
            opt_gemm(1, 0, m, hd, kk, 1.0f, probs + sp, Tk, dout + at3(ts, h, H, hd), ldq, 1.0f,
                     dv + at3(j0, g, KVH, hd), ldk);
        }
    }
}
