/* grpo_loss.c — the per-token clipped policy loss and its gradient, clip metrics, loss
 * aggregation over a micro-batch and across micro-batches, KL estimators, the entropy term,
 * log-probs from logits, DAPO group filtering, overlong shaping and the LR schedule
 * (spec/grpo-conventions.md §3–§9; see grpo.h for the API).
 *
 * Inputs are float32 [B][L] arrays (logp, old, ref, adv, mask, entropy); outputs are float32
 * per-token values and float32-rounded aggregates (returned in doubles that hold a float32).
 *
 * Float32 rules (§11): per-token arithmetic is float32 in verl's order, with every Python scalar
 * (0.8, 1.28, 3.0, 20, 1e-8) rounded to float32 before use, as ATen does. Reductions
 * (Σ over tokens, rows, micro-batches) accumulate in double and round to float32 ONCE at the
 * end (§11 rule 3): the result is then within ½ ulp of the float64 formula applied to the
 * float32 per-token values, independent of torch's CPU/CUDA summation order. `reduce=f32seq`
 * instead sums sequentially in float32 (torch-like; HV-B's −0.1973061115). */
#include <math.h>
#include <stdlib.h>

#include "grpo.h"

#define GRPO_PI 3.14159265358979323846

/* ---- per-token loss (§4.1, §4.3, §4.4) -------------------------------------------------- */

/* torch.maximum / torch.minimum propagate NaN; plain C comparisons would not. */
static float t_max(float a, float b) { return isnan(a) || isnan(b) ? NAN : (a > b ? a : b); }
static float t_min(float a, float b) { return isnan(a) || isnan(b) ? NAN : (a < b ? a : b); }
/* Gradient share of operand a in max(a, b) / min(a, b): 1, 0, or ½ on a tie (derivatives.yaml). */
static float share_max(float a, float b) { return a > b ? 1.0f : a < b ? 0.0f : 0.5f; }
static float share_min(float a, float b) { return a < b ? 1.0f : a > b ? 0.0f : 0.5f; }

/* d = logp − old, clamped to ±logratio_clamp; *pass = ∂d/∂logp (1 inside the clamp, 0 outside). */
static float log_ratio(const grpo_config *cfg, float logp, float old, float *pass) {
    if (cfg->on_policy) old = logp; /* old = logp.detach(): r ≡ 1 (V/VN, TRL shortcut) */
    /* 1. d = clamp(logp − old, −20, 20)  (volcengine/verl@b178a3cd:verl/trainer/ppo/
     *    core_algos.py:1160-1250; OpenRLHF loss.py:160-230; TRL: no clamp). clamp's backward
     *    passes the gradient where min ≤ x ≤ max, inclusive (§4.2). */
    float d = logp - old;
    *pass = 1.0f;
    if (cfg->logratio_clamp > 0) {
        float c = (float)cfg->logratio_clamp;
        if (d < -c) d = -c, *pass = 0.0f;
        else if (d > c) d = c, *pass = 0.0f;
    }
    return d;
}

grpo_tok_loss grpo_token_loss(const grpo_config *cfg, float logp, float old, float A) {
    grpo_tok_loss o = {0};
    float d_pass, d = log_ratio(cfg, logp, old, &d_pass);
    float r = expf(d); /* 2. r = exp(d) */
    /* TRL delta (huggingface/trl@f2cd5771:trl/trainer/grpo_trainer.py:3050-3110): coef_1 is
     * capped at δ after coef_2 = clamp(coef_1, …) was taken from the uncapped value. */
    float c1 = r, c1_pass = 1.0f;
    if (cfg->trl_delta > 0 && r > (float)cfg->trl_delta) c1 = (float)cfg->trl_delta, c1_pass = 0.0f;
    /* 4. bounds 1 − ε_low, 1 + ε_high computed in double and cast to float32 by the clamp */
    float lo = (float)(1.0 - cfg->eps_low), hi = (float)(1.0 + cfg->eps_high);
    float rc = r < lo ? lo : (r > hi ? hi : r), rc_pass = (r >= lo && r <= hi) ? 1.0f : 0.0f;
    float L1 = -A * c1;  /* 3. L1 = −A·r  (TRL: −(coef_1·A), the same bits: negation is exact) */
    float L2 = -A * rc;  /* 4. L2 = −A·clip(r) */
    float Lc = t_max(L1, L2); /* 5. the larger negated surrogate (TRL: −min(coef_1·A, coef_2·A)) */
    float s1 = share_max(L1, L2), s2 = share_max(L2, L1);
    float dLc_dr = s1 * (-A) * c1_pass + s2 * (-A) * rc_pass;
    o.loss = Lc;
    o.clipped = L2 > L1;
    float dl_dr = dLc_dr;
    /* 6.–7. dual clip, A < 0 only: ℓ = min(Lc, −A·c) (torch.where selects; OpenRLHF dual_clip) */
    if (cfg->dual_clip_c > 0 && A < 0) {
        float L3 = -A * (float)cfg->dual_clip_c;
        o.loss = t_min(Lc, L3);
        o.clipped_lower = Lc > L3;
        dl_dr = share_min(Lc, L3) * dLc_dr;
    }
    o.ratio = r;
    o.dloss = dl_dr * r * d_pass; /* dr/dlogp = r inside the clamp, 0 outside */
    o.neg_d = -d;
    o.trl_low = c1 < (float)(1.0 - cfg->eps_low) && A < 0;
    o.trl_high = c1 > (float)(1.0 + cfg->eps_high) && A > 0;
    return o;
}

