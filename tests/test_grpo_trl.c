/* test_grpo_trl.c — ref/grpo*.c (preset `trl` plus switches) against TRL's own GRPOTrainer code:
 * golden/grpo_trl.jsonl, written by golden/gen_grpo_trl.py from PyPI trl (version in the file's
 * header line). Per batch TRL ran _prepare_inputs → _generate_and_score_completions (advantages
 * with scale_rewards group / batch / none, ε 1e-4, singleton groups at evaluation) and
 * _compute_loss on each micro-batch of its shuffled split (loss_type grpo / bnpo / dr_grpo / dapo,
 * epsilon / epsilon_high, delta, beta with k3 KL, on-policy or num_iterations = 2, entropy_coef),
 * with only the model forward replaced by prepared per-token log-probs and entropies.
 *
 * Checked, per batch: advantages (TRL's row order); per micro-batch: the loss _compute_loss
 * returns (already divided by GA for grpo / bnpo / dr_grpo; the dapo normalizer is
 * num_items_in_batch), d loss / d logp (autograd), clip_ratio/low_mean and /high_mean, the
 * KL mean; per batch the sum of the micro-batch losses against grpo_minibatch_loss; and
 * selective_log_softmax_and_entropy against grpo_logprob / grpo_entropy (entropy_form=plogp).
 *
 * TRL 1.16 defaults that the `trl` preset reproduces (checked like everything else, strictly):
 *   kl_bias_correction=1   use_bias_correction_kl=True: per-token k3 × coef_1, coef_1 = exp(logp − old)
 *                          differentiable (grpo_trainer.py:3102-3105); the goldens use True in two of
 *                          three beta > 0 batches and False in the rest (set per batch from the file)
 *   entropy_agg=token-mean-micro  the entropy bonus −coef · Σ H·m / max(Σm, 1) / GA for every loss
 *                          type (grpo_trainer.py:3186-3211); entropy_coef 0.01 / 0.1 over all types
 *   nan_rewards=ignore     a reward function returning None: NaN left out of nanmean / nanstd, and
 *                          A = nan_to_num(A) = 0 (grpo_trainer.py:2759-2810); whole groups unscored
 *                          and groups left with one scored row (A = 0 there: nanstd of one is NaN)
 *
 * Tolerances, |ours − TRL| ≤ tol (both sides float32; u = 2^-24):
 *   advantages     1e-6·|TRL| + 8u·(|R| + |mean|)/den + 1e-7, den = std + 1e-4 (batch std with
 *                  scale_rewards=batch, 1 with none), mean and std over the scored rows: R − mean
 *                  cancels, and torch's float32 mean / nanstd may differ from our once-rounded
 *                  double by an ulp; measured: an all-equal group of 5 × 0.852677882 gets
 *                  |A| = 6.0e-4 in TRL (float32 mean off by one ulp, divided by std + 1e-4 ≈ 1e-4),
 *                  0 here.
 *                  Exactly 0 (tolerance 0) for an unscored row and where the std is undefined
 *   micro loss     1e-5·|TRL| + 2e-6·(scale·agg(|ℓ| + β|kl·r|) + c_H·H̄/GA)  (summation order;
 *                  ℓ up to e^40)
 *   gradient       1e-5·|TRL| + 1e-6·max|grad| + 1e-12; tokens within 1e-5 of a kink skipped;
 *                  with the KL bias correction + 8u·β·w·(|k'·r| + |k·r|) (see check_micro)
 *   clip metrics   (tokens within 1e-5 of a bound)/max(Σm, 1) + 1e-6
 *   KL mean        1e-5·|TRL| + 8u·mean(e^|x| + |x| + 1)   (k3 = eˣ − x − 1 cancels, no clamp)
 *   logp, entropy  2e-6·|TRL| + 16u·(max|z/T| + 1)         (logsumexp cancels)
 * REPORT lines print each quantity's max abs and rel (|TRL| ≥ 1e-3) errors and the largest
 * fraction of its tolerance used. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grpo_golden.h"


/* Q_LOSS_BC / Q_LOSS_ENT / Q_ADV_NAN: the same checks as Q_LOSS / Q_ADV, counted apart for the
 * micro-batches with the KL bias correction (beta > 0), with an entropy bonus, and the batches
 * with unscored rows, so that the REPORT lines give their own maxima. Q_GRAD_BC: the gradient in
 * the micro-batches with the KL bias correction (Q_GRAD: all others). */
