/* grpo_config.c — the GRPO switches of spec/grpo-conventions.md §12.1 as one table, the presets
 * of §12.2, `name=value` overrides, printing and validation (see grpo.h).
 *
 * One descriptor per switch (name, kind, offset into grpo_config, accepted words for enums)
 * drives grpo_config_set, grpo_config_print and grpo_config_validate, so a new switch is one
 * table row. Values a preset leaves to the user are GRPO_UNSET / NaN, and validate names them.
 * Aliases expand to several switches: loss_agg_mode=trl-grpo | trl-bnpo | trl-dr-grpo |
 * trl-dapo (the TRL loss types of §5.2 in terms of the verl modes and denominators). */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "grpo.h"

enum sw_kind { SW_ENUM, SW_BOOL, SW_REAL };

typedef struct sw_desc {
    const char *name;
    enum sw_kind kind;
    size_t off;
    const char *const *words; /* SW_ENUM: names indexed by value, NULL-terminated */
    int off_is_zero;          /* SW_REAL: "off" is accepted and stored as 0 */
} sw_desc;

static const char *const W_EST[] = {"grpo", "grpo_vectorized", "rloo", "rloo_vectorized",
                                    "reinforce_baseline", "grpo_passk", NULL};
static const char *const W_SCALE[] = {"group", "batch", "none", NULL};
static const char *const W_SINGLE[] = {"verl", "zero", "nan", "raw", NULL};
static const char *const W_WHITEN[] = {"none", "verl", "openrlhf", NULL};
static const char *const W_EPSPL[] = {"std", "var", NULL};
static const char *const W_NANREW[] = {"propagate", "ignore", NULL};
static const char *const W_AGG[] = {"token-mean", "seq-mean-token-sum", "seq-mean-token-mean",
                                    "seq-mean-token-sum-norm", "token-sum", NULL};
static const char *const W_SCOPE[] = {"micro-ga", "micro-rows", "global", NULL};
static const char *const W_TOKDEN[] = {"eps", "plain", "max1", NULL};
static const char *const W_SEQDEN[] = {"all", "nonempty", NULL};
static const char *const W_ROWDEN[] = {"n", "n-eps", "max1", NULL};
static const char *const W_DRNORM[] = {"sum-over-L", "seqs-over-L", NULL};
static const char *const W_MASKED[] = {"mult", "select", NULL};
static const char *const W_REDUCE[] = {"f64", "f32seq", NULL};
static const char *const W_KLTYPE[] = {"k1", "abs", "k2", "k3", "k1+", "abs+", "k2+", "k3+", NULL};
static const char *const W_KLCLAMP[] = {"verl", "none", "openrlhf", NULL};
static const char *const W_KLPLACE[] = {"off", "loss", "reward", NULL};
static const char *const W_ENT[] = {"lse", "plogp", NULL};
static const char *const W_ENTAGG[] = {"loss", "token-mean-micro", NULL};
static const char *const W_FILTER[] = {"none", "mean01", "std-or-singleton", "range", NULL};
static const char *const W_OLCAP[] = {"verl", "openrlhf", NULL};
static const char *const W_SCHED[] = {"constant", "cosine", "linear", NULL};
static const char *const W_SCHSTEP[] = {"train", "optim", NULL};
static const char *const W_PASSK[] = {"error", "humaneval", NULL};

#define E(n, f, w) {n, SW_ENUM, offsetof(grpo_config, f), w, 0}
#define B(n, f) {n, SW_BOOL, offsetof(grpo_config, f), NULL, 0}
#define R(n, f) {n, SW_REAL, offsetof(grpo_config, f), NULL, 0}
#define RO(n, f) {n, SW_REAL, offsetof(grpo_config, f), NULL, 1}

