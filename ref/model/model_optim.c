/* model_optim.c — the optimizer side of training (spec/grpo-conventions.md §9): the global
 * gradient norm and torch's clip_grad_norm_ (§9.3), torch.optim.AdamW over the parameter slab
 * (§9.2; the per-element update is the ops adamw_update kernel), and the learning-rate
 * multipliers of verl's and HF's schedules (§9.1, §9.4). Inputs: the gradient slab filled by
 * model_backward. Outputs: updated parameters, AdamW moments and step count. */
#include <math.h>
#include <stdlib.h>

#include "model.h"

float model_grad_norm(const model *m) { return m->ops->grad_norm(m->grads_mem, m->num_params); }

float model_clip_grad(model *m, float max_norm) {
    float total = model_grad_norm(m);
    if (!isfinite(total)) return total; /* verl skips the step; the caller decides */
    m->ops->scale(m->grads_mem, m->num_params, ops_clip_coef(total, max_norm));
    return total;
}

/* biases and RMSNorm weights: HF Trainer's get_decay_parameter_names leaves them undecayed */
static int no_decay_tensor(int t) {
    switch (t) {
    case MODEL_T_LN1: case MODEL_T_LN2: case MODEL_T_NORM:
    case MODEL_T_BQ: case MODEL_T_BK: case MODEL_T_BV: case MODEL_T_BO:
    case MODEL_T_BGATE: case MODEL_T_BUP: case MODEL_T_BDOWN:
        return 1;
    default:
        return 0;
    }
}

int model_adamw_step(model *m, const model_adamw_params *hp, svs_err *err) {
    if (!m->adam_m) {
        m->adam_m = svs_calloc(m->num_params, sizeof(float), err);
        m->adam_v = svs_calloc(m->num_params, sizeof(float), err);
        if (!m->adam_m || !m->adam_v) {
            free(m->adam_m);
            free(m->adam_v);
            m->adam_m = m->adam_v = NULL;
            return svs_err_prefix(err, "model_adamw_step");
        }
    }
    m->adam_step++;
    /* one kernel call per tensor, so the weight decay can differ per tensor; the tensors
     * tile the slab in order */
    size_t off = 0;
    for (int t = 0; t < MODEL_NUM_TENSORS; t++) {
        size_t n = m->tensor_sizes[t];
        if (n == 0) continue;
        double wd = hp->no_decay_bias_norm && no_decay_tensor(t) ? 0.0 : hp->weight_decay;
        m->ops->adamw_update(m->params_mem + off, m->adam_m + off, m->adam_v + off,
                             m->grads_mem + off, n, hp->lr, hp->beta1, hp->beta2, hp->eps, wd,
                             m->adam_step);
        off += n;
    }
    return 0;
}

/* ---- learning-rate schedules -------------------------------------------------------------- */

/* linear warmup s / max(1, W) (verl, and HF's get_*_schedule_with_warmup) */
static double warmup(int64_t s, int64_t W) { return (double)s / (double)(W > 1 ? W : 1); }

/* (s − W) / max(1, S − W) */
static double progress(const model_lr_schedule *sch, int64_t s) {
    int64_t span = sch->total_steps - sch->warmup_steps;
    return (double)(s - sch->warmup_steps) / (double)(span > 1 ? span : 1);
}

double model_lr_lambda(const model_lr_schedule *sch, int64_t s) {
    const double pi = 3.141592653589793;
    int64_t W = sch->warmup_steps;
    switch (sch->kind) {
    case MODEL_LR_CONSTANT: /* verl get_constant_schedule_with_warmup */
        return s < W ? warmup(s, W) : 1.0;
    case MODEL_LR_LINEAR: { /* HF get_linear_schedule_with_warmup */
        if (s < W) return warmup(s, W);
        int64_t span = sch->total_steps - W;
        double r = (double)(sch->total_steps - s) / (double)(span > 1 ? span : 1);
        return r > 0.0 ? r : 0.0;
    }
    case MODEL_LR_COSINE_VERL: { /* verl get_cosine_schedule_with_warmup */
        if (s < W) return sch->init_ratio + (1.0 - sch->init_ratio) * warmup(s, W);
        double mn = sch->min_ratio;
        double x = cos(pi * sch->num_cycles * 2.0 * progress(sch, s));
        double r = x * ((1.0 - mn) * 0.5) + (1.0 + mn) * 0.5;
        return r > mn ? r : mn;
    }
    case MODEL_LR_COSINE_HF: { /* HF _get_cosine_schedule_with_warmup_lr_lambda */
        if (s < W) return warmup(s, W);
        double f = 0.5 * (1.0 + cos(pi * sch->num_cycles * 2.0 * progress(sch, s)));
        f = f * (1.0 - sch->min_ratio) + sch->min_ratio;
        return f > 0.0 ? f : 0.0;
    }
    }
    return 1.0;
}
