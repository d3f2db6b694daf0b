/* test_grpo_golden.c — ref/grpo*.c (float32) against the float64 goldens of
 * golden/grpo_random.jsonl (golden/gen_grpo_goldens.py: 200 random batches with fully masked
 * rows, singleton and all-equal groups, log-ratios beyond ±20, ties at r = 1 and on the clip
 * bounds). For every preset: advantages, per-token losses, every aggregation mode, clip metrics,
 * the token-mean gradient (verl-svs, trl), the two-micro-batch scope (verl-svs, verl,
 * verl-engine); plus the extra estimators (Dr.GRPO, RLOO, grpo_vectorized, population std,
 * REINFORCE++-baseline whitening) and the KL estimators with each clamp.
 *
 * Tolerances (spec §11: "compare against a float64 reference with rtol = 1e-5"), per quantity,
 * |ours − ref| ≤ RTOL·|ref| + atol with RTOL = 1e-5 and atol from the float32 cancellation of
 * the formula (u = 2^-24, the float32 unit roundoff):
 *   advantages        atol = 8u·(|R| + |mean|)/(std + eps) + 1e-7   (R − mean cancels)
 *   per-token loss    atol = 1e-7·|A|                                 (no cancellation)
 *   aggregates        atol = 1e-5·agg(|ℓ|)  (the same weights applied to |ℓ|; sums cancel)
 *   gradients         atol = 1e-5·max|grad| of the batch; tokens within 1e-4 of a kink skipped
 *   clip fractions    |Δ| ≤ (#valid tokens within 1e-4 of a clip bound or of c)/Σm + 1e-6
 *   KL                atol = 8u·(e^|x| + |x| + 1)   (k3 = eˣ − x − 1 cancels for small x);
 *                     k1, k2: 8u·(|logp| + |ref|) (·(|x| + 1) for k2)
 *   whitening         atol = 16u·max|x|/σ + 1e-7     ((x − μ)/σ cancels for close values)
 *   micro-batch scope atol = 1e-5·Σ|ℓ|·m
 * NaN in ours must match null in the golden (S's NaN for empty rows, OpenRLHF singletons).
 * For each quantity the REPORT lines print the largest relative error (over |ref| ≥ 1e-3) and
 * the largest share of its tolerance used (err/tol; ≤ 1 passes). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grpo.h"
#include "testlib.h"

#define RTOL 1e-5
#define U32 (1.0 / 16777216.0)

typedef struct stat {
    const char *name;
    double max_use; /* max |ours − ref| / tol: the share of the tolerance used (≤ 1 passes) */
    double max_rel; /* max |ours − ref| / |ref| over |ref| ≥ 1e-3 */
    long n;
} stat;

enum { S_ADV, S_LOSS, S_AGG, S_GRAD, S_CLIP, S_KL, S_SPLIT, S_EXTRA, S_COUNT };
static stat stats[S_COUNT] = {{"advantages", 0, 0, 0}, {"token losses", 0, 0, 0},
                              {"aggregates", 0, 0, 0}, {"gradients", 0, 0, 0},
                              {"clip metrics", 0, 0, 0}, {"KL", 0, 0, 0},
                              {"micro-batch scope", 0, 0, 0}, {"extra estimators", 0, 0, 0}};

/* Compares one value; ref_j NULL/json null means NaN is expected. */
static void cmp(int s, const char *what, long id, double ours, json_t *ref_j, double atol) {
    stats[s].n++;
    if (!ref_j || json_is_null(ref_j)) {
        CHECK(isnan(ours) || isinf(ours), "batch %ld %s: got %.9g, golden NaN", id, what, ours);
        return;
    }
    double ref = json_number_value(ref_j);
    double err = fabs(ours - ref), tol = RTOL * fabs(ref) + atol;
    if (tol > 0 && err / tol > stats[s].max_use) stats[s].max_use = err / tol;
    if (fabs(ref) >= 1e-3 && err / fabs(ref) > stats[s].max_rel) stats[s].max_rel = err / fabs(ref);
    CHECK(err <= tol, "batch %ld %s: got %.9g, golden %.12g (err %.3g > tol %.3g)", id, what, ours,
          ref, err, tol);
}

