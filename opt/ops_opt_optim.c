/* ops_opt_optim.c — opt AdamW step, gradient norm and scaling (ref/ops.h; the reference is
 * ref/ops_ref_optim.c, torch/optim/adamw.py single-tensor path, spec/grpo-conventions.md
 * §9.2–9.3).
 *
 * AdamW is the reference's fp32 arithmetic, operation for operation (same scalars rounded to
 * fp32 once, same operand order, torch's lerp), only split into chunks that OpenMP threads run
 * and GCC vectorizes; elementwise fp32 operations are exact-rounded, so the result is
 * bit-identical to the reference (as long as the compiler does not contract a·b + c into an FMA:
 * C11 mode, -ffp-contract=off). grad_norm sums squares in double, per thread over a contiguous
 * block, and adds the thread partials in order (deterministic for a given thread count). */
#include <math.h>
#include <omp.h>
#include <stddef.h>
#include <stdint.h>

#include "ops_opt.h"
#include "ops_opt_int.h"

#define FLAT_BLK 4096

/* One block of the AdamW step (OPT_CLONES: AVX2 and baseline versions, same bits). */
OPT_CLONES static void adamw_blk(float *p, float *m, float *v, const float *g, size_t i0,
                                 size_t i1, float decay, float w1, int from_self, float b2,
                                 float w2, float neg_step_size, float bc2_sqrt, float eps_f) {
#pragma omp simd
    for (size_t i = i0; i < i1; i++) {
        float pi = p[i] * decay;                                 /* decoupled decay */
        float mi = opt_sel(from_self, m[i] + w1 * (g[i] - m[i]), /* m ← lerp(m, g, 1−β1) */
                           g[i] - (g[i] - m[i]) * (1.0f - w1));
        float vi = v[i] * b2 + w2 * g[i] * g[i];                 /* v ← β2·v + (1−β2)·g² */
        float denom = sqrtf(vi) / bc2_sqrt + eps_f;
        p[i] = pi + neg_step_size * mi / denom;
        m[i] = mi;
        v[i] = vi;
    }
}

void opt_adamw_update(float *p, float *m, float *v, const float *g, size_t n, double lr,
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
    /* torch lerp: weight < 0.5 interpolates from self, otherwise from end; w1 is the same for
     * every element, so the choice is made once */
    int from_self = fabsf(w1) < 0.5f;
    size_t nb = (n + FLAT_BLK - 1) / FLAT_BLK;
#pragma omp parallel for schedule(static) if (n > OPT_PAR_MIN)
    for (size_t b = 0; b < nb; b++)
        adamw_blk(p, m, v, g, b * FLAT_BLK, (b + 1) * FLAT_BLK < n ? (b + 1) * FLAT_BLK : n, decay,
                  w1, from_self, b2, w2, neg_step_size, bc2_sqrt, eps_f);
}

float opt_grad_norm(const float *g, size_t n) {
    double part[OPT_MAX_THREADS] = {0};
    int nth_max = omp_get_max_threads();
    if (nth_max > OPT_MAX_THREADS) nth_max = OPT_MAX_THREADS;
    int used = 1;
#pragma omp parallel num_threads(nth_max) if (n > OPT_PAR_MIN)
    {
        int tid = omp_get_thread_num(), nth = omp_get_num_threads();
#pragma omp single
        used = nth;
        size_t i0 = n / (size_t)nth * (size_t)tid, i1 = tid == nth - 1 ? n : i0 + n / (size_t)nth;
        double ss = 0.0;
#pragma omp simd reduction(+ : ss)
        for (size_t i = i0; i < i1; i++) ss += (double)g[i] * (double)g[i];
        part[tid] = ss;
    }
    double ss = 0.0;
    for (int t = 0; t < used; t++) ss += part[t];
    return (float)sqrt(ss);
}

void opt_scale(float *x, size_t n, float s) {
    size_t nb = (n + FLAT_BLK - 1) / FLAT_BLK;
#pragma omp parallel for schedule(static) if (n > OPT_PAR_MIN)
    for (size_t b = 0; b < nb; b++) {
        size_t i1 = (b + 1) * FLAT_BLK < n ? (b + 1) * FLAT_BLK : n;
#pragma omp simd
        for (size_t i = b * FLAT_BLK; i < i1; i++) x[i] *= s;
    }
}