/* ---- KL estimators (§6) ------------------------------------------------------------------ */

/* k3. verl (core_algos.py:1841-1900): x = clamp(ref − logp, ±20); k = eˣ − x − 1;
 * clamp(k, ±10). TRL (grpo_trainer.py:3070-3076): the same without clamps. OpenRLHF
 * (models/utils.py:64-95): x = −(logp − ref); k = eˣ − 1 − x (its operand order), no inner
 * clamp; the ±10 output clamp is applied by grpo_kl for every estimator. */
static float kl_k3(int clamp, float logp, float ref, float *g) {
    if (clamp == GRPO_KLCLAMP_OPENRLHF) {
        float x = -(logp - ref);
        *g = -(expf(x) - 1.0f);
        return expf(x) - 1.0f - x;
    }
    float x = ref - logp, x_pass = 1.0f;
    if (clamp == GRPO_KLCLAMP_VERL) {
        if (x < -20.0f) x = -20.0f, x_pass = 0.0f;
        else if (x > 20.0f) x = 20.0f, x_pass = 0.0f;
    }
    float e = expf(x);
    float k = e - x - 1.0f;
    *g = -(e - 1.0f) * x_pass; /* dk/dlogp = −(eˣ − 1) = 1 − e^(ref − logp) (HV-K) */
    if (clamp == GRPO_KLCLAMP_VERL && (k < -10.0f || k > 10.0f)) {
        *g = 0.0f;
        k = k < -10.0f ? -10.0f : 10.0f;
    }
    return k;
}

float grpo_kl(const grpo_config *cfg, float logp, float ref, float *dkl_dlogp) {
    int base = cfg->kl_type % 4, straight = cfg->kl_type >= 4;
    float diff = logp - ref, v, g; /* verl: kl = logprob − ref_logprob */
    switch (base) {
    case GRPO_KL_K1: v = diff, g = 1.0f; break;
    case GRPO_KL_ABS: v = fabsf(diff), g = diff > 0 ? 1.0f : (diff < 0 ? -1.0f : 0.0f); break;
    case GRPO_KL_K2: v = 0.5f * (diff * diff), g = diff; break; /* 0.5 · (logp − ref)² */
    default: v = kl_k3(cfg->kl_clamp, logp, ref, &g); break;
    }
    /* OpenRLHF clamps every estimator's output to [−10, 10] (k3 handled above too). */
    if (cfg->kl_clamp == GRPO_KLCLAMP_OPENRLHF && (v < -10.0f || v > 10.0f)) {
        v = v < -10.0f ? -10.0f : 10.0f;
        g = 0.0f;
    }
    /* `k1+`, `k3+`, …: forward value, k2's gradient (verl core_algos.py:1862) */
    if (straight) g = diff;
    if (dkl_dlogp) *dkl_dlogp = g;
    return v;
}