/* Reads a JSON number array into a new float array of length n (NaN for null). */
static float *farr(json_t *a, size_t n) {
    float *v = calloc(n ? n : 1, sizeof *v);
    for (size_t k = 0; k < n; k++) {
        json_t *e = json_array_get(a, k);
        v[k] = e && !json_is_null(e) ? (float)json_number_value(e) : NAN;
    }
    return v;
}

typedef struct batch {
    long id;
    size_t B, L, split_at;
    int64_t *uid;
    float *scores, *mask, *logp, *old, *ref, *adv_in;
    json_t *root;
} batch;

static void batch_free(batch *b) {
    free(b->uid), free(b->scores), free(b->mask), free(b->logp), free(b->old), free(b->ref);
    free(b->adv_in);
    json_decref(b->root);
}

static int batch_load(batch *b, json_t *root) {
    b->root = root;
    b->id = (long)json_integer_value(json_object_get(root, "id"));
    b->B = (size_t)json_integer_value(json_object_get(root, "B"));
    b->L = (size_t)json_integer_value(json_object_get(root, "L"));
    b->split_at = (size_t)json_integer_value(json_object_get(root, "split_at"));
    size_t n = b->B * b->L;
    b->uid = calloc(b->B, sizeof *b->uid);
    for (size_t i = 0; i < b->B; i++)
        b->uid[i] = json_integer_value(json_array_get(json_object_get(root, "uid"), i));
    b->scores = farr(json_object_get(root, "scores"), b->B);
    b->mask = farr(json_object_get(root, "mask"), n);
    b->logp = farr(json_object_get(root, "logp"), n);
    b->old = farr(json_object_get(root, "old"), n);
    b->ref = farr(json_object_get(root, "ref"), n);
    b->adv_in = farr(json_object_get(root, "adv_in"), n);
    return b->B > 0 && b->L > 0 ? 0 : -1;
}

static grpo_config cfg_for(const char *preset) {
    grpo_config c;
    grpo_preset(preset, &c, NULL);
    if (!strcmp(preset, "openrlhf")) c.eps_low = c.eps_high = 0.2; /* the generator's choice */
    return c;
}

static grpo_scope_info scope_of(const batch *b) {
    double tok = 0;
    for (size_t k = 0; k < b->B * b->L; k++) tok += b->mask[k];
    return (grpo_scope_info){.mini_rows = b->B, .ga = 1, .global_tokens = tok,
                             .global_seqs = (double)b->B};
}

static grpo_micro micro_of(const batch *b) {
    return (grpo_micro){.B = b->B, .L = b->L, .logp = b->logp, .old = b->old, .adv = b->adv_in,
                        .mask = b->mask};
}

/* Group mean/std for the advantage tolerance (double, unbiased). */
static void group_ms(const batch *b, size_t i, double *mean, double *std) {
    double s = 0, ss = 0, n = 0;
    for (size_t j = 0; j < b->B; j++)
        if (b->uid[j] == b->uid[i]) s += b->scores[j], n++;
    *mean = s / n;
    for (size_t j = 0; j < b->B; j++)
        if (b->uid[j] == b->uid[i]) ss += (b->scores[j] - *mean) * (b->scores[j] - *mean);
    *std = n > 1 ? sqrt(ss / (n - 1)) : 1.0;
}

static void check_adv(const batch *b, const grpo_config *c, json_t *golden, const char *what, int s) {
    float *a = calloc(b->B, sizeof *a);
    svs_err err = {{0}};
    CHECK(grpo_advantages(c, b->B, b->uid, b->scores, a, NULL, &err) == 0, "%s: %s", what, err.msg);
    for (size_t i = 0; i < b->B; i++) {
        double m, sd;
        group_ms(b, i, &m, &sd);
        double atol = 8 * U32 * (fabs(b->scores[i]) + fabs(m)) / (sd + c->adv_eps) + 1e-7;
        cmp(s, what, b->id, a[i], json_array_get(golden, i), atol);
    }
    free(a);
}

