/* test_model_golden.c — the C transformer against Hugging Face transformers + torch.
 *
 * For every folder golden/model/<name>/ holding config.json + model.safetensors + state.bin
 * (written by golden/gen_model_goldens.py; layout in golden/model/README.md, reader
 * golden/model/read_state.py), this loads the checkpoint through the checkpoint API
 * (model_config_load, safetensors_load, tensorset_check_config, model_load_tensorset: model_load),
 * runs the same right-padded batch and compares, per quantity, against torch fp32:
 *   the residual stream (embedding, each layer, final norm) and the logits at valid positions;
 *   log-probs and entropy at T = 1.0 and 0.7 (verl: logits / T);
 *   the mean next-token cross-entropy; the gradient of every parameter, by HF name;
 *   the total grad norm and clip coefficient; the parameters after 1 and 2 AdamW steps with
 *   clip_grad_norm_(1.0) (hyper-parameters read from the file's metadata).
 * AdamW is checked in isolation (each step fed torch's gradients and started from torch's
 * parameters, as the README prescribes) and also run end to end on our own gradients, where
 * the losses after each step are checked and the parameter differences are reported.
 * Every quantity prints a REPORT line with the measured max |diff| and max |diff| / max |ref|.
 * Needs no Python: the golden files are in the repository. Run from the repository root (or
 * set SVS_GOLDEN_MODEL to the golden/model folder). */
#include <dirent.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/model.h"
#include "model/model_internal.h"
#include "golden_state.h"
#include "testlib.h"

/* ---- thresholds: |got − ref| <= atol + rtol·|ref| + rmax·max|ref|, per element ---------------
 * The golden generator reran every config in float64 from the same fp32 weights; the worst
 * fp32-vs-fp64 differences it measured (state.bin metadata "fp32_vs_fp64_worst") set the scale:
 * an exact fp32 implementation with a different summation order lands within that distance of
 * torch fp32. Our reductions accumulate in double (docs/ops.md "Numbers"), so we sit between
 * the two. */
typedef struct { const char *prefix; double atol, rtol, rmax; const char *why; } threshold;
static const threshold THRESHOLDS[] = {
    {"logits", 1e-5, 1e-4, 0,
     "fp32 forward, other summation order; torch fp32 vs fp64 measured <= 1.7e-6 (<= 10% of this)"},
    {"hidden.", 1e-5, 1e-4, 0, "as logits (residual stream, |x| ~ 1)"},
    {"logprobs.", 1e-5, 1e-4, 0, "log-softmax of the logits above; fp32 vs fp64 <= 1.3e-6"},
    {"entropy.", 1e-5, 1e-4, 0, "as log-probs"},
    {"loss", 1e-6, 1e-5, 0, "mean of ~20 log-probs; fp32 vs fp64 <= 1.4e-6 absolute on ~4.6"},
    {"grad_norm", 0, 1e-4, 0, "sqrt of a sum of squares of the gradients below"},
    {"clip_coef", 0, 1e-4, 0, "1/(grad_norm + 1e-6)"},
    {"grad", 0, 0, 1e-3,
     "relative to the tensor's max |g|: a few gradient entries are ~0 (Qwen2 k_proj.bias is "
     "exactly 0 mathematically, softmax is shift-invariant), so element-wise rtol is meaningless"},
    {"param", 1e-6, 0, 0,
     "AdamW fed torch's gradients (isolated): one fp32 update of size <= lr = 1e-2; torch vs a "
     "float64 AdamW measured <= 1.4e-7"},
};

static const threshold *threshold_for(const char *name) {
    for (size_t i = 0; i < sizeof THRESHOLDS / sizeof THRESHOLDS[0]; i++)
        if (!strncmp(name, THRESHOLDS[i].prefix, strlen(THRESHOLDS[i].prefix))) return &THRESHOLDS[i];
    return NULL;
}

/* state.bin reader, golden folder list: tests/golden_state.h */

/* ---- comparison ------------------------------------------------------------------------------ */

/* Per-quantity aggregate over the configs, printed at the end. */
typedef struct { char name[48]; double max_abs, max_rel, used; } agg;
static agg AGG[64];
static int n_agg;

static void aggregate(const char *quantity, double abs_d, double rel_d, double used) {
    int i = 0;
    while (i < n_agg && strcmp(AGG[i].name, quantity)) i++;
    if (i == n_agg) {
        if (n_agg == 64) return;
        snprintf(AGG[n_agg++].name, sizeof AGG[0].name, "%s", quantity);
    }
    if (abs_d > AGG[i].max_abs) AGG[i].max_abs = abs_d;
    if (rel_d > AGG[i].max_rel) AGG[i].max_rel = rel_d;
    if (used > AGG[i].used) AGG[i].used = used;
}