/* In the order of §12.1. */
static const sw_desc SWITCHES[] = {
    E("adv_estimator", estimator, W_EST),   R("adv_eps", adv_eps),
    B("norm_adv_by_std", norm_by_std),      E("scale_rewards", scale_rewards, W_SCALE),
    E("singleton", singleton, W_SINGLE),    B("std_correction", std_correction),
    E("eps_place", eps_place, W_EPSPL),     E("whiten", whiten, W_WHITEN),
    E("nan_rewards", nan_rewards, W_NANREW),
    B("on_policy", on_policy),              RO("logratio_clamp", logratio_clamp),
    R("eps_low", eps_low),                  R("eps_high", eps_high),
    RO("dual_clip_c", dual_clip_c),         RO("trl_delta", trl_delta),
    E("loss_agg_mode", agg, W_AGG),         E("scope", scope, W_SCOPE),
    E("tok_denom", tok_denom, W_TOKDEN),    E("seq_denom", seq_denom, W_SEQDEN),
    E("row_denom", row_denom, W_ROWDEN),    E("drgrpo_norm", drgrpo_norm, W_DRNORM),
    R("loss_scale_factor", loss_scale_factor), E("masked", masked, W_MASKED),
    E("reduce", reduce, W_REDUCE),          E("kl_type", kl_type, W_KLTYPE),
    E("kl_clamp", kl_clamp, W_KLCLAMP),     E("kl_place", kl_place, W_KLPLACE),
    R("kl_coef", kl_coef),                  B("kl_bias_correction", kl_bias_correction),
    E("entropy_form", entropy_form, W_ENT), R("entropy_coef", entropy_coef),
    E("entropy_agg", entropy_agg, W_ENTAGG), E("filter", filter, W_FILTER),
    R("filter_min", filter_min),            R("filter_max", filter_max),
    B("overlong", overlong),                R("overlong_max_len", overlong_max_len),
    R("overlong_buffer", overlong_buffer),  R("overlong_factor", overlong_factor),
    E("overlong_cap", overlong_cap, W_OLCAP), R("lr", lr),
    R("weight_decay", weight_decay),        R("adam_eps", adam_eps),
    R("beta1", beta1),                      R("beta2", beta2),
    R("grad_clip", grad_clip),              B("skip_nonfinite", skip_nonfinite),
    E("schedule", schedule, W_SCHED),       R("warmup_steps", warmup_steps),
    E("sched_step", sched_step, W_SCHSTEP), R("temperature", temperature),
    E("passk_k_gt_n", passk_k_gt_n, W_PASSK),
};
#define N_SWITCHES (sizeof SWITCHES / sizeof SWITCHES[0])

static int *sw_int(grpo_config *c, const sw_desc *d) { return (int *)((char *)c + d->off); }
static double *sw_real(grpo_config *c, const sw_desc *d) { return (double *)((char *)c + d->off); }
static int sw_int_c(const grpo_config *c, const sw_desc *d) {
    return *(const int *)((const char *)c + d->off);
}
static double sw_real_c(const grpo_config *c, const sw_desc *d) {
    return *(const double *)((const char *)c + d->off);
}

/* ---- presets (§12.2) -------------------------------------------------------------------- */

/* The verl legacy column (`verl`, V b178a3cd legacy dp_actor); other presets start from it. */
static void preset_verl(grpo_config *c) {
    *c = (grpo_config){
        .estimator = GRPO_EST_GRPO, .adv_eps = 1e-6, .norm_by_std = 1,
        .scale_rewards = GRPO_SCALE_GROUP, .singleton = GRPO_SINGLE_VERL, .std_correction = 1,
        .eps_place = GRPO_EPS_ON_STD, .whiten = GRPO_WHITEN_NONE,
        .nan_rewards = GRPO_NANREW_PROPAGATE, /* torch.mean / torch.std: a NaN score spreads */
        .on_policy = 0, .logratio_clamp = 20.0, .eps_low = 0.2, .eps_high = 0.2,
        .dual_clip_c = 3.0, .trl_delta = 0.0,
        .agg = GRPO_AGG_TOKEN_MEAN, .scope = GRPO_SCOPE_MICRO_GA, .tok_denom = GRPO_TOKDEN_PLAIN,
        .seq_denom = GRPO_SEQDEN_NONEMPTY, .row_denom = GRPO_ROWDEN_N_EPS,
        .drgrpo_norm = GRPO_DRNORM_SUM_L, .loss_scale_factor = 0.0, .masked = GRPO_MASKED_SELECT,
        .reduce = GRPO_REDUCE_F64,
        .kl_type = GRPO_KL_K3, .kl_clamp = GRPO_KLCLAMP_VERL, .kl_place = GRPO_KLPLACE_OFF,
        .kl_coef = 0.001, .kl_bias_correction = 0,
        .entropy_form = GRPO_ENT_LSE, .entropy_coef = 0.0, .entropy_agg = GRPO_ENTAGG_LOSS,
        .filter = GRPO_FILTER_NONE, .filter_min = 0.0, .filter_max = 1.0,
        .overlong = 0, .overlong_max_len = 20480, .overlong_buffer = 4096, .overlong_factor = 1.0,
        .overlong_cap = GRPO_OVERLONG_VERL,
        .lr = 1e-6, .weight_decay = 0.01, .adam_eps = 1e-8, .beta1 = 0.9, .beta2 = 0.999,
        .grad_clip = 1.0, .skip_nonfinite = 1, .schedule = GRPO_SCHED_CONSTANT,
        .warmup_steps = 0, .sched_step = GRPO_SCHEDSTEP_TRAIN, .temperature = 1.0,
        .passk_k_gt_n = GRPO_PASSK_ERROR,
    };
}