/* Number of valid tokens whose ratio lies within 1e-4 of a clip bound or of the dual clip. */
static double near_bound_tokens(const batch *b, const grpo_config *c) {
    double lo = 1 - c->eps_low, hi = 1 + c->eps_high, k = 0;
    for (size_t t = 0; t < b->B * b->L; t++) {
        if (b->mask[t] == 0) continue;
        double r = exp((double)b->logp[t] - b->old[t]);
        int near = fabs(r - lo) <= 1e-4 * lo || fabs(r - hi) <= 1e-4 * hi ||
                   (c->dual_clip_c > 0 && fabs(r - c->dual_clip_c) <= 1e-4 * c->dual_clip_c);
        k += near;
    }
    return k;
}

static double agg_abs(const grpo_config *c, const float *loss, const batch *b, const grpo_scope_info *sc) {
    size_t n = b->B * b->L;
    float *a = malloc(n * sizeof *a);
    for (size_t k = 0; k < n; k++) a[k] = fabsf(loss[k]);
    double v = 0;
    grpo_aggregate(c, a, b->mask, b->B, b->L, sc, &v, NULL);
    free(a);
    return isnan(v) ? 0 : v;
}

static void check_losses(const batch *b, const char *preset, json_t *g, const float *loss) {
    json_t *gl = json_object_get(g, "loss");
    for (size_t k = 0; k < b->B * b->L; k++)
        cmp(S_LOSS, preset, b->id, loss[k], json_array_get(gl, k), 1e-7 * fabsf(b->adv_in[k]));
}

static void check_aggs(const batch *b, const char *preset, json_t *g, const grpo_scope_info *sc) {
    const char *mode;
    json_t *val;
    json_object_foreach(json_object_get(g, "agg"), mode, val) {
        grpo_config c = cfg_for(preset);
        char kv[96], what[128];
        snprintf(kv, sizeof kv, "loss_agg_mode=%s", mode);
        CHECK(grpo_config_set(&c, kv, NULL) == 0, "set %s", kv);
        grpo_micro_out o;
        grpo_micro mb = micro_of(b);
        float *loss = calloc(b->B * b->L, sizeof *loss);
        svs_err err = {{0}};
        CHECK(grpo_micro_loss(&c, &mb, sc, &o, loss, NULL, NULL, &err) == 0, "%s", err.msg);
        snprintf(what, sizeof what, "%s %s", preset, mode);
        cmp(S_AGG, what, b->id, o.total, val, 1e-5 * agg_abs(&c, loss, b, sc));
        free(loss);
    }
}

static void check_metrics(const batch *b, const char *preset, json_t *g, const grpo_micro_out *o,
                          const grpo_config *c) {
    double n = 0;
    for (size_t k = 0; k < b->B * b->L; k++) n += b->mask[k];
    double slack = near_bound_tokens(b, c) / n + 1e-6;
    cmp(S_CLIP, "pg_clipfrac", b->id, o->pg_clipfrac, json_object_get(g, "clipfrac"), slack);
    cmp(S_CLIP, "pg_clipfrac_lower", b->id, o->pg_clipfrac_lower, json_object_get(g, "clipfrac_lower"), slack);
    cmp(S_CLIP, "ppo_kl", b->id, o->ppo_kl, json_object_get(g, "ppo_kl"), 1e-6);
    (void)preset;
}

static void check_grad(const batch *b, const char *preset, json_t *g, const float *grad) {
    json_t *gg = json_object_get(g, "grad"), *kink = json_object_get(g, "kink");
    if (!gg) return;
    double mx = 0;
    for (size_t k = 0; k < b->B * b->L; k++) mx = fmax(mx, fabs(json_number_value(json_array_get(gg, k))));
    for (size_t k = 0; k < b->B * b->L; k++) {
        if (json_integer_value(json_array_get(kink, k))) continue;
        cmp(S_GRAD, preset, b->id, grad[k], json_array_get(gg, k), 1e-5 * mx);
    }
}

