/* grpo_adv.c — outcome advantages for GRPO-family estimators (spec/grpo-conventions.md §2).
 *
 * Input: B rows, each with a group id uid[i] (the prompt; rows of a group need not be adjacent)
 * and a float32 scalar score R_i. Output: one float32 advantage per row, then (optionally) the
 * broadcast to tokens with the response mask (§2.5) and a batch whitening (§2.3, §2.4).
 *
 * Float32 order (§2.1, §11 rule 4): the group mean and std are torch float32 reductions; with
 * n ≤ 64 they equal the double value rounded to float32, so we accumulate in double and round
 * once. Then, in float32: d = R − mean; den = std + eps (eps cast to float32 first, 1e-6 →
 * 0x358637bd); a = d / den. With rewards [1,0,0,1,1,0,0,0] this gives 0x3f9a930b and
 * 0xbf397d40 (HV-A).
 *
 * NaN scores (a reward function that could not score a response; TRL turns None into NaN):
 * nan_rewards=propagate (verl, OpenRLHF) uses the plain torch.mean / torch.std, so one NaN makes
 * its whole group NaN (and the batch std with scale_rewards=batch). nan_rewards=ignore is TRL 1.16
 * (trl/trainer/grpo_trainer.py:2759-2810 in the PyPI 1.16.0 wheel):
 *     rewards[unscorable] = NaN
 *     mean_g = nanmean(R over the group)           std_g = nanstd(R over the group)
 *     (nanstd: Σ(R − mean)²/(c − 1) over the c scored rows, NaN when c ≤ 1, utils.py:1021-1046)
 *     A = (R − mean_g) / (std_g + 1e-4)             then  A = nan_to_num(A, nan=0.0)
 * so an unscored row gets 0, its group's statistics use the scored rows only, and a group with
 * fewer than two scored rows gets 0 everywhere (std NaN) unless scale_rewards=none (R − R = 0). */
#include <math.h>
#include <stdlib.h>

#include "grpo.h"

/* Group statistics of one uid. */
typedef struct group_stat {
    int64_t uid;
    size_t n;         /* rows of the group (decides the singleton rule) */
    size_t cnt;       /* rows entering the statistics: n, or the scored rows with nan_rewards=ignore */
    double sum;       /* Σ R */
    double sumsq;     /* Σ R² (one-pass variance of grpo_vectorized) */
    float mean;       /* float32 mean */
    float std;        /* float32 std with the configured correction */
    double var;       /* variance (double) with the configured correction */
    float max1, max2; /* largest and second-largest score (grpo_passk) */
    size_t argmax;    /* first row holding max1 */
} group_stat;

/* gid[i] = index of row i's group in *groups (first-appearance order). O(B·G), no hashing:
 * reference code, batches of a few thousand rows. */
static int assign_groups(size_t B, const int64_t *uid, size_t *gid, group_stat **groups,
                         size_t *ngroups, svs_err *err) {
    group_stat *g = svs_calloc(B ? B : 1, sizeof *g, err);
    if (!g) return -1;
    size_t ng = 0;
    for (size_t i = 0; i < B; i++) {
        size_t k = 0;
        while (k < ng && g[k].uid != uid[i]) k++;
        if (k == ng) g[ng++].uid = uid[i];
        gid[i] = k;
    }
    *groups = g;
    *ngroups = ng;
    return 0;
}

/* Whether score s enters the statistics: always with nan_rewards=propagate (a NaN then spreads
 * through the sums), only when scored (not NaN) with nan_rewards=ignore (TRL nanmean / nanstd). */
static int counts(const grpo_config *cfg, float s) {
    return cfg->nan_rewards != GRPO_NANREW_IGNORE || !isnan(s);
}