/* `verl-svs`: MasterVito/SvS@9fd8f35 (yaml 0.2/0.28, masked_mean +1e-8, x·m, all rows). */
static void preset_verl_svs(grpo_config *c) {
    preset_verl(c);
    c->eps_high = 0.28;
    c->scope = GRPO_SCOPE_MICRO_ROWS; /* use_dynamic_bsz=True in the SvS scripts */
    c->tok_denom = GRPO_TOKDEN_EPS;
    c->seq_denom = GRPO_SEQDEN_ALL;
    c->row_denom = GRPO_ROWDEN_N;
    c->masked = GRPO_MASKED_MULT;
    c->filter = GRPO_FILTER_MEAN01;
}

/* `verl-engine`: VN engine path: global mini-batch tokens, G_bs, (Σ/B)/L. */
static void preset_verl_engine(grpo_config *c) {
    preset_verl(c);
    c->scope = GRPO_SCOPE_GLOBAL;
    c->drgrpo_norm = GRPO_DRNORM_SEQS_L;
}

/* `dapo`: verl recipe; "per verl version" = the legacy column. */
static void preset_dapo(grpo_config *c) {
    preset_verl(c);
    c->eps_high = 0.28;
    c->dual_clip_c = 10.0;
    c->filter = GRPO_FILTER_STD_OR_SINGLETON;
    c->overlong = 1;
    c->weight_decay = 0.1;
    c->warmup_steps = 10;
}

/* `trl`: huggingface/trl@f2cd5771 GRPOTrainer defaults (loss_type dapo), and TRL 1.16.0's
 * defaults for the three switches below (trl/trainer/grpo_trainer.py in the PyPI 1.16.0 wheel). */
static void preset_trl(grpo_config *c) {
    preset_verl(c);
    c->adv_eps = 1e-4;
    c->singleton = GRPO_SINGLE_ZERO;
    c->nan_rewards = GRPO_NANREW_IGNORE;               /* nanmean / nanstd, nan_to_num: 2753-2811 */
    c->logratio_clamp = 0.0;
    c->dual_clip_c = 0.0;
    c->scope = GRPO_SCOPE_GLOBAL;
    c->tok_denom = GRPO_TOKDEN_MAX1;
    c->seq_denom = GRPO_SEQDEN_ALL;
    c->row_denom = GRPO_ROWDEN_MAX1;
    c->drgrpo_norm = GRPO_DRNORM_SEQS_L;
    c->masked = GRPO_MASKED_MULT;
    c->kl_clamp = GRPO_KLCLAMP_NONE;
    c->kl_place = GRPO_KLPLACE_LOSS;
    c->kl_coef = 0.0;
    c->kl_bias_correction = 1;                         /* use_bias_correction_kl=True: 3102-3105 */
    c->entropy_form = GRPO_ENT_PLOGP;
    c->entropy_agg = GRPO_ENTAGG_TOKEN_MEAN_MICRO;     /* Σ H·m / max(Σm, 1) / GA: 3186-3211 */
    c->weight_decay = 0.0;
    c->skip_nonfinite = 0;
    c->schedule = GRPO_SCHED_LINEAR;
    c->sched_step = GRPO_SCHEDSTEP_OPTIM;
}

/* `openrlhf`: OpenRLHF@3c3be623; unconfirmed defaults are left unset. */
static void preset_openrlhf(grpo_config *c) {
    preset_verl(c);
    c->adv_eps = 1e-9;
    c->singleton = GRPO_SINGLE_NAN;
    c->eps_low = NAN;
    c->eps_high = NAN;
    c->dual_clip_c = 0.0;
    c->scope = GRPO_SCOPE_GLOBAL;
    c->tok_denom = GRPO_TOKDEN_EPS;
    c->masked = GRPO_MASKED_MULT;
    c->kl_clamp = GRPO_KLCLAMP_OPENRLHF;
    c->kl_place = GRPO_UNSET;
    c->kl_coef = NAN;
    c->entropy_coef = NAN;
    c->filter = GRPO_FILTER_RANGE;
    c->overlong = GRPO_UNSET;
    c->overlong_cap = GRPO_OVERLONG_OPENRLHF;
    c->lr = c->weight_decay = c->adam_eps = c->grad_clip = NAN;
    c->skip_nonfinite = GRPO_UNSET;
    c->schedule = GRPO_UNSET;
    c->warmup_steps = NAN;
    c->sched_step = GRPO_SCHEDSTEP_OPTIM;
}

