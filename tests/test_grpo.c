/* test_grpo.c — the GRPO numerics module (ref/grpo*.c) against the hand vectors of
 * ../shared/vectors/grpo_hand_vectors.txt, parsed from the file (sections A, B, C, D, E, G3, H,
 * I, J, K, L, N; A2 is prose and is hard-coded below with its section named), the float32 bit
 * patterns of spec/grpo-conventions.md §2.6, the switch values of every preset (§12.2),
 * override and validation errors, and the seeded-bug variants a checker must catch.
 *
 * Tolerances. The hand vectors are float64 values printed with 10 significant digits; we
 * compute in float32, so per-token values get rtol 1e-6 (a few float32 ulp, 2^-23 ≈ 1.2e-7,
 * plus the 5e-10 of the printed digits) and atol 1e-7 near 0. Aggregates that cancel (e.g.
 * −0.006088443285 = (−0.962 + 0.95)/2) get atol 2e-7, i.e. about 2 ulp of the largest term.
 * Values that the spec gives as float32 bit patterns or exact binary fractions are compared
 * exactly. Gradients of HV-H are compared at rtol 1e-6. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grpo.h"
#include "testlib.h"

#define RTOL 1e-6
#define ATOL 1e-7

/* ---- hand-vector file access -------------------------------------------------------------- */

static char *hv_text; /* whole file; sections are found by their "## X." header */

/* Returns the text of section `id` (e.g. "B") up to the next "## ", NUL-terminated copy. */
static char *hv_section(const char *id) {
    if (!hv_text) return NULL;
    char head[16];
    snprintf(head, sizeof head, "## %s.", id);
    const char *s = strstr(hv_text, head);
    if (!s) return NULL;
    const char *e = strstr(s + 3, "\n## ");
    size_t n = e ? (size_t)(e - s) : strlen(s);
    char *c = malloc(n + 1);
    memcpy(c, s, n);
    c[n] = 0;
    return c;
}

/* The number that follows `key` and then '=' (skipping '=' signs not followed by a number). */
static int num_after(const char *text, const char *key, double *v) {
    const char *p = strstr(text, key);
    if (!p) return 0;
    p += strlen(key);
    while ((p = strchr(p, '='))) {
        char *end;
        p++;
        while (*p == ' ') p++;
        *v = strtod(p, &end);
        if (end != p) return 1;
    }
    return 0;
}

/* The i-th line of text that starts (after spaces) with `prefix`; copies it into buf. */
static int line_with(const char *text, const char *prefix, int i, char *buf, size_t cap) {
    const char *p = text;
    while (p && *p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        const char *q = p;
        while (*q == ' ' && q < p + n) q++;
        if (!strncmp(q, prefix, strlen(prefix)) && i-- == 0) {
            if (n >= cap) n = cap - 1;
            memcpy(buf, p, n);
            buf[n] = 0;
            return 1;
        }
        p = e ? e + 1 : NULL;
    }
    return 0;
}

static grpo_config preset(const char *name) {
    grpo_config c;
    svs_err err = {{0}};
    int rc = grpo_preset(name, &c, &err);
    CHECK(rc == 0, "preset %s: %s", name, err.msg);
    return c;
}

static void set(grpo_config *c, const char *kv) {
    svs_err err = {{0}};
    int rc = grpo_config_set(c, kv, &err);
    CHECK(rc == 0, "set %s: %s", kv, err.msg);
}

static uint32_t f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static void check_close(const char *what, double got, double want, double rtol, double atol) {
    CHECK(test_close(got, want, rtol, atol), "%s: got %.10g, want %.10g (diff %.3g)", what, got,
          want, got - want);
}

/* ---- A, A2: advantages -------------------------------------------------------------------- */

static const int64_t UID8[8] = {7, 7, 7, 7, 7, 7, 7, 7};
static const float R8[8] = {1, 0, 0, 1, 1, 0, 0, 0};

static void adv_rows(const grpo_config *c, size_t B, const int64_t *uid, const float *s, float *a) {
    svs_err err = {{0}};
    int rc = grpo_advantages(c, B, uid, s, a, NULL, &err);
    CHECK(rc == 0, "grpo_advantages: %s", err.msg);
}

/* Configuration for the variant heading a block of section A. */
static int variant_cfg(const char *head, grpo_config *c) {
    if (!strncmp(head, "verl grpo", 9)) *c = preset("verl");
    else if (!strncmp(head, "TRL grpo", 8)) *c = preset("trl");
    else if (!strncmp(head, "OpenRLHF group_norm", 19)) *c = preset("openrlhf");
    else if (!strncmp(head, "Dr.GRPO", 7)) *c = preset("verl"), set(c, "norm_adv_by_std=0");
    else if (!strncmp(head, "RLOO", 4)) *c = preset("verl"), set(c, "adv_estimator=rloo");
    else if (!strncmp(head, "population-std", 14)) *c = preset("verl"), set(c, "std_correction=0");
    else return 0;
    return 1;
}

static void section_a(void) {
    char *sec = hv_section("A");
    CHECK(sec != NULL, "section A missing");
    if (!sec) return;
    grpo_config c;
    int have = 0, checked = 0;
    char head[128] = "";
    for (char *line = strtok(sec, "\n"); line; line = strtok(NULL, "\n")) {
        double want, f32;
        int r;
        if (sscanf(line, " r=%d:", &r) == 1 && have) {
            float a[8];
            adv_rows(&c, 8, UID8, R8, a);
            float got = a[r == 1 ? 0 : 1];
            const char *p = strchr(line, ':') + 1;
            if (strstr(p, "ref=")) want = strtod(strstr(p, "ref=") + 4, NULL);
            else want = strtod(p, NULL);
            char what[200];
            snprintf(what, sizeof what, "HV-A %s r=%d", head, r);
            check_close(what, got, want, 3e-7, 0);
            const char *h = strstr(p, "(0x");
            if (h) { /* §2.6: the verl float32 bit patterns, exactly */
                uint32_t bits = (uint32_t)strtoul(h + 1, NULL, 16);
                CHECK(f32_bits(got) == bits, "%s: bits 0x%08x, want 0x%08x", what, f32_bits(got), bits);
            }
            if (strstr(p, " f32=") && sscanf(strstr(p, " f32=") + 5, "%lf", &f32) == 1)
                CHECK(got == (float)f32, "%s: float32 %.10g, want %.10g", what, got, f32);
            checked++;
        } else if (line[0] != ' ' && line[0] != '#' && strncmp(line, "mean", 4)) {
            have = variant_cfg(line, &c);
            snprintf(head, sizeof head, "%.60s", line);
        }
    }
    CHECK(checked == 12, "HV-A: expected 12 values, checked %d", checked);
    free(sec);
    /* §2.6 bit patterns written in the spec itself */
    c = preset("verl-svs");
    float a[8];
    adv_rows(&c, 8, UID8, R8, a);
    CHECK(f32_bits(a[0]) == 0x3f9a930bu && f32_bits(a[1]) == 0xbf397d40u,
          "§2.6 bits 0x%08x 0x%08x", f32_bits(a[0]), f32_bits(a[1]));
}