/* Mean and variance in double (two passes), rounded to float32 once (§11 rule 4). */
static int group_moments(const grpo_config *cfg, size_t B, const float *s, const size_t *gid,
                         group_stat *g, size_t ng, svs_err *err) {
    for (size_t i = 0; i < B; i++) {
        group_stat *q = &g[gid[i]];
        q->n++;
        if (!counts(cfg, s[i])) continue;
        if (q->cnt == 0 || s[i] > q->max1) {
            if (q->cnt) q->max2 = q->max1;
            q->max1 = s[i];
            q->argmax = i;
        } else if (q->cnt == 1 || s[i] > q->max2) {
            q->max2 = s[i];
        }
        q->cnt++;
        q->sum += s[i];
        q->sumsq += (double)s[i] * s[i];
    }
    double *ss = svs_calloc(ng ? ng : 1, sizeof *ss, err); /* Σ (R − mean)² per group */
    if (!ss) return -1;
    for (size_t i = 0; i < B; i++) {
        if (!counts(cfg, s[i])) continue;
        double dv = s[i] - g[gid[i]].sum / (double)g[gid[i]].cnt;
        ss[gid[i]] += dv * dv;
    }
    for (size_t k = 0; k < ng; k++) {
        /* cnt = 0 (a group of unscored rows): mean 0/0 = NaN, as torch.nanmean gives */
        double n = (double)g[k].cnt, m = g[k].sum / n;
        double den = cfg->std_correction ? n - 1.0 : n; /* torch.std: correction 1 */
        g[k].mean = (float)m;
        g[k].var = den > 0 ? ss[k] / den : NAN; /* torch / TRL nanstd: NaN for n = 1, unbiased */
        g[k].std = (float)sqrt(g[k].var);
    }
    free(ss);
    return 0;
}

/* The std-normalized advantage (R − mean)/(std + eps) in float32, eps placed per cfg.
 * eps_place=var is a seeded bug: (R − mean)/sqrt(var + eps). */
static float normalize(const grpo_config *cfg, float d, float std, double var) {
    float eps = (float)cfg->adv_eps;
    if (cfg->eps_place == GRPO_EPS_ON_VAR) return d / sqrtf((float)var + eps);
    return d / (std + eps);
}

/* Whether this estimator divides by a std at all (verl norm_adv_by_std_in_grpo; TRL
 * scale_rewards='none'; OpenRLHF dr_grpo). */
static int divides(const grpo_config *cfg) {
    return cfg->norm_by_std && cfg->scale_rewards != GRPO_SCALE_NONE;
}

/* Singleton rule (§12.1 row "singleton group"). */
static float singleton_adv(const grpo_config *cfg, float R) {
    switch (cfg->singleton) {
    case GRPO_SINGLE_VERL: /* mean 0, std 1: verl core_algos.py:267-330 */
        if (cfg->estimator == GRPO_EST_RLOO || cfg->estimator == GRPO_EST_REINFORCE_BASELINE ||
            !divides(cfg))
            return R;
        return (R - 0.0f) / (1.0f + (float)cfg->adv_eps);
    case GRPO_SINGLE_ZERO: return 0.0f;
    case GRPO_SINGLE_RAW: return R;
    default: return NAN; /* counted in info->nan_rows by grpo_advantages */
    }
}

/* verl grpo loop / TRL / OpenRLHF group_norm and dr_grpo (§2.1–§2.3). batch_std: TRL
 * scale_rewards='batch' (std over the whole batch; the mean stays per group). */
static float adv_grpo(const grpo_config *cfg, float R, const group_stat *q, float batch_std,
                      double batch_var) {
    float d = R - q->mean;
    if (!divides(cfg)) return d;
    if (cfg->scale_rewards == GRPO_SCALE_BATCH) return normalize(cfg, d, batch_std, batch_var);
    return normalize(cfg, d, q->std, q->var);
}

/* verl grpo_vectorized (core_algos.py:333-357, groupwise.py:164-220): one-pass variance,
 * std = sqrt(max(var, eps)), then / (std + eps). */
static float adv_grpo_vectorized(const grpo_config *cfg, float R, const group_stat *q) {
    double n = (double)q->cnt;
    double den = cfg->std_correction ? (n - 1 > 1 ? n - 1 : 1) : n;
    float var = (float)((q->sumsq - q->sum * q->sum / n) / den);
    float eps = (float)cfg->adv_eps;
    float std = sqrtf(var > eps ? var : eps);
    float d = R - q->mean;
    return divides(cfg) ? d / (std + eps) : d;
}

