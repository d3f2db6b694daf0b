/* test_grpo_verl.c — ref/grpo*.c against verl's own functions: golden/grpo_verl.jsonl, written by
 * golden/gen_grpo_verl_goldens.py from PyPI verl (version in the file's header line) on random
 * float32 CPU batches. Per batch: compute_grpo_outcome_advantage (std on = preset `verl`, off =
 * Dr.GRPO), compute_rloo_outcome_advantage, compute_policy_loss_vanilla (per-token loss matrix,
 * token-mean loss, pg_clipfrac, pg_clipfrac_lower, ppo_kl, gradient w.r.t. log_prob), agg_loss
 * for every mode without global batch info (= preset `verl` with drgrpo_norm=seqs-over-L: verl
 * 0.9.1 divides Dr.GRPO by the non-empty rows) and with it (= preset `verl-engine`), kl_penalty
 * for all eight estimators (value and gradient), logprobs_from_logits / entropy_from_logits at
 * the batch temperature.
 *
 * Both sides are float32, so most values agree to a few ulp. Tolerances, |ours − verl| ≤ tol:
 *   advantages     1e-6·|verl| + 8u·(|R| + |mean|)/(std + eps) + 1e-7  (R − mean cancels; torch's
 *                  float32 mean may differ from our once-rounded mean by an ulp); RLOO ·n/(n−1)
 *   token loss     2e-6·|verl| + 1e-7                       (expf vs torch exp: ≤ 2 ulp)
 *   aggregates     1e-5·|verl| + 1e-6·agg(|ℓ|)             (summation order)
 *   metrics        clip fractions: (tokens within 1e-5 of a bound or of c)/Σm + 1e-6; ppo_kl as
 *                  aggregates
 *   gradient       1e-5·|verl| + 1e-6·max|grad|; tokens within 1e-5 of a kink skipped
 *   KL             2e-6·|verl| + 8u·(e^|x| + |x| + 1)      (k3 = eˣ − x − 1 cancels)
 *   logp, entropy  2e-6·|verl| + 16u·(max|z/T| + 1)          (logsumexp cancels)
 * u = 2^-24. REPORT lines print each quantity's max abs and rel (|verl| ≥ 1e-3) errors. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grpo_golden.h"


enum { Q_ADV, Q_DR, Q_RLOO, Q_TOK, Q_AGG_L, Q_AGG_G, Q_PG, Q_CLIP, Q_PPOKL, Q_GRAD, Q_KL, Q_KLG, Q_LOGP,
       Q_ENT, Q_COUNT };
static const char *QN[Q_COUNT] = {"grpo advantages", "drgrpo advantages", "rloo advantages", "token loss",
                                  "agg_loss local", "agg_loss global", "pg_loss", "clip fractions",
                                  "ppo_kl", "grad logp", "kl_penalty", "kl gradient", "logprob",
                                  "entropy"};
static struct { double abs, rel; long n; } st[Q_COUNT];

static void cmp(int q, long id, const char *what, double ours, double ref, double tol) {
    int same_nan = isnan(ours) && isnan(ref);
    double e = same_nan ? 0 : fabs(ours - ref);
    if (isnan(e)) e = INFINITY;
    st[q].n++;
    if (e > st[q].abs) st[q].abs = e;
    if (fabs(ref) >= 1e-3 && e / fabs(ref) > st[q].rel) st[q].rel = e / fabs(ref);
    CHECK(same_nan || e <= tol, "batch %ld %s %s: ours %.9g verl %.9g (tol %.3g)", id, QN[q], what, ours, ref, tol);
}

typedef struct vb {
    size_t B, L, V;
    double T, eps_low, eps_high, clip_c;
    int64_t *uid;
    float *scores, *mask, *logp, *old, *ref, *logits, *adv, *tok;
    int64_t *labels;
} vb;


static void vb_free(vb *b) {
    void *p[] = {b->uid, b->scores, b->mask, b->logp, b->old, b->ref, b->logits, b->adv, b->tok, b->labels};
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++) free(p[i]);
}

static int vb_load(vb *b, json_t *r) {
    b->B = json_integer_value(json_object_get(r, "B"));
    b->L = json_integer_value(json_object_get(r, "L"));
    b->V = json_integer_value(json_object_get(r, "V"));
    b->T = json_number_value(json_object_get(r, "T"));
    b->eps_low = json_number_value(json_object_get(r, "eps_low"));
    b->eps_high = json_number_value(json_object_get(r, "eps_high"));
    b->clip_c = json_number_value(json_object_get(r, "clip_c"));
    size_t n = b->B * b->L;
    b->uid = gg_iarr(r, "uid", b->B), b->labels = gg_iarr(r, "labels", n);
    b->scores = gg_farr(r, "scores", b->B), b->mask = gg_farr(r, "mask", n), b->logp = gg_farr(r, "logp", n);
    b->old = gg_farr(r, "old", n), b->ref = gg_farr(r, "ref", n), b->logits = gg_farr(r, "logits", n * b->V);
    b->adv = gg_farr(r, "adv_grpo", n), b->tok = gg_farr(r, "token_loss", n);
    int ok = b->uid && b->labels && b->scores && b->mask && b->logp && b->old && b->ref && b->logits &&
             b->adv && b->tok;
    CHECK(ok, "golden batch: missing or mis-sized arrays");
    return ok ? 0 : -1;
}

static grpo_config cfg_of(const vb *b, const char *preset) {
    grpo_config c;
    svs_err err = {{0}};
    CHECK(grpo_preset(preset, &c, &err) == 0, "preset %s: %s", preset, err.msg);
    c.eps_low = b->eps_low, c.eps_high = b->eps_high, c.dual_clip_c = b->clip_c, c.temperature = b->T;
    return c;
}

/* group mean, unbiased std and size of row i's group (double) */
static void group_ms(const vb *b, size_t i, double *mean, double *std, double *n) {
    double s = 0, ss = 0;
    *n = 0;
    for (size_t j = 0; j < b->B; j++)
        if (b->uid[j] == b->uid[i]) s += b->scores[j], *n += 1;
    *mean = s / *n;
    for (size_t j = 0; j < b->B; j++)
        if (b->uid[j] == b->uid[i]) ss += (b->scores[j] - *mean) * (b->scores[j] - *mean);
    *std = *n > 1 ? sqrt(ss / (*n - 1)) : 1.0;
}