typedef struct { double max_abs, max_ref, used; size_t worst, count; } cmp_result;

/* Compares got[i] with ref[i] for the i where mask (NULL = all) is nonzero, under th. */
static cmp_result compare(const float *got, const float *ref, const unsigned char *mask, size_t n,
                          const threshold *th) {
    cmp_result r = {0, 0, 0, 0, 0};
    for (size_t i = 0; i < n; i++)
        if (!mask || mask[i]) {
            double a = fabs((double)ref[i]);
            if (a > r.max_ref) r.max_ref = a;
        }
    for (size_t i = 0; i < n; i++) {
        if (mask && !mask[i]) continue;
        double d = fabs((double)got[i] - (double)ref[i]);
        if (isnan(got[i]) || isnan(ref[i])) d = INFINITY;
        double allowed = th->atol + th->rtol * fabs((double)ref[i]) + th->rmax * r.max_ref;
        double used = allowed > 0 ? d / allowed : (d > 0 ? INFINITY : 0);
        if (d > r.max_abs) r.max_abs = d;
        if (used > r.used) { r.used = used; r.worst = i; }
        r.count++;
    }
    return r;
}

/* Checks one quantity; `group` names it in the aggregate (e.g. "grad0"), name in messages. */
static void check_q(const char *cfg, const char *group, const char *name, const float *got,
                    const float *ref, const unsigned char *mask, size_t n, int report) {
    const threshold *th = threshold_for(name);
    if (!th || !ref) { CHECK(0, "%s: %s: no threshold or reference", cfg, name); return; }
    cmp_result r = compare(got, ref, mask, n, th);
    double rel = r.max_ref > 0 ? r.max_abs / r.max_ref : r.max_abs;
    if (report)
        printf("REPORT %-28s %-44s max_abs %.3e  max_rel %.3e  (%5.1f%% of threshold, %zu values)\n", cfg,
               name, r.max_abs, rel, 100 * r.used, r.count);
    aggregate(group, r.max_abs, rel, r.used);
    CHECK(r.count > 0 && r.used <= 1.0,
          "%s: %s: |got - ref| = %.3e at element %zu (got %.8g, ref %.8g) exceeds atol %g + rtol %g·|ref| + "
          "rmax %g·max|ref| (%s)",
          cfg, name, r.max_abs, r.worst, got[r.worst], ref[r.worst], th->atol, th->rtol, th->rmax, th->why);
}

static void check_scalar(const char *cfg, const char *name, double got, const gstate *s) {
    const float *ref = gf(s, name, 1);
    float g = (float)got;
    if (ref) check_q(cfg, name[0] == 'l' ? "loss" : name, name, &g, ref, NULL, 1, 1);
}

/* ---- the model side --------------------------------------------------------------------------- */

/* The model's parameter tensors in slab order, with their HF names. */
typedef struct { int t, l; char name[128]; size_t n; } tref;

static int list_tensors(const model *m, tref *out, int cap) {
    int k = 0;
    for (int t = 0; t < MODEL_NUM_TENSORS; t++) {
        int layers = (t == MODEL_T_EMBED || t == MODEL_T_NORM || t == MODEL_T_LMHEAD) ? 1 : m->L;
        for (int l = 0; l < layers; l++) {
            int64_t shape[2];
            int ndim;
            char name[128];
            if (model_tensor_info(m, t, l, name, sizeof name, shape, &ndim)) break;
            if (k == cap) return -1;
            out[k].t = t;
            out[k].l = l;
            snprintf(out[k].name, sizeof out[k].name, "%s", name);
            out[k].n = (size_t)shape[0] * (size_t)(ndim == 2 ? shape[1] : 1);
            k++;
        }
    }
    return k;
}

/* Copies golden tensors "<prefix>.<hf name>" into a slab laid out like the parameters. */
static void set_from_golden(model *m, float *slab, const tref *ts, int nt, const gstate *s, const char *prefix) {
    char key[192];
    for (int i = 0; i < nt; i++) {
        snprintf(key, sizeof key, "%s.%s", prefix, ts[i].name);
        const float *ref = gf(s, key, ts[i].n);
        if (ref) memcpy(model_tensor_slab(m, slab, ts[i].t, ts[i].l), ref, ts[i].n * sizeof(float));
    }
}