/* verl rloo (core_algos.py:477-525): ((R·n)/(n−1)) − ((mean·n)/(n−1)) in float32. */
static float adv_rloo(float R, const group_stat *q) {
    float n = (float)q->cnt, n1 = (float)q->cnt - 1.0f;
    return (R * n) / n1 - (q->mean * n) / n1;
}

/* verl grpo_passk (core_algos.py:361-419): only the first arg-max row is non-zero. */
static float adv_passk(const grpo_config *cfg, size_t row, const group_stat *q) {
    if (q->cnt < 2) return NAN; /* nan_rewards=ignore left fewer than two scored rows */
    if (row != q->argmax) return 0.0f;
    float d = q->max1 - q->max2;
    return divides(cfg) ? normalize(cfg, d, q->std, q->var) : d;
}

/* Unbiased (or population) std of all B scores, for scale_rewards='batch' (TRL: nanstd over
 * the scored rows with nan_rewards=ignore). */
static double batch_variance(const grpo_config *cfg, size_t B, const float *s) {
    double sum = 0, ss = 0, c = 0;
    for (size_t i = 0; i < B; i++)
        if (counts(cfg, s[i])) sum += s[i], c++;
    double m = sum / c;
    for (size_t i = 0; i < B; i++)
        if (counts(cfg, s[i])) ss += (s[i] - m) * (s[i] - m);
    double den = cfg->std_correction ? c - 1 : c;
    return den > 0 ? ss / den : NAN;
}

static float row_advantage(const grpo_config *cfg, size_t i, float R, const group_stat *q,
                           float bstd, double bvar) {
    if (q->n == 1 && cfg->estimator != GRPO_EST_RLOO_VECTORIZED)
        return singleton_adv(cfg, R);
    switch (cfg->estimator) {
    case GRPO_EST_GRPO: return adv_grpo(cfg, R, q, bstd, bvar);
    case GRPO_EST_GRPO_VECTORIZED: return adv_grpo_vectorized(cfg, R, q);
    case GRPO_EST_RLOO: return adv_rloo(R, q);
    case GRPO_EST_RLOO_VECTORIZED: return q->cnt > 1 ? adv_rloo(R, q) : 0.0f; /* × [count > 1] */
    case GRPO_EST_REINFORCE_BASELINE: return R - q->mean;
    default: return adv_passk(cfg, i, q);
    }
}

static void fill_info(grpo_adv_info *info, const group_stat *g, size_t ng) {
    info->groups = ng;
    for (size_t k = 0; k < ng; k++) {
        if (g[k].n == 1) info->singletons++;
        else if (g[k].var == 0) info->equal_groups++;
    }
}

int grpo_advantages(const grpo_config *cfg, size_t B, const int64_t *uid, const float *scores,
                    float *adv, grpo_adv_info *info, svs_err *err) {
    grpo_adv_info local = {0};
    if (!info) info = &local;
    *info = (grpo_adv_info){0};
    if (cfg->estimator < 0 || cfg->estimator >= GRPO_EST_COUNT)
        return svs_errf(err, "switch adv_estimator: invalid value %d", cfg->estimator);
    size_t *gid = svs_calloc(B ? B : 1, sizeof *gid, err);
    group_stat *g = NULL;
    size_t ng = 0;
    if (!gid || assign_groups(B, uid, gid, &g, &ng, err)) {
        free(gid);
        return -1;
    }
    int rc = group_moments(cfg, B, scores, gid, g, ng, err);
    if (cfg->estimator == GRPO_EST_GRPO_PASSK)
        for (size_t k = 0; k < ng && !rc; k++)
            if (g[k].n < 2)
                rc = svs_errf(err, "adv_estimator grpo_passk: group uid=%lld has %zu response, "
                                   "needs n >= 2", (long long)g[k].uid, g[k].n);
    double bvar = batch_variance(cfg, B, scores);
    for (size_t i = 0; i < B && !rc; i++) {
        adv[i] = row_advantage(cfg, i, scores[i], &g[gid[i]], (float)sqrt(bvar), bvar);
        info->nan_scores += isnan(scores[i]);
        /* TRL 1.16 grpo_trainer.py:2810: advantages = torch.nan_to_num(advantages, nan=0.0): an
         * unscored row, and every row of a group whose nanstd is undefined, gets 0 */
        if (cfg->nan_rewards == GRPO_NANREW_IGNORE && isnan(adv[i])) adv[i] = 0.0f;
        info->nan_rows += isnan(adv[i]);
    }
    fill_info(info, g, ng);
    free(g);
    free(gid);
    return rc;
}

