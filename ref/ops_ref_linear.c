/* ops_ref_linear.c — reference linear layer and token embedding (ref/ops.h).
 *
 * Linear: HF nn.Linear stores W as [out, in] and computes y = x·W^T + b (torch addmm).
 * Every output element is one dot product accumulated in double over the inner index in
 * ascending order, bias included, and rounded to fp32 once (ref/ops.h "Numbers").
 * Embedding: a row gather (nn.Embedding); its backward scatter-adds rows in order n = 0..N-1. */
#include <stddef.h>
#include <stdint.h>

#include "ops_ref.h"

void ops_ref_matmul_forward(float *out,        /* [N, O] */
                            const float *x,    /* [N, I] */
                            const float *w,    /* [O, I] */
                            const float *bias, /* [O] or NULL */
                            int N, int I, int O) {
    for (int n = 0; n < N; n++) {
        const float *x_n = x + (size_t)n * (size_t)I;
        float *out_n = out + (size_t)n * (size_t)O;
        for (int o = 0; o < O; o++) {
            const float *w_o = w + (size_t)o * (size_t)I;
            double acc = bias ? (double)bias[o] : 0.0;
            for (int i = 0; i < I; i++) acc += (double)x_n[i] * (double)w_o[i];
            out_n[o] = (float)acc;
        }
    }
}

void ops_ref_matmul_backward(float *dx,         /* [N, I] += or NULL */
                             float *dw,         /* [O, I] += or NULL */
                             float *dbias,      /* [O] += or NULL */
                             const float *dout, /* [N, O] */
                             const float *x,    /* [N, I] */
                             const float *w,    /* [O, I] */
                             int N, int I, int O) {
    /* in the forward this was: out[n,o] = Σ_i x[n,i]·w[o,i] + bias[o], so
     *   dx[n,i] = Σ_o dout[n,o]·w[o,i]
     *   dw[o,i] = Σ_n dout[n,o]·x[n,i]
     *   dbias[o] = Σ_n dout[n,o]                                                  */
    if (dx) {
        for (int n = 0; n < N; n++) {
            const float *dout_n = dout + (size_t)n * (size_t)O;
            for (int i = 0; i < I; i++) {
                double acc = 0.0;
                for (int o = 0; o < O; o++)
                    acc += (double)dout_n[o] * (double)w[(size_t)o * (size_t)I + (size_t)i];
                dx[(size_t)n * (size_t)I + (size_t)i] += (float)acc;
            }
        }
    }
    if (dw) {
        for (int o = 0; o < O; o++) {
            for (int i = 0; i < I; i++) {
                double acc = 0.0;
                for (int n = 0; n < N; n++)
                    acc += (double)dout[(size_t)n * (size_t)O + (size_t)o] *
                           (double)x[(size_t)n * (size_t)I + (size_t)i];
                dw[(size_t)o * (size_t)I + (size_t)i] += (float)acc;
            }
        }
    }
    if (dbias) {
        for (int o = 0; o < O; o++) {
            double acc = 0.0;
            for (int n = 0; n < N; n++) acc += (double)dout[(size_t)n * (size_t)O + (size_t)o];
            dbias[o] += (float)acc;
        }
    }
}

void ops_ref_embedding_forward(float *out,         /* [N, C] */
                               const float *wte,   /* [V, C] */
                               const int32_t *ids, /* [N], 0 <= ids[n] < V */
                               int N, int C) {
    for (int n = 0; n < N; n++) {
        const float *row = wte + (size_t)ids[n] * (size_t)C;
        float *out_n = out + (size_t)n * (size_t)C;
        for (int c = 0; c < C; c++) out_n[c] = row[c];
    }
}

void ops_ref_embedding_backward(float *dwte,        /* [V, C] += */
                                const float *dout,  /* [N, C] */
                                const int32_t *ids, /* [N] */
                                int N, int C) {
    /* in the forward this was: out[n,:] = wte[ids[n],:], so dwte[ids[n],:] += dout[n,:];
     * a token that occurs several times receives its rows in order n = 0..N-1 (fp32 sums,
     * a fixed order, so the result is deterministic). */
    for (int n = 0; n < N; n++) {
        float *drow = dwte + (size_t)ids[n] * (size_t)C;
        const float *dout_n = dout + (size_t)n * (size_t)C;
        for (int c = 0; c < C; c++) drow[c] += dout_n[c];
    }
}