static void compare_slab(const char *cfg, model *m, float *slab, const tref *ts, int nt, const gstate *s,
                         const char *prefix, int report) {
    char key[192];
    double worst_abs = 0, worst_rel = 0, worst_used = 0;
    char worst_name[192] = "";
    int before = test_failed_;
    for (int i = 0; i < nt; i++) {
        snprintf(key, sizeof key, "%s.%s", prefix, ts[i].name);
        const float *ref = gf(s, key, ts[i].n);
        if (!ref) continue;
        const float *got = model_tensor_slab(m, slab, ts[i].t, ts[i].l);
        cmp_result r = compare(got, ref, NULL, ts[i].n, threshold_for(key));
        double rel = r.max_ref > 0 ? r.max_abs / r.max_ref : r.max_abs;
        if (r.used > worst_used || !worst_name[0]) {
            worst_used = r.used;
            snprintf(worst_name, sizeof worst_name, "%s", ts[i].name);
        }
        if (r.max_abs > worst_abs) worst_abs = r.max_abs;
        if (rel > worst_rel) worst_rel = rel;
        check_q(cfg, prefix, key, got, ref, NULL, ts[i].n, 0);
    }
    if (report)
        printf("REPORT %-28s %-44s max_abs %.3e  max_rel %.3e  (%5.1f%% of threshold; worst %s; %d tensors)%s\n",
               cfg, prefix, worst_abs, worst_rel, 100 * worst_used, worst_name, nt,
               test_failed_ > before ? " FAILED" : "");
}

/* End-to-end parameter differences (reported, not checked: see the file comment). */
static void report_params_e2e(const char *cfg, model *m, const tref *ts, int nt, const gstate *s, const char *prefix) {
    char key[192], worst[192] = "";
    double worst_abs = 0;
    size_t over = 0, total = 0;
    for (int i = 0; i < nt; i++) {
        snprintf(key, sizeof key, "%s.%s", prefix, ts[i].name);
        const float *ref = gf(s, key, ts[i].n);
        if (!ref) continue;
        const float *got = model_tensor_slab(m, m->params_mem, ts[i].t, ts[i].l);
        for (size_t j = 0; j < ts[i].n; j++) {
            double d = fabs((double)got[j] - ref[j]);
            if (d > 1e-6) over++;
            if (d > worst_abs) { worst_abs = d; snprintf(worst, sizeof worst, "%s", ts[i].name); }
        }
        total += ts[i].n;
    }
    printf("REPORT %-28s %-44s max_abs %.3e  (%zu of %zu elements over 1e-6; worst %s) [end to end, not checked]\n",
           cfg, prefix, worst_abs, over, total, worst);
    char group[64];
    snprintf(group, sizeof group, "%.40s (end to end)", prefix);
    aggregate(group, worst_abs, 0, 0);
}

typedef struct {
    int B, T, V;
    int32_t *ids, *targets, *targets_ent;
    int *lens;
    unsigned char *tmask, *amask, *lmask; /* [B,T] target / attention; [B,T,V] logits */
    model_batch batch;
} gbatch;

static int make_batch(const gstate *s, gbatch *b, const char *cfg) {
    memset(b, 0, sizeof *b);
    const gtensor *ids = gfind(s, "input_ids"), *am = gfind(s, "attention_mask"), *pos = gfind(s, "position_ids"),
                  *tm = gfind(s, "target_mask"), *len = gfind(s, "lengths");
    CHECK(ids && am && pos && tm && len, "%s: batch tensors missing", cfg);
    if (!ids || !am || !pos || !tm || !len) return -1;
    b->B = s->hdr[H_B];
    b->T = s->hdr[H_T];
    b->V = s->hdr[H_V];
    size_t BT = (size_t)b->B * b->T;
    CHECK(ids->n == BT && am->n == BT && pos->n == BT && tm->n == BT && len->n == (size_t)b->B,
          "%s: batch shapes", cfg);
    b->ids = malloc(BT * sizeof(int32_t));
    b->targets = malloc(BT * sizeof(int32_t));
    b->targets_ent = malloc(BT * sizeof(int32_t));
    b->lens = malloc((size_t)b->B * sizeof(int));
    b->tmask = malloc(BT);
    b->amask = malloc(BT);
    b->lmask = malloc(BT * (size_t)b->V);
    memcpy(b->ids, ids->data, BT * sizeof(int32_t));
    const int32_t *L = len->data, *A = am->data, *P = pos->data, *TM = tm->data;
    for (int i = 0; i < b->B; i++) b->lens[i] = L[i];
    b->batch = (model_batch){b->B, b->T, b->ids, b->lens};
    model_next_token_targets(b->targets, &b->batch);
    int ok = 1;
    for (int i = 0; i < b->B; i++)
        for (int t = 0; t < b->T; t++) {
            size_t k = (size_t)i * b->T + t;
            int valid = t < b->lens[i];
            /* our conventions must describe the same batch as HF's masks and positions */
            ok &= A[k] == valid && P[k] == t && TM[k] == (b->targets[k] >= 0);
            b->tmask[k] = (unsigned char)(b->targets[k] >= 0);
            b->amask[k] = (unsigned char)valid;
            /* entropy is defined at every valid position; a dummy target makes model_logprobs
               compute it at the last one too */
            b->targets_ent[k] = valid ? (b->targets[k] >= 0 ? b->targets[k] : 0) : -1;
            memset(b->lmask + k * b->V, valid, (size_t)b->V);
        }
    CHECK(ok, "%s: attention_mask / position_ids / target_mask differ from lens and model_next_token_targets", cfg);
    return 0;
}