/* HV-A2 (prose, hard-coded): all-equal group, singleton, [0.5, 1.5]. */
static void section_a2(void) {
    grpo_config v = preset("verl"), t = preset("trl"), d = preset("dapo");
    int64_t u4[4] = {1, 1, 1, 1}, u1[1] = {5}, u2[2] = {3, 3};
    float ones[4] = {1, 1, 1, 1}, s1[1] = {0.7f}, s2[2] = {0.5f, 1.5f}, a[4];
    adv_rows(&v, 4, u4, ones, a);
    CHECK(a[0] == 0 && a[3] == 0, "HV-A2 verl all-equal: %g", a[0]);
    adv_rows(&t, 4, u4, ones, a);
    CHECK(a[0] == 0 && a[3] == 0, "HV-A2 TRL all-equal: %g", a[0]);
    double acc[4] = {1, 1, 1, 1};
    unsigned char keep[4];
    CHECK(grpo_group_filter(&d, 4, u4, acc, keep, NULL) == 0 && !keep[0], "HV-A2 DAPO drops [1,1,1,1]");
    adv_rows(&v, 1, u1, s1, a);
    check_close("HV-A2 singleton verl", a[0], 0.6999993, 1e-7, 0);
    CHECK(a[0] == 0.7f / (1.0f + 1e-6f), "HV-A2 singleton verl float32 %.9g", a[0]);
    set(&v, "norm_adv_by_std=0");
    adv_rows(&v, 1, u1, s1, a);
    CHECK(a[0] == 0.7f, "HV-A2 singleton verl, no std: %.9g", a[0]);
    adv_rows(&t, 1, u1, s1, a);
    CHECK(a[0] == 0, "HV-A2 singleton TRL: %g", a[0]);
    grpo_config o = preset("openrlhf");
    grpo_adv_info info;
    CHECK(grpo_advantages(&o, 1, u1, s1, a, &info, NULL) == 0 && isnan(a[0]) && info.nan_rows == 1,
          "OpenRLHF singleton: NaN, reported");
    v = preset("verl");
    adv_rows(&v, 2, u2, s2, a);
    check_close("HV-A2 [0.5,1.5] lo", a[0], -0.7071057812, RTOL, 0);
    check_close("HV-A2 [0.5,1.5] hi", a[1], 0.7071057812, RTOL, 0);
    /* broadcast: valid tokens carry a_i, padding 0 (§2.5) */
    float m[6] = {1, 1, 0, 1, 0, 0}, at[6];
    grpo_broadcast(2, 3, a, m, at);
    CHECK(at[0] == a[0] && at[1] == a[0] && at[2] == 0 && at[3] == a[1] && at[4] == 0, "broadcast");
}

/* ---- B, H, I, J, N: the 2×3 example ------------------------------------------------------- */

static float B_logp[6], B_old[6], B_adv[6], B_mask[6];
static int b_loaded;

static void load_b(const char *sec) {
    char line[512];
    for (int k = 0; k < 6 && line_with(sec, "seq", k, line, sizeof line); k++) {
        int s, t, m;
        float lp, ol, A;
        if (sscanf(line, " seq%d tok%d m=%d logp=%f old=%f A=%f", &s, &t, &m, &lp, &ol, &A) == 6) {
            B_logp[s * 3 + t] = lp, B_old[s * 3 + t] = ol, B_adv[s * 3 + t] = A, B_mask[s * 3 + t] = (float)m;
            b_loaded++;
        }
    }
    CHECK(b_loaded == 6, "HV-B: parsed %d of 6 token lines", b_loaded);
}

static grpo_micro micro_b(void) {
    return (grpo_micro){.B = 2, .L = 3, .logp = B_logp, .old = B_old, .adv = B_adv, .mask = B_mask};
}

static const grpo_scope_info SCOPE_ONE = {.mini_rows = 2, .ga = 1, .global_tokens = 5, .global_seqs = 2};

static double micro_total(const grpo_config *c, const grpo_micro *mb, const grpo_scope_info *sc,
                          grpo_micro_out *o, float *grad) {
    grpo_micro_out tmp;
    if (!o) o = &tmp;
    svs_err err = {{0}};
    int rc = grpo_micro_loss(c, mb, sc, o, NULL, grad, NULL, &err);
    CHECK(rc == 0, "grpo_micro_loss: %s", err.msg);
    return o->total;
}

static void b_tokens(const char *sec) {
    grpo_config c = preset("verl-svs");
    char line[512];
    for (int k = 0; k < 6 && line_with(sec, "seq", k, line, sizeof line); k++) {
        double ratio, loss, clip, lower;
        CHECK(num_after(line, "ratio", &ratio) && num_after(line, "loss_verl", &loss) &&
                  num_after(line, " clip", &clip) && num_after(line, "clip_lower", &lower),
              "HV-B line %d unparsed", k);
        grpo_tok_loss t = grpo_token_loss(&c, B_logp[k], B_old[k], B_adv[k]);
        char what[64];
        snprintf(what, sizeof what, "HV-B token %d ratio", k);
        check_close(what, t.ratio, ratio, RTOL, ATOL);
        snprintf(what, sizeof what, "HV-B token %d loss", k);
        check_close(what, t.loss, loss, RTOL, ATOL);
        CHECK(t.clipped == (int)clip && t.clipped_lower == (int)lower, "HV-B token %d clip flags %d %d",
              k, t.clipped, t.clipped_lower);
        double L1;
        if (num_after(line, "L1", &L1)) { /* no dual clip and no upper clip: ℓ = max(L1, L2) */
            grpo_config n = preset("trl");
            set(&n, "eps_high=0.28");
            grpo_tok_loss u = grpo_token_loss(&n, B_logp[k], B_old[k], B_adv[k]);
            double L2;
            num_after(line, "L2", &L2);
            snprintf(what, sizeof what, "HV-B token %d max(L1,L2)", k);
            check_close(what, u.loss, L1 > L2 ? L1 : L2, RTOL, ATOL);
        }
    }
}

/* Configures one of the aggregation modes of HV-B with S semantics (verl-svs). */
static grpo_config mode_cfg(const char *base, const char *mode) {
    grpo_config c = preset(base);
    char kv[96];
    snprintf(kv, sizeof kv, "loss_agg_mode=%s", mode);
    set(&c, kv);
    return c;
}

static void b_aggregates(const char *sec) {
    static const char *modes[] = {"token-mean", "seq-mean-token-mean", "seq-mean-token-sum",
                                  "seq-mean-token-sum-norm"};
    grpo_micro mb = micro_b();
    char line[512], key[96];
    for (int k = 0; k < 4; k++) {
        snprintf(key, sizeof key, "verl %s ", modes[k]);
        double want, want_nd;
        const char *nd = line_with(sec, key, 0, line, sizeof line) ? strstr(line, "no dual-clip:") : NULL;
        CHECK(nd && num_after(line, key, &want) && sscanf(nd + 13, "%lf", &want_nd) == 1,
              "HV-B aggregate line %s", modes[k]);
        if (!nd) continue;
        const char *bases[] = {"verl-svs", "verl"};
        for (int b = 0; b < 2; b++) { /* S and V-legacy agree when no row is empty */
            grpo_config c = mode_cfg(bases[b], modes[k]);
            set(&c, "eps_high=0.28");
            char what[128];
            snprintf(what, sizeof what, "HV-B %s %s", bases[b], modes[k]);
            check_close(what, micro_total(&c, &mb, &SCOPE_ONE, NULL, NULL), want, RTOL, 2e-7);
            set(&c, "dual_clip_c=off");
            snprintf(what, sizeof what, "HV-B %s %s, no dual clip", bases[b], modes[k]);
            check_close(what, micro_total(&c, &mb, &SCOPE_ONE, NULL, NULL), want_nd, RTOL, 2e-7);
        }
    }
    /* TRL loss types: dapo (preset default), bnpo, grpo, dr_grpo (max_completion_length 3) */
    static const char *trl[][2] = {{"loss_type='dapo'", "trl-dapo"}, {"'bnpo'", "trl-bnpo"},
                                   {"'grpo'", "trl-grpo"}, {"= sum/(B*L)", "trl-dr-grpo"}};
    for (int k = 0; k < 4; k++) {
        double want;
        CHECK(num_after(sec, trl[k][0], &want), "HV-B TRL %s unparsed", trl[k][0]);
        grpo_config c = mode_cfg("trl", trl[k][1]);
        set(&c, "eps_high=0.28");
        check_close(trl[k][1], micro_total(&c, &mb, &SCOPE_ONE, NULL, NULL), want, RTOL, 2e-7);
    }
    /* metrics */
    grpo_config c = preset("verl-svs");
    grpo_micro_out o;
    micro_total(&c, &mb, &SCOPE_ONE, &o, NULL);
    double cf, cl, pk;
    CHECK(num_after(sec, "pg_clipfrac", &cf) && num_after(sec, "pg_clipfrac_lower", &cl) &&
              num_after(sec, "ppo_kl", &pk), "HV-B metrics unparsed");
    CHECK(o.pg_clipfrac == 0.4f, "HV-B pg_clipfrac %.9g (float32: 0.4 exactly)", o.pg_clipfrac);
    check_close("HV-B pg_clipfrac", o.pg_clipfrac, cf, RTOL, 0);
    check_close("HV-B pg_clipfrac_lower", o.pg_clipfrac_lower, cl, RTOL, 0);
    check_close("HV-B ppo_kl", o.ppo_kl, pk, RTOL, ATOL);
    /* float32 sequential emulation: −0.1973061115 (to the 10 printed digits) */
    double f32v;
    CHECK(num_after(sec, "float32 emulation (sequential sum)", &f32v), "HV-B f32 line unparsed");
    set(&c, "reduce=f32seq");
    double got = micro_total(&c, &mb, &SCOPE_ONE, NULL, NULL);
    CHECK(fabs(got - f32v) < 1e-10 * 5, "HV-B f32seq token-mean %.10g, want %.10g", got, f32v);
    set(&c, "reduce=f64");
    got = micro_total(&c, &mb, &SCOPE_ONE, NULL, NULL);
    CHECK(got == (double)(float)-0.1973061319, "HV-B f64 token-mean rounds once: %.10g", got);
}

