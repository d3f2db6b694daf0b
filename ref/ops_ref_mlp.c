/* ops_ref_mlp.c — reference SwiGLU activation and elementwise add (ref/ops.h).
 *
 * The Qwen2 / Llama MLP is down(silu(gate(x)) * up(x)) (spec/formats.md §9.1); the two matmuls
 * are matmul_forward calls, this file holds the elementwise middle, in fp32 as torch computes
 * it: silu(g) = g / (1 + exp(−g)) (torch's CPU silu kernel), then one fp32 product with up.
 * exp is evaluated in double and rounded to fp32, so silu is within an ulp or two of torch's.
 * `add` is the residual stream h = x + f(x); its backward is the same add of gradients. */
#include <math.h>
#include <stddef.h>

#include "ops_ref.h"

static float silu(float g) { return g / (1.0f + (float)exp(-(double)g)); }

void ops_ref_swiglu_forward(float *out,        /* [n] */
                            const float *gate, /* [n] */
                            const float *up,   /* [n] */
                            size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = silu(gate[i]) * up[i];
}

void ops_ref_swiglu_backward(float *dgate,      /* [n] += */
                             float *dup,        /* [n] += */
                             const float *dout, /* [n] */
                             const float *gate, /* [n] */
                             const float *up,   /* [n] */
                             size_t n) {
    /* in the forward this was: out = silu(g)·u with silu(g) = g·σ(g), so
     *   dup   = dout·silu(g)
     *   dgate = dout·u·silu'(g),  silu'(g) = σ(g)·(1 + g·(1 − σ(g)))   (in double) */
    for (size_t i = 0; i < n; i++) {
        double g = gate[i];
        double sig = 1.0 / (1.0 + exp(-g));
        double dsilu = sig * (1.0 + g * (1.0 - sig));
        dgate[i] += (float)((double)dout[i] * (double)up[i] * dsilu);
        dup[i] += dout[i] * silu(gate[i]);
    }
}

void ops_ref_add(float *out, const float *a, const float *b, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}