void grpo_broadcast(size_t B, size_t L, const float *adv, const float *mask, float *adv_tok) {
    /* verl core_algos.py:252 (S): scores.unsqueeze(-1) * response_mask */
    for (size_t i = 0; i < B; i++)
        for (size_t t = 0; t < L; t++) adv_tok[i * L + t] = adv[i] * mask[i * L + t];
}

/* Masked mean and population variance of x over valid tokens, in double. */
static void masked_moments(size_t n, const float *x, const float *mask, double *cnt, double *mean,
                           double *var) {
    double c = 0, s = 0, ss = 0;
    for (size_t k = 0; k < n; k++)
        if (mask[k] != 0) {
            c += mask[k];
            s += (double)x[k] * mask[k];
        }
    double m = s / c;
    for (size_t k = 0; k < n; k++)
        if (mask[k] != 0) ss += ((double)x[k] - m) * ((double)x[k] - m) * mask[k];
    *cnt = c;
    *mean = m;
    *var = ss / c;
}

int grpo_masked_whiten(size_t n, float *x, const float *mask, svs_err *err) {
    /* volcengine/verl@b178a3cd:verl/utils/torch_functional.py:322-340:
     * mean = masked_mean(x); var = masked_var(x) (× N/(N−1), error if N ≤ 1);
     * whitened = (x − mean) · rsqrt(var + 1e-8) */
    double cnt, mean, var;
    masked_moments(n, x, mask, &cnt, &mean, &var);
    if (!(cnt > 1)) return svs_errf(err, "masked_whiten: mask sum %g, need > 1 valid tokens", cnt);
    float mean_f = (float)mean, var_f = (float)(var * cnt / (cnt - 1.0));
    float rstd = (float)(1.0 / sqrt((double)(var_f + 1e-8f)));
    for (size_t k = 0; k < n; k++) x[k] = (x[k] - mean_f) * rstd;
    return 0;
}

/* OpenRLHF experience_maker.py: (x − mean)·rsqrt(clamp(var_pop, min=1e-8)) over valid tokens. */
static int openrlhf_whiten(size_t n, float *x, const float *mask, svs_err *err) {
    double cnt, mean, var;
    masked_moments(n, x, mask, &cnt, &mean, &var);
    if (!(cnt > 0)) return svs_errf(err, "whiten=openrlhf: no valid tokens");
    float mean_f = (float)mean, var_f = (float)var;
    float rstd = (float)(1.0 / sqrt((double)(var_f > 1e-8f ? var_f : 1e-8f)));
    for (size_t k = 0; k < n; k++) x[k] = (x[k] - mean_f) * rstd;
    return 0;
}

int grpo_advantages_tokens(const grpo_config *cfg, size_t B, size_t L, const int64_t *uid,
                           const float *scores, const float *mask, float *adv_tok,
                           grpo_adv_info *info, svs_err *err) {
    float *adv = svs_malloc((B ? B : 1) * sizeof *adv, err);
    if (!adv) return -1;
    int rc = grpo_advantages(cfg, B, uid, scores, adv, info, err);
    if (!rc) grpo_broadcast(B, L, adv, mask, adv_tok);
    free(adv);
    if (rc) return -1;
    if (cfg->whiten == GRPO_WHITEN_VERL) {
        /* verl reinforce_plus_plus(_baseline): A = masked_whiten(A, m) · m */
        if (grpo_masked_whiten(B * L, adv_tok, mask, err)) return -1;
        for (size_t k = 0; k < B * L; k++) adv_tok[k] *= mask[k];
    } else if (cfg->whiten == GRPO_WHITEN_OPENRLHF) {
        if (openrlhf_whiten(B * L, adv_tok, mask, err)) return -1;
    }
    return 0;
}