enum { Q_ADV, Q_ADV_NAN, Q_LOSS, Q_LOSS_BC, Q_LOSS_ENT, Q_MINI, Q_GRAD, Q_GRAD_BC, Q_CLIP, Q_KL, Q_ENTM, Q_LOGP,
       Q_ENT, Q_COUNT };
static const char *QN[Q_COUNT] = {"advantages", "adv (NaN rew)", "micro loss", "loss kl-bias-corr",
                                  "loss entropy", "minibatch sum", "grad logp", "grad kl-bias-corr",
                                  "clip fractions", "kl mean", "entropy mean", "logprob", "entropy"};
static struct { double abs, rel, frac; long n, rel_id; } st[Q_COUNT]; /* frac: max err/tol */
static long n_width1; /* micro-batches whose TRL metrics are unmasked (width 1, masked rows) */
static long n_types[4], n_scale[3], n_beta, n_delta, n_epsh, n_onpol, n_single, n_empty, n_equal, n_ent,
    n_multi, n_bc, n_bc_off, n_ent_type[4], n_nan_batches, n_nan_rows, n_nan_group, n_one_scored;

static void cmp(int q, long id, const char *what, double ours, double ref, double tol) {
    int same_nan = isnan(ours) && isnan(ref);
    double e = same_nan ? 0 : fabs(ours - ref);
    if (isnan(e)) e = INFINITY;
    st[q].n++;
    if (e > st[q].abs) st[q].abs = e;
    if (fabs(ref) >= 1e-3 && e / fabs(ref) > st[q].rel) st[q].rel = e / fabs(ref), st[q].rel_id = id;
    if (tol > 0 && e / tol > st[q].frac) st[q].frac = e / tol;
    CHECK(same_nan || e <= tol, "batch %ld %s %s: ours %.9g TRL %.9g (tol %.3g)", id, QN[q], what, ours, ref, tol);
}

static double dnum(json_t *r, const char *k) { return json_number_value(json_object_get(r, k)); }

typedef struct tb {
    size_t B, L, G, V, ga;
    const char *loss_type, *scale;
    double eps_low, eps_high, beta, delta, ent_coef, T, maxlen, num_items;
    int on_policy, eval, bias_kl;
    int64_t *uid, *labels;
    float *scores, *mask, *logp, *old, *ref, *ent, *adv, *logits;
} tb;

static void tb_free(tb *b) {
    void *p[] = {b->uid, b->labels, b->scores, b->mask, b->logp, b->old, b->ref, b->ent, b->adv, b->logits};
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++) free(p[i]);
}