float grpo_kl_term(const grpo_config *cfg, float logp, float old, float ref, float *dkl_dlogp) {
    float g, k = grpo_kl(cfg, logp, ref, &g);
    if (cfg->kl_bias_correction) {
        /* TRL use_bias_correction_kl (default True in 1.16.0; trl/trainer/grpo_trainer.py:3102-3105):
         *     coef_1 = exp(logp − old)            (before the delta cap; old = logp.detach()
         *     per_token_kl = per_token_kl · coef_1  on-policy, so r = 1 but ∂r/∂logp = 1)
         * float32 product; ∂(k·r)/∂logp = k'·r + k·r (r' = r inside the log-ratio clamp). */
        float pass, r = expf(log_ratio(cfg, logp, old, &pass));
        float kr = k * r;
        g = g * r + k * (r * pass);
        k = kr;
    }
    if (dkl_dlogp) *dkl_dlogp = g;
    return k;
}

/* ---- aggregation (§5.1, §5.2) ------------------------------------------------------------- */

/* agg = scale-free (Σ_{i kept} S_i / rowden_i) / D1 / D2 with S_i = Σ_t x·m; see agg_plan. */
typedef struct agg_plan {
    size_t B, L;
    double *rowden;      /* [B]: 1, n_i, n_i + 1e-8 (as float32), max(n_i, 1) */
    unsigned char *skip; /* [B]: rows left out of the numerator (empty rows, V / VN) */
    double D1, D2;       /* common denominators */
    int flat;            /* every rowden is 1: a flat token sum (f32seq sums tokens in order) */
} agg_plan;

static void plan_free(agg_plan *p) {
    free(p->rowden);
    free(p->skip);
}

static double micro_tokens(const float *mask, size_t n) {
    double c = 0;
    for (size_t k = 0; k < n; k++) c += mask[k];
    return c;
}

/* Sequence-count denominator of the seq-mean modes: b, #non-empty rows, or G_bs (global). */
static double seq_count(const grpo_config *cfg, const agg_plan *p, const grpo_scope_info *sc) {
    if (cfg->scope == GRPO_SCOPE_GLOBAL) return sc ? sc->global_seqs : NAN;
    if (cfg->seq_denom == GRPO_SEQDEN_ALL) return (double)p->B;
    double k = 0;
    for (size_t i = 0; i < p->B; i++) k += !p->skip[i];
    return k;
}

/* Per-row token denominators of seq-mean-token-mean and which rows are kept. */
static void row_denoms(const grpo_config *cfg, agg_plan *p, const float *mask, int per_row) {
    for (size_t i = 0; i < p->B; i++) {
        double n = micro_tokens(mask + i * p->L, p->L);
        /* V legacy / VN: only rows with n_i > 0 enter the seq-mean (core_algos.py:1025-1081) */
        p->skip[i] = n == 0 && (cfg->scope == GRPO_SCOPE_GLOBAL ||
                                cfg->seq_denom == GRPO_SEQDEN_NONEMPTY ||
                                (per_row && cfg->row_denom == GRPO_ROWDEN_N_EPS));
        p->rowden[i] = 1.0;
        if (!per_row) continue;
        if (cfg->row_denom == GRPO_ROWDEN_N) p->rowden[i] = n; /* S: 0/0 = NaN for empty rows */
        else if (cfg->row_denom == GRPO_ROWDEN_N_EPS) p->rowden[i] = (double)((float)n + 1e-8f);
        else p->rowden[i] = n > 1 ? n : 1.0;                   /* TRL: clamp(min=1) */
    }
}

/* Token-mean denominator: Σm + 1e-8 (S, float32: the 1e-8 vanishes when Σm ≥ 1), Σm (V),
 * max(Σm, 1) (TRL bnpo), or the global token count (engine path, TRL dapo, OpenRLHF). */
static double token_denom(const grpo_config *cfg, double ntok, const grpo_scope_info *sc) {
    if (cfg->scope == GRPO_SCOPE_GLOBAL) return sc ? sc->global_tokens : NAN;
    if (cfg->tok_denom == GRPO_TOKDEN_EPS) return (double)((float)ntok + 1e-8f);
    if (cfg->tok_denom == GRPO_TOKDEN_PLAIN) return ntok;
    return ntok > 1 ? ntok : 1.0;
}