static const struct {
    const char *name;
    void (*fill)(grpo_config *);
} PRESETS[] = {
    {"verl-svs", preset_verl_svs}, {"verl", preset_verl},   {"verl-engine", preset_verl_engine},
    {"dapo", preset_dapo},         {"trl", preset_trl},     {"openrlhf", preset_openrlhf},
};

const char *grpo_preset_names(void) { return "verl-svs, verl, verl-engine, dapo, trl, openrlhf"; }

int grpo_preset(const char *name, grpo_config *cfg, svs_err *err) {
    for (size_t i = 0; i < sizeof PRESETS / sizeof PRESETS[0]; i++)
        if (!strcmp(name, PRESETS[i].name)) {
            PRESETS[i].fill(cfg);
            return 0;
        }
    return svs_errf(err, "unknown GRPO preset \"%s\" (known: %s)", name, grpo_preset_names());
}

/* ---- overrides ------------------------------------------------------------------------- */

static const sw_desc *find_switch(const char *name, size_t n) {
    for (size_t i = 0; i < N_SWITCHES; i++)
        if (strlen(SWITCHES[i].name) == n && !strncmp(SWITCHES[i].name, name, n))
            return &SWITCHES[i];
    return NULL;
}

static void list_words(const char *const *w, char *buf, size_t cap) {
    size_t used = 0;
    buf[0] = 0;
    for (; *w && used + 1 < cap; w++) {
        int k = snprintf(buf + used, cap - used, "%s%s", used ? ", " : "", *w);
        if (k < 0) break;
        used += (size_t)k;
    }
}

/* loss_agg_mode aliases for the TRL loss types (§5.2). Returns 1 if `v` was one. */
static int set_trl_alias(grpo_config *c, const char *v) {
    if (!strcmp(v, "trl-dapo")) {
        c->agg = GRPO_AGG_TOKEN_MEAN;
        c->scope = GRPO_SCOPE_GLOBAL;
    } else if (!strcmp(v, "trl-bnpo")) {
        c->agg = GRPO_AGG_TOKEN_MEAN;
        c->scope = GRPO_SCOPE_MICRO_GA;
        c->tok_denom = GRPO_TOKDEN_MAX1;
    } else if (!strcmp(v, "trl-grpo")) {
        c->agg = GRPO_AGG_SEQ_MEAN_TOKEN_MEAN;
        c->scope = GRPO_SCOPE_MICRO_GA;
        c->seq_denom = GRPO_SEQDEN_ALL;
        c->row_denom = GRPO_ROWDEN_MAX1;
    } else if (!strcmp(v, "trl-dr-grpo")) {
        c->agg = GRPO_AGG_SEQ_MEAN_TOKEN_SUM_NORM;
        c->scope = GRPO_SCOPE_MICRO_GA;
        c->seq_denom = GRPO_SEQDEN_ALL;
        c->drgrpo_norm = GRPO_DRNORM_SEQS_L;
    } else {
        return 0;
    }
    return 1;
}