static int tb_load(tb *b, json_t *r) {
    b->B = json_integer_value(json_object_get(r, "B"));
    b->L = json_integer_value(json_object_get(r, "L"));
    b->G = json_integer_value(json_object_get(r, "G"));
    b->V = json_integer_value(json_object_get(r, "V"));
    b->ga = json_integer_value(json_object_get(r, "ga"));
    b->loss_type = json_string_value(json_object_get(r, "loss_type"));
    b->scale = json_string_value(json_object_get(r, "scale_rewards"));
    b->eps_low = dnum(r, "epsilon_low"), b->eps_high = dnum(r, "epsilon_high"), b->beta = dnum(r, "beta");
    json_t *d = json_object_get(r, "delta");
    b->delta = json_is_number(d) ? json_number_value(d) : 0.0;
    b->ent_coef = dnum(r, "entropy_coef"), b->T = dnum(r, "T"), b->maxlen = dnum(r, "max_completion_length");
    b->num_items = dnum(r, "num_items_in_batch");
    b->on_policy = json_is_true(json_object_get(r, "on_policy"));
    b->bias_kl = json_is_true(json_object_get(r, "use_bias_correction_kl"));
    b->eval = !strcmp(json_string_value(json_object_get(r, "mode")), "eval");
    size_t n = b->B * b->L;
    b->uid = malloc(b->B * sizeof *b->uid);
    for (size_t i = 0; i < b->B; i++) b->uid[i] = (int64_t)(i / (b->G ? b->G : 1)); /* TRL: view(-1, G) */
    b->labels = gg_iarr(r, "labels", n);
    b->scores = gg_farr(r, "scores", b->B), b->mask = gg_farr(r, "mask", n), b->logp = gg_farr(r, "logp", n);
    b->old = b->on_policy ? NULL : gg_farr(r, "old", n);
    b->ref = b->beta != 0 ? gg_farr(r, "ref", n) : NULL;
    b->ent = gg_farr(r, "entropy", n), b->adv = gg_farr(r, "advantages", b->B);
    b->logits = gg_farr(r, "logits", n * b->V);
    int ok = b->loss_type && b->scale && b->scores && b->mask && b->logp && (b->on_policy || b->old) &&
             (b->beta == 0 || b->ref) && b->ent && b->adv && b->logits &&
             b->labels;
    CHECK(ok, "golden batch: missing or mis-sized arrays");
    return ok ? 0 : -1;
}

/* preset `trl` + the batch's TRL arguments as our switches */
static grpo_config cfg_of(const tb *b) {
    grpo_config c;
    svs_err err = {{0}};
    CHECK(grpo_preset("trl", &c, &err) == 0, "preset trl: %s", err.msg);
    char sets[2][64];
    snprintf(sets[0], sizeof sets[0], "loss_agg_mode=trl-%s",
             !strcmp(b->loss_type, "dr_grpo") ? "dr-grpo" : b->loss_type);
    snprintf(sets[1], sizeof sets[1], "scale_rewards=%s", b->scale);
    for (int i = 0; i < 2; i++) CHECK(grpo_config_set(&c, sets[i], &err) == 0, "%s: %s", sets[i], err.msg);
    c.eps_low = b->eps_low, c.eps_high = b->eps_high, c.trl_delta = b->delta, c.kl_coef = b->beta;
    c.on_policy = b->on_policy, c.entropy_coef = b->ent_coef, c.temperature = b->T;
    c.loss_scale_factor = b->maxlen; /* dr_grpo: Σ/(b · max_completion_length) */
    /* TRL 1.16 defaults come from the preset; only use_bias_correction_kl varies per batch */
    CHECK(c.kl_bias_correction == 1 && c.entropy_agg == GRPO_ENTAGG_TOKEN_MEAN_MICRO &&
              c.nan_rewards == GRPO_NANREW_IGNORE, "preset trl: TRL 1.16 defaults");
    c.kl_bias_correction = b->bias_kl;
    CHECK(grpo_config_validate(&c, &err) == 0, "validate: %s", err.msg);
    return c;
}

/* mean and unbiased std over the scored (non-NaN) entries of x[0..n); *cnt = how many */
static void nan_moments(const float *x, size_t n, double *mean, double *std, size_t *cnt) {
    double s = 0, ss = 0;
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i])) s += x[i], c++;
    *mean = s / (double)c;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i])) ss += (x[i] - *mean) * (x[i] - *mean);
    *std = c > 1 ? sqrt(ss / (double)(c - 1)) : NAN;
    *cnt = c;
}