static int agg_plan_make(const grpo_config *cfg, const float *mask, size_t B, size_t L,
                         const grpo_scope_info *sc, agg_plan *p, svs_err *err) {
    *p = (agg_plan){.B = B, .L = L, .D1 = 1.0, .D2 = 1.0, .flat = 1};
    p->rowden = svs_calloc(B ? B : 1, sizeof *p->rowden, err);
    p->skip = svs_calloc(B ? B : 1, 1, err);
    if (!p->rowden || !p->skip) return plan_free(p), -1;
    if (cfg->scope == GRPO_SCOPE_GLOBAL && !sc)
        return plan_free(p), svs_errf(err, "scope=global needs the mini-batch counts");
    double Lnorm = cfg->loss_scale_factor > 0 ? cfg->loss_scale_factor : (double)L;
    int per_row = cfg->agg == GRPO_AGG_SEQ_MEAN_TOKEN_MEAN;
    row_denoms(cfg, p, mask, per_row);
    p->flat = !per_row;
    switch (cfg->agg) {
    case GRPO_AGG_TOKEN_MEAN:
        for (size_t i = 0; i < B; i++) p->skip[i] = 0;
        p->D1 = token_denom(cfg, micro_tokens(mask, B * L), sc);
        break;
    case GRPO_AGG_SEQ_MEAN_TOKEN_SUM:
    case GRPO_AGG_SEQ_MEAN_TOKEN_MEAN:
        p->D1 = seq_count(cfg, p, sc);
        break;
    case GRPO_AGG_SEQ_MEAN_TOKEN_SUM_NORM:
        /* S / V legacy: Σ/L (no /B); VN after PR #5417: (Σ/G_bs)/L; TRL dr_grpo: Σ/(b·L) */
        p->D1 = cfg->drgrpo_norm == GRPO_DRNORM_SEQS_L ? seq_count(cfg, p, sc) : 1.0;
        p->D2 = Lnorm;
        break;
    case GRPO_AGG_TOKEN_SUM:
        break;
    default:
        return plan_free(p), svs_errf(err, "switch loss_agg_mode: invalid value %d", cfg->agg);
    }
    return 0;
}

/* x·m (S, TRL, OpenRLHF: NaN·0 = NaN leaks) or select (V: masked positions are skipped). */
static int masked_term(const grpo_config *cfg, float x, float m, double *v) {
    if (cfg->masked == GRPO_MASKED_SELECT && m == 0) return 0;
    *v = (double)(x * m);
    return 1;
}

/* double accumulation, one rounding (§11 rule 3) */
static double agg_apply_f64(const grpo_config *cfg, const agg_plan *p, const float *x,
                            const float *mask) {
    double acc = 0;
    for (size_t i = 0; i < p->B; i++) {
        if (p->skip[i]) continue;
        double s = 0, v;
        for (size_t t = 0; t < p->L; t++)
            if (masked_term(cfg, x[i * p->L + t], mask[i * p->L + t], &v)) s += v;
        acc += p->rowden[i] == 1.0 ? s : s / p->rowden[i];
    }
    return (double)(float)(acc / p->D1 / p->D2);
}

/* float32 sequential sums, as a torch CPU loop over a contiguous tensor would (emulation) */
static double agg_apply_f32(const grpo_config *cfg, const agg_plan *p, const float *x,
                            const float *mask) {
    float acc = 0.0f;
    for (size_t i = 0; i < p->B; i++) {
        if (p->skip[i]) continue;
        float s = 0.0f;
        double v;
        for (size_t t = 0; t < p->L; t++)
            if (masked_term(cfg, x[i * p->L + t], mask[i * p->L + t], &v)) {
                if (p->flat) acc += (float)v;
                else s += (float)v;
            }
        if (!p->flat) acc += s / (float)p->rowden[i];
    }
    return (double)(acc / (float)p->D1 / (float)p->D2);
}

static double agg_apply(const grpo_config *cfg, const agg_plan *p, const float *x,
                        const float *mask) {
    return cfg->reduce == GRPO_REDUCE_F32SEQ ? agg_apply_f32(cfg, p, x, mask)
                                             : agg_apply_f64(cfg, p, x, mask);
}

/* ∂agg/∂x[i][t] = m / rowden_i / D1 / D2 (0 for skipped rows and, with select, masked tokens) */
static double agg_weight(const agg_plan *p, size_t i, float m) {
    if (p->skip[i]) return 0.0;
    return (double)m / p->rowden[i] / p->D1 / p->D2;
}

int grpo_aggregate(const grpo_config *cfg, const float *x, const float *mask, size_t B, size_t L,
                   const grpo_scope_info *scope, double *out, svs_err *err) {
    agg_plan p;
    if (agg_plan_make(cfg, mask, B, L, scope, &p, err)) return -1;
    *out = agg_apply(cfg, &p, x, mask);
    plan_free(&p);
    return 0;
}