static int set_value(grpo_config *c, const sw_desc *d, const char *v, svs_err *err) {
    if (d->kind == SW_ENUM) {
        for (int i = 0; d->words[i]; i++)
            if (!strcmp(v, d->words[i])) {
                *sw_int(c, d) = i;
                return 0;
            }
        if (d->off == offsetof(grpo_config, agg) && set_trl_alias(c, v)) return 0;
        char buf[300];
        list_words(d->words, buf, sizeof buf);
        return svs_errf(err, "switch %s: unknown value \"%s\" (accepted: %s%s)", d->name, v, buf,
                        d->off == offsetof(grpo_config, agg)
                            ? ", trl-grpo, trl-bnpo, trl-dr-grpo, trl-dapo" : "");
    }
    if (d->kind == SW_BOOL) {
        if (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcmp(v, "on")) *sw_int(c, d) = 1;
        else if (!strcmp(v, "0") || !strcasecmp(v, "false") || !strcmp(v, "off")) *sw_int(c, d) = 0;
        else return svs_errf(err, "switch %s: expected 0/1/true/false/on/off, got \"%s\"", d->name, v);
        return 0;
    }
    if (d->off_is_zero && !strcmp(v, "off")) {
        *sw_real(c, d) = 0.0;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    double x = strtod(v, &end);
    if (!*v || *end || errno == ERANGE || !isfinite(x))
        return svs_errf(err, "switch %s: expected a finite number%s, got \"%s\"", d->name,
                        d->off_is_zero ? " or off" : "", v);
    *sw_real(c, d) = x;
    return 0;
}

int grpo_config_set(grpo_config *cfg, const char *assignment, svs_err *err) {
    const char *eq = strchr(assignment, '=');
    if (!eq) return svs_errf(err, "GRPO override \"%s\": expected name=value", assignment);
    const sw_desc *d = find_switch(assignment, (size_t)(eq - assignment));
    if (!d)
        return svs_errf(err, "unknown GRPO switch \"%.*s\" (svs grpo --show lists them)",
                        (int)(eq - assignment), assignment);
    return set_value(cfg, d, eq + 1, err);
}

/* ---- validation and printing ------------------------------------------------------------ */

static int is_unset(const grpo_config *c, const sw_desc *d) {
    return d->kind == SW_REAL ? isnan(sw_real_c(c, d)) : sw_int_c(c, d) == GRPO_UNSET;
}

/* Range checks that do not depend on the preset. */
static int validate_ranges(const grpo_config *c, svs_err *err) {
    if (!(c->adv_eps >= 0)) return svs_errf(err, "switch adv_eps must be >= 0");
    if (!(c->eps_low >= 0 && c->eps_low < 1)) return svs_errf(err, "switch eps_low must be in [0, 1)");
    if (!(c->eps_high >= 0)) return svs_errf(err, "switch eps_high must be >= 0");
    if (c->dual_clip_c != 0 && !(c->dual_clip_c > 1))
        return svs_errf(err, "switch dual_clip_c must be > 1 (or off), got %g", c->dual_clip_c);
    if (!(c->logratio_clamp >= 0)) return svs_errf(err, "switch logratio_clamp must be >= 0 (0 = off)");
    if (!(c->trl_delta >= 0)) return svs_errf(err, "switch trl_delta must be >= 0 (0 = off)");
    if (!(c->loss_scale_factor >= 0)) return svs_errf(err, "switch loss_scale_factor must be >= 0");
    if (!(c->temperature > 0)) return svs_errf(err, "switch temperature must be > 0");
    if (c->overlong == 1 && !(c->overlong_buffer > 0))
        return svs_errf(err, "switch overlong_buffer must be > 0 when overlong=1");
    if (c->filter == GRPO_FILTER_RANGE && !(c->filter_min < c->filter_max))
        return svs_errf(err, "switches filter_min/filter_max: need filter_min < filter_max");
    return 0;
}

int grpo_config_validate(const grpo_config *cfg, svs_err *err) {
    for (size_t i = 0; i < N_SWITCHES; i++) {
        const sw_desc *d = &SWITCHES[i];
        if (is_unset(cfg, d))
            return svs_errf(err, "switch %s must be set explicitly for this preset "
                                 "(not confirmed from the library's source)", d->name);
        if (d->kind != SW_REAL) {
            int v = sw_int_c(cfg, d), n = 2;
            if (d->kind == SW_ENUM)
                for (n = 0; d->words[n]; n++) {}
            if (v < 0 || v >= n) return svs_errf(err, "switch %s: value %d out of range", d->name, v);
        }
    }
    return validate_ranges(cfg, err);
}

/* Shortest of %.15g / %.17g that reads back as the same double (0.28, not 0.28000000000000003). */
static void print_real(FILE *out, double v) {
    char buf[40];
    snprintf(buf, sizeof buf, "%.15g", v);
    if (strtod(buf, NULL) != v) snprintf(buf, sizeof buf, "%.17g", v);
    fprintf(out, "%s\n", buf);
}

void grpo_config_print(const grpo_config *cfg, FILE *out) {
    for (size_t i = 0; i < N_SWITCHES; i++) {
        const sw_desc *d = &SWITCHES[i];
        fprintf(out, "%-18s = ", d->name);
        if (is_unset(cfg, d)) fprintf(out, "(unset: give it explicitly)\n");
        else if (d->kind == SW_REAL) print_real(out, sw_real_c(cfg, d));
        else if (d->kind == SW_BOOL) fprintf(out, "%d\n", sw_int_c(cfg, d));
        else {
            int v = sw_int_c(cfg, d), n;
            for (n = 0; d->words[n]; n++) {}
            fprintf(out, "%s\n", v >= 0 && v < n ? d->words[v] : "(invalid)");
        }
    }
}
