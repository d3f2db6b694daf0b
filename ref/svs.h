/* svs.h — the SvS step logic, model-free: how one training step turns rollouts (texts and 0/1
 * rewards) into seeds, synthesis prompts, extracted synthetic problems, synthesis rewards, the
 * assembled GRPO batch and the step's metrics (spec/svs-algorithm.md §2, pseudo-code §2.13).
 *
 * Two modes (spec §0.3): default mode does what the paper intends; faithful mode
 * (cfg.faithful = 1) reproduces the official code MasterVito/SvS@9fd8f35, quirks included
 * (spec §8, Q1–Q17). Each quirk's code carries a "Q<n>:" comment with its citation.
 *
 * Files, one idea each:
 *   svs_select.c   config defaults, group accuracy, seeds, OQA training rows (§2.1–§2.2, §4)
 *   svs_prompt.c   synthesis template loading, {REPLACE} substitution, length filters (§2.3, §9)
 *   svs_extract.c  synthetic-problem extraction, rules 1–4, trimming, Q2/Q3/Q8/Q9/Q10 (§2.4)
 *   svs_shape.c    SPA counts and the shaped synthesis reward (§2.6)
 *   svs_batch.c    rows entering the update, uids, r2q, world-size truncation, exits (§2.7)
 *   svs_metrics.c  the named metrics of §2.11, rounding, JSON output
 *
 * What the caller (the RL loop) provides: sampling, decoding, grading (0/1 against the
 * ORIGINAL reference answer, also for SPA rows), and token counting through `svs_ntok_fn`, so
 * that this module needs no tokenizer instance. Row layouts are problem-major: row r of a stage
 * with n samples per prompt belongs to prompt r / n (rows a,a,…,a,b,b,…, spec §2.1 step 6).
 *
 * No global mutable state: the one piece of state that outlives a step (the Q2 "last extracted
 * problem") is an explicit `svs_extract_state` owned by the caller. Library code returns
 * errors through svs_err and never prints or exits. */
#ifndef SVS_SVS_H
#define SVS_SVS_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

/* MP, the math instruction appended to every problem (spec §0.2): note the leading space. */
#define SVS_MATH_PROMPT " Please reason step by step, and put your final answer within \\boxed{}."
#define SVS_PLACEHOLDER "{REPLACE}"
/* Template files (spec §9): ours, relative to the repository root, and the official copy,
 * relative to $SVS_SHARED (default ../shared). */
#define SVS_TEMPLATE_DEFAULT_PATH "data/prompts/synthesis_default.txt"
#define SVS_TEMPLATE_OFFICIAL_REL "data/official_svs_synthesis_prompt.txt"

/* ---- configuration (spec §4; svs_select.c) ---------------------------------------------- */
typedef struct svs_config {
    int n;                  /* samples per problem in OQA (8; the official code: all stages) */
    int n_vps;              /* synthesis samples per kept seed; 0 = n */
    int n_spa;              /* solutions per synthetic problem; 0 = n (the reward band is on it) */
    double under_lo;        /* UL: under_performing_acc_lower, inclusive (0.125) */
    double under_hi;        /* UH: under_performing_acc_upper, inclusive (0.5) */
    double synth_lo;        /* SL: positive_synthesis_acc_lower, inclusive, on the count (0.125) */
    double synth_hi;        /* SH: positive_synthesis_acc_upper, inclusive, on the count (0.625) */
    size_t max_prompt_len;  /* LP (4096) */
    size_t max_response_len;/* LR (8192) */
    int faithful;           /* 0 = default (intended), 1 = faithful (official quirks) */
    int world_size;         /* W, emulated world size for the faithful tail truncation (1) */
    double r2q_ratio;       /* data.r2q_training_ratio, in [0, 1] (1.0 = keep all VPS rows) */
    double oqa_temperature, oqa_top_p; /* 1.0, 1.0 */
    double vps_temperature, vps_top_p; /* non_think_temperature / _top_p: 1.0, 1.0 */
    double spa_temperature, spa_top_p; /* 1.0, 1.0 */
} svs_config;