/* Scope weight of a micro-batch loss before backward (§5.2): 1/GA (fixed micro-batches),
 * b_mb/N_mini (dynamic batch size; SvS dp_actor.py:496-501), 1 (engine path, TRL dapo). */
static int scope_scale(const grpo_config *cfg, size_t b, const grpo_scope_info *sc, double *s,
                       svs_err *err) {
    *s = 1.0;
    if (cfg->scope == GRPO_SCOPE_MICRO_GA) {
        if (sc && sc->ga == 0) return svs_errf(err, "scope=micro-ga: ga must be >= 1");
        *s = sc ? 1.0 / (double)sc->ga : 1.0;
    } else if (cfg->scope == GRPO_SCOPE_MICRO_ROWS) {
        if (sc && sc->mini_rows == 0) return svs_errf(err, "scope=micro-rows: mini_rows must be >= 1");
        *s = sc ? (double)b / (double)sc->mini_rows : 1.0;
    }
    return 0;
}

/* ---- the micro-batch loss (§5.3) ----------------------------------------------------------- */

/* verl masked_mean with +1e-8 for the metrics, denominator in float32 (§4.5: clipfrac 0.4). */
static float metric_mean(double num, double cnt) { return (float)(num / (double)((float)cnt + 1e-8f)); }

static void token_pass(const grpo_config *cfg, const grpo_micro *mb, float *loss, float *dloss,
                       grpo_micro_out *out) {
    double n = 0, clip = 0, lower = 0, kl = 0, lo = 0, hi = 0;
    for (size_t k = 0; k < mb->B * mb->L; k++) {
        grpo_tok_loss t = grpo_token_loss(cfg, mb->logp[k], mb->old[k], mb->adv[k]);
        loss[k] = t.loss;
        dloss[k] = t.dloss;
        float m = mb->mask[k];
        n += m;
        clip += t.clipped * m;
        lower += t.clipped_lower * m;
        kl += (double)t.neg_d * m; /* ppo_kl = masked_mean(−d), d clamped */
        lo += t.trl_low * m;
        hi += t.trl_high * m;
    }
    out->pg_clipfrac = metric_mean(clip, n);
    out->pg_clipfrac_lower = metric_mean(lower, n);
    out->ppo_kl = metric_mean(kl, n);
    out->trl_clip_low = metric_mean(lo, n);
    out->trl_clip_high = metric_mean(hi, n);
}

/* KL term in the loss: per-token values and gradients into kl/dkl (grpo_kl_term: × r with
 * kl_bias_correction); needs ref. */
static int kl_pass(const grpo_config *cfg, const grpo_micro *mb, float *kl, float *dkl, svs_err *err) {
    if (!mb->ref) return svs_errf(err, "kl_place=loss needs reference log-probs (ref)");
    for (size_t k = 0; k < mb->B * mb->L; k++)
        kl[k] = grpo_kl_term(cfg, mb->logp[k], mb->old[k], mb->ref[k], &dkl[k]);
    return 0;
}

/* Entropy bonus with entropy_agg=token-mean-micro (TRL 1.16.0 trl/trainer/grpo_trainer.py:
 * 3186-3211, for every loss type, "never by a loss-type-specific policy normalizer"):
 *     entropy_loss = Σ H·m / max(Σm, 1) / GA        (GA = 1 in eval)
 *     loss = loss − entropy_coef · entropy_loss
 * H̄ = Σ H·m / max(Σm, 1) over this micro-batch (double, rounded once; x·m or select per
 * `masked`); the weight 1/GA comes from scope->ga (1 without a scope), whatever the scope. */
static double entropy_token_mean(const grpo_config *cfg, const grpo_micro *mb, double *den) {
    double s = 0, c = 0, v;
    for (size_t k = 0; k < mb->B * mb->L; k++) {
        c += mb->mask[k];
        if (masked_term(cfg, mb->entropy[k], mb->mask[k], &v)) s += v;
    }
    *den = c > 1 ? c : 1.0; /* .clamp(min=1.0) */
    return (double)(float)(s / *den);
}

static double ga_weight(const grpo_scope_info *sc) { return sc && sc->ga ? 1.0 / (double)sc->ga : 1.0; }