static void section_b(void) {
    char *sec = hv_section("B");
    CHECK(sec != NULL, "section B missing");
    if (!sec) return;
    load_b(sec);
    b_tokens(sec);
    b_aggregates(sec);
    free(sec);
}

static void section_h(void) {
    char *sec = hv_section("H");
    CHECK(sec != NULL, "section H missing");
    if (!sec || b_loaded != 6) {
        free(sec);
        return;
    }
    grpo_micro mb = micro_b();
    grpo_config v = preset("verl-svs"), t = preset("trl");
    set(&t, "eps_high=0.28");
    float gv[6], gt[6];
    micro_total(&v, &mb, &SCOPE_ONE, NULL, gv);
    micro_total(&t, &mb, &SCOPE_ONE, NULL, gt);
    char line[256];
    int n = 0;
    for (int k = 0; k < 6 && line_with(sec, "seq", k, line, sizeof line); k++) {
        double wv, wt;
        CHECK(num_after(line, "(verl, dual-clip c=3)", &wv) && num_after(line, "TRL dapo)", &wt),
              "HV-H line %d", k);
        char what[64];
        snprintf(what, sizeof what, "HV-H token %d verl", k);
        check_close(what, gv[k], wv, RTOL, 1e-9);
        snprintf(what, sizeof what, "HV-H token %d no dual clip", k);
        check_close(what, gt[k], wt, RTOL, 1e-9);
        n++;
    }
    CHECK(n == 6, "HV-H: %d lines", n);
    /* §4.2 ties: r exactly on a clip bound keeps the full gradient; Lc = L3 halves it */
    grpo_tok_loss e = grpo_token_loss(&v, 0.0f, 0.0f, 1.0f);
    CHECK(e.dloss == -1.0f, "tie r = 1: full gradient, got %g", e.dloss);
    float lo = 0.8f;
    grpo_tok_loss b = grpo_token_loss(&v, logf(lo), 0.0f, 1.0f);
    if (b.ratio == lo) CHECK(b.dloss == -lo, "tie on lower bound: full gradient %g", b.dloss);
    grpo_tok_loss z = grpo_token_loss(&v, 25.0f, 0.0f, -1.0f);
    CHECK(z.dloss == 0 && z.ratio == expf(20.0f), "|d| > 20: clamp, zero gradient");
    free(sec);
}

static void section_i(void) {
    char *sec = hv_section("I");
    CHECK(sec != NULL, "section I missing");
    if (!sec) return;
    static const char *modes[] = {"token-mean", "seq-mean-token-mean", "seq-mean-token-sum",
                                  "seq-mean-token-sum-norm"};
    grpo_micro mb = micro_b();
    for (int k = 0; k < 4; k++) {
        char line[256], key[64];
        double want;
        snprintf(key, sizeof key, "%s ", modes[k]);
        CHECK(line_with(sec, key, 0, line, sizeof line) && num_after(line, key, &want), "HV-I %s", modes[k]);
        grpo_config c = mode_cfg("verl-svs", modes[k]);
        set(&c, "on_policy=1");
        check_close(key, micro_total(&c, &mb, &SCOPE_ONE, NULL, NULL), want, RTOL, ATOL);
    }
    free(sec);
}

/* HV-J: micro-batch dependence of verl token-mean. */
static void section_j(void) {
    char *sec = hv_section("J");
    CHECK(sec != NULL, "section J missing");
    if (!sec) return;
    double one = NAN, split = NAN, m0 = NAN, m1 = NAN;
    const char *q = strstr(sec, "global tokens):"), *p = strstr(sec, "GA=2:");
    CHECK(q && sscanf(q + 15, "%lf", &one) == 1, "HV-J one-micro-batch line");
    CHECK(p && sscanf(p, "GA=2: (tokmean(seq0)+tokmean(seq1))/2 = (%lf + %lf)/2 = %lf", &m0, &m1,
                      &split) == 3, "HV-J split line");
    if (!q || !p) {
        free(sec);
        return;
    }
    grpo_micro whole = micro_b(), parts[2] = {micro_b(), micro_b()};
    parts[0].B = parts[1].B = 1;
    parts[1].logp += 3, parts[1].old += 3, parts[1].adv += 3, parts[1].mask += 3;
    const char *bases[] = {"verl-svs", "verl", "verl-engine"};
    for (int b = 0; b < 3; b++) {
        grpo_config c = preset(bases[b]);
        set(&c, "eps_high=0.28");
        double t1, t2;
        svs_err err = {{0}};
        CHECK(grpo_minibatch_loss(&c, &whole, 1, 0, 0, &t1, NULL, &err) == 0, "%s", err.msg);
        CHECK(grpo_minibatch_loss(&c, parts, 2, 0, 0, &t2, NULL, &err) == 0, "%s", err.msg);
        char what[96];
        snprintf(what, sizeof what, "HV-J %s, one micro-batch", bases[b]);
        check_close(what, t1, one, RTOL, 2e-7);
        snprintf(what, sizeof what, "HV-J %s, two micro-batches", bases[b]);
        check_close(what, t2, b == 2 ? one : split, RTOL, 2e-7); /* engine: global tokens */
    }
    grpo_config c = preset("verl-svs");
    grpo_micro_out o;
    grpo_scope_info sc = {.mini_rows = 2, .ga = 2};
    micro_total(&c, &parts[0], &sc, &o, NULL);
    check_close("HV-J tokmean(seq0)", o.pg_loss, m0, RTOL, ATOL);
    CHECK(o.scale == 0.5, "HV-J micro-rows weight rows(micro)/N = 1/2, got %g", o.scale);
    micro_total(&c, &parts[1], &sc, &o, NULL);
    check_close("HV-J tokmean(seq1)", o.pg_loss, m1, RTOL, ATOL);
    free(sec);
}

