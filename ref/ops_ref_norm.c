/* ops_ref_norm.c — reference RMSNorm (ref/ops.h), HF Qwen2RMSNorm / LlamaRMSNorm
 * (huggingface/transformers@00d4b3d2 modeling_qwen2.py; spec/formats.md §9.1):
 *
 *   variance = hidden_states.pow(2).mean(-1, keepdim=True)
 *   hidden_states = hidden_states * torch.rsqrt(variance + self.variance_epsilon)
 *   return self.weight * hidden_states
 *
 * The mean of squares accumulates in double; rstd = 1/sqrt(mean + eps) is rounded to fp32 once
 * and kept per row for the backward; the two products are fp32, in HF's order. */
#include <math.h>
#include <stddef.h>

#include "ops_ref.h"

void ops_ref_rmsnorm_forward(float *out,     /* [N, C] */
                             float *rstd,    /* [N] */
                             const float *x, /* [N, C] */
                             const float *w, /* [C] */
                             int N, int C, float eps) {
    for (int n = 0; n < N; n++) {
        const float *x_n = x + (size_t)n * (size_t)C;
        float *out_n = out + (size_t)n * (size_t)C;
        double ss = 0.0;
        for (int c = 0; c < C; c++) ss += (double)x_n[c] * (double)x_n[c];
        float r = (float)(1.0 / sqrt(ss / C + (double)eps)); /* rsqrt(variance + eps) */
        rstd[n] = r;
        for (int c = 0; c < C; c++) out_n[c] = w[c] * (x_n[c] * r);
    }
}

void ops_ref_rmsnorm_backward(float *dx,         /* [N, C] += */
                              float *dw,         /* [C] += or NULL */
                              const float *dout, /* [N, C] */
                              const float *x,    /* [N, C] */
                              const float *w,    /* [C] */
                              const float *rstd, /* [N] */
                              int N, int C) {
    /* in the forward this was: out[c] = w[c]·(x[c]·r) with r = (Σ_j x[j]²/C + eps)^(-1/2),
     * and ∂r/∂x[j] = −r³·x[j]/C, so
     *   dx[c] = r·w[c]·dout[c] − (r³/C)·x[c]·Σ_j w[j]·dout[j]·x[j]
     *   dw[c] = Σ_n dout[n,c]·x[n,c]·r[n]                                            */
    for (int n = 0; n < N; n++) {
        const float *x_n = x + (size_t)n * (size_t)C;
        const float *dout_n = dout + (size_t)n * (size_t)C;
        float *dx_n = dx + (size_t)n * (size_t)C;
        double r = rstd[n];
        double dot = 0.0; /* Σ_j w[j]·dout[j]·x[j] */
        for (int c = 0; c < C; c++) dot += (double)w[c] * (double)dout_n[c] * (double)x_n[c];
        double k = r * r * r * dot / C;
        for (int c = 0; c < C; c++)
            dx_n[c] += (float)(r * (double)w[c] * (double)dout_n[c] - k * (double)x_n[c]);
    }
    if (dw) {
        for (int c = 0; c < C; c++) {
            double acc = 0.0;
            for (int n = 0; n < N; n++)
                acc += (double)dout[(size_t)n * (size_t)C + (size_t)c] *
                       (double)x[(size_t)n * (size_t)C + (size_t)c] * (double)rstd[n];
            dw[c] += (float)acc;
        }
    }
}