void svs_config_default(svs_config *cfg);
/* Samples per stage: the official code uses one n for all three; ours may differ per stage. */
static inline int svs_n_vps(const svs_config *cfg) { return cfg->n_vps > 0 ? cfg->n_vps : cfg->n; }
static inline int svs_n_spa(const svs_config *cfg) { return cfg->n_spa > 0 ? cfg->n_spa : cfg->n; }
int svs_config_validate(const svs_config *cfg, svs_err *err);

/* ---- selection (spec §2.1 step 8, §2.2; svs_select.c) ----------------------------------- */
typedef struct svs_selection {
    size_t n_problems;   /* B */
    int n;               /* samples per problem */
    double *group_acc;   /* [B] acc_g = mean of the n rewards */
    size_t *seeds;       /* OQA row indices of the seeds, batch row order */
    size_t n_seeds;
    size_t *oqa_rows;    /* OQA row indices kept for training (0 < acc_g < 1) */
    size_t n_oqa_rows;
} svs_selection;

/* reward[B*n]: 0/1 OQA rewards, problem-major. Fills *out (free with svs_selection_free). */
int svs_select(const svs_config *cfg, size_t n_problems, const float *reward, svs_selection *out, svs_err *err);
void svs_selection_free(svs_selection *s);
int svs_is_under_performing(const svs_config *cfg, double acc);

/* ---- synthesis prompt and length filters (spec §2.3, §9; svs_prompt.c) ------------------ */

/* Token-count callback: *ntok = ntok(chat(user)), the number of tokens of the chat template
 * applied to one user message `user[0..len)` with the generation prompt, no special tokens
 * added (spec §0.2). Returns 0, or -1 with err set (a real failure, not "too long"). */
typedef int (*svs_ntok_fn)(void *ctx, const char *user, size_t len, size_t *ntok, svs_err *err);

/* Validates a template: valid UTF-8 and at least one {REPLACE}; the error names `name`. */
int svs_template_check(const char *text, size_t len, const char *name, svs_err *err);
/* Reads and validates a template file (at most 1 MiB). *text is malloc'ed, NUL-terminated. */
int svs_template_load(const char *path, char **text, size_t *len, svs_err *err);
/* Appends the template with EVERY {REPLACE} replaced by seed[0..seed_len) (plain replacement,
 * no MP appended). The result is the user message; chat(·) is the caller's. */
int svs_synthesis_prompt(const char *tpl, size_t tpl_len, const char *seed, size_t seed_len, svs_buf *out,
                         svs_err *err);
/* Appends q + MP (the SPA user message, spec §2.4). */
int svs_spa_prompt(const char *q, size_t q_len, svs_buf *out, svs_err *err);
/* *fits = ntok(chat(user)) <= LP; *ntok_out (may be NULL) receives the count. */
int svs_prompt_fits(const svs_config *cfg, svs_ntok_fn ntok, void *ctx, const char *user, size_t len, int *fits,
                    size_t *ntok_out, svs_err *err);

/* ---- extraction (spec §2.4; svs_extract.c) ---------------------------------------------- */

/* Q2 run-level state: the official code's variable `q`, alive for the whole run. Initially
 * unset; after an error it holds "None". Zero-initialize (or svs_extract_state_init), free
 * with svs_extract_state_free. A resumed run must restore it to reproduce faithful mode. */
typedef struct svs_extract_state {
    int set;       /* 0 = never assigned (a fall-through then fails) */
    char *last;    /* the last value of q (NUL-terminated), when set */
    size_t last_len;
} svs_extract_state;

void svs_extract_state_init(svs_extract_state *st);
void svs_extract_state_free(svs_extract_state *st);
int svs_extract_state_set(svs_extract_state *st, const char *q, size_t len, svs_err *err);

typedef enum svs_rule {
    SVS_RULE_NONE = 0,        /* no test held */
    SVS_RULE_FENCE_TEXT = 1,  /* rule 1: ```text … ``` */
    SVS_RULE_FENCE = 2,       /* rule 2: ``` … ``` */
    SVS_RULE_MARKER = 3,      /* rule 3: **Reconstructed Question:**\n\n */
    SVS_RULE_MARKER_EN = 4,   /* rule 4: **Reconstructed Question (in natural English):**\n\n */
} svs_rule;