static void section_n(void) {
    char *sec = hv_section("N");
    CHECK(sec != NULL, "section N missing");
    if (!sec) return;
    double legacy, legacy_nd, neu, neu_nd;
    CHECK(num_after(sec, "sum_all/L", &legacy) && num_after(sec, "(sum_all/B)/L", &neu),
          "HV-N unparsed");
    const char *l = strstr(sec, "legacy"), *n = strstr(sec, "new (");
    sscanf(strstr(l, "no dual-clip") + 12, "%lf", &legacy_nd);
    sscanf(strstr(n, "no dual-clip") + 12, "%lf", &neu_nd);
    grpo_micro mb = micro_b();
    const char *bases[] = {"verl-svs", "verl-engine"};
    double want[2][2] = {{legacy, legacy_nd}, {neu, neu_nd}};
    for (int b = 0; b < 2; b++) {
        grpo_config c = mode_cfg(bases[b], "seq-mean-token-sum-norm");
        set(&c, "eps_high=0.28");
        check_close(bases[b], micro_total(&c, &mb, &SCOPE_ONE, NULL, NULL), want[b][0], RTOL, 2e-7);
        set(&c, "dual_clip_c=off");
        check_close(bases[b], micro_total(&c, &mb, &SCOPE_ONE, NULL, NULL), want[b][1], RTOL, 2e-7);
    }
    free(sec);
}

/* ---- C, K: KL ------------------------------------------------------------------------------ */

static float kl_with(const char *type, const char *clamp, float lp, float rf, float *g) {
    grpo_config c = preset("verl");
    char kv[64];
    snprintf(kv, sizeof kv, "kl_type=%s", type);
    set(&c, kv);
    snprintf(kv, sizeof kv, "kl_clamp=%s", clamp);
    set(&c, kv);
    return grpo_kl(&c, lp, rf, g);
}

static void section_c(void) {
    char *sec = hv_section("C");
    CHECK(sec != NULL, "section C missing");
    if (!sec) return;
    char line[512];
    int n = 0;
    for (int k = 0; line_with(sec, "logp=", k, line, sizeof line); k++) {
        float lp, rf;
        double k1, k2, kv, kt, ko;
        CHECK(sscanf(line, " logp= %f ref= %f", &lp, &rf) == 2 && num_after(line, "k1", &k1) &&
                  num_after(line, "k2", &k2) && num_after(line, "k3_verl", &kv) &&
                  num_after(line, "k3_trl", &kt) && num_after(line, "k3_openrlhf", &ko),
              "HV-C line %d", k);
        char what[96];
        snprintf(what, sizeof what, "HV-C (%g,%g) k1", lp, rf);
        check_close(what, kl_with("k1", "verl", lp, rf, NULL), k1, RTOL, ATOL);
        snprintf(what, sizeof what, "HV-C (%g,%g) k2", lp, rf);
        check_close(what, kl_with("k2", "verl", lp, rf, NULL), k2, RTOL, ATOL);
        snprintf(what, sizeof what, "HV-C (%g,%g) k3 verl", lp, rf);
        check_close(what, kl_with("k3", "verl", lp, rf, NULL), kv, RTOL, ATOL);
        snprintf(what, sizeof what, "HV-C (%g,%g) k3 TRL", lp, rf);
        check_close(what, kl_with("k3", "none", lp, rf, NULL), kt, 2e-6, ATOL);
        snprintf(what, sizeof what, "HV-C (%g,%g) k3 OpenRLHF", lp, rf);
        check_close(what, kl_with("k3", "openrlhf", lp, rf, NULL), ko, RTOL, ATOL);
        snprintf(what, sizeof what, "HV-C (%g,%g) abs", lp, rf);
        check_close(what, kl_with("abs", "verl", lp, rf, NULL), fabs(k1), RTOL, ATOL);
        n++;
    }
    CHECK(n == 7, "HV-C: %d lines", n);
    free(sec);
}

static void section_k(void) {
    char *sec = hv_section("K");
    CHECK(sec != NULL, "section K missing");
    if (!sec) return;
    char line[512];
    int n = 0;
    for (int k = 0; line_with(sec, "logp=", k, line, sizeof line); k++) {
        float lp, rf, g, gs;
        double k3, dk3, dst;
        CHECK(sscanf(line, " logp=%f ref=%f", &lp, &rf) == 2 && num_after(line, "k3", &k3) &&
                  num_after(line, "dk3/dlogp", &dk3) && num_after(line, "logp-ref", &dst),
              "HV-K line %d", k);
        float v = kl_with("k3", "verl", lp, rf, &g);
        float vs = kl_with("k3+", "verl", lp, rf, &gs);
        char what[96];
        snprintf(what, sizeof what, "HV-K (%g,%g)", lp, rf);
        check_close(what, v, k3, RTOL, ATOL);
        check_close(what, g, dk3, RTOL, ATOL);
        CHECK(vs == v, "%s: k3+ forward value equals k3", what);
        check_close(what, gs, dst, RTOL, ATOL);
        n++;
    }
    CHECK(n == 4, "HV-K: %d lines", n);
    float g;
    kl_with("k3", "verl", -15.0f, -0.1f, &g);
    CHECK(g == 0, "k3 outer clamp active: zero gradient");
    free(sec);
}

/* ---- D, L: log-probs and entropy; E: overlong; G3: schedule ---------------------------------- */

static void section_d_l(void) {
    char *d = hv_section("D"), *l = hv_section("L");
    CHECK(d && l, "sections D/L missing");
    const float z[3] = {2.0f, 1.0f, 0.1f};
    char line[512];
    for (int k = 0; d && line_with(d, "T=", k, line, sizeof line); k++) {
        grpo_config c = preset("verl");
        double T, want[3], hl, hp;
        sscanf(line, " T=%lf", &T);
        c.temperature = T;
        CHECK(num_after(line, "logp[0]", &want[0]) && num_after(line, "logp[1]", &want[1]) &&
                  num_after(line, "logp[2]", &want[2]) && num_after(line, "lse form)", &hl) &&
                  num_after(line, "log p)", &hp), "HV-D line %d", k);
        for (size_t j = 0; j < 3; j++) {
            float lp;
            grpo_logprob(&c, z, 3, j, &lp, NULL, NULL);
            check_close("HV-D logp", lp, want[j], RTOL, ATOL);
        }
        float H;
        grpo_entropy(&c, z, 3, &H, NULL, NULL);
        check_close("HV-D entropy lse", H, hl, RTOL, ATOL);
        set(&c, "entropy_form=plogp");
        grpo_entropy(&c, z, 3, &H, NULL, NULL);
        check_close("HV-D entropy -sum p log p", H, hp, RTOL, ATOL);
    }
    for (int k = 0; l && line_with(l, "T=", k, line, sizeof line); k++) {
        grpo_config c = preset("verl");
        double T, dh[3], dl[3];
        sscanf(line, " T=%lf", &T);
        c.temperature = T;
        const char *p = strstr(line, "dH/dz=['"), *q = strstr(line, "dlogp[0]/dz=['");
        CHECK(p && q && sscanf(p, "dH/dz=['%lf', '%lf', '%lf']", &dh[0], &dh[1], &dh[2]) == 3 &&
                  sscanf(q, "dlogp[0]/dz=['%lf', '%lf', '%lf']", &dl[0], &dl[1], &dl[2]) == 3,
              "HV-L line %d", k);
        float H, gh[3], lp, gl[3];
        grpo_entropy(&c, z, 3, &H, gh, NULL);
        grpo_logprob(&c, z, 3, 0, &lp, gl, NULL);
        for (int j = 0; j < 3; j++) {
            check_close("HV-L dH/dz", gh[j], dh[j], RTOL, ATOL);
            check_close("HV-L dlogp/dz", gl[j], dl[j], RTOL, ATOL);
        }
    }
    free(d);
    free(l);
}