static void check_adv(const tb *b, long id) {
    grpo_config c = cfg_of(b);
    svs_err err = {{0}};
    float *ours = malloc(b->B * sizeof *ours);
    grpo_adv_info info;
    CHECK(grpo_advantages(&c, b->B, b->uid, b->scores, ours, &info, &err) == 0, "%s", err.msg);
    double bmean, bstd;
    size_t bcnt, nan = 0;
    nan_moments(b->scores, b->B, &bmean, &bstd, &bcnt);
    for (size_t i = 0; i < b->B; i++) nan += isnan(b->scores[i]);
    CHECK(info.nan_scores == nan && info.nan_rows == 0, "batch %ld: nan_scores %zu (want %zu), nan_rows %zu", id,
          info.nan_scores, nan, info.nan_rows);
    int q = nan ? Q_ADV_NAN : Q_ADV;
    for (size_t i = 0; i < b->B; i++) {
        size_t g0 = i / b->G * b->G, cnt;
        double mean, gstd;
        nan_moments(b->scores + g0, b->G, &mean, &gstd, &cnt);
        if (b->G == 1) gstd = 0; /* TRL eval, num_generations_eval = 1: std := 0 */
        int none = !strcmp(b->scale, "none");
        double sd = !strcmp(b->scale, "batch") ? (b->B > 1 ? bstd : 0) : gstd;
        double tol;
        if (isnan(b->scores[i]) || (!none && isnan(sd)))
            tol = 0; /* TRL: NaN → nan_to_num → exactly 0 */
        else
            tol = 1e-6 * fabs(b->adv[i]) + 8 * U32 * (fabs(b->scores[i]) + fabs(mean)) / (none ? 1.0 : sd + 1e-4) +
                  1e-7;
        cmp(q, id, "a_i", ours[i], b->adv[i], tol);
    }
    free(ours);
}

/* a micro-batch's rows gathered from the full [B][L] arrays */
typedef struct mbuf {
    size_t b;
    float *logp, *old, *ref, *adv, *mask, *ent;
} mbuf;

static float *gather(const float *src, const size_t *rows, size_t b, size_t L) {
    float *x = malloc((b * L > 0 ? b * L : 1) * sizeof *x);
    for (size_t j = 0; j < b; j++) memcpy(x + j * L, src + rows[j] * L, L * sizeof *x);
    return x;
}

static void mbuf_make(const tb *b, const size_t *rows, size_t nb, mbuf *m) {
    size_t L = b->L;
    m->b = nb;
    m->logp = gather(b->logp, rows, nb, L);
    m->old = b->old ? gather(b->old, rows, nb, L) : gather(b->logp, rows, nb, L);
    m->ref = b->ref ? gather(b->ref, rows, nb, L) : NULL;
    m->mask = gather(b->mask, rows, nb, L);
    m->ent = gather(b->ent, rows, nb, L);
    m->adv = malloc((nb * L > 0 ? nb * L : 1) * sizeof *m->adv);
    for (size_t j = 0; j < nb; j++) /* TRL's (B,) advantages broadcast; our broadcast masks (§2.5) */
        for (size_t t = 0; t < L; t++) m->adv[j * L + t] = b->adv[rows[j]] * m->mask[j * L + t];
}

static void mbuf_free(mbuf *m) {
    free(m->logp), free(m->old), free(m->ref), free(m->adv), free(m->mask), free(m->ent);
}

static int near_kink(const grpo_config *c, float logp, float old, float A) {
    if (c->on_policy) return 0;
    double r = exp((double)logp - old), lo = 1 - c->eps_low, hi = 1 + c->eps_high;
    if (fabs(r - lo) < 1e-5 * lo || fabs(r - hi) < 1e-5 * hi) return 1;
    return c->trl_delta > 0 && fabs(r - c->trl_delta) < 1e-5 * c->trl_delta && A != 0;
}

/* One micro-batch: loss, gradient, clip metrics, KL and entropy means, all with the batch's
 * configuration (preset `trl`: bias-corrected KL, TRL's entropy mean / GA). Returns the loss
 * magnitude scale·agg(|ℓ| + β|kl·r|) + c_H·H̄/GA used for tolerances. */