typedef enum svs_extract_why {
    SVS_EX_OK = 0,
    SVS_EX_NO_MATCH,      /* default: no rule matched (Q2 fixed) */
    SVS_EX_INDEX_ERROR,   /* faithful: the tested marker is absent from t (Q3, Q8) -> q = "None" */
    SVS_EX_UNSET,         /* faithful: fall-through with q never assigned -> q = "None" */
    SVS_EX_EMPTY,         /* default: empty after trimming (Q10 fixed) */
    SVS_EX_TOO_LONG,      /* ntok(chat(q + MP)) > LP */
} svs_extract_why;

typedef struct svs_extract_result {
    int valid;              /* 1 iff the synthetic problem goes to SPA */
    svs_rule rule;          /* the rule whose test held (NONE for no match / fall-through) */
    int fallthrough;        /* faithful: q was taken from the state (Q2) */
    svs_extract_why why;
    char *problem;          /* malloc'ed q after trimming (NUL-terminated), or NULL on error */
    size_t problem_len;
    size_t ntok;            /* ntok(chat(q + MP)) when it was computed, else 0 */
} svs_extract_result;

/* Extracts the synthetic problem from one decoded synthesis response resp[0..len). In faithful
 * mode `st` is read and updated (required); default mode ignores it (may be NULL). Returns -1
 * only on a real failure (allocation, callback error); an invalid problem is not a failure. */
int svs_extract(const svs_config *cfg, svs_extract_state *st, const char *resp, size_t len, svs_ntok_fn ntok,
                void *ctx, svs_extract_result *out, svs_err *err);
void svs_extract_result_free(svs_extract_result *r);

/* The text-only part, exposed for tests: the rules and trimming without the length check and
 * without the state. *rule: the rule whose test held. Returns SVS_EX_OK with q[*q_start,
 * *q_end) of resp (before trimming: see svs_trim), SVS_EX_NO_MATCH, or SVS_EX_INDEX_ERROR. */
svs_extract_why svs_extract_span(int faithful, const char *resp, size_t len, svs_rule *rule, size_t *q_start,
                                 size_t *q_end);
/* Python q.strip('\n').strip(' ').strip('\n').strip(' ') on s[*start, *end). */
void svs_trim(const char *s, size_t *start, size_t *end);
/* Default mode, Q9: drops a fence tag ("markdown\n") at s[*start]. */
void svs_drop_fence_tag(const char *s, size_t *start, size_t end);

/* ---- synthesis reward shaping (spec §2.6; svs_shape.c) ---------------------------------- */

/* Number of correct answers among n 0/1 rewards. */
int svs_spa_count(int n, const float *spa_reward);
/* 1 iff valid and n·SL <= cnt <= n·SH (both inclusive, on the count); else 0. */
float svs_synthesis_reward(const svs_config *cfg, int valid, int cnt);
/* For n_vps synthesis rows with valid[n_vps], and spa_reward[n_valid * n_spa] (the SPA rows of
 * the valid ones, in order): cnt[n_vps] (-1 for invalid rows) and reward[n_vps]. */
int svs_shape_rewards(const svs_config *cfg, size_t n_vps, const int *valid, const float *spa_reward, int *cnt,
                      float *reward, svs_err *err);

/* ---- one step's record and the assembled batch (spec §2.7; svs_batch.c) ----------------- */

/* Everything the step produced, filled by the loop stage by stage. Arrays of a stage that was
 * not reached may be NULL with a zero count. */
typedef struct svs_step_in {
    size_t n_problems;            /* B */
    const float *oqa_reward;      /* [B*n] */
    const size_t *oqa_len;        /* [B*n] response lengths in tokens (incl. EOS) */
    size_t n_kept;                /* seeds kept by the VPS-len filter */
    const size_t *kept_seed_row;  /* [n_kept] OQA row of each kept seed, increasing */
    const int *vps_valid;         /* [n_kept*n_vps] extraction validity (n_vps = svs_n_vps) */
    const size_t *vps_len;        /* [n_kept*n_vps] */
    const float *spa_reward;      /* [n_valid*n_spa] graded against the ORIGINAL answer */
    const size_t *spa_len;        /* [n_valid*n_spa] */
} svs_step_in;