static void section_e(void) {
    char *sec = hv_section("E");
    CHECK(sec != NULL, "section E missing");
    if (!sec) return;
    grpo_config c = preset("dapo");
    char line[128];
    int n = 0;
    for (int k = 0; line_with(sec, "L=", k, line, sizeof line); k++) {
        double len, want;
        CHECK(sscanf(line, " L=%lf: penalty=%lf", &len, &want) == 2, "HV-E line %d", k);
        double got = grpo_overlong_penalty(&c, len);
        CHECK(got == want, "HV-E L=%g: %.17g, want %.17g", len, got, want);
        n++;
    }
    CHECK(n == 6, "HV-E: %d lines", n);
    c.overlong_cap = GRPO_OVERLONG_OPENRLHF;
    CHECK(grpo_overlong_penalty(&c, 30000) == -1.0, "OpenRLHF caps exceed at the buffer");
    CHECK(grpo_overlong_penalty(&(grpo_config){.overlong = 0}, 30000) == 0, "overlong off");
    free(sec);
}

static void section_g3(void) {
    char *sec = hv_section("G3");
    CHECK(sec != NULL, "section G3 missing");
    if (!sec) return;
    grpo_config c = preset("verl");
    c.warmup_steps = 3;
    const char *p = strstr(sec, "['");
    for (int s = 1; p && s <= 5; s++) {
        double want = strtod(p + 2, NULL);
        check_close("HV-G3 lr", grpo_lr_at(&c, s, 100), want, 1e-9, 1e-18);
        p = strstr(p + 2, ", '");
        if (p) p++;
    }
    free(sec);
}

/* ---- presets, overrides, validation --------------------------------------------------------- */

static void presets(void) {
    grpo_config s = preset("verl-svs"), v = preset("verl"), e = preset("verl-engine"),
                d = preset("dapo"), t = preset("trl"), o = preset("openrlhf");
    /* §12.2 row by row */
    CHECK(s.adv_eps == 1e-6 && v.adv_eps == 1e-6 && d.adv_eps == 1e-6 && t.adv_eps == 1e-4 &&
              o.adv_eps == 1e-9, "adv eps");
    CHECK(s.singleton == GRPO_SINGLE_VERL && t.singleton == GRPO_SINGLE_ZERO &&
              o.singleton == GRPO_SINGLE_NAN, "singleton");
    CHECK(s.logratio_clamp == 20 && v.logratio_clamp == 20 && t.logratio_clamp == 0 &&
              o.logratio_clamp == 20, "log-ratio clamp");
    CHECK(s.eps_low == 0.2 && s.eps_high == 0.28 && v.eps_high == 0.2 && e.eps_high == 0.2 &&
              d.eps_high == 0.28 && t.eps_low == 0.2 && t.eps_high == 0.2 && isnan(o.eps_low) &&
              isnan(o.eps_high), "clip eps");
    CHECK(s.dual_clip_c == 3 && v.dual_clip_c == 3 && e.dual_clip_c == 3 && d.dual_clip_c == 10 &&
              t.dual_clip_c == 0 && o.dual_clip_c == 0, "dual clip");
    CHECK(s.agg == GRPO_AGG_TOKEN_MEAN && t.agg == GRPO_AGG_TOKEN_MEAN && t.scope == GRPO_SCOPE_GLOBAL,
          "aggregation");
    CHECK(s.scope == GRPO_SCOPE_MICRO_ROWS && v.scope == GRPO_SCOPE_MICRO_GA &&
              e.scope == GRPO_SCOPE_GLOBAL && o.scope == GRPO_SCOPE_GLOBAL, "scope");
    CHECK(s.seq_denom == GRPO_SEQDEN_ALL && v.seq_denom == GRPO_SEQDEN_NONEMPTY &&
              t.row_denom == GRPO_ROWDEN_MAX1, "seq-mean denominator");
    CHECK(s.drgrpo_norm == GRPO_DRNORM_SUM_L && v.drgrpo_norm == GRPO_DRNORM_SUM_L &&
              e.drgrpo_norm == GRPO_DRNORM_SEQS_L, "Dr.GRPO normalizer");
    CHECK(s.masked == GRPO_MASKED_MULT && v.masked == GRPO_MASKED_SELECT &&
              e.masked == GRPO_MASKED_SELECT && t.masked == GRPO_MASKED_MULT &&
              o.masked == GRPO_MASKED_MULT, "masked values");
    CHECK(s.kl_place == GRPO_KLPLACE_OFF && s.kl_type == GRPO_KL_K3 && s.kl_clamp == GRPO_KLCLAMP_VERL &&
              t.kl_coef == 0 && t.kl_clamp == GRPO_KLCLAMP_NONE && o.kl_clamp == GRPO_KLCLAMP_OPENRLHF,
          "KL");
    CHECK(s.entropy_coef == 0 && t.entropy_coef == 0 && isnan(o.entropy_coef), "entropy coef");
    CHECK(s.filter == GRPO_FILTER_MEAN01 && v.filter == GRPO_FILTER_NONE &&
              d.filter == GRPO_FILTER_STD_OR_SINGLETON && t.filter == GRPO_FILTER_NONE &&
              o.filter == GRPO_FILTER_RANGE && o.filter_min == 0 && o.filter_max == 1, "group filter");
    CHECK(s.overlong == 0 && d.overlong == 1 && d.overlong_max_len == 20480 &&
              d.overlong_buffer == 4096 && d.overlong_factor == 1.0 && o.overlong == GRPO_UNSET,
          "overlong");
    CHECK(s.lr == 1e-6 && s.weight_decay == 0.01 && s.adam_eps == 1e-8 && d.weight_decay == 0.1 &&
              t.weight_decay == 0.0 && isnan(o.lr) && isnan(o.weight_decay), "AdamW");
    CHECK(s.grad_clip == 1 && s.skip_nonfinite == 1 && t.grad_clip == 1 && t.skip_nonfinite == 0 &&
              isnan(o.grad_clip), "grad clip");
    CHECK(s.schedule == GRPO_SCHED_CONSTANT && s.warmup_steps == 0 && s.sched_step == GRPO_SCHEDSTEP_TRAIN &&
              d.warmup_steps == 10 && t.schedule == GRPO_SCHED_LINEAR &&
              t.sched_step == GRPO_SCHEDSTEP_OPTIM && o.schedule == GRPO_UNSET, "schedule");
    CHECK(s.passk_k_gt_n == GRPO_PASSK_ERROR && o.passk_k_gt_n == GRPO_PASSK_ERROR, "pass@k k > n");
    svs_err err = {{0}};
    const char *ok[] = {"verl-svs", "verl", "verl-engine", "dapo", "trl"};
    for (int k = 0; k < 5; k++) {
        grpo_config c = preset(ok[k]);
        CHECK(grpo_config_validate(&c, &err) == 0, "%s validates: %s", ok[k], err.msg);
    }
    CHECK(grpo_config_validate(&o, &err) == -1 && strstr(err.msg, "eps_low"),
          "openrlhf: validate names eps_low: %s", err.msg);
    const char *fill[] = {"eps_low=0.2", "eps_high=0.2", "kl_place=off", "kl_coef=0",
                          "entropy_coef=0", "overlong=0", "lr=1e-6", "weight_decay=0",
                          "adam_eps=1e-8", "grad_clip=1", "skip_nonfinite=1", "schedule=constant",
                          "warmup_steps=0"};
    for (size_t k = 0; k < sizeof fill / sizeof fill[0]; k++) {
        CHECK(grpo_config_validate(&o, &err) == -1, "openrlhf still incomplete before %s", fill[k]);
        set(&o, fill[k]);
    }
    CHECK(grpo_config_validate(&o, &err) == 0, "openrlhf complete: %s", err.msg);
    grpo_config x;
    CHECK(grpo_preset("verl-legacy", &x, &err) == -1 && strstr(err.msg, "verl-svs"), "unknown preset: %s", err.msg);
    /* --show output names every switch */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    grpo_config_print(&o, f);
    fclose(f);
    CHECK(buf && strstr(buf, "eps_high           = 0.2\n") && strstr(buf, "adv_eps            = 1e-09\n") && strstr(buf, "scope") &&
              strstr(buf, "masked             = mult"), "print: %s", buf ? buf : "");
    free(buf);
}