static void check_split(const batch *b, const char *preset, json_t *g) {
    json_t *want = json_object_get(g, "split");
    if (!json_object_get(g, "split")) return;
    grpo_config c = cfg_for(preset);
    grpo_micro mbs[2] = {micro_of(b), micro_of(b)};
    size_t k = b->split_at, off = k * b->L;
    mbs[0].B = k;
    mbs[1].B = b->B - k;
    mbs[1].logp += off, mbs[1].old += off, mbs[1].adv += off, mbs[1].mask += off;
    double total = 0;
    svs_err err = {{0}};
    CHECK(grpo_minibatch_loss(&c, mbs, 2, 0, 0, &total, NULL, &err) == 0, "%s", err.msg);
    grpo_scope_info sc = scope_of(b);
    float *loss = calloc(b->B * b->L, sizeof *loss);
    grpo_micro_out o;
    grpo_micro whole = micro_of(b);
    grpo_micro_loss(&c, &whole, &sc, &o, loss, NULL, NULL, NULL);
    double scale = 0; /* every scope weight is ≤ 1, so Σ|ℓ|·m bounds the cancelling sum */
    for (size_t t = 0; t < b->B * b->L; t++) scale += fabsf(loss[t]) * b->mask[t];
    cmp(S_SPLIT, preset, b->id, total, want, 1e-5 * scale);
    free(loss);
}

static void check_preset(const batch *b, const char *preset, json_t *g) {
    grpo_config c = cfg_for(preset);
    check_adv(b, &c, json_object_get(g, "adv"), preset, S_ADV);
    grpo_scope_info sc = scope_of(b);
    grpo_micro mb = micro_of(b);
    size_t n = b->B * b->L;
    float *loss = calloc(n, sizeof *loss), *grad = calloc(n, sizeof *grad);
    grpo_micro_out o;
    svs_err err = {{0}};
    grpo_config ct = c; /* gradient of the token-mean loss (verl-svs: S; trl: dapo) */
    CHECK(grpo_micro_loss(&ct, &mb, &sc, &o, loss, grad, NULL, &err) == 0, "%s: %s", preset, err.msg);
    check_losses(b, preset, g, loss);
    check_metrics(b, preset, g, &o, &c);
    check_grad(b, preset, g, grad);
    check_aggs(b, preset, g, &sc);
    check_split(b, preset, g);
    free(loss);
    free(grad);
}

static void check_extra(const batch *b) {
    json_t *x = json_object_get(b->root, "adv_extra");
    static const char *sets[][2] = {{"drgrpo", "norm_adv_by_std=0"}, {"rloo", "adv_estimator=rloo"},
                                    {"grpo_vectorized", "adv_estimator=grpo_vectorized"},
                                    {"population_std", "std_correction=0"}};
    for (int k = 0; k < 4; k++) {
        grpo_config c = cfg_for("verl");
        grpo_config_set(&c, sets[k][1], NULL);
        check_adv(b, &c, json_object_get(x, sets[k][0]), sets[k][0], S_EXTRA);
    }
    json_t *rb = json_object_get(x, "reinforce_baseline_whiten");
    grpo_config c = cfg_for("verl");
    grpo_config_set(&c, "adv_estimator=reinforce_baseline", NULL);
    grpo_config_set(&c, "whiten=verl", NULL);
    size_t n = b->B * b->L;
    float *a = calloc(n, sizeof *a);
    int rc = grpo_advantages_tokens(&c, b->B, b->L, b->uid, b->scores, b->mask, a, NULL, NULL);
    CHECK((rc == 0) == !json_is_null(rb), "batch %ld whitening: rc %d vs golden %s", b->id, rc,
          json_is_null(rb) ? "error" : "value");
    /* (x − μ)/σ cancels when the raw values are close: atol = 8u·2·max|x|/σ, σ from the raw
     * (unwhitened) advantages in double */
    float *raw = calloc(n, sizeof *raw);
    grpo_config_set(&c, "whiten=none", NULL);
    grpo_advantages_tokens(&c, b->B, b->L, b->uid, b->scores, b->mask, raw, NULL, NULL);
    double cnt = 0, sum = 0, ss = 0, mx = 0;
    for (size_t k = 0; k < n; k++)
        if (b->mask[k] != 0) cnt++, sum += raw[k], mx = fmax(mx, fabs(raw[k]));
    for (size_t k = 0; k < n; k++)
        if (b->mask[k] != 0) ss += (raw[k] - sum / cnt) * (raw[k] - sum / cnt);
    double sigma = sqrt(ss / (cnt > 1 ? cnt - 1 : 1) + 1e-8);
    for (size_t k = 0; rc == 0 && k < n; k++)
        cmp(S_EXTRA, "reinforce_baseline_whiten", b->id, a[k], json_array_get(rb, k),
            16 * U32 * mx / sigma + 1e-7);
    free(raw);
    free(a);
}

