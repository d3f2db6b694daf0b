/* grpo.h — GRPO / DAPO numerics: advantages, the clipped per-token policy loss with each
 * library's convention, loss aggregation and its scope across micro-batches, KL estimators,
 * the entropy term, DAPO group filtering and overlong shaping, and the named presets of
 * spec/grpo-conventions.md §12.
 *
 * Everything here is a pure function of its arguments and a `grpo_config` (no global state).
 * Inputs are float32 arrays in row-major [B][L] layout (B responses, L = padded response width)
 * with a 0/1 mask; per-token arithmetic is float32 in verl's operation order (§11 rule 1) and
 * every reduction accumulates in double and rounds to float32 once (§11 rule 3) unless the
 * config asks for the float32 sequential emulation (`reduce=f32seq`).
 *
 * Files: grpo_config.c (switches, presets, `name=value` overrides, printing, validation),
 * grpo_adv.c (advantages, §2), grpo_loss.c (loss, gradients, aggregation, KL, entropy, DAPO
 * filter and overlong shaping, §3–§8). The worked numbers of
 * ../shared/vectors/grpo_hand_vectors.txt are reproduced by tests/test_grpo.c; float64 goldens
 * by golden/gen_grpo_goldens.py and tests/test_grpo_golden.c. Conventions: docs/grpo.md.
 *
 * Not here: AdamW and gradient clipping (ref/ops.h, ops_ref_optim.c; the config only carries
 * their hyperparameters), pass@k (ref/passk.h), the RLVR loop, the `svs grpo` checker. */
#ifndef SVS_GRPO_H
#define SVS_GRPO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common.h"

/* A switch that a preset leaves to the user ("explicit" / "not confirmed" in §12.2): integer
 * switches hold GRPO_UNSET, real-valued ones hold NaN. grpo_config_validate names them. */
#define GRPO_UNSET (-1)

/* ---- advantage switches (§2) ------------------------------------------------------------ */
enum grpo_estimator {
    GRPO_EST_GRPO,              /* verl grpo loop; TRL; OpenRLHF group_norm / dr_grpo (§2.1–2.3) */
    GRPO_EST_GRPO_VECTORIZED,   /* verl grpo_vectorized: std = sqrt(max(var, eps)) (§2.1) */
    GRPO_EST_RLOO,              /* verl rloo loop: R·n/(n−1) − mean·n/(n−1) (§2.4) */
    GRPO_EST_RLOO_VECTORIZED,   /* verl rloo_vectorized: as rloo, × [count > 1] (§2.4) */
    GRPO_EST_REINFORCE_BASELINE,/* R − group mean, then whitening over the batch (§2.3, §2.4) */
    GRPO_EST_GRPO_PASSK,        /* verl grpo_passk: only the arg-max row is non-zero (§2.4) */
    GRPO_EST_COUNT
};
enum grpo_scale { GRPO_SCALE_GROUP, GRPO_SCALE_BATCH, GRPO_SCALE_NONE, GRPO_SCALE_COUNT };
enum grpo_singleton {
    GRPO_SINGLE_VERL,  /* mean 0, std 1: a = R/(1 + eps) with std, R without (verl loop) */
    GRPO_SINGLE_ZERO,  /* a = 0 (TRL G = 1; verl rloo_vectorized) */
    GRPO_SINGLE_NAN,   /* a = NaN, counted in grpo_adv_info.nan_rows (OpenRLHF n = 1) */
    GRPO_SINGLE_RAW,   /* a = R (verl rloo loop skips the n > 1 branch) */
    GRPO_SINGLE_COUNT
};
enum grpo_whiten {
    GRPO_WHITEN_NONE,
    GRPO_WHITEN_VERL,     /* masked_whiten: (x − μ)/sqrt(var·N/(N−1) + 1e-8), then × mask */
    GRPO_WHITEN_OPENRLHF, /* (x − μ)·rsqrt(max(var_pop, 1e-8)), padded tokens not re-masked */
    GRPO_WHITEN_COUNT
};
enum grpo_eps_place { GRPO_EPS_ON_STD, GRPO_EPS_ON_VAR /* a seeded bug: sqrt(var + eps) */,
                      GRPO_EPS_PLACE_COUNT };