static void overrides(void) {
    grpo_config c = preset("verl");
    svs_err err = {{0}};
    CHECK(grpo_config_set(&c, "eps_hgh=0.3", &err) == -1 && strstr(err.msg, "eps_hgh"),
          "unknown switch named: %s", err.msg);
    CHECK(grpo_config_set(&c, "loss_agg_mode=token_mean", &err) == -1 &&
              strstr(err.msg, "loss_agg_mode") && strstr(err.msg, "token-mean"),
          "bad enum names switch and choices: %s", err.msg);
    CHECK(grpo_config_set(&c, "eps_low=abc", &err) == -1 && strstr(err.msg, "eps_low"),
          "bad number names switch: %s", err.msg);
    CHECK(grpo_config_set(&c, "on_policy=maybe", &err) == -1 && strstr(err.msg, "on_policy"),
          "bad bool: %s", err.msg);
    CHECK(grpo_config_set(&c, "eps_low", &err) == -1 && strstr(err.msg, "name=value"), "no '=': %s", err.msg);
    set(&c, "dual_clip_c=0.5");
    CHECK(grpo_config_validate(&c, &err) == -1 && strstr(err.msg, "dual_clip_c"), "c <= 1: %s", err.msg);
    set(&c, "dual_clip_c=off");
    CHECK(c.dual_clip_c == 0 && grpo_config_validate(&c, &err) == 0, "dual clip off");
    set(&c, "loss_agg_mode=trl-bnpo");
    CHECK(c.agg == GRPO_AGG_TOKEN_MEAN && c.scope == GRPO_SCOPE_MICRO_GA && c.tok_denom == GRPO_TOKDEN_MAX1,
          "trl-bnpo alias");
    set(&c, "kl_type=k3+");
    CHECK(c.kl_type == GRPO_KL_K3_ST, "k3+");
    set(&c, "temperature=0.7");
    CHECK(c.temperature == 0.7, "temperature");
    set(&c, "temperature=0");
    CHECK(grpo_config_validate(&c, &err) == -1 && strstr(err.msg, "temperature"), "T = 0: %s", err.msg);
}

/* ---- further behaviour: other estimators, filters, masks, scope ---------------------------- */

static void estimators(void) {
    grpo_config c = preset("verl");
    int64_t uid[5] = {1, 1, 1, 2, 3};
    float s[5] = {1, 0, 0, 0.5f, 0.25f}, a[5];
    set(&c, "adv_estimator=rloo");
    adv_rows(&c, 5, uid, s, a);
    CHECK(a[0] == 1.0f && a[1] == -0.5f && a[3] == 0.5f, "rloo loop: r − mean(others), singleton raw");
    set(&c, "adv_estimator=rloo_vectorized");
    adv_rows(&c, 5, uid, s, a);
    CHECK(a[0] == 1.0f && a[3] == 0.0f, "rloo vectorized: singleton 0");
    set(&c, "adv_estimator=grpo_vectorized");
    int64_t u2[4] = {1, 1, 2, 2};
    float s2[4] = {0.5f, 0.5002f, 0, 1}, a2[4], b2[4];
    adv_rows(&c, 4, u2, s2, a2);
    grpo_config g = preset("verl");
    adv_rows(&g, 4, u2, s2, b2);
    CHECK(fabsf(a2[0]) < 0.2f && fabsf(b2[0]) > 0.7f, "vectorized floors std at sqrt(eps): %g vs %g", a2[0], b2[0]);
    check_close("vectorized = loop when var > eps", a2[3], b2[3], 1e-6, 0);
    set(&c, "adv_estimator=grpo_passk");
    float s3[4] = {0.2f, 0.9f, 0.1f, 0.4f};
    adv_rows(&c, 4, u2, s3, a2);
    CHECK(a2[0] == 0 && a2[2] == 0 && a2[1] > 0 && a2[3] > 0, "passk: only the arg-max");
    svs_err err = {{0}};
    CHECK(grpo_advantages(&c, 5, uid, s, a, NULL, &err) == -1 && strstr(err.msg, "n >= 2"), "passk singleton: %s", err.msg);
    /* reinforce_baseline + verl masked_whiten: zero mean, unit Bessel variance over valid tokens */
    set(&c, "adv_estimator=reinforce_baseline");
    set(&c, "whiten=verl");
    float m[10] = {1, 1, 1, 0, 1, 1, 1, 1, 0, 0}, at[10];
    int64_t u5[5] = {1, 1, 1, 2, 2};
    float s5[5] = {1, 0, 0, 1, 0.5f};
    CHECK(grpo_advantages_tokens(&c, 5, 2, u5, s5, m, at, NULL, &err) == 0, "%s", err.msg);
    double sum = 0, ss = 0;
    for (int k = 0; k < 10; k++) sum += at[k] * m[k], ss += at[k] * at[k] * m[k];
    CHECK(fabs(sum) < 1e-6 && fabs(ss / 6 - 1) < 1e-5 && at[3] == 0, "masked_whiten: Σ %g, Σx²/(N−1) %g", sum, ss / 6);
    /* TRL scale_rewards=batch: batch std */
    grpo_config t = preset("trl");
    set(&t, "scale_rewards=batch");
    float s4[4] = {1, 0, 1, 1};
    adv_rows(&t, 4, u2, s4, a2);
    check_close("TRL batch scale", a2[0], 0.5 / (0.5 + 1e-4), 1e-6, 0);
    set(&t, "scale_rewards=none");
    adv_rows(&t, 4, u2, s4, a2);
    CHECK(a2[0] == 0.5f, "TRL scale none");
}

static void filters(void) {
    int64_t uid[9] = {1, 1, 1, 2, 2, 3, 4, 4, 4};
    double acc[9] = {1, 0, 0, 1, 1, 1, 0.2, 0.4, 0.9};
    unsigned char keep[9];
    grpo_config c = preset("dapo");
    CHECK(grpo_group_filter(&c, 9, uid, acc, keep, NULL) == 7 && keep[0] && !keep[3] && keep[5] && keep[6],
          "DAPO: std > 0 or singleton");
    c = preset("verl-svs");
    CHECK(grpo_group_filter(&c, 9, uid, acc, keep, NULL) == 6 && keep[0] && !keep[5], "SvS: 0 < mean < 1");
    c = preset("openrlhf");
    c.filter_min = 0.3, c.filter_max = 0.6;
    CHECK(grpo_group_filter(&c, 9, uid, acc, keep, NULL) == 6 && keep[0] && keep[6] && !keep[3],
          "OpenRLHF range: keep iff min < mean < max");
}