static void free_batch(gbatch *b) {
    free(b->ids);
    free(b->targets);
    free(b->targets_ent);
    free(b->lens);
    free(b->tmask);
    free(b->amask);
    free(b->lmask);
}

/* The residual stream at the valid positions, in the padded [B, T, C] layout of the golden. */
static void unpack_rows(const model *m, const float *packed, const gbatch *b, float *out) {
    size_t C = (size_t)m->C;
    memset(out, 0, (size_t)b->B * b->T * C * sizeof(float));
    for (int i = 0; i < b->B; i++)
        for (int t = 0; t < b->lens[i]; t++)
            memcpy(out + ((size_t)i * b->T + t) * C, packed + (size_t)(m->row_off[i] + t) * C, C * sizeof(float));
}

static void check_forward(const char *cfg, model *m, const gbatch *b, const gstate *s, int full) {
    svs_err err = {{0}};
    int rc = model_forward(m, &b->batch, &err);
    CHECK(rc == 0, "%s: forward: %s", cfg, err.msg);
    if (rc) return;
    if (!full) return;
    size_t BT = (size_t)b->B * b->T, BTV = BT * (size_t)b->V, BTC = BT * (size_t)m->C;
    check_q(cfg, "logits", "logits", m->a.logits, gf(s, "logits", BTV), b->lmask, BTV, 1);
    /* residual stream: diagnostics that localize a logits failure */
    float *buf = malloc(BTC * sizeof(float));
    unsigned char *cmask = malloc(BTC);
    for (size_t k = 0; k < BT; k++) memset(cmask + k * (size_t)m->C, b->amask[k], (size_t)m->C);
    char name[64];
    for (int l = 0; l <= m->L + 1; l++) {
        const float *src;
        if (l == 0) { src = model_layer_acts(m, 0).x_in; snprintf(name, sizeof name, "hidden.emb"); }
        else if (l <= m->L) { src = model_layer_acts(m, l - 1).x_out; snprintf(name, sizeof name, "hidden.layer%d", l - 1); }
        else { src = m->a.lnf; snprintf(name, sizeof name, "hidden.final_norm"); }
        unpack_rows(m, src, b, buf);
        check_q(cfg, "hidden", name, buf, gf(s, name, BTC), cmask, BTC, 1);
    }
    free(buf);
    free(cmask);
    /* log-probs and entropy at each temperature of the file */
    json_t *temps = json_object_get(s->meta, "temperatures");
    CHECK(json_array_size(temps) >= 2, "%s: metadata temperatures", cfg);
    float *lp = calloc(BT, sizeof(float)), *ent = calloc(BT, sizeof(float));
    for (size_t i = 0; i < json_array_size(temps); i++) {
        double T = json_number_value(json_array_get(temps, i));
        char key[64], tn[16];
        snprintf(tn, sizeof tn, "%.1f", T); /* Python's str(0.7) / str(1.0) */
        CHECK(model_logprobs(m, b->targets, (float)T, lp, NULL, &err) == 0, "%s: logprobs: %s", cfg, err.msg);
        CHECK(model_logprobs(m, b->targets_ent, (float)T, NULL, ent, &err) == 0, "%s: entropy: %s", cfg, err.msg);
        snprintf(key, sizeof key, "logprobs.t%s", tn);
        check_q(cfg, "logprobs", key, lp, gf(s, key, BT), b->tmask, BT, 1);
        snprintf(key, sizeof key, "entropy.t%s", tn);
        check_q(cfg, "entropy", key, ent, gf(s, key, BT), b->amask, BT, 1);
    }
    free(lp);
    free(ent);
}