enum grpo_nan_rewards {     /* a NaN score (TRL: every reward function returned None) */
    GRPO_NANREW_PROPAGATE,  /* plain mean/std: the whole group (the batch std) becomes NaN (verl,
                               OpenRLHF: torch.mean / torch.std) */
    GRPO_NANREW_IGNORE,     /* TRL: left out of the group mean / std (nanmean, nanstd), and every
                               NaN advantage becomes 0 (torch.nan_to_num) */
    GRPO_NANREW_COUNT
};

/* ---- loss aggregation switches (§5) ----------------------------------------------------- */
enum grpo_agg {
    GRPO_AGG_TOKEN_MEAN,
    GRPO_AGG_SEQ_MEAN_TOKEN_SUM,
    GRPO_AGG_SEQ_MEAN_TOKEN_MEAN,
    GRPO_AGG_SEQ_MEAN_TOKEN_SUM_NORM, /* Dr.GRPO */
    GRPO_AGG_TOKEN_SUM,               /* VN only */
    GRPO_AGG_COUNT
};
enum grpo_scope {
    GRPO_SCOPE_MICRO_GA,   /* per micro-batch, × 1/GA (verl legacy fixed micro-batches; TRL) */
    GRPO_SCOPE_MICRO_ROWS, /* per micro-batch, × b_mb/N_mini (verl legacy dynamic bsz; SvS) */
    GRPO_SCOPE_GLOBAL,     /* global denominators (verl engine path; TRL dapo; OpenRLHF) */
    GRPO_SCOPE_COUNT
};
enum grpo_tok_denom {       /* token-mean denominator in a per-micro-batch scope */
    GRPO_TOKDEN_EPS,        /* Σm + 1e-8 (S masked_mean) */
    GRPO_TOKDEN_PLAIN,      /* Σm (V legacy) */
    GRPO_TOKDEN_MAX1,       /* max(Σm, 1) (TRL bnpo) */
    GRPO_TOKDEN_COUNT
};
enum grpo_seq_denom {       /* seq-mean denominator in a per-micro-batch scope */
    GRPO_SEQDEN_ALL,        /* all b rows (S; TRL) */
    GRPO_SEQDEN_NONEMPTY,   /* rows with n_i > 0 (V legacy) */
    GRPO_SEQDEN_COUNT
};
enum grpo_row_denom {       /* per-row token denominator of seq-mean-token-mean */
    GRPO_ROWDEN_N,          /* n_i (S: 0/0 = NaN for an empty row) */
    GRPO_ROWDEN_N_EPS,      /* n_i + 1e-8, empty rows skipped (V, VN, OpenRLHF) */
    GRPO_ROWDEN_MAX1,       /* max(n_i, 1) (TRL grpo) */
    GRPO_ROWDEN_COUNT
};
enum grpo_drgrpo_norm {
    GRPO_DRNORM_SUM_L,      /* Σ/L, no division by rows (S, V legacy) */
    GRPO_DRNORM_SEQS_L,     /* Σ/rows/L (VN after PR #5417: rows = G_bs; TRL: rows = b) */
    GRPO_DRNORM_COUNT
};
enum grpo_masked { GRPO_MASKED_MULT /* x·m: NaN·0 leaks */, GRPO_MASKED_SELECT, GRPO_MASKED_COUNT };
enum grpo_reduce { GRPO_REDUCE_F64 /* §11 rule 3 */, GRPO_REDUCE_F32SEQ /* torch emulation */,
                   GRPO_REDUCE_COUNT };

/* ---- KL, entropy, filter, overlong, schedule (§6–§9) ------------------------------------- */
enum grpo_kl_type {
    GRPO_KL_K1, GRPO_KL_ABS, GRPO_KL_K2, GRPO_KL_K3,
    GRPO_KL_K1_ST, GRPO_KL_ABS_ST, GRPO_KL_K2_ST, GRPO_KL_K3_ST, /* `k1+` …: gradient of k2 */
    GRPO_KL_TYPE_COUNT
};
enum grpo_kl_clamp {
    GRPO_KLCLAMP_VERL,     /* k3 only: inner ±20 on ref − logp, outer ±10 on the value */
    GRPO_KLCLAMP_NONE,     /* TRL */
    GRPO_KLCLAMP_OPENRLHF, /* every estimator's value clamped to ±10, no inner clamp */
    GRPO_KLCLAMP_COUNT
};
enum grpo_kl_place { GRPO_KLPLACE_OFF, GRPO_KLPLACE_LOSS, GRPO_KLPLACE_REWARD,
                     GRPO_KLPLACE_COUNT };