/* Combines the aggregated terms in verl's order: (pg − H·c_H + kl·c_KL)·scale, f32 once.
 * entropy_agg=token-mean-micro: scale·(pg + kl·c_KL) − c_H·H̄/GA (TRL 1.16). */
static double combine(const grpo_config *cfg, const grpo_micro_out *o, int use_ent, int use_kl,
                      const grpo_scope_info *sc) {
    double v = o->pg_loss, ent = 0;
    if (use_ent && cfg->entropy_agg == GRPO_ENTAGG_TOKEN_MEAN_MICRO)
        ent = o->entropy_loss * cfg->entropy_coef * ga_weight(sc);
    else if (use_ent)
        v -= o->entropy_loss * cfg->entropy_coef;
    if (use_kl) v += o->kl_loss * cfg->kl_coef;
    return (double)(float)(v * o->scale - ent);
}

/* ∂total/∂logp and ∂total/∂H per token. ent_w: with entropy_agg=token-mean-micro the weight
 * 1/(max(Σm, 1)·GA) of every token's H (× m), else 0 (H weighted like the loss). */
static void gradients(const grpo_config *cfg, const grpo_micro *mb, const agg_plan *p,
                      double scale, const float *dloss, const float *dkl, double ent_w,
                      float *grad_logp, float *grad_ent) {
    for (size_t i = 0; i < mb->B; i++)
        for (size_t t = 0; t < mb->L; t++) {
            size_t k = i * mb->L + t;
            double w = scale * agg_weight(p, i, mb->mask[k]);
            if (cfg->masked == GRPO_MASKED_SELECT && mb->mask[k] == 0) w = 0;
            double g = (double)dloss[k] + (dkl ? cfg->kl_coef * dkl[k] : 0.0);
            if (grad_logp) grad_logp[k] = (float)(w * g);
            double we = cfg->entropy_agg == GRPO_ENTAGG_TOKEN_MEAN_MICRO ? ent_w * mb->mask[k] : w;
            if (cfg->entropy_agg == GRPO_ENTAGG_TOKEN_MEAN_MICRO && cfg->masked == GRPO_MASKED_SELECT &&
                mb->mask[k] == 0)
                we = 0;
            if (grad_ent) grad_ent[k] = (float)(-cfg->entropy_coef * we);
        }
}

int grpo_micro_loss(const grpo_config *cfg, const grpo_micro *mb, const grpo_scope_info *scope,
                    grpo_micro_out *out, float *tok_loss, float *grad_logp, float *grad_entropy,
                    svs_err *err) {
    size_t n = mb->B * mb->L;
    *out = (grpo_micro_out){0};
    int use_kl = cfg->kl_place == GRPO_KLPLACE_LOSS && cfg->kl_coef != 0;
    int use_ent = mb->entropy && cfg->entropy_coef != 0;
    float *buf = svs_calloc(n ? 4 * n : 1, sizeof *buf, err);
    if (!buf) return -1;
    float *loss = buf, *dloss = buf + n, *kl = buf + 2 * n, *dkl = buf + 3 * n;
    agg_plan p = {0};
    int rc = agg_plan_make(cfg, mb->mask, mb->B, mb->L, scope, &p, err);
    if (!rc) rc = scope_scale(cfg, mb->B, scope, &out->scale, err);
    if (!rc && use_kl) rc = kl_pass(cfg, mb, kl, dkl, err);
    if (!rc) {
        token_pass(cfg, mb, loss, dloss, out);
        out->pg_loss = agg_apply(cfg, &p, loss, mb->mask);
        if (use_kl) out->kl_loss = agg_apply(cfg, &p, kl, mb->mask);
        double ent_den = 1.0;
        if (mb->entropy && cfg->entropy_agg == GRPO_ENTAGG_TOKEN_MEAN_MICRO)
            out->entropy_loss = entropy_token_mean(cfg, mb, &ent_den);
        else if (mb->entropy)
            out->entropy_loss = agg_apply(cfg, &p, mb->entropy, mb->mask);
        out->total = combine(cfg, out, use_ent, use_kl, scope);
        if (grad_logp || grad_entropy)
            gradients(cfg, mb, &p, out->scale, dloss, use_kl ? dkl : NULL, ga_weight(scope) / ent_den,
                      grad_logp, use_ent ? grad_entropy : NULL);
        if (grad_entropy && !use_ent)
            for (size_t k = 0; k < n; k++) grad_entropy[k] = 0.0f;
        for (size_t k = 0; tok_loss && k < n; k++) tok_loss[k] = loss[k];
    }
    plan_free(&p);
    free(buf);
    return rc;
}