static void check_kl(const batch *b) {
    json_t *kl = json_object_get(b->root, "kl");
    static const char *names[][3] = {{"k1", "k1", "verl"}, {"k2", "k2", "verl"},
                                     {"k3_verl", "k3", "verl"}, {"k3_none", "k3", "none"},
                                     {"k3_openrlhf", "k3", "openrlhf"}};
    for (int j = 0; j < 5; j++) {
        grpo_config c = cfg_for("verl");
        char kv[64];
        snprintf(kv, sizeof kv, "kl_type=%s", names[j][1]);
        grpo_config_set(&c, kv, NULL);
        snprintf(kv, sizeof kv, "kl_clamp=%s", names[j][2]);
        grpo_config_set(&c, kv, NULL);
        for (size_t k = 0; k < b->B * b->L; k++) {
            double x = fabs((double)b->ref[k] - b->logp[k]);
            double atol = 8 * U32 * (exp(fmin(x, 60)) + x + 1);
            if (j < 2) atol = 8 * U32 * (fabs(b->logp[k]) + fabs(b->ref[k])) * (j == 1 ? x + 1 : 1);
            cmp(S_KL, names[j][0], b->id, grpo_kl(&c, b->logp[k], b->ref[k], NULL),
                json_array_get(json_object_get(kl, names[j][0]), k), atol);
        }
    }
}

int main(void) {
    FILE *f = fopen("golden/grpo_random.jsonl", "r");
    CHECK(f != NULL, "cannot open golden/grpo_random.jsonl (python3 golden/gen_grpo_goldens.py)");
    if (!f) return test_summary();
    char *line = NULL;
    size_t cap = 0;
    long batches = 0;
    static const char *presets[] = {"verl-svs", "verl", "verl-engine", "dapo", "trl", "openrlhf"};
    while (getline(&line, &cap, f) > 0) {
        json_error_t je;
        json_t *root = json_loads(line, 0, &je);
        CHECK(root != NULL, "golden line: %s", je.text);
        if (!root) continue;
        if (json_is_true(json_object_get(root, "header"))) {
            json_decref(root);
            continue;
        }
        batch b = {0};
        if (batch_load(&b, root) == 0) {
            for (int p = 0; p < 6; p++)
                check_preset(&b, presets[p], json_object_get(json_object_get(root, "presets"), presets[p]));
            check_extra(&b);
            check_kl(&b);
            batches++;
        }
        batch_free(&b);
    }
    free(line);
    fclose(f);
    CHECK(batches >= 200, "expected >= 200 golden batches, read %ld", batches);
    for (int s = 0; s < S_COUNT; s++)
        printf("REPORT grpo golden %-18s %7ld values, max rel err %.3g (|ref| >= 1e-3), "
               "max err/tol %.3g\n", stats[s].name, stats[s].n, stats[s].max_rel, stats[s].max_use);
    return test_summary();
}