enum grpo_entropy_form { GRPO_ENT_LSE /* verl: lse(z) − Σ p z */, GRPO_ENT_PLOGP /* TRL */,
                         GRPO_ENT_COUNT };
enum grpo_entropy_agg {
    GRPO_ENTAGG_LOSS,             /* agg(H) with the loss's mode, denominators and scope (verl) */
    GRPO_ENTAGG_TOKEN_MEAN_MICRO, /* TRL ≥ 1.16: Σ H·m / max(Σm, 1) over the micro-batch, × 1/GA,
                                     whatever the loss type */
    GRPO_ENTAGG_COUNT
};
enum grpo_filter {
    GRPO_FILTER_NONE,
    GRPO_FILTER_MEAN01,           /* SvS: keep iff 0 < mean < 1, no refill */
    GRPO_FILTER_STD_OR_SINGLETON, /* DAPO: keep iff population std > 0 or |g| = 1 */
    GRPO_FILTER_RANGE,            /* OpenRLHF: keep iff min_r < mean < max_r */
    GRPO_FILTER_COUNT
};
enum grpo_overlong_cap { GRPO_OVERLONG_VERL /* no cap */, GRPO_OVERLONG_OPENRLHF /* exceed ≤ buffer */,
                         GRPO_OVERLONG_CAP_COUNT };
enum grpo_schedule { GRPO_SCHED_CONSTANT, GRPO_SCHED_COSINE, GRPO_SCHED_LINEAR, GRPO_SCHED_COUNT };
enum grpo_sched_step { GRPO_SCHEDSTEP_TRAIN, GRPO_SCHEDSTEP_OPTIM, GRPO_SCHEDSTEP_COUNT };
enum grpo_passk_kgtn { GRPO_PASSK_ERROR, GRPO_PASSK_HUMANEVAL, GRPO_PASSK_COUNT };

/* Every switch of §12.1. Integer fields hold the enum named in their comment (or 0/1), or
 * GRPO_UNSET; real fields hold NaN when unset. Names in quotes are the grpo_config_set keys. */