static void check_adv(const vb *b, long id, json_t *r, const char *key, int q, const char *set) {
    grpo_config c = cfg_of(b, "verl");
    svs_err err = {{0}};
    if (set) CHECK(grpo_config_set(&c, set, &err) == 0, "%s: %s", set, err.msg);
    size_t n = b->B * b->L;
    float *ours = malloc(n * sizeof *ours), *ref = gg_farr(r, key, n);
    CHECK(grpo_advantages_tokens(&c, b->B, b->L, b->uid, b->scores, b->mask, ours, NULL, &err) == 0, "%s", err.msg);
    for (size_t k = 0; ref && k < n; k++) {
        double mean, std, cnt;
        group_ms(b, k / b->L, &mean, &std, &cnt);
        double den = q == Q_ADV ? std + 1e-6 : 1.0, fac = q == Q_RLOO && cnt > 1 ? cnt / (cnt - 1) : 1.0;
        double tol = 1e-6 * fabs(ref[k]) + 8 * U32 * (fabs(b->scores[k / b->L]) + fabs(mean)) * fac / den + 1e-7;
        cmp(q, id, key, ours[k], ref[k], tol);
    }
    free(ours);
    free(ref);
}

static void check_token_loss(const vb *b, long id) {
    grpo_config c = cfg_of(b, "verl");
    for (size_t k = 0; k < b->B * b->L; k++) {
        float l = grpo_token_loss(&c, b->logp[k], b->old[k], b->adv[k]).loss;
        cmp(Q_TOK, id, "ℓ", l, b->tok[k], 2e-6 * fabs(b->tok[k]) + 1e-7);
    }
}