static double check_micro(const tb *b, long id, json_t *mj, const grpo_scope_info *sc, const mbuf *m) {
    grpo_config c = cfg_of(b);
    size_t n = m->b * b->L;
    grpo_micro mb = {.B = m->b, .L = b->L, .logp = m->logp, .old = m->old, .ref = m->ref, .adv = m->adv,
                     .mask = m->mask, .entropy = m->ent};
    grpo_micro_out o;
    svs_err err = {{0}};
    float *grad = malloc((n ? n : 1) * sizeof *grad), *tok = malloc((n ? n : 1) * sizeof *tok);
    CHECK(grpo_micro_loss(&c, &mb, sc, &o, tok, grad, NULL, &err) == 0, "%s", err.msg);
    double ga = b->eval ? 1.0 : (double)b->ga;
    /* magnitude for the tolerance */
    float *mag = malloc((n ? n : 1) * sizeof *mag);
    double klsum = 0, klmag = 0, gmax = 0, near = 0, ntok = 0;
    for (size_t k = 0; k < n; k++) {
        float kv = 0;
        if (m->ref) kv = grpo_kl_term(&c, m->logp[k], m->old[k], m->ref[k], NULL); /* × r when corrected */
        mag[k] = fabsf(tok[k]) + (float)(b->beta * fabsf(kv));
        ntok += m->mask[k];
        klsum += (double)kv * m->mask[k];
        if (m->ref) {
            double ax = fabs((double)m->ref[k] - m->logp[k]);
            double r = c.kl_bias_correction && !c.on_policy ? exp((double)m->logp[k] - m->old[k]) : 1.0;
            klmag += m->mask[k] * (exp(ax) + ax + 1) * r;
        }
        near += m->mask[k] * near_kink(&c, m->logp[k], m->old[k], m->adv[k]);
    }
    double agg_mag = 0;
    grpo_aggregate(&c, mag, m->mask, m->b, b->L, sc, &agg_mag, &err);
    double tmag = o.scale * agg_mag + b->ent_coef * o.entropy_loss / ga;
    double want = gg_num(json_object_get(mj, "loss"));
    double ltol = 1e-5 * fabs(want) + 2e-6 * tmag + 1e-12;
    cmp(Q_LOSS, id, b->loss_type, o.total, want, ltol);
    if (m->ref && c.kl_bias_correction) cmp(Q_LOSS_BC, id, b->loss_type, o.total, want, ltol);
    if (b->ent_coef != 0) cmp(Q_LOSS_ENT, id, b->loss_type, o.total, want, ltol);
    /* gradient */
    float *want_g = gg_farr(mj, "grad", n);
    CHECK(want_g != NULL, "batch %ld: grad missing", id);
    for (size_t k = 0; want_g && k < n; k++)
        if (fabs(want_g[k]) > gmax) gmax = fabs(want_g[k]);
    /* With the KL bias correction the KL gradient is β·w·(k'·r + k·r): two float32 products that
     * cancel when ref − logp is large (k ≈ e^x, k' ≈ −e^x), summed by autograd in float32, so the
     * tolerance gets 8u·β·w·(|k'·r| + |k·r|), w = ∂total/∂(token term) = scale·agg weight of the row */
    float *bc_tol = calloc(n ? n : 1, sizeof *bc_tol), *ind = malloc((n ? n : 1) * sizeof *ind);
    for (size_t i = 0; m->ref && c.kl_bias_correction && i < m->b; i++) {
        double ni = 0, w = 0;
        for (size_t k = 0; k < n; k++) ind[k] = k / b->L == i ? 1.0f : 0.0f;
        for (size_t t = 0; t < b->L; t++) ni += m->mask[i * b->L + t];
        if (ni == 0) continue;
        grpo_aggregate(&c, ind, m->mask, m->b, b->L, sc, &w, &err);
        w = o.scale * w / ni;
        for (size_t t = 0; t < b->L; t++) {
            size_t k = i * b->L + t;
            float dk, kv = grpo_kl(&c, m->logp[k], m->ref[k], &dk);
            double r = c.on_policy ? 1.0 : exp((double)m->logp[k] - m->old[k]);
            bc_tol[k] = (float)(8 * U32 * b->beta * w * (fabs(dk) * r + fabs(kv) * r));
        }
    }
    for (size_t k = 0; want_g && k < n; k++)
        if (!near_kink(&c, m->logp[k], m->old[k], m->adv[k]))
            cmp(m->ref && c.kl_bias_correction ? Q_GRAD_BC : Q_GRAD, id, "dloss/dlogp", grad[k], want_g[k],
                1e-5 * fabs(want_g[k]) + 1e-6 * gmax + bc_tol[k] + 1e-12);
    free(bc_tol), free(ind);
    /* entropy mean (TRL logs global_masked_mean(entropies) = our token-mean-micro H̄) */
    double ew = gg_num(json_object_get(mj, "entropy"));
    /* clip metrics (TRL: masked mean / max(Σm, 1)). TRL's global_masked_mean takes any [b][1]
     * tensor for a sequence-level one (grpo_trainer.py:3259-3265): with a completion width of 1 it
     * sums WITHOUT the mask and divides by b, so its logged metrics are not masked means there. */
    if (b->L == 1 && ntok < (double)m->b) {
        n_width1++;
        free(grad), free(tok), free(mag), free(want_g);
        return tmag;
    }
    double den = ntok > 1 ? ntok : 1, ctol = (near + 1e-6) / den + 1e-6;
    double lo = gg_num(json_object_get(mj, "clip_low")), hi = gg_num(json_object_get(mj, "clip_high"));
    double reg = gg_num(json_object_get(mj, "clip_region"));
    cmp(Q_CLIP, id, "low_mean", o.trl_clip_low, lo, ctol);
    cmp(Q_CLIP, id, "high_mean", o.trl_clip_high, hi, ctol);
    cmp(Q_CLIP, id, "region_mean", (double)o.trl_clip_low + o.trl_clip_high, reg, ctol + 1e-7);
    if (m->ref) { /* TRL logs the mean of the (bias-corrected) per_token_kl */
        double kw = gg_num(json_object_get(mj, "kl"));
        cmp(Q_KL, id, "k3 mean", (float)(klsum / den), kw, 1e-5 * fabs(kw) + 8 * U32 * klmag / den);
    }
    cmp(Q_ENTM, id, "entropy mean", o.entropy_loss, ew, 2e-7 * fabs(ew) + 1e-7);
    free(grad), free(tok), free(mag), free(want_g);
    return tmag;
}