/* masked values: S's x·m leaks a NaN at a masked position, V's select does not (§11 rule 5) */
static void masked_semantics(void) {
    float logp[6], old[6];
    memcpy(logp, B_logp, sizeof logp);
    memcpy(old, B_old, sizeof old);
    logp[5] = NAN;
    grpo_micro mb = micro_b();
    mb.logp = logp, mb.old = old;
    grpo_config s = preset("verl-svs"), v = preset("verl");
    CHECK(isnan(micro_total(&s, &mb, &SCOPE_ONE, NULL, NULL)), "S x·m: NaN leaks");
    CHECK(!isnan(micro_total(&v, &mb, &SCOPE_ONE, NULL, NULL)), "V select: NaN does not leak");
    /* empty row: S seq-mean-token-mean is NaN; V skips it; engine counts it in G_bs */
    float m2[6] = {1, 1, 1, 0, 0, 0};
    grpo_micro e = micro_b();
    e.mask = m2;
    grpo_config s2 = mode_cfg("verl-svs", "seq-mean-token-mean"), v2 = mode_cfg("verl", "seq-mean-token-mean"),
                n2 = mode_cfg("verl-engine", "seq-mean-token-mean");
    double vs = micro_total(&s2, &e, &SCOPE_ONE, NULL, NULL), vv = micro_total(&v2, &e, &SCOPE_ONE, NULL, NULL),
           vn = micro_total(&n2, &e, &SCOPE_ONE, NULL, NULL);
    CHECK(isnan(vs) && fabs(vv - 2 * vn) < 1e-7 && !isnan(vn), "empty row: S NaN %g, V %g, engine %g", vs, vv, vn);
}

/* §5.3: the KL and entropy terms use the loss aggregation; §6.1 KL in the reward. */
static void loss_terms(void) {
    grpo_micro mb = micro_b();
    float ref[6] = {-1.5f, -1.0f, -2.0f, -1.0f, -0.5f, -3.0f}, H[6] = {0.5f, 1, 2, 0.25f, 0.75f, 9};
    mb.ref = ref, mb.entropy = H;
    grpo_config c = preset("verl-svs");
    grpo_micro_out o0, o1;
    float g0[6], g1[6], ge[6];
    svs_err err = {{0}};
    CHECK(grpo_micro_loss(&c, &mb, &SCOPE_ONE, &o0, NULL, g0, NULL, &err) == 0, "%s", err.msg);
    set(&c, "kl_place=loss"), set(&c, "kl_coef=0.1"), set(&c, "entropy_coef=0.01");
    CHECK(grpo_micro_loss(&c, &mb, &SCOPE_ONE, &o1, NULL, g1, ge, &err) == 0, "%s", err.msg);
    double kl = 0, h = 0;
    for (int k = 0; k < 6; k++) {
        float gk, v = grpo_kl(&c, B_logp[k], ref[k], &gk);
        kl += v * B_mask[k], h += H[k] * B_mask[k];
        check_close("KL-in-loss gradient", g1[k], g0[k] + 0.1 * gk * B_mask[k] / 5, 1e-6, 1e-8);
        check_close("entropy gradient", ge[k], -0.01 * B_mask[k] / 5, 1e-6, 1e-9);
    }
    check_close("KL term = token-mean of k3", o1.kl_loss, kl / 5, 1e-6, 1e-8);
    check_close("entropy term = token-mean of H", o1.entropy_loss, h / 5, 1e-6, 1e-8);
    check_close("total = pg − 0.01·H + 0.1·KL", o1.total, o0.total - 0.01 * h / 5 + 0.1 * kl / 5, 1e-6, 1e-8);
    grpo_config r = preset("verl");
    set(&r, "kl_type=k1"), set(&r, "kl_coef=0.5");
    float sc[2] = {1, 0}, rw[2];
    CHECK(grpo_kl_in_reward(&r, 2, 3, B_old, ref, B_mask, sc, rw, &err) == 0, "%s", err.msg);
    check_close("KL in reward row 0", rw[0], 1 - 0.5 * (0.5 + 0.0 + 0.5), 1e-6, 1e-7);
    check_close("KL in reward row 1", rw[1], 0 - 0.5 * (0.0 + -1.0), 1e-6, 1e-7);
}

/* ---- TRL 1.16 defaults: nan_rewards, kl_bias_correction, entropy_agg ---------------------- */

static void trl_defaults(void) {
    grpo_config t = preset("trl"), v = preset("verl"), s = preset("verl-svs");
    CHECK(t.nan_rewards == GRPO_NANREW_IGNORE && t.kl_bias_correction == 1 &&
              t.entropy_agg == GRPO_ENTAGG_TOKEN_MEAN_MICRO, "trl preset: TRL 1.16 defaults");
    CHECK(v.nan_rewards == GRPO_NANREW_PROPAGATE && v.kl_bias_correction == 0 && v.entropy_agg == GRPO_ENTAGG_LOSS &&
              s.nan_rewards == GRPO_NANREW_PROPAGATE && s.kl_bias_correction == 0 && s.entropy_agg == GRPO_ENTAGG_LOSS,
          "verl presets keep NaN propagation, no KL correction, H aggregated like the loss");
    /* unscored rows: group a = [NaN, 1, 0] → [0, ±0.5/(0.70710677 + 1e-4)]; group b = [NaN, 0.5]
     * has one scored row: nanstd NaN → 0 (TRL nan_to_num); verl: both groups NaN */
    int64_t uid[5] = {1, 1, 1, 2, 2};
    float sc[5] = {NAN, 1, 0, NAN, 0.5f}, a[5];
    grpo_adv_info info;
    svs_err err = {{0}};
    CHECK(grpo_advantages(&t, 5, uid, sc, a, &info, &err) == 0, "%s", err.msg);
    float want = 0.5f / (sqrtf(0.5f) + 1e-4f);
    CHECK(a[0] == 0 && a[1] == want && a[2] == -want && a[3] == 0 && a[4] == 0 && info.nan_scores == 2 &&
              info.nan_rows == 0, "nan_rewards=ignore: %g %g %g %g %g (nan_scores %zu)", a[0], a[1], a[2], a[3], a[4],
          info.nan_scores);
    set(&t, "scale_rewards=none");
    CHECK(grpo_advantages(&t, 5, uid, sc, a, NULL, &err) == 0 && a[1] == 0.5f && a[2] == -0.5f && a[4] == 0,
          "nan_rewards=ignore, scale none: %g %g %g", a[1], a[2], a[4]);
    set(&t, "scale_rewards=batch"); /* batch nanstd over {1, 0, 0.5} = 0.5 */
    CHECK(grpo_advantages(&t, 5, uid, sc, a, NULL, &err) == 0 && a[1] == 0.5f / (0.5f + 1e-4f) && a[4] == 0,
          "nan_rewards=ignore, scale batch: %g %g", a[1], a[4]);
    CHECK(grpo_advantages(&v, 5, uid, sc, a, &info, &err) == 0 && isnan(a[1]) && isnan(a[4]) && info.nan_rows == 5,
          "nan_rewards=propagate: whole groups NaN (nan_rows %zu)", info.nan_rows);
    /* KL bias correction: k3 · r, r = exp(logp − old); ∂/∂logp = k'·r + k·r (finite difference) */
    grpo_config k = preset("trl");
    float g, g0, k0 = grpo_kl(&k, -1.0f, -0.5f, &g0), kr = grpo_kl_term(&k, -1.0f, -1.2f, -0.5f, &g);
    float r = expf(-1.0f - -1.2f);
    CHECK(kr == k0 * r, "kl_bias_correction value: %.9g vs %.9g", kr, k0 * r);
    double h = 1e-4, kp = (exp(0.5 - h) - (0.5 - h) - 1) * exp(0.2 + h), km = (exp(0.5 + h) - (0.5 + h) - 1) * exp(0.2 - h);
    check_close("kl_bias_correction gradient", g, (kp - km) / (2 * h), 1e-5, 1e-7);
    set(&k, "on_policy=1"); /* r ≡ 1, but ∂r/∂logp = 1: the gradient is k' + k */
    kr = grpo_kl_term(&k, -1.0f, -1.2f, -0.5f, &g);
    CHECK(kr == k0 && g == g0 + k0, "on-policy correction: %.9g %.9g vs %.9g %.9g", kr, g, k0, g0 + k0);
    set(&k, "kl_bias_correction=0");
    kr = grpo_kl_term(&k, -1.0f, -1.2f, -0.5f, &g);
    CHECK(kr == k0 && g == g0, "no correction: grpo_kl");
    /* entropy_agg=token-mean-micro: −c · Σ H·m / max(Σm, 1) / GA for every loss type; with
     * trl-grpo (seq-mean-token-mean) and GA = 2 the loss-style aggregate would differ */
    float lp[6] = {-1, -0.5f, -2, -1, -0.7f, 0}, old[6] = {-1.1f, -0.5f, -1.8f, -1, -0.6f, 0};
    float ad[6] = {0.5f, 0.5f, 0.5f, -1, -1, 0}, m[6] = {1, 1, 1, 1, 1, 0}, H[6] = {0.5f, 1, 2, 0.25f, 0.75f, 9};
    grpo_micro mb = {.B = 2, .L = 3, .logp = lp, .old = old, .adv = ad, .mask = m, .entropy = H};
    grpo_scope_info ga2 = {.mini_rows = 2, .ga = 2, .global_tokens = 5, .global_seqs = 2};
    grpo_config e = preset("trl"), e0;
    set(&e, "loss_agg_mode=trl-grpo");
    e0 = e, set(&e0, "entropy_coef=0");
    set(&e, "entropy_coef=0.1");
    grpo_micro_out o, o0;
    float ge[6];
    CHECK(grpo_micro_loss(&e0, &mb, &ga2, &o0, NULL, NULL, NULL, &err) == 0 &&
              grpo_micro_loss(&e, &mb, &ga2, &o, NULL, NULL, ge, &err) == 0, "%s", err.msg);
    check_close("entropy_agg=token-mean-micro: H̄", o.entropy_loss, 4.5 / 5, 1e-7, 0);
    check_close("entropy_agg=token-mean-micro: total", o.total, o0.total - 0.1 * (4.5 / 5) / 2, 1e-6, 1e-8);
    for (int q = 0; q < 6; q++) check_close("entropy_agg=token-mean-micro: dH", ge[q], -0.1 * m[q] / 5 / 2, 1e-6, 0);
    set(&e, "entropy_agg=loss"); /* seq-mean-token-mean of H: (3.5/3 + 1/2)/2, × 1/GA */
    CHECK(grpo_micro_loss(&e, &mb, &ga2, &o, NULL, NULL, NULL, &err) == 0, "%s", err.msg);
    check_close("entropy_agg=loss: agg(H)", o.entropy_loss, (3.5 / 3 + 0.5) / 2, 1e-6, 0);
}