typedef struct grpo_config {
    /* advantages (§2) */
    int estimator;        /* "adv_estimator"  enum grpo_estimator */
    double adv_eps;       /* "adv_eps"        verl 1e-6, TRL 1e-4, OpenRLHF 1e-9 */
    int norm_by_std;      /* "norm_adv_by_std" 0/1 (verl norm_adv_by_std_in_grpo) */
    int scale_rewards;    /* "scale_rewards"  enum grpo_scale (TRL); group = per-group std */
    int singleton;        /* "singleton"      enum grpo_singleton */
    int std_correction;   /* "std_correction" 1 = unbiased (every library); 0 = population */
    int eps_place;        /* "eps_place"      enum grpo_eps_place */
    int whiten;           /* "whiten"         enum grpo_whiten (token-level, after broadcast) */
    int nan_rewards;      /* "nan_rewards"    enum grpo_nan_rewards: propagate | ignore (TRL) */
    /* per-token policy loss (§4) */
    int on_policy;        /* "on_policy"      1: old := logp (r ≡ 1), the V/TRL shortcut */
    double logratio_clamp;/* "logratio_clamp" 20 (verl, OpenRLHF) or 0 = off (TRL) */
    double eps_low;       /* "eps_low"        clip_ratio_low / epsilon */
    double eps_high;      /* "eps_high"       clip_ratio_high / epsilon_high */
    double dual_clip_c;   /* "dual_clip_c"    clip_ratio_c (> 1), 0 = off */
    double trl_delta;     /* "trl_delta"      TRL delta: cap on coef_1, 0 = off */
    /* aggregation and scope (§5) */
    int agg;              /* "loss_agg_mode"  enum grpo_agg (aliases trl-grpo, trl-bnpo, …) */
    int scope;            /* "scope"          enum grpo_scope */
    int tok_denom;        /* "tok_denom"      enum grpo_tok_denom */
    int seq_denom;        /* "seq_denom"      enum grpo_seq_denom */
    int row_denom;        /* "row_denom"      enum grpo_row_denom */
    int drgrpo_norm;      /* "drgrpo_norm"    enum grpo_drgrpo_norm */
    double loss_scale_factor; /* "loss_scale_factor" L of Dr.GRPO; 0 = the mask width L */
    int masked;           /* "masked"         enum grpo_masked */
    int reduce;           /* "reduce"         enum grpo_reduce */
    /* KL (§6) */
    int kl_type;          /* "kl_type"        enum grpo_kl_type */
    int kl_clamp;         /* "kl_clamp"       enum grpo_kl_clamp */
    int kl_place;         /* "kl_place"       enum grpo_kl_place */
    double kl_coef;       /* "kl_coef"        kl_loss_coef / beta / kl_ctrl.kl_coef */
    int kl_bias_correction; /* "kl_bias_correction" 0/1: KL in the loss × r = exp(logp − old), r
                             differentiable (TRL use_bias_correction_kl, default True in 1.16) */
    /* entropy (§3.4, §7) */
    int entropy_form;     /* "entropy_form"   enum grpo_entropy_form */
    double entropy_coef;  /* "entropy_coef" */
    int entropy_agg;      /* "entropy_agg"    enum grpo_entropy_agg: loss | token-mean-micro (TRL) */
    /* DAPO dynamic sampling and overlong shaping (§8) */
    int filter;           /* "filter"         enum grpo_filter */
    double filter_min, filter_max; /* "filter_min", "filter_max" (RANGE; OpenRLHF (0, 1)) */
    int overlong;         /* "overlong"       0/1 */
    double overlong_max_len, overlong_buffer, overlong_factor; /* "overlong_max_len", … */
    int overlong_cap;     /* "overlong_cap"   enum grpo_overlong_cap */
    /* optimizer and schedule (§9; applied by ref/ops.h, held here for the checker) */
    double lr, weight_decay, adam_eps, beta1, beta2; /* "lr", "weight_decay", "adam_eps", … */
    double grad_clip;     /* "grad_clip"      max global norm */
    int skip_nonfinite;   /* "skip_nonfinite" 0/1: skip a step whose gradient norm is not finite */
    int schedule;         /* "schedule"       enum grpo_schedule */
    double warmup_steps;  /* "warmup_steps" */
    int sched_step;       /* "sched_step"     enum grpo_sched_step */
    /* sampling and evaluation */
    double temperature;   /* "temperature"    logits are divided by it (§3.1) */
    int passk_k_gt_n;     /* "passk_k_gt_n"   enum grpo_passk_kgtn */
} grpo_config;

/* Fills cfg from a preset of §12.2: "verl-svs", "verl", "verl-engine", "dapo", "trl",
 * "openrlhf". Returns -1 with err listing the known names. */
int grpo_preset(const char *name, grpo_config *cfg, svs_err *err);
/* Applies one "name=value" override (e.g. "eps_high=0.28", "loss_agg_mode=trl-bnpo",
 * "dual_clip_c=off"). Errors name the switch and list the accepted values. */
int grpo_config_set(grpo_config *cfg, const char *assignment, svs_err *err);
/* 0 when every switch is set and consistent; otherwise -1 and err names the first bad switch
 * ("switch eps_low must be set explicitly for this preset", "dual_clip_c must be > 1"). */
int grpo_config_validate(const grpo_config *cfg, svs_err *err);
/* One "name = value" line per switch, in the order of §12.1. */
void grpo_config_print(const grpo_config *cfg, FILE *out);
/* Comma-separated preset names, for help texts. */
const char *grpo_preset_names(void);

/* ---- advantages (grpo_adv.c, §2) -------------------------------------------------------- */
typedef struct grpo_adv_info {
    size_t groups, singletons, equal_groups; /* groups seen; of size 1; with all scores equal */
    size_t nan_rows;                          /* rows whose advantage is NaN (OpenRLHF n = 1) */
    size_t nan_scores;                        /* rows with a NaN score (nan_rewards=ignore: A = 0) */
} grpo_adv_info;