static void check_loss(const tb *b, long id, json_t *r) {
    json_t *micro = json_object_get(r, "micro");
    size_t nm = json_array_size(micro);
    CHECK(nm == (b->eval ? 1 : b->ga), "batch %ld: %zu micro-batches, GA %zu", id, nm, b->ga);
    grpo_scope_info sc = {.ga = b->eval ? 1 : b->ga, .mini_rows = b->B, .global_tokens = b->num_items,
                          .global_seqs = (double)b->B};
    double tok = 0;
    for (size_t k = 0; k < b->B * b->L; k++) tok += b->mask[k];
    CHECK(tok == b->num_items, "batch %ld: Σ mask %g, TRL num_items_in_batch %g", id, tok, b->num_items);
    grpo_micro *mbs = calloc(nm ? nm : 1, sizeof *mbs);
    mbuf *bufs = calloc(nm ? nm : 1, sizeof *bufs);
    double trl_sum = 0, mag = 0;
    for (size_t j = 0; j < nm; j++) {
        json_t *mj = json_array_get(micro, j), *rows = json_object_get(mj, "rows");
        size_t nb = json_array_size(rows), *ri = malloc((nb ? nb : 1) * sizeof *ri);
        for (size_t q = 0; q < nb; q++) ri[q] = (size_t)json_integer_value(json_array_get(rows, q));
        mbuf_make(b, ri, nb, &bufs[j]);
        free(ri);
        mag += check_micro(b, id, mj, &sc, &bufs[j]);
        trl_sum += gg_num(json_object_get(mj, "loss"));
        mbs[j] = (grpo_micro){.B = nb, .L = b->L, .logp = bufs[j].logp, .old = bufs[j].old, .ref = bufs[j].ref,
                              .adv = bufs[j].adv, .mask = bufs[j].mask, .entropy = bufs[j].ent};
    }
    if (!b->eval) { /* grpo_minibatch_loss derives GA = #micro, N_tok = Σ mask (= num_items_in_batch) */
        grpo_config c = cfg_of(b);
        double total = 0;
        svs_err err = {{0}};
        CHECK(grpo_minibatch_loss(&c, mbs, nm, 0, 0, &total, NULL, &err) == 0, "%s", err.msg);
        cmp(Q_MINI, id, b->loss_type, total, trl_sum, 1e-5 * fabs(trl_sum) + 2e-6 * mag + 1e-12);
    }
    for (size_t j = 0; j < nm; j++) mbuf_free(&bufs[j]);
    free(bufs), free(mbs);
}