/* ---- seeded bugs: each must change the result on a small batch ---------------------------- */

static int differs(double a, double b) { return !test_close(a, b, 1e-4, 1e-6); }

/* A small batch: two groups of 4 (one with close non-binary scores), L = 4, a padded row. */
static const int64_t SB_UID[8] = {1, 1, 1, 1, 2, 2, 2, 2};
static const float SB_R[8] = {1, 0, 0, 1, 0.5f, 0.5005f, 0.501f, 0.5f};

static void seeded_bugs(void) {
    grpo_config ok = preset("verl-svs"), bug;
    float a[8], b[8];
    adv_rows(&ok, 8, SB_UID, SB_R, a);
    double maxd;
    /* 1. population std instead of the unbiased one */
    bug = ok, set(&bug, "std_correction=0");
    adv_rows(&bug, 8, SB_UID, SB_R, b);
    CHECK(differs(a[0], b[0]), "bug population std: %g vs %g", a[0], b[0]);
    printf("REPORT grpo seeded-bug population-std: adv %.9g -> %.9g\n", a[0], b[0]);
    /* 2. epsilon on the variance instead of the std */
    bug = ok, set(&bug, "eps_place=var");
    adv_rows(&bug, 8, SB_UID, SB_R, b);
    maxd = 0;
    for (int k = 0; k < 8; k++) maxd = fmax(maxd, fabs(a[k] - b[k]));
    CHECK(maxd > 1e-3, "bug eps on variance: max diff %g", maxd);
    printf("REPORT grpo seeded-bug eps-on-var: max |Δadv| %.3g (group of close scores)\n", maxd);
    /* the loss batch: the HV-B example */
    grpo_micro mb = micro_b();
    double ref = micro_total(&ok, &mb, &SCOPE_ONE, NULL, NULL), got;
    /* 3. mask ignored */
    float ones[6] = {1, 1, 1, 1, 1, 1};
    grpo_micro nm = mb;
    nm.mask = ones;
    got = micro_total(&ok, &nm, &SCOPE_ONE, NULL, NULL);
    CHECK(differs(ref, got), "bug mask ignored: %g vs %g", ref, got);
    printf("REPORT grpo seeded-bug mask-ignored: loss %.9g -> %.9g\n", ref, got);
    /* 4. clip bounds swapped */
    bug = ok, set(&bug, "eps_low=0.28"), set(&bug, "eps_high=0.2");
    got = micro_total(&bug, &mb, &SCOPE_ONE, NULL, NULL);
    CHECK(differs(ref, got), "bug clip bounds swapped: %g vs %g", ref, got);
    printf("REPORT grpo seeded-bug clip-swapped: loss %.9g -> %.9g\n", ref, got);
    /* 5. sequence mean instead of token mean */
    bug = ok, set(&bug, "loss_agg_mode=seq-mean-token-mean");
    got = micro_total(&bug, &mb, &SCOPE_ONE, NULL, NULL);
    CHECK(differs(ref, got), "bug seq-mean for token-mean: %g vs %g", ref, got);
    printf("REPORT grpo seeded-bug seq-mean: loss %.9g -> %.9g\n", ref, got);
    /* 6. missing temperature division: logp from logits at T = 1 while the rollout used 0.7 */
    const float z[6][3] = {{2, 1, 0.1f}, {0.5f, 1.5f, -1}, {3, 0, 0}, {1, 1, 2}, {0, 2, 1}, {1, 0, 0}};
    const size_t y[6] = {0, 1, 0, 2, 1, 0};
    float lp_t[6], lp_1[6], old[6];
    grpo_config t7 = ok, t1 = ok;
    t7.temperature = 0.7;
    t1.temperature = 1.0;
    for (int k = 0; k < 6; k++) {
        grpo_logprob(&t7, z[k], 3, y[k], &lp_t[k], NULL, NULL);
        grpo_logprob(&t1, z[k], 3, y[k], &lp_1[k], NULL, NULL);
        old[k] = lp_t[k] + 0.05f * (float)(k - 3); /* slightly off-policy */
    }
    grpo_micro tm = mb;
    tm.old = old, tm.logp = lp_t;
    ref = micro_total(&ok, &tm, &SCOPE_ONE, NULL, NULL);
    tm.logp = lp_1;
    got = micro_total(&ok, &tm, &SCOPE_ONE, NULL, NULL);
    CHECK(differs(ref, got), "bug missing temperature: %g vs %g", ref, got);
    printf("REPORT grpo seeded-bug no-temperature: loss %.9g -> %.9g\n", ref, got);
}

int main(void) {
    const char *path = svs_shared_path("vectors/grpo_hand_vectors.txt");
    svs_err err = {{0}};
    if (path) hv_text = svs_read_file(path, 1 << 20, NULL, &err);
    CHECK(!path || hv_text, "read hand vectors: %s", err.msg);
    if (hv_text) {
        section_a();
        section_b();
        section_c();
        section_d_l();
        section_e();
        section_g3();
        section_h();
        section_i();
        section_j();
        section_k();
        section_n();
        masked_semantics();
        loss_terms();
        seeded_bugs();
    }
    section_a2();
    presets();
    trl_defaults();
    overrides();
    estimators();
    filters();
    free(hv_text);
    return test_summary();
}