/* Per-row advantages from group ids and scalar scores (float32 in verl's order, §2.1).
 * uid[B]: group id of each row (rows of a group need not be adjacent). adv[B] out.
 * Whitening is not applied here (it is token-level; see grpo_advantages_tokens). */
int grpo_advantages(const grpo_config *cfg, size_t B, const int64_t *uid, const float *scores,
                    float *adv, grpo_adv_info *info, svs_err *err);
/* Broadcast rule §2.5: adv_tok[i][t] = adv[i] · mask[i][t]. */
void grpo_broadcast(size_t B, size_t L, const float *adv, const float *mask, float *adv_tok);
/* verl masked_whiten (§2.4): in place on x[B·L] over valid tokens; error if Σmask ≤ 1. */
int grpo_masked_whiten(size_t n, float *x, const float *mask, svs_err *err);
/* Rows, broadcast, and the configured token-level whitening, in one call: adv_tok[B·L]. */
int grpo_advantages_tokens(const grpo_config *cfg, size_t B, size_t L, const int64_t *uid,
                           const float *scores, const float *mask, float *adv_tok,
                           grpo_adv_info *info, svs_err *err);

/* ---- per-token loss, gradients and metrics (grpo_loss.c, §4) ----------------------------- */
typedef struct grpo_tok_loss {
    float loss;      /* ℓ */
    float dloss;     /* ∂ℓ/∂logp with torch's tie rules (§4.2) */
    float ratio;     /* r = exp(clamped d) */
    int clipped;     /* verl pg_clipfrac indicator: L2 > L1 */
    int clipped_lower; /* verl pg_clipfrac_lower: Lc > L3 and A < 0 */
    int trl_low, trl_high; /* TRL: r < 1 − ε and A < 0; r > 1 + ε_high and A > 0 */
    float neg_d;     /* −d (the ppo_kl contribution; d after the ±20 clamp) */
} grpo_tok_loss;

/* One token of §4.1 (verl vanilla, with Clip-Higher and the dual clip), §4.3 (TRL: no clamp,
 * delta cap) or §4.4 (OpenRLHF) according to cfg. */
grpo_tok_loss grpo_token_loss(const grpo_config *cfg, float logp, float old, float adv);

/* KL estimator of §6 for one token (value and ∂/∂logp) under cfg->kl_type and cfg->kl_clamp. */
float grpo_kl(const grpo_config *cfg, float logp, float ref, float *dkl_dlogp);
/* The per-token KL term as it enters the loss (kl_place=loss): grpo_kl, times the importance
 * ratio r = exp(logp − old) when kl_bias_correction=1 (r ≡ 1 with on_policy, but its gradient
 * still counts: ∂(k·r)/∂logp = k'·r + k·r). old is ignored when the correction is off. */
float grpo_kl_term(const grpo_config *cfg, float logp, float old, float ref, float *dkl_dlogp);

/* ---- aggregation and scope (§5) ---------------------------------------------------------- */
/* One micro-batch, row-major [B][L]. ref may be NULL when KL is not in the loss; entropy may be
 * NULL when entropy_coef = 0. */
typedef struct grpo_micro {
    size_t B, L;
    const float *logp, *old, *ref, *adv, *mask, *entropy;
} grpo_micro;

/* The mini-batch quantities a micro-batch's aggregation may need (§5.2). */
typedef struct grpo_scope_info {
    size_t mini_rows;      /* N_mini: nominal rows of the mini-batch (MICRO_ROWS weighting) */
    size_t ga;             /* gradient-accumulation steps (MICRO_GA weighting) */
    double global_tokens;  /* valid tokens of the mini-/generation batch (GLOBAL token-mean) */
    double global_seqs;    /* G_bs: sequences incl. empty rows (GLOBAL seq-mean, Dr.GRPO) */
} grpo_scope_info;