static void check_logits(const tb *b, long id, json_t *r) {
    size_t n = b->B * b->L;
    grpo_config c = cfg_of(b);
    float *lp = gg_farr(r, "logprob", n), *ent = gg_farr(r, "entropy_logits", n);
    CHECK(lp && ent, "batch %ld: logprob/entropy missing", id);
    if (lp && ent) gg_check_logits(&c, b->logits, b->labels, n, b->V, b->T, lp, ent, cmp, Q_LOGP, Q_ENT, id);
    free(lp), free(ent);
}

static void count_coverage(const tb *b) {
    static const char *T[] = {"grpo", "bnpo", "dr_grpo", "dapo"}, *S[] = {"group", "batch", "none"};
    for (int i = 0; i < 4; i++) n_types[i] += !strcmp(b->loss_type, T[i]);
    for (int i = 0; i < 3; i++) n_scale[i] += !strcmp(b->scale, S[i]);
    n_beta += b->beta != 0, n_delta += b->delta > 0, n_epsh += b->eps_high != b->eps_low;
    n_onpol += b->on_policy, n_single += b->G == 1, n_ent += b->ent_coef != 0, n_multi += !b->eval && b->ga > 1;
    n_bc += b->beta != 0 && b->bias_kl, n_bc_off += b->beta != 0 && !b->bias_kl;
    for (int i = 0; i < 4; i++) n_ent_type[i] += b->ent_coef != 0 && !strcmp(b->loss_type, T[i]);
    long nan = 0;
    for (size_t i = 0; i < b->B; i++) nan += isnan(b->scores[i]);
    n_nan_batches += nan > 0, n_nan_rows += nan;
    for (size_t g0 = 0; b->G > 1 && g0 < b->B; g0 += b->G) {
        long scored = 0;
        for (size_t j = g0; j < g0 + b->G; j++) scored += !isnan(b->scores[j]);
        n_nan_group += scored == 0, n_one_scored += scored == 1;
    }
    int empty = 0, equal = 0;
    for (size_t i = 0; i < b->B; i++) {
        double s = 0;
        for (size_t t = 0; t < b->L; t++) s += b->mask[i * b->L + t];
        empty |= s == 0;
        if (i % b->G == 0 && b->G > 1) {
            int eq = !isnan(b->scores[i]);
            for (size_t j = i; j < i + b->G; j++) eq &= b->scores[j] == b->scores[i];
            equal |= eq;
        }
    }
    n_empty += empty, n_equal += equal;
}

