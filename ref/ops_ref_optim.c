/* ops_ref_optim.c — reference AdamW step, global gradient norm and gradient scaling
 * (ref/ops.h; spec/grpo-conventions.md §9.2–9.3).
 *
 * AdamW follows torch/optim/adamw.py, single-tensor path (_single_tensor_adam with decoupled
 * weight decay), line by line:
 *   param.mul_(1 - lr * weight_decay)
 *   exp_avg.lerp_(grad, 1 - beta1)
 *   exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
 *   bias_correction1 = 1 - beta1 ** step;  bias_correction2 = 1 - beta2 ** step
 *   step_size = lr / bias_correction1;     bias_correction2_sqrt = sqrt(bias_correction2)
 *   denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
 *   param.addcdiv_(exp_avg, denom, value=-step_size)
 * The scalars are Python doubles; torch applies them to fp32 tensors as fp32 scalars, so each
 * is computed in double and rounded to fp32 once, and the tensor arithmetic is fp32 in torch's
 * operand order. Clipping: torch/nn/utils/clip_grad.py — total = ||g||_2 (here over the whole
 * gradient slab, summed in double), coef = ops_clip_coef(total, max_norm), g *= coef. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "ops_ref.h"

/* torch lerp kernel (aten/src/ATen/native/Lerp.h): a weight below 0.5 interpolates from self,
 * otherwise from end. */
static float lerp(float self, float end, float weight) {
    return fabsf(weight) < 0.5f ? self + weight * (end - self)
                                : end - (end - self) * (1.0f - weight);
}

void ops_ref_adamw_update(float *p, float *m, float *v, const float *g, size_t n, double lr,
                          double beta1, double beta2, double eps, double weight_decay,
                          int64_t step) {
    float decay = (float)(1.0 - lr * weight_decay);
    float w1 = (float)(1.0 - beta1);
    float b2 = (float)beta2, w2 = (float)(1.0 - beta2);
    double bias_correction1 = 1.0 - pow(beta1, (double)step);
    double bias_correction2 = 1.0 - pow(beta2, (double)step);
    float neg_step_size = (float)(-(lr / bias_correction1));
    float bc2_sqrt = (float)sqrt(bias_correction2);
    float eps_f = (float)eps;
    for (size_t i = 0; i < n; i++) {
        p[i] = p[i] * decay;                           /* decoupled decay, first */
        m[i] = lerp(m[i], g[i], w1);                   /* m ← m + (1−β1)(g − m) */
        v[i] = v[i] * b2 + w2 * g[i] * g[i];           /* v ← β2·v + (1−β2)·g·g */
        float denom = sqrtf(v[i]) / bc2_sqrt + eps_f;  /* eps after the correction */
        p[i] = p[i] + neg_step_size * m[i] / denom;    /* addcdiv: p + value·m/denom */
    }
}

float ops_ref_grad_norm(const float *g, size_t n) {
    double ss = 0.0;
    for (size_t i = 0; i < n; i++) ss += (double)g[i] * (double)g[i];
    return (float)sqrt(ss);
}

void ops_ref_scale(float *x, size_t n, float s) {
    for (size_t i = 0; i < n; i++) x[i] *= s;
}