typedef struct grpo_micro_out {
    double pg_loss;        /* agg(ℓ), unscaled (the actor/pg_loss metric) */
    double kl_loss;        /* agg(kl term) when kl_place = loss (× r with kl_bias_correction), else 0 */
    double entropy_loss;   /* agg(H) when entropy is given (entropy_agg=token-mean-micro: the
                              micro-batch token mean Σ H·m / max(Σm, 1)), else 0 */
    double scale;          /* 1/GA, b_mb/N_mini or 1 */
    double total;          /* scale · (pg − entropy_coef·H + kl_coef·kl), rounded to float32;
                              entropy_agg=token-mean-micro: scale·(pg + kl_coef·kl) − entropy_coef·H/GA */
    float pg_clipfrac, pg_clipfrac_lower, ppo_kl; /* verl masked means (Σm + 1e-8, float32) */
    float trl_clip_low, trl_clip_high;
} grpo_micro_out;

/* Aggregates x[B·L] over one micro-batch with cfg's mode, denominators and scope (§5.1), without
 * the scope weight. Result rounded to float32 once (or float32 sequential with reduce=f32seq). */
int grpo_aggregate(const grpo_config *cfg, const float *x, const float *mask, size_t B, size_t L,
                   const grpo_scope_info *scope, double *out, svs_err *err);

/* The full verl actor loss of one micro-batch (§5.3) and its metrics; optional outputs:
 * tok_loss[B·L] (ℓ per token), grad_logp[B·L] (∂total/∂logp, incl. scale and KL),
 * grad_entropy[B·L] (∂total/∂H). */
int grpo_micro_loss(const grpo_config *cfg, const grpo_micro *mb, const grpo_scope_info *scope,
                    grpo_micro_out *out, float *tok_loss, float *grad_logp, float *grad_entropy,
                    svs_err *err);

/* A whole mini-batch made of n_mb micro-batches (one optimizer step): fills the scope from the
 * micro-batches (N_mini = Σ rows unless mini_rows > 0, GA = n_mb, global tokens = Σ mask,
 * G_bs = Σ rows unless global_seqs > 0), then sums the scaled micro-batch losses (§5.2).
 * mini_rows / global_seqs: 0 = derive. grad_logp (optional) is an array of n_mb pointers. */
int grpo_minibatch_loss(const grpo_config *cfg, const grpo_micro *mbs, size_t n_mb,
                        size_t mini_rows, double global_seqs, double *total, float **grad_logp,
                        svs_err *err);

/* KL in the reward (§6.1): rewards[i] = scores[i] − kl_coef · Σ_t kl(old, ref)·m (float32). */
int grpo_kl_in_reward(const grpo_config *cfg, size_t B, size_t L, const float *old,
                      const float *ref, const float *mask, const float *scores, float *rewards,
                      svs_err *err);

/* ---- log-probs and entropy from logits (§3) ---------------------------------------------- */
/* z[V] raw logits, divided by cfg->temperature. Returns logp of `label`; dlogp_dz[V] optional
 * (∂logp/∂raw logits = (δ − p)/T). */
int grpo_logprob(const grpo_config *cfg, const float *z, size_t V, size_t label, float *logp,
                 float *dlogp_dz, svs_err *err);
/* Entropy of softmax(z/T) in cfg->entropy_form; dH_dz[V] optional (−p(log p + H)/T). */
int grpo_entropy(const grpo_config *cfg, const float *z, size_t V, float *H, float *dH_dz,
                 svs_err *err);

/* ---- DAPO (§8) ---------------------------------------------------------------------------- */
/* keep[B] = 1 for rows of kept groups under cfg->filter, judged on metric[B] (acc / score).
 * Returns the number of kept rows, or -1 with err. */
long grpo_group_filter(const grpo_config *cfg, size_t B, const int64_t *uid, const double *metric,
                       unsigned char *keep, svs_err *err);
/* Soft overlong penalty (≤ 0) for a response of `len` tokens (EOS included); 0 when off. */
double grpo_overlong_penalty(const grpo_config *cfg, double len);

/* ---- LR schedule (§9.1, §9.4) ----------------------------------------------------------- */
/* Learning rate used by the updates of step `s` (1-based training step with sched_step=train,
 * optimizer step with optim) out of total_steps. verl: the scheduler steps after the update, so
 * step s uses λ(s − 1) (the first step uses 0 when warmup > 0). */
double grpo_lr_at(const grpo_config *cfg, long s, long total_steps);

#endif