static double loss_of(const char *cfg, model *m, const gbatch *b) {
    svs_err err = {{0}};
    float loss = NAN;
    CHECK(model_loss(m, b->targets, &loss, &err) == 0, "%s: loss: %s", cfg, err.msg);
    return loss;
}

static void backward(const char *cfg, model *m, const gbatch *b) {
    svs_err err = {{0}};
    model_zero_grad(m);
    CHECK(model_loss_backward(m, b->targets, 1.0f, &err) == 0, "%s: backward: %s", cfg, err.msg);
}

/* clip like torch (returns the pre-clip norm) and check norm / coefficient against step k */
static void clip_and_check(const char *cfg, model *m, double max_norm, const gstate *s, int k, int check) {
    float total = model_clip_grad(m, (float)max_norm);
    if (!check) return;
    char key[32];
    snprintf(key, sizeof key, "grad_norm%d", k);
    check_scalar(cfg, key, total, s);
    float coef = (float)max_norm / (total + 1e-6f);
    if (coef > 1.0f) coef = 1.0f;
    snprintf(key, sizeof key, "clip_coef%d", k);
    check_scalar(cfg, key, coef, s);
}

static void run_config(const char *dir, const char *cfg) {
    char path[4200];
    gstate s;
    snprintf(path, sizeof path, "%s/state.bin", dir);
    int rc = gstate_read(path, &s);
    CHECK(rc == 0, "%s: cannot parse (see golden/model/README.md)", path);
    if (rc) { gstate_free(&s); return; }

    /* the checkpoint API, as the CLI uses it */
    svs_err err = {{0}};
    model *m = model_load(dir, &err);
    CHECK(m != NULL, "%s: model_load: %s", cfg, err.msg);
    if (!m) { gstate_free(&s); return; }
    model *iso = model_load(dir, &err);
    CHECK(iso != NULL, "%s: model_load: %s", cfg, err.msg);
    /* the config as read must be the one the golden describes */
    const int32_t *h = s.hdr;
    CHECK(m->V == h[H_V] && m->L == h[H_LAYERS] && m->C == h[H_HIDDEN] && m->H == h[H_HEADS] &&
              m->KVH == h[H_KVHEADS] && m->hd == h[H_HEADDIM] && m->F == h[H_INTER] && m->tied == h[H_TIED] &&
              m->has_qkv_bias == h[H_QKVBIAS] &&
              (int)m->cfg.arch == (h[H_ARCH] == 0 ? MODEL_ARCH_LLAMA : MODEL_ARCH_QWEN2),
          "%s: config dims differ from state.bin header", cfg);
    tref ts[512];
    int nt = list_tensors(m, ts, 512);
    CHECK(nt == h[H_NPARAMS], "%s: %d parameter tensors, golden has %d", cfg, nt, h[H_NPARAMS]);
    /* the file's own tolerances: note where they differ from the table above */
    for (int i = 0; i < s.nt; i++) {
        const threshold *th = threshold_for(s.t[i].name);
        if (s.t[i].is_int || !th) continue;
        if (fabs(s.t[i].atol - th->atol) > 1e-6 * th->atol + 1e-12 || fabs(s.t[i].rtol - th->rtol) > 1e-6 * th->rtol + 1e-12 ||
            fabs(s.t[i].rmax - th->rmax) > 1e-6 * th->rmax + 1e-12)
            printf("NOTE %s: %s: file tolerance (%g, %g, %g) differs from the test's (%g, %g, %g)\n", cfg,
                   s.t[i].name, s.t[i].atol, s.t[i].rtol, s.t[i].rmax, th->atol, th->rtol, th->rmax);
    }
    json_t *ad = json_object_get(s.meta, "adamw");
    model_adamw_params hp = {json_number_value(json_object_get(ad, "lr")),
                             json_number_value(json_array_get(json_object_get(ad, "betas"), 0)),
                             json_number_value(json_array_get(json_object_get(ad, "betas"), 1)),
                             json_number_value(json_object_get(ad, "eps")),
                             json_number_value(json_object_get(ad, "weight_decay")), 0};
    double max_norm = json_number_value(json_object_get(ad, "max_grad_norm"));
    int steps = (int)json_integer_value(json_object_get(ad, "steps"));
    CHECK(hp.lr > 0 && max_norm > 0 && steps == h[H_NSTEPS] && steps >= 1, "%s: metadata adamw", cfg);

    gbatch b;
    if (make_batch(&s, &b, cfg) == 0 && iso) {
        char key[32], grp[32];
        /* forward quantities and step-0 loss / gradients */
        check_forward(cfg, m, &b, &s, 1);
        check_scalar(cfg, "loss0", loss_of(cfg, m, &b), &s);
        backward(cfg, m, &b);
        compare_slab(cfg, m, m->grads_mem, ts, nt, &s, "grad0", 1);

        /* isolated AdamW: each step fed torch's gradients, started from torch's parameters */
        for (int k = 0; k < steps; k++) {
            if (k > 0) {
                snprintf(key, sizeof key, "param%d", k);
                set_from_golden(iso, iso->params_mem, ts, nt, &s, key);
                check_forward(cfg, iso, &b, &s, 0);
                snprintf(key, sizeof key, "loss%d", k);
                check_scalar(cfg, key, loss_of(cfg, iso, &b), &s);
                backward(cfg, iso, &b);
                snprintf(grp, sizeof grp, "grad%d", k);
                compare_slab(cfg, iso, iso->grads_mem, ts, nt, &s, grp, 1);
            }
            snprintf(grp, sizeof grp, "grad%d", k);
            set_from_golden(iso, iso->grads_mem, ts, nt, &s, grp);
            clip_and_check(cfg, iso, max_norm, &s, k, 1);
            CHECK(model_adamw_step(iso, &hp, &err) == 0, "%s: adamw: %s", cfg, err.msg);
            snprintf(grp, sizeof grp, "param%d", k + 1);
            compare_slab(cfg, iso, iso->params_mem, ts, nt, &s, grp, 1);
        }
        snprintf(key, sizeof key, "param%d", steps);
        set_from_golden(iso, iso->params_mem, ts, nt, &s, key);
        check_forward(cfg, iso, &b, &s, 0);
        snprintf(key, sizeof key, "loss%d", steps);
        check_scalar(cfg, key, loss_of(cfg, iso, &b), &s);

        /* end to end on our own gradients: the losses after each step are checked (they do not
           depend on the sign of AdamW updates driven by ~0 gradients), parameters reported */
        for (int k = 0; k < steps; k++) {
            if (k > 0) {
                check_forward(cfg, m, &b, &s, 0);
                backward(cfg, m, &b);
            }
            clip_and_check(cfg, m, max_norm, &s, k, 0);
            CHECK(model_adamw_step(m, &hp, &err) == 0, "%s: adamw: %s", cfg, err.msg);
            snprintf(grp, sizeof grp, "param%d", k + 1);
            report_params_e2e(cfg, m, ts, nt, &s, grp);
            check_forward(cfg, m, &b, &s, 0);
            float loss = (float)loss_of(cfg, m, &b);
            snprintf(key, sizeof key, "loss%d", k + 1);
            const float *ref = gf(&s, key, 1);
            if (ref) {
                char label[48];
                snprintf(label, sizeof label, "%s (end to end)", key);
                const threshold *th = threshold_for(key);
                cmp_result r = compare(&loss, ref, NULL, 1, th);
                printf("REPORT %-28s %-44s max_abs %.3e  (%5.1f%% of threshold)\n", cfg, label, r.max_abs,
                       100 * r.used);
                aggregate("loss (end to end)", r.max_abs, r.max_abs / fabs(ref[0]), r.used);
                CHECK(r.used <= 1.0, "%s: %s: %.8g vs %.8g (%s)", cfg, label, loss, ref[0], th->why);
            }
        }
        free_batch(&b);
    }
    model_free(iso);
    model_free(m);
    gstate_free(&s);
}

int main(void) {
    int n = golden_each_config(run_config);
    if (n == 0) return test_summary();
    printf("SUMMARY over %d configs (max over configs; rel = max|diff| / max|ref| of the tensor):\n", n);
    for (int i = 0; i < n_agg; i++)
        printf("REPORT %-28s max_abs %.3e  max_rel %.3e  worst %5.1f%% of threshold\n", AGG[i].name, AGG[i].max_abs,
               AGG[i].max_rel, 100 * AGG[i].used);
    return test_summary();
}
