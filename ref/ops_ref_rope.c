/* ops_ref_rope.c — reference rotary position embedding in HF's rotate_half ("NeoX") layout
 * (ref/ops.h; spec/formats.md §9.3). HF modeling_qwen2.py / modeling_llama.py:
 *
 *   def rotate_half(x): x1 = x[..., : d/2]; x2 = x[..., d/2 :]; return cat((-x2, x1), -1)
 *   q_embed = (q * cos) + (rotate_half(q) * sin)
 *
 * with cos/sin = cat(freqs, freqs), so dimension i pairs with i + d/2 and both use the angle
 * pos·inv_freq[i]. The tables (ops_rope_tables in ops_ref.c) store that angle's cos and sin
 * once per i: [P, hd/2]. Each output is two fp32 products and one fp32 add, in HF's order. */
#include <stddef.h>
#include <stdint.h>

#include "ops_ref.h"

void ops_ref_rope_forward(float *out,          /* [N, H, hd] (in place allowed) */
                          const float *x,      /* [N, H, hd] */
                          const float *cos_t,  /* [P, hd/2] */
                          const float *sin_t,  /* [P, hd/2] */
                          const int32_t *pos,  /* [N] */
                          int N, int H, int hd) {
    int half = hd / 2;
    for (int n = 0; n < N; n++) {
        const float *c_n = cos_t + (size_t)pos[n] * (size_t)half;
        const float *s_n = sin_t + (size_t)pos[n] * (size_t)half;
        for (int h = 0; h < H; h++) {
            size_t base = ((size_t)n * (size_t)H + (size_t)h) * (size_t)hd;
            const float *x_nh = x + base;
            float *out_nh = out + base;
            for (int i = 0; i < half; i++) {
                float x1 = x_nh[i], x2 = x_nh[i + half]; /* read both before writing (in place) */
                out_nh[i] = x1 * c_n[i] + (-x2) * s_n[i];       /* q*cos + (-q2)*sin */
                out_nh[i + half] = x2 * c_n[i] + x1 * s_n[i];   /* q2*cos + q1*sin */
            }
        }
    }
}

void ops_ref_rope_backward(float *dx,           /* [N, H, hd] += */
                           const float *dout,   /* [N, H, hd] */
                           const float *cos_t,  /* [P, hd/2] */
                           const float *sin_t,  /* [P, hd/2] */
                           const int32_t *pos,  /* [N] */
                           int N, int H, int hd) {
    /* in the forward this was: out1 = x1·c − x2·s, out2 = x2·c + x1·s (a rotation by θ), so
     * the gradient is the rotation by −θ:
     *   dx1 = dout1·c + dout2·s,   dx2 = dout2·c − dout1·s                              */
    int half = hd / 2;
    for (int n = 0; n < N; n++) {
        const float *c_n = cos_t + (size_t)pos[n] * (size_t)half;
        const float *s_n = sin_t + (size_t)pos[n] * (size_t)half;
        for (int h = 0; h < H; h++) {
            size_t base = ((size_t)n * (size_t)H + (size_t)h) * (size_t)hd;
            const float *d_nh = dout + base;
            float *dx_nh = dx + base;
            for (int i = 0; i < half; i++) {
                float d1 = d_nh[i], d2 = d_nh[i + half];
                dx_nh[i] += d1 * c_n[i] + d2 * s_n[i];
                dx_nh[i + half] += d2 * c_n[i] - d1 * s_n[i];
            }
        }
    }
}