static const char *AGG[] = {"token-mean", "seq-mean-token-sum", "seq-mean-token-mean", "seq-mean-token-sum-norm",
                            "token-sum"};

/* agg_loss on verl's own loss matrix: local (no global info) and global (dp_size 1). */
static void check_aggs(const vb *b, long id, json_t *r) {
    size_t n = b->B * b->L;
    float *absl = malloc(n * sizeof *absl);
    for (size_t k = 0; k < n; k++) absl[k] = fabsf(b->tok[k]);
    grpo_scope_info sc = {.ga = 1, .mini_rows = b->B, .global_seqs = (double)b->B};
    for (size_t k = 0; k < n; k++) sc.global_tokens += b->mask[k];
    for (int g = 0; g < 2; g++) {
        grpo_config c = cfg_of(b, g ? "verl-engine" : "verl");
        c.drgrpo_norm = GRPO_DRNORM_SEQS_L;
        json_t *ref = json_object_get(r, g ? "agg_global" : "agg_local");
        for (int m = 0; m < 5; m++) {
            char set[64];
            svs_err err = {{0}};
            snprintf(set, sizeof set, "loss_agg_mode=%s", AGG[m]);
            CHECK(grpo_config_set(&c, set, &err) == 0, "%s", err.msg);
            double ours = 0, mag = 0;
            grpo_aggregate(&c, b->tok, b->mask, b->B, b->L, &sc, &ours, &err);
            grpo_aggregate(&c, absl, b->mask, b->B, b->L, &sc, &mag, &err);
            json_t *v = json_object_get(ref, AGG[m]);
            double want = gg_num(v);
            cmp(g ? Q_AGG_G : Q_AGG_L, id, AGG[m], ours, want, 1e-5 * fabs(want) + 1e-6 * (isnan(mag) ? 0 : mag));
        }
    }
    free(absl);
}

/* Tokens within 1e-5 (relative) of a clip bound, of the dual-clip constant or of |d| = 20. */
static int near_kink(const grpo_config *c, float logp, float old, float A) {
    double d = (double)logp - old, r = exp(d), lo = 1 - c->eps_low, hi = 1 + c->eps_high;
    if (fabs(fabs(d) - 20) < 1e-4) return 1;
    if (fabs(r - lo) < 1e-5 * lo || fabs(r - hi) < 1e-5 * hi) return 1;
    return A < 0 && fabs(r - c->dual_clip_c) < 1e-5 * c->dual_clip_c;
}

static void check_policy_loss(const vb *b, long id, json_t *r) {
    grpo_config c = cfg_of(b, "verl");
    size_t n = b->B * b->L;
    grpo_micro mb = {.B = b->B, .L = b->L, .logp = b->logp, .old = b->old, .adv = b->adv, .mask = b->mask};
    grpo_scope_info sc = {.ga = 1, .mini_rows = b->B, .global_seqs = (double)b->B};
    grpo_micro_out o;
    float *grad = malloc(n * sizeof *grad), *want = gg_farr(r, "grad_logp", n);
    svs_err err = {{0}};
    CHECK(grpo_micro_loss(&c, &mb, &sc, &o, NULL, grad, NULL, &err) == 0, "%s", err.msg);
    double ntok = 0, near = 0, mag = 0, gmax = 0, dabs = 0;
    for (size_t k = 0; k < n; k++) {
        ntok += b->mask[k];
        near += b->mask[k] * near_kink(&c, b->logp[k], b->old[k], b->adv[k]);
        mag += b->mask[k] * fabs(b->tok[k]);
        dabs += b->mask[k] * fabs((double)b->logp[k] - b->old[k]);
        if (want && fabs(want[k]) > gmax) gmax = fabs(want[k]);
    }
    double pg = gg_num(json_object_get(r, "pg_loss"));
    cmp(Q_PG, id, "token-mean", ntok ? o.pg_loss : NAN, pg, 1e-5 * fabs(pg) + 1e-6 * mag / (ntok ? ntok : 1));
    double ctol = (near + 1e-6) / (ntok + 1e-8) + 1e-6;
    cmp(Q_CLIP, id, "pg_clipfrac", o.pg_clipfrac, gg_num(json_object_get(r, "pg_clipfrac")), ctol);
    cmp(Q_CLIP, id, "pg_clipfrac_lower", o.pg_clipfrac_lower,
        gg_num(json_object_get(r, "pg_clipfrac_lower")), ctol);
    double kl = gg_num(json_object_get(r, "ppo_kl"));
    cmp(Q_PPOKL, id, "ppo_kl", o.ppo_kl, kl, 1e-5 * fabs(kl) + 1e-6 * dabs / (ntok + 1e-8) + 1e-9);
    for (size_t k = 0; ntok > 0 && want && k < n; k++)
        if (!near_kink(&c, b->logp[k], b->old[k], b->adv[k]))
            cmp(Q_GRAD, id, "dloss/dlogp", grad[k], want[k], 1e-5 * fabs(want[k]) + 1e-6 * gmax);
    free(grad);
    free(want);
}