int grpo_minibatch_loss(const grpo_config *cfg, const grpo_micro *mbs, size_t n_mb,
                        size_t mini_rows, double global_seqs, double *total, float **grad_logp,
                        svs_err *err) {
    if (n_mb == 0) return svs_errf(err, "mini-batch with no micro-batches");
    grpo_scope_info sc = {.ga = n_mb};
    size_t rows = 0;
    for (size_t j = 0; j < n_mb; j++) {
        rows += mbs[j].B;
        sc.global_tokens += micro_tokens(mbs[j].mask, mbs[j].B * mbs[j].L);
    }
    sc.mini_rows = mini_rows ? mini_rows : rows;
    sc.global_seqs = global_seqs > 0 ? global_seqs : (double)rows;
    double acc = 0; /* gradients add up over micro-batches; so do the scaled losses */
    for (size_t j = 0; j < n_mb; j++) {
        grpo_micro_out o;
        if (grpo_micro_loss(cfg, &mbs[j], &sc, &o, NULL, grad_logp ? grad_logp[j] : NULL, NULL, err))
            return svs_err_prefix(err, "micro-batch %zu", j);
        acc += o.total;
    }
    *total = (double)(float)acc;
    return 0;
}

int grpo_kl_in_reward(const grpo_config *cfg, size_t B, size_t L, const float *old,
                      const float *ref, const float *mask, const float *scores, float *rewards,
                      svs_err *err) {
    /* volcengine/verl@b178a3cd:verl/trainer/ppo/ray_trainer.py:70-110:
     * token_level_rewards = token_level_scores − β·kl(old, ref)·mask, before the advantage */
    if (!old || !ref) return svs_errf(err, "kl_place=reward needs old and ref log-probs");
    for (size_t i = 0; i < B; i++) {
        double s = 0;
        for (size_t t = 0; t < L; t++) {
            size_t k = i * L + t;
            if (mask[k] != 0) s += (double)grpo_kl(cfg, old[k], ref[k], NULL) * mask[k];
        }
        rewards[i] = (float)((double)scores[i] - cfg->kl_coef * s);
    }
    return 0;
}

/* ---- log-probs and entropy (§3) --------------------------------------------------------- */

/* z/T in float32 (verl divides the logits in place), then max and logsumexp in double. */
static double scaled_lse(const grpo_config *cfg, const float *z, size_t V, float *zt) {
    float T = (float)cfg->temperature;
    double mx = -INFINITY, s = 0;
    for (size_t j = 0; j < V; j++) {
        zt[j] = z[j] / T;
        if (zt[j] > mx) mx = zt[j];
    }
    for (size_t j = 0; j < V; j++) s += exp((double)zt[j] - mx);
    return mx + log(s);
}

int grpo_logprob(const grpo_config *cfg, const float *z, size_t V, size_t label, float *logp,
                 float *dlogp_dz, svs_err *err) {
    if (V == 0 || label >= V) return svs_errf(err, "logprob: label %zu out of range (V = %zu)", label, V);
    float *zt = svs_malloc(V * sizeof *zt, err);
    if (!zt) return -1;
    double lse = scaled_lse(cfg, z, V, zt); /* logp_y = z_y − logsumexp(z) (torch_functional 166-200) */
    *logp = (float)((double)zt[label] - lse);
    for (size_t j = 0; dlogp_dz && j < V; j++) /* (δ_jy − p_j)/T */
        dlogp_dz[j] = (float)(((j == label) - exp((double)zt[j] - lse)) / cfg->temperature);
    free(zt);
    return 0;
}

int grpo_entropy(const grpo_config *cfg, const float *z, size_t V, float *H, float *dH_dz,
                 svs_err *err) {
    if (V == 0) return svs_errf(err, "entropy: empty vocabulary");
    float *zt = svs_malloc(V * sizeof *zt, err);
    if (!zt) return -1;
    double lse = scaled_lse(cfg, z, V, zt), pz = 0, plp = 0;
    for (size_t j = 0; j < V; j++) {
        double lp = (double)zt[j] - lse, p = exp(lp);
        pz += p * zt[j];
        if (p > 0) plp += p * lp;
    }
    /* verl (torch_functional.py:224-238): lse(z) − Σ p z;  TRL (utils.py:526): −Σ p log p */
    double h = cfg->entropy_form == GRPO_ENT_LSE ? lse - pz : -plp;
    *H = (float)h;
    for (size_t j = 0; dH_dz && j < V; j++) { /* −p_j (log p_j + H) / T */
        double lp = (double)zt[j] - lse;
        dH_dz[j] = (float)(-exp(lp) * (lp + h) / cfg->temperature);
    }
    free(zt);
    return 0;
}