typedef enum svs_kind { SVS_KIND_OQA = 0, SVS_KIND_VPS = 1, SVS_KIND_SPA = 2 } svs_kind;

typedef struct svs_row {
    svs_kind kind;
    size_t index;     /* OQA: i*n+j; VPS: k*n_vps+m (k = kept seed); SPA: v*n_spa+k (v = valid VPS row) */
    int64_t uid;      /* group key: problem i; B + kept seed k; B + n_kept + valid row v */
    float reward;     /* 0/1 (VPS: the shaped synthesis reward) */
    size_t seed_row;  /* OQA row of the seed (VPS/SPA); the row itself (OQA) */
    size_t resp_len;  /* own response length: loss mask [t < resp_len] */
    size_t adv_len;   /* advantage mask [t < adv_len]: Q1 faithful = seed OQA length for VPS/SPA */
} svs_row;

typedef enum svs_exit {
    SVS_EXIT_NONE = 0,
    SVS_EXIT_NO_SEEDS = 1,       /* early exit 1 */
    SVS_EXIT_NO_VALID = 2,       /* early exit 2 */
    SVS_EXIT_EMPTY_BATCH = 3,    /* early exit 3 */
    SVS_EXIT_NO_KEPT_SEEDS = 4,  /* VPS-len removed every seed: treated like exit 2 (§2.3 step 16) */
} svs_exit;

typedef struct svs_batch {
    svs_row *rows;
    size_t n_rows;
    int train;            /* 1 = update and count the step; 0 = skip (no update, counter unchanged) */
    svs_exit exit;        /* the first early exit met (NONE when the full step ran) */
    size_t n_oqa, n_vps, n_spa;  /* rows of each kind after r2q, before truncation */
    size_t n_total;       /* n_oqa + n_vps + n_spa, before truncation (Num-Total) */
    size_t n_truncated;   /* rows dropped by the world-size truncation (Q11) */
    size_t n_seeds;       /* seeds before the length filter */
    size_t n_valid;       /* valid synthesis responses */
    size_t n_vps_all, n_vps_kept;  /* synthesis rows; of them in kept groups (before r2q) */
    size_t n_spa_all, n_spa_kept;  /* SPA rows; of them kept (0 < cnt < n) */
    float *vps_reward;    /* [n_kept*n_vps] shaped synthesis rewards */
    int *vps_cnt;         /* [n_kept*n] SPA counts (-1 = invalid) */
} svs_batch;

/* Assembles the update batch from a step record. *rng is the r2q generator state (used only
 * when r2q_ratio < 1). Frees nothing of `in`. Free the batch with svs_batch_free. */
int svs_batch_assemble(const svs_config *cfg, const svs_step_in *in, uint64_t *rng, svs_batch *out, svs_err *err);
void svs_batch_free(svs_batch *b);
/* splitmix64 step and an unbiased draw in [0, bound) (bound > 0). */
uint64_t svs_rng_next(uint64_t *state);
uint64_t svs_rng_below(uint64_t *state, uint64_t bound);

/* ---- metrics (spec §2.11; svs_metrics.c) ------------------------------------------------ */
#define SVS_METRICS_MAX 16
typedef struct svs_metric {
    const char *name; /* static string, e.g. "SvS-Valid-Ratio/OQA-input" */
    double value;
} svs_metric;
typedef struct svs_metrics {
    svs_metric items[SVS_METRICS_MAX];
    size_t n;
} svs_metrics;

/* Python round(x, 2) (correctly rounded, ties to even on the exact binary value). */
double svs_round2(double x);
/* The metrics of the stages the step reached, in §2.11 order. Ratios whose denominator is 0
 * (a stage not reached) are omitted; the Num-* counts are always present. */
int svs_step_metrics(const svs_config *cfg, const svs_step_in *in, const svs_batch *b, svs_metrics *out,
                     svs_err *err);
/* Looks a metric up by name: 1 and *value if present, else 0. */
int svs_metrics_get(const svs_metrics *m, const char *name, double *value);
/* Appends {"name": value, ...} (values with %.17g; integers without a fraction). */
int svs_metrics_json(const svs_metrics *m, svs_buf *out, svs_err *err);

#endif
