/* ops_opt_linear.c — opt linear layer and token embedding (ref/ops.h; the reference is
 * ref/ops_ref_linear.c).
 *
 * Linear (HF nn.Linear, W [out, in]) is three GEMMs:
 *   forward   out  = x·W^T (+ bias)  sgemm(N, T), the bias broadcast into out first, beta = 1
 *   backward  dx  += dout·W          sgemm(N, N), beta = 1 (the += of the contract)
 *             dW  += dout^T·x        sgemm(T, N), beta = 1
 *             db  += Σ_n dout        column sums, OpenMP over column blocks
 * The GEMM sums in fp32 in its own blocked order, where the reference sums in double: the two
 * agree to ~1e-7·sqrt(I) relative (tests/test_ops_opt.c prints the NMSE).
 * Embedding: a row gather, and a scatter-add that each thread runs over its own block of
 * columns for all rows n = 0..N-1 in order — the same additions in the same order as the
 * reference, so its result is bit-identical whatever the thread count. */
#include <omp.h>
#include <string.h>

#include "ops_opt.h"
#include "ops_opt_int.h"

void opt_matmul_forward(float *out,        /* [N, O] */
                        const float *x,    /* [N, I] */
                        const float *w,    /* [O, I] */
                        const float *bias, /* [O] or NULL */
                        int N, int I, int O) {
    if (bias) {
#pragma omp parallel for schedule(static) if ((size_t)N * (size_t)O > OPT_PAR_MIN)
        for (int n = 0; n < N; n++) memcpy(out + (size_t)n * (size_t)O, bias, (size_t)O * sizeof *out);
    }
    /* out[n,o] = Σ_i x[n,i]·w[o,i] (+ out[n,o] = bias[o]) */
    opt_gemm(0, 1, N, O, I, 1.0f, x, I, w, I, bias ? 1.0f : 0.0f, out, O);
}

/* Columns per task of the dbias column sums: 64 floats = one 256-byte stripe per row. */
#define COLS_BLK 64

/* dbias[o0..o1) += Σ_n dout[n, o], rows in order, in double as the reference (the sum runs
 * over all N rows); OPT_CLONES: 8 doubles per AVX-512 add instead of SSE2's 2. */
OPT_CLONES static void dbias_blk(float *dbias, const float *dout, int N, int O, int o0, int o1) {
    double acc[COLS_BLK];
    int m = o1 - o0;
    for (int o = 0; o < COLS_BLK; o++) acc[o] = 0.0;
    for (int n = 0; n < N; n++) {
        const float *d = dout + (size_t)n * (size_t)O + o0;
#pragma omp simd
        for (int o = 0; o < m; o++) acc[o] += (double)d[o];
    }
    for (int o = 0; o < m; o++) dbias[o0 + o] += (float)acc[o];
}

void opt_matmul_backward(float *dx,         /* [N, I] += or NULL */
                         float *dw,         /* [O, I] += or NULL */
                         float *dbias,      /* [O] += or NULL */
                         const float *dout, /* [N, O] */
                         const float *x,    /* [N, I] */
                         const float *w,    /* [O, I] */
                         int N, int I, int O) {
    /* in the forward this was: out[n,o] = Σ_i x[n,i]·w[o,i] + bias[o], so
     *   dx[n,i] = Σ_o dout[n,o]·w[o,i],  dw[o,i] = Σ_n dout[n,o]·x[n,i],  dbias[o] = Σ_n dout */
    if (dx) opt_gemm(0, 0, N, I, O, 1.0f, dout, O, w, I, 1.0f, dx, I);
    if (dw) opt_gemm(1, 0, O, I, N, 1.0f, dout, O, x, I, 1.0f, dw, I);
    if (dbias) {
        int nblk = (O + COLS_BLK - 1) / COLS_BLK;
#pragma omp parallel for schedule(static) if ((size_t)N * (size_t)O > OPT_PAR_MIN)
        for (int b = 0; b < nblk; b++) {
            int o0 = b * COLS_BLK, o1 = o0 + COLS_BLK < O ? o0 + COLS_BLK : O;
            dbias_blk(dbias, dout, N, O, o0, o1);
        }
    }
}

void opt_embedding_forward(float *out,         /* [N, C] */
                           const float *wte,   /* [V, C] */
                           const int32_t *ids, /* [N] */
                           int N, int C) {
#pragma omp parallel for schedule(static) if ((size_t)N * (size_t)C > OPT_PAR_MIN)
    for (int n = 0; n < N; n++)
        memcpy(out + (size_t)n * (size_t)C, wte + (size_t)ids[n] * (size_t)C,
               (size_t)C * sizeof *out);
}

void opt_embedding_backward(float *dwte,        /* [V, C] += */
                            const float *dout,  /* [N, C] */
                            const int32_t *ids, /* [N] */
                            int N, int C) {
    /* in the forward this was: out[n,:] = wte[ids[n],:], so dwte[ids[n],:] += dout[n,:].
     * Threads split the columns (one contiguous range each), never the rows: repeated ids need
     * no atomics and every element receives its rows in order n = 0..N-1, as in the
     * reference. */
    int par = (size_t)N * (size_t)C > OPT_PAR_MIN;
#pragma omp parallel if (par)
    {
        int nth = omp_get_num_threads(), tid = omp_get_thread_num();
        int c0 = (int)((int64_t)C * tid / nth), c1 = (int)((int64_t)C * (tid + 1) / nth);
        for (int n = 0; n < N; n++) {
            float *drow = dwte + (size_t)ids[n] * (size_t)C;
            const float *d = dout + (size_t)n * (size_t)C;
#pragma omp simd
            for (int c = c0; c < c1; c++) drow[c] += d[c];
        }
    }
}