/* ---- DAPO (§8) ------------------------------------------------------------------------------ */

/* Whether one group (values v[0..n)) is kept under cfg->filter (§8.2). */
static int keep_group(const grpo_config *cfg, const double *v, size_t n) {
    double s = 0, ss = 0;
    for (size_t k = 0; k < n; k++) s += v[k];
    double mean = s / (double)n;
    for (size_t k = 0; k < n; k++) ss += (v[k] - mean) * (v[k] - mean);
    switch (cfg->filter) {
    case GRPO_FILTER_MEAN01: return mean > 0 && mean < 1; /* SvS ray_trainer.py:1355-1376 */
    case GRPO_FILTER_STD_OR_SINGLETON: return n == 1 || sqrt(ss / (double)n) > 0; /* np.std */
    case GRPO_FILTER_RANGE: return mean > cfg->filter_min && mean < cfg->filter_max;
    default: return 1;
    }
}

long grpo_group_filter(const grpo_config *cfg, size_t B, const int64_t *uid, const double *metric,
                       unsigned char *keep, svs_err *err) {
    double *vals = svs_malloc((B ? B : 1) * sizeof *vals, err);
    unsigned char *done = svs_calloc(B ? B : 1, 1, err);
    if (!vals || !done) {
        free(vals);
        free(done);
        return -1;
    }
    long kept = 0;
    for (size_t i = 0; i < B; i++) {
        if (done[i]) continue;
        size_t n = 0;
        for (size_t j = i; j < B; j++)
            if (uid[j] == uid[i]) vals[n++] = metric[j];
        int k = keep_group(cfg, vals, n);
        for (size_t j = i; j < B; j++)
            if (uid[j] == uid[i]) done[j] = 1, keep[j] = (unsigned char)k, kept += k;
    }
    free(vals);
    free(done);
    return kept;
}

double grpo_overlong_penalty(const grpo_config *cfg, double len) {
    /* MasterVito/SvS@9fd8f35:verl/workers/reward_manager/dapo.py:105-116:
     *   expected = max_resp_len − buffer; exceed = len − expected;
     *   penalty = min(−exceed / buffer · factor, 0)
     * OpenRLHF length_penalty.py:51 caps exceed at the buffer length. */
    if (cfg->overlong != 1) return 0.0;
    double exceed = len - (cfg->overlong_max_len - cfg->overlong_buffer);
    if (cfg->overlong_cap == GRPO_OVERLONG_OPENRLHF && exceed > cfg->overlong_buffer)
        exceed = cfg->overlong_buffer;
    double pen = -exceed / cfg->overlong_buffer * cfg->overlong_factor;
    return pen < 0 ? pen : 0.0;
}

/* ---- LR schedule (§9.1, §9.4) ------------------------------------------------------------ */

static double lr_lambda(const grpo_config *cfg, double k, double T) {
    double W = cfg->warmup_steps > 0 ? cfg->warmup_steps : 0;
    if (k < W) return k / (W > 1 ? W : 1); /* warmup (verl init_lr_ratio 0) */
    if (cfg->schedule == GRPO_SCHED_CONSTANT) return 1.0;
    double span = T - W > 1 ? T - W : 1;
    if (cfg->schedule == GRPO_SCHED_LINEAR) return (T - k) / span > 0 ? (T - k) / span : 0.0;
    double progress = (k - W) / span; /* cosine, min_lr_ratio 0, num_cycles 0.5 */
    return 0.5 * (1.0 + cos(GRPO_PI * 2.0 * 0.5 * progress));
}

double grpo_lr_at(const grpo_config *cfg, long s, long total_steps) {
    /* the scheduler steps after the update: step s (1-based) uses λ(s − 1) */
    return cfg->lr * lr_lambda(cfg, (double)(s - 1), (double)total_steps);
}