static void check_batch(json_t *r, long id) {
    tb b = {0};
    if (tb_load(&b, r) == 0) {
        count_coverage(&b);
        check_adv(&b, id);
        check_loss(&b, id, r);
        check_logits(&b, id, r);
    }
    tb_free(&b);
}

int main(void) {
    char version[64] = "?";
    long batches = gg_each_batch("golden/grpo_trl.jsonl", "trl", version, sizeof version, check_batch);
    CHECK(batches >= 100, "expected >= 100 TRL golden batches, read %ld", batches);
    /* every switch combination the brief asks for must be present in the golden */
    for (int i = 0; i < 4; i++) CHECK(n_types[i] >= 10, "loss type %d: only %ld batches", i, n_types[i]);
    for (int i = 0; i < 3; i++) CHECK(n_scale[i] >= 10, "scale_rewards %d: only %ld batches", i, n_scale[i]);
    CHECK(n_beta >= 10 && n_delta >= 5 && n_epsh >= 10 && n_onpol >= 10 && n_single >= 5 && n_empty >= 5 &&
              n_equal >= 5 && n_ent >= 5 && n_multi >= 10,
          "coverage: beta %ld delta %ld eps_high %ld on-policy %ld singleton %ld empty-row %ld all-equal %ld "
          "entropy %ld multi-micro %ld", n_beta, n_delta, n_epsh, n_onpol, n_single, n_empty, n_equal, n_ent, n_multi);
    /* the TRL 1.16 defaults the `trl` preset reproduces */
    CHECK(n_bc >= 10 && n_bc_off >= 5, "coverage: beta > 0 with use_bias_correction_kl %ld, without %ld", n_bc, n_bc_off);
    for (int i = 0; i < 4; i++) CHECK(n_ent_type[i] >= 5, "coverage: entropy_coef > 0 with loss type %d: %ld", i, n_ent_type[i]);
    CHECK(n_nan_batches >= 10 && n_nan_group >= 2 && n_one_scored >= 2,
          "coverage: unscored rows in %ld batches, all-unscored groups %ld, one-scored groups %ld", n_nan_batches,
          n_nan_group, n_one_scored);
    printf("REPORT grpo trl-%s coverage: %ld batches; grpo/bnpo/dr_grpo/dapo %ld/%ld/%ld/%ld; scale group/batch/none "
           "%ld/%ld/%ld; beta>0 %ld; delta %ld; eps_high!=eps %ld; on-policy %ld; singleton %ld; empty rows %ld; "
           "all-equal groups %ld; entropy_coef>0 %ld (grpo/bnpo/dr_grpo/dapo %ld/%ld/%ld/%ld); GA>1 %ld; "
           "kl bias correction on/off %ld/%ld; unscored rows %ld in %ld batches (all-unscored groups %ld, "
           "one-scored groups %ld)\n", version, batches, n_types[0], n_types[1], n_types[2], n_types[3], n_scale[0],
           n_scale[1], n_scale[2], n_beta, n_delta, n_epsh, n_onpol, n_single, n_empty, n_equal, n_ent, n_ent_type[0],
           n_ent_type[1], n_ent_type[2], n_ent_type[3], n_multi, n_bc, n_bc_off, n_nan_rows, n_nan_batches,
           n_nan_group, n_one_scored);
    for (int q = 0; q < Q_COUNT; q++)
        printf("REPORT grpo trl-%s %-17s %6ld values, max abs err %.3g, max rel err %.3g (|TRL| >= 1e-3, batch "
               "%ld), max err/tol %.3g\n", version, QN[q], st[q].n, st[q].abs, st[q].rel, st[q].rel_id, st[q].frac);
    printf("REPORT grpo trl-%s metrics not compared in %ld micro-batches of width 1 with masked rows (TRL "
           "logs unmasked means there)\n", version, n_width1);
    return test_summary();
}
