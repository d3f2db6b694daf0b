/* rl_loop.h — one RLVR (GRPO) step as a library function (docs/rl.md; spec/svs-algorithm.md
 * §2.1, §2.8–2.11; spec/grpo-conventions.md §5.2, §8, §9):
 *   sample n responses per problem (model_generate, batched KV cache) -> decode -> reward
 *   (verifier, + DAPO overlong penalty when cfg.overlong) -> group advantages -> group filter
 *   (cfg.filter; with DAPO dynamic sampling: filter each generation batch and sample more until
 *   the train batch is full) -> old log-probs (a no-grad forward of the current policy) -> for
 *   each mini-batch: micro-batches (fixed rows, or verl's token budget: ref/seqlen_balance.h)
 *   forward + GRPO loss gradient w.r.t. logp -> model_token_backward -> clip -> AdamW at lr(step).
 * Deterministic: the only randomness is the caller's rng (sampling). */
#ifndef SVS_RL_LOOP_H
#define SVS_RL_LOOP_H

#include <stdint.h>

#include "grpo.h"
#include "model/model.h"
#include "model/sample.h"
#include "rl_data.h"
#include "tokenizer/tok.h"

enum { RL_MICRO_VERL = 0,   /* verl 0.9.1 rearrange_micro_batches (workload balance, budget kept) */
       RL_MICRO_LENGTHS = 1 /* the SvS fork's older verl: balanced partition of the lengths */ };

enum { RL_REWARD_VERIFY = 0, /* verify_simple(gold, decoded response) */
       RL_REWARD_TEST_EVEN = 1 /* tests only: 1 when the sum of the response ids is even */ };

typedef struct rl_opts {
    grpo_config cfg;        /* preset + overrides; cfg.lr is the base learning rate */
    int n;                  /* samples per problem */
    int max_new_tokens;
    float temperature;      /* sampling and log-prob temperature */
    int mini_problems;      /* problems per mini-batch (one optimizer step each) */
    int micro_rows;         /* responses per micro-batch (when micro_tokens = 0) */
    long micro_tokens;      /* > 0: verl use_dynamic_bsz, ppo_max_token_len_per_gpu = micro_tokens */
    int micro_balance;      /* RL_MICRO_* : how the token-budget micro-batches are formed */
    int max_gen_batches;    /* DAPO dynamic sampling: -1 off (filter without refill); 0 no limit;
                               K > 0 at most K generation batches (verl max_num_gen_batches) */
    int gen_problems;       /* problems per generation batch with dynamic sampling (gen_batch_size) */
    int reward;             /* RL_REWARD_* */
    const int32_t *stop_ids;
    int n_stop_ids;
    long total_steps;       /* for the LR schedule */
} rl_opts;

typedef struct rl_metrics {
    long step;
    double reward_mean, acc;            /* critic/OQA-reward, acc (fraction verified correct) */
    double valid_ratio;                 /* SvS-Valid-Ratio/OQA-RL: 100 · rows kept / (B·n) */
    double entropy;                     /* actor/entropy (old-logp pass, token-mean) */
    double pg_loss, pg_clipfrac, pg_clipfrac_lower, ppo_kl; /* means over micro-batches */
    double grad_norm;                   /* mean pre-clip norm over mini-batches */
    double lr;
    int optim_steps;                    /* optimizer steps taken this step */
    int micro_batches;                  /* micro-batches of the update (all mini-batches) */
    int gen_batches;                    /* generation batches sampled (DAPO dynamic sampling) */
    long kept_groups;                   /* groups kept by the filter over those batches */
    long problems_used;                 /* problems consumed from the data (advance the position) */
    double overlong_mean, overlong_frac;/* mean DAPO overlong penalty; fraction of rows penalized */
    double resp_len_mean, resp_len_max, resp_clip_ratio; /* clip = finished by length */
    double prompt_len_mean;
    long gen_tokens;
    double t_gen, t_reward, t_old, t_update, t_step; /* seconds */
} rl_metrics;

/* Rows of an update: R rows, response layout [R, Lr]. mask = loss mask, adv = token
 * advantages; old and ent are [R, Lr] scratch filled by rl_update (old log-probs, entropy). */
typedef struct rl_rows {
    int R, Lr;
    const int32_t **prompt; /* [R] prompt ids */
    int *plen, *rlen;
    int32_t *resp;          /* [R, Lr] */
    float *mask, *old, *adv, *ent; /* [R, Lr] */
    const float *ent_mask;  /* [R, Lr] mask of the actor/entropy metric; NULL = mask. SvS
                             * faithful (Q1): the stale (seed) mask, see old_logprobs */
} rl_rows;

/* Steps 4–5 of rl_step on prepared rows: old log-probs and entropy of all R rows (no grad),
 * then the rows rows[0..K) in mini-batches of `mini` rows (one optimizer step each) and
 * micro-batches of o->micro_rows rows, or of at most o->micro_tokens prompt + response tokens
 * (verl's balanced partition, each micro-batch loss × b_mb / mini in the legacy scopes). Fills
 * out's entropy, lr, actor losses, grad_norm, optim_steps, micro_batches, t_old, t_update. Used
 * by rlvr (rl_step) and SvS (rl_svs.h). */
int rl_update(model *m, const rl_opts *o, const rl_rows *ro, const int *rows, int K, int mini, long step,
              rl_metrics *out, svs_err *err);

/* One step on B problems taken cyclically from ds at position pos (prompts must be encoded);
 * with dynamic sampling (o->max_gen_batches >= 0) further generation batches of
 * o->gen_problems problems follow until B groups are kept. out->problems_used says how far the
 * data position moves. step is 1-based (the LR schedule uses it). */
int rl_step(model *m, const tok_tokenizer *tok, const rl_opts *o, const rl_dataset *ds, long pos, int B,
            long step, svs_rng *rng, rl_metrics *out, svs_err *err);

/* Reward of one decoded response under o->reward (0 or 1). */
float rl_reward(int kind, const char *gold, const char *text, const int32_t *ids, int n_ids);

#endif