static void check_kl(const vb *b, long id, json_t *r) {
    static const char *T[] = {"k1", "abs", "k2", "k3", "k1+", "abs+", "k2+", "k3+"};
    size_t n = b->B * b->L;
    grpo_config c = cfg_of(b, "verl");
    for (int t = 0; t < 8; t++) {
        c.kl_type = t; /* enum order = the verl names above */
        json_t *g = json_object_get(json_object_get(r, "kl"), T[t]);
        float *val = gg_farr(g, "value", n), *grad = gg_farr(g, "grad", n);
        for (size_t k = 0; val && grad && k < n; k++) {
            float dk;
            float v = grpo_kl(&c, b->logp[k], b->ref[k], &dk);
            double x = fabs((double)b->ref[k] - b->logp[k]);
            double base = 8 * U32 * (exp(x < 20 ? x : 20) + x + 1) * (t % 4 == 2 ? x + 1 : 1);
            cmp(Q_KL, id, T[t], v, val[k], 2e-6 * fabs(val[k]) + base);
            cmp(Q_KLG, id, T[t], dk, grad[k], 2e-6 * fabs(grad[k]) + base);
        }
        free(val);
        free(grad);
    }
}

static void check_logits(const vb *b, long id, json_t *r) {
    size_t n = b->B * b->L;
    grpo_config c = cfg_of(b, "verl");
    float *lp = gg_farr(r, "logprob", n), *ent = gg_farr(r, "entropy", n);
    CHECK(lp && ent, "batch %ld: logprob/entropy missing", id);
    if (lp && ent) gg_check_logits(&c, b->logits, b->labels, n, b->V, b->T, lp, ent, cmp, Q_LOGP, Q_ENT, id);
    free(lp);
    free(ent);
}

static void check_batch(json_t *r, long id) {
    vb b = {0};
    if (vb_load(&b, r) == 0) {
        check_adv(&b, id, r, "adv_grpo", Q_ADV, NULL);
        check_adv(&b, id, r, "adv_drgrpo", Q_DR, "norm_adv_by_std=0");
        check_adv(&b, id, r, "adv_rloo", Q_RLOO, "adv_estimator=rloo");
        check_token_loss(&b, id);
        check_aggs(&b, id, r);
        check_policy_loss(&b, id, r);
        check_kl(&b, id, r);
        check_logits(&b, id, r);
    }
    vb_free(&b);
}

int main(void) {
    char version[64] = "?";
    long batches = gg_each_batch("golden/grpo_verl.jsonl", "verl", version, sizeof version, check_batch);
    CHECK(batches >= 100, "expected >= 100 verl golden batches, read %ld", batches);
    for (int q = 0; q < Q_COUNT; q++)
        printf("REPORT grpo verl-%s %-18s %7ld values, max abs err %.3g, max rel err %.3g (|verl| >= 1e-3)\n",
               version, QN[q], st[q].n, st[q].abs, st[q].rel);
    return test_summary();
}
