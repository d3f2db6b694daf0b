/* rl_loop.c — one RLVR step (rl_loop.h): sampling, rewards (+ DAPO overlong shaping), group
 * filter (+ DAPO dynamic sampling with refill), and the update shared with SvS (rl_update:
 * old log-probs, mini-batches, fixed or token-budget micro-batches, AdamW). docs/rl.md. */
#include "rl_loop.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <stdio.h>

#include "seqlen_balance.h"
#include "verify.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

float rl_reward(int kind, const char *gold, const char *text, const int32_t *ids, int n_ids) {
    if (kind == RL_REWARD_TEST_EVEN) {
        long sum = 0;
        for (int i = 0; i < n_ids; i++) sum += ids[i];
        return (sum % 2 == 0) ? 1.0f : 0.0f;
    }
    return verify_simple(gold, text, 1) == 1 ? 1.0f : 0.0f;
}

typedef rl_rows rollout;

/* Forward of rows[0..b) (prompt + response) and their per-token logp / entropy gathered into
 * [b, Lr] (ent may be NULL). Leaves the targets [b, T] in *targets for a backward. */
static int micro_forward(model *m, const rollout *ro, const int *rows, int b, float temp,
                         float *logp, float *ent, int32_t **targets, int *T_out, svs_err *err) {
    int T = 1;
    for (int i = 0; i < b; i++) {
        int L = ro->plen[rows[i]] + ro->rlen[rows[i]];
        if (L > T) T = L;
    }
    int32_t *ids = calloc((size_t)b * T, sizeof *ids);
    int *lens = calloc((size_t)b, sizeof *lens);
    *targets = malloc((size_t)b * T * sizeof **targets);
    float *lp = calloc((size_t)b * T, sizeof *lp), *en = calloc((size_t)b * T, sizeof *en);
    for (int i = 0; i < b; i++) {
        int r = rows[i], P = ro->plen[r];
        memcpy(ids + (size_t)i * T, ro->prompt[r], (size_t)P * sizeof *ids);
        memcpy(ids + (size_t)i * T + P, ro->resp + (size_t)r * ro->Lr, (size_t)ro->rlen[r] * sizeof *ids);
        lens[i] = P + ro->rlen[r];
    }
    model_batch batch = {b, T, ids, lens};
    int rc = model_forward(m, &batch, err);
    if (!rc) {
        model_next_token_targets(*targets, &batch);
        rc = model_logprobs(m, *targets, temp, lp, en, err);
    }
    if (!rc)
        for (int i = 0; i < b; i++) {
            int r = rows[i], P = ro->plen[r];
            for (int j = 0; j < ro->Lr; j++) {
                int in = j < ro->rlen[r];
                logp[(size_t)i * ro->Lr + j] = in ? lp[(size_t)i * T + P - 1 + j] : 0.0f;
                if (ent) ent[(size_t)i * ro->Lr + j] = in ? en[(size_t)i * T + P - 1 + j] : 0.0f;
            }
        }
    *T_out = T;
    free(ids); free(lens); free(lp); free(en);
    return rc;
}

/* The micro-batches of one mini-batch mrows[0..b) as positions 0..b-1: fixed runs of
 * o->micro_rows rows, or verl's token budget (use_dynamic_bsz): row lengths are prompt +
 * response tokens, verl's attention_mask.sum(dim=1) (ref/seqlen_balance.h). */
static int split_micro(const rl_opts *o, const rl_rows *ro, const int *mrows, int b, seqlen_parts *parts,
                       svs_err *err) {
    if (o->micro_tokens <= 0) return seqlen_fixed_rows(b, o->micro_rows, parts, err);
    int *lens = malloc((size_t)b * sizeof *lens);
    if (!lens) return svs_errf(err, "out of memory");
    for (int i = 0; i < b; i++) lens[i] = ro->plen[mrows[i]] + ro->rlen[mrows[i]];
    int rc = o->micro_balance == RL_MICRO_LENGTHS
                 ? seqlen_rearrange_by_length(lens, b, o->micro_tokens, parts, err)
                 : seqlen_rearrange(lens, b, o->micro_tokens, 1, parts, err);
    free(lens);
    return rc;
}

/* The loss config of the update. verl's legacy actor scales a micro-batch loss by
 * b_mb / ppo_mini_batch_size with use_dynamic_bsz and by 1/GA without
 * (dp_actor.py: `loss = policy_loss * (response_mask.shape[0] / self.config.ppo_mini_batch_size)`
 * vs `loss = policy_loss / self.gradient_accumulation`; spec/grpo-conventions.md §5.2): with a
 * token budget the micro-ga scope becomes micro-rows. The global scope (engine path) is kept. */
static grpo_config update_config(const rl_opts *o) {
    grpo_config c = o->cfg;
    if (o->micro_tokens > 0 && c.scope == GRPO_SCOPE_MICRO_GA) c.scope = GRPO_SCOPE_MICRO_ROWS;
    return c;
}

/* 4. old log-probs and entropy of every row with the current policy (no gradient), in runs of
 * o->micro_rows rows (each row's values do not depend on its neighbours). */
static int old_logprobs(model *m, const rl_opts *o, const rl_rows *ro, rl_metrics *out, svs_err *err) {
    int Lr = ro->Lr, mr = o->micro_rows;
    double es = 0, em = 0;
    for (int s = 0; s < ro->R; s += mr) {
        int b = ro->R - s < mr ? ro->R - s : mr, T;
        int *idx = malloc((size_t)b * sizeof *idx);
        if (!idx) return svs_errf(err, "out of memory");
        for (int i = 0; i < b; i++) idx[i] = s + i;
        int32_t *tg = NULL;
        int frc = micro_forward(m, ro, idx, b, o->temperature, ro->old + (size_t)s * Lr, ro->ent + (size_t)s * Lr,
                                &tg, &T, err);
        free(idx);
        free(tg);
        if (frc) return -1;
    }
    /* actor/entropy = token-mean of H over the metric mask. Default: each row's own mask.
     * Faithful SvS (spec/svs-algorithm.md Q1): verl averages over the stale seed mask m_s, and
     * with remove_padding the entropy of positions past a row's own end is 0, so
     * H_metric = sum_t H_t [t < own] m_s(t) / sum_t m_s(t). */
    for (size_t i = 0; i < (size_t)ro->R * Lr; i++) {
        double w = ro->ent_mask ? ro->ent_mask[i] : ro->mask[i];
        es += (double)ro->ent[i] * ro->mask[i] * w;
        em += w;
    }
    out->entropy = em > 0 ? es / em : 0.0;
    return 0;
}

/* Scratch of one micro-batch, [cap_rows, Lr] each. */
typedef struct micro_buf {
    float *lp, *en, *old, *adv, *mask, *glp, *gen;
} micro_buf;

static void micro_buf_free(micro_buf *w) {
    free(w->lp); free(w->en); free(w->old); free(w->adv); free(w->mask); free(w->glp); free(w->gen);
}

static int micro_buf_alloc(micro_buf *w, size_t cap) {
    w->lp = malloc(cap * sizeof(float)); w->en = malloc(cap * sizeof(float));
    w->old = malloc(cap * sizeof(float)); w->adv = malloc(cap * sizeof(float));
    w->mask = malloc(cap * sizeof(float)); w->glp = malloc(cap * sizeof(float));
    w->gen = malloc(cap * sizeof(float));
    return w->lp && w->en && w->old && w->adv && w->mask && w->glp && w->gen ? 0 : -1;
}

/* One micro-batch idx[0..b): forward, GRPO loss and its gradient, backward (accumulates). */
static int micro_step(model *m, const rl_opts *o, const grpo_config *cfg, const rl_rows *ro, const int *idx, int b,
                      const grpo_scope_info *sc, micro_buf *w, rl_metrics *out, svs_err *err) {
    int Lr = ro->Lr, T, need_ent = cfg->entropy_coef != 0.0, rc = -1;
    int32_t *tg = NULL;
    float *dl = NULL, *de = NULL;
    if (micro_forward(m, ro, idx, b, o->temperature, w->lp, need_ent ? w->en : NULL, &tg, &T, err)) goto done;
    for (int i = 0; i < b; i++) {
        size_t src = (size_t)idx[i] * Lr, dst = (size_t)i * Lr;
        memcpy(w->old + dst, ro->old + src, (size_t)Lr * sizeof *w->old);
        memcpy(w->adv + dst, ro->adv + src, (size_t)Lr * sizeof *w->adv);
        memcpy(w->mask + dst, ro->mask + src, (size_t)Lr * sizeof *w->mask);
    }
    grpo_micro mbq = {(size_t)b, (size_t)Lr, w->lp, w->old, NULL, w->adv, w->mask, need_ent ? w->en : NULL};
    grpo_micro_out mo;
    if (grpo_micro_loss(cfg, &mbq, sc, &mo, NULL, w->glp, need_ent ? w->gen : NULL, err)) goto done;
    out->pg_loss += mo.pg_loss;
    out->pg_clipfrac += mo.pg_clipfrac;
    out->pg_clipfrac_lower += mo.pg_clipfrac_lower;
    out->ppo_kl += mo.ppo_kl;
    out->micro_batches++;
    /* scatter d/dlogp (and d/dH) from [b, Lr] to the padded [b, T] layout */
    dl = calloc((size_t)b * T, sizeof *dl);
    de = need_ent ? calloc((size_t)b * T, sizeof *de) : NULL;
    if (!dl || (need_ent && !de)) { svs_errf(err, "out of memory"); goto done; }
    for (int i = 0; i < b; i++) {
        int r = idx[i], P = ro->plen[r];
        for (int j = 0; j < ro->rlen[r]; j++) {
            dl[(size_t)i * T + P - 1 + j] = w->glp[(size_t)i * Lr + j];
            if (de) de[(size_t)i * T + P - 1 + j] = w->gen[(size_t)i * Lr + j];
        }
    }
    rc = model_token_backward(m, tg, dl, de, o->temperature, err);
done:
    free(dl); free(de); free(tg);
    return rc;
}

/* One mini-batch mrows[0..b) of nominal size `mini`: its micro-batches, clip, AdamW. */
static int mini_step(model *m, const rl_opts *o, const grpo_config *cfg, const rl_rows *ro, const int *mrows, int b,
                     int mini, micro_buf *w, rl_metrics *out, svs_err *err) {
    seqlen_parts parts;
    if (split_micro(o, ro, mrows, b, &parts, err)) return -1;
    int *idx = malloc((size_t)b * sizeof *idx), rc = -1;
    if (!idx) { seqlen_parts_free(&parts); return svs_errf(err, "out of memory"); }
    double tokens = 0;
    for (int i = 0; i < b; i++) tokens += ro->rlen[mrows[i]];
    /* scope: N_mini = the nominal mini-batch rows (Q12: a short last mini-batch is not rescaled),
     * GA = the number of micro-batches, the mini-batch's response tokens and rows */
    grpo_scope_info sc = {(size_t)mini, (size_t)parts.k, tokens, (double)b};
    model_zero_grad(m);
    for (int p = 0; p < parts.k; p++) {
        int nb = parts.start[p + 1] - parts.start[p];
        for (int j = 0; j < nb; j++) idx[j] = mrows[parts.idx[parts.start[p] + j]];
        if (micro_step(m, o, cfg, ro, idx, nb, &sc, w, out, err)) goto done;
    }
    float gn = model_clip_grad(m, (float)cfg->grad_clip);
    out->grad_norm += gn;
    if (!isfinite(gn) && cfg->skip_nonfinite == 1) { model_zero_grad(m); rc = 0; goto done; }
    model_adamw_params hp = {out->lr, cfg->beta1, cfg->beta2, cfg->adam_eps, cfg->weight_decay, 0};
    if (model_adamw_step(m, &hp, err)) goto done;
    model_zero_grad(m);
    out->optim_steps++;
    rc = 0;
done:
    free(idx);
    seqlen_parts_free(&parts);
    return rc;
}

/* Steps 4–5 of a step on prepared rows (rl_loop.h). */
int rl_update(model *m, const rl_opts *o, const rl_rows *ro, const int *rows, int K, int mini, long step,
              rl_metrics *out, svs_err *err) {
    grpo_config cfg = update_config(o);
    double t2 = now_s();
    if (old_logprobs(m, o, ro, out, err)) return -1;
    double t3 = now_s();
    out->t_old = t3 - t2;

    /* 5. mini-batches of `mini` rows in order, one optimizer step each */
    out->lr = grpo_lr_at(&cfg, step, o->total_steps);
    int cap_rows = o->micro_tokens > 0 ? mini : o->micro_rows; /* a token-budget micro-batch may be the whole mini-batch */
    micro_buf w;
    int ok = micro_buf_alloc(&w, (size_t)cap_rows * ro->Lr) == 0;
    if (!ok) svs_errf(err, "out of memory");
    for (int s0 = 0; ok && s0 < K; s0 += mini) {
        int b = K - s0 < mini ? K - s0 : mini;
        ok = mini_step(m, o, &cfg, ro, rows + s0, b, mini, &w, out, err) == 0;
    }
    micro_buf_free(&w);
    if (!ok) return -1;
    if (out->micro_batches) { /* means over micro-batches */
        out->pg_loss /= out->micro_batches;
        out->pg_clipfrac /= out->micro_batches;
        out->pg_clipfrac_lower /= out->micro_batches;
        out->ppo_kl /= out->micro_batches;
    }
    int n_mini = (K + mini - 1) / mini;
    if (n_mini) out->grad_norm /= n_mini;
    out->t_update = now_s() - t3;
    return 0;
}

/* ---- sampling, rewards, filter: the rows of a step ----------------------------------------- */

/* Rows of the step with their group ids, rewards and filter metric. Prompts point into the
 * dataset; responses are copied. */
typedef struct rl_pool {
    rl_rows ro;    /* ro.R rows in use */
    int cap;
    int64_t *uid;  /* group id (one per problem of the step) */
    float *score;  /* reward for the advantages: verifier reward + overlong penalty (§8.3) */
    double *acc;   /* filter metric: the verifier's 0/1 (verl filter_groups.metric = acc) */
    int *finish_len; /* 1 when the response stopped at max_new_tokens */
} rl_pool;

static void pool_free(rl_pool *p) {
    free(p->ro.prompt); free(p->ro.plen); free(p->ro.rlen); free(p->ro.resp); free(p->ro.mask);
    free(p->ro.old); free(p->ro.adv); free(p->ro.ent);
    free(p->uid); free(p->score); free(p->acc); free(p->finish_len);
    memset(p, 0, sizeof *p);
}

static int pool_alloc(rl_pool *p, int cap, int Lr, svs_err *err) {
    memset(p, 0, sizeof *p);
    size_t c = (size_t)(cap > 0 ? cap : 1), cl = c * (size_t)Lr;
    p->cap = cap;
    p->ro.Lr = Lr;
    p->ro.prompt = calloc(c, sizeof *p->ro.prompt);
    p->ro.plen = calloc(c, sizeof(int));
    p->ro.rlen = calloc(c, sizeof(int));
    p->ro.resp = calloc(cl, sizeof(int32_t));
    p->ro.mask = calloc(cl, sizeof(float));
    p->ro.old = calloc(cl, sizeof(float));
    p->ro.adv = calloc(cl, sizeof(float));
    p->ro.ent = calloc(cl, sizeof(float));
    p->uid = calloc(c, sizeof *p->uid);
    p->score = calloc(c, sizeof *p->score);
    p->acc = calloc(c, sizeof *p->acc);
    p->finish_len = calloc(c, sizeof *p->finish_len);
    if (!p->ro.prompt || !p->ro.plen || !p->ro.rlen || !p->ro.resp || !p->ro.mask || !p->ro.old || !p->ro.adv ||
        !p->ro.ent || !p->uid || !p->score || !p->acc || !p->finish_len) {
        pool_free(p);
        return svs_errf(err, "out of memory");
    }
    return 0;
}

/* Copies row r of src to the end of dst (response, mask, group id, rewards). */
static void pool_append(rl_pool *dst, const rl_pool *src, int r) {
    int d = dst->ro.R++, Lr = dst->ro.Lr;
    dst->ro.prompt[d] = src->ro.prompt[r];
    dst->ro.plen[d] = src->ro.plen[r];
    dst->ro.rlen[d] = src->ro.rlen[r];
    memcpy(dst->ro.resp + (size_t)d * Lr, src->ro.resp + (size_t)r * Lr, (size_t)Lr * sizeof(int32_t));
    memcpy(dst->ro.mask + (size_t)d * Lr, src->ro.mask + (size_t)r * Lr, (size_t)Lr * sizeof(float));
    dst->uid[d] = src->uid[r];
    dst->score[d] = src->score[r];
    dst->acc[d] = src->acc[r];
    dst->finish_len[d] = src->finish_len[r];
}

/* Reward of one response: the verifier's 0/1 plus, with cfg.overlong, DAPO's soft overlong
 * penalty min(−(L − (L_max − L_buf))/L_buf · factor, 0) on its length L (EOS included;
 * verl reward_manager/dapo.py: `reward += overlong_reward`, a Python float added to the
 * score, stored as float32). */
static float shaped_reward(const grpo_config *cfg, float acc, int len, double *pen) {
    *pen = grpo_overlong_penalty(cfg, (double)len);
    return (float)((double)acc + *pen);
}

/* 1–2 for one generation batch: n samples for each of the G problems probs[0..G) (rows of a
 * problem adjacent, group ids uid0 + p) in one model_generate call, decoded and rewarded.
 * gb must be empty with capacity G·n. Sums the sampling metrics into out. */
static int gen_batch(model *m, const tok_tokenizer *tok, const rl_opts *o, rl_problem *const *probs, int G,
                     int64_t uid0, svs_rng *rng, rl_pool *gb, rl_metrics *out, svs_err *err) {
    int n = o->n, R = G * n, Lr = gb->ro.Lr, Tp = 1, rc = -1;
    double t0 = now_s();
    model_gen_out *gen = calloc((size_t)R, sizeof *gen);
    int32_t *pid = NULL;
    if (!gen) return svs_errf(err, "out of memory");
    for (int r = 0; r < R; r++) {
        const rl_problem *p = probs[r / n];
        gb->ro.prompt[r] = p->ids;
        gb->ro.plen[r] = p->n_ids;
        gb->uid[r] = uid0 + r / n;
        if (p->n_ids > Tp) Tp = p->n_ids;
        out->prompt_len_mean += p->n_ids; /* sums here; rl_step divides */
    }
    gb->ro.R = R;
    if (!(pid = calloc((size_t)R * Tp, sizeof *pid))) { svs_errf(err, "out of memory"); goto done_nogen; }
    for (int r = 0; r < R; r++) memcpy(pid + (size_t)r * Tp, gb->ro.prompt[r], (size_t)gb->ro.plen[r] * sizeof *pid);
    model_batch pb = {R, Tp, pid, gb->ro.plen};
    model_gen_params gp = {.max_new_tokens = o->max_new_tokens, .stop_ids = o->stop_ids, .n_stop_ids = o->n_stop_ids,
                           .sampling = {o->temperature, 0, 1.0f}};
    if (model_generate(m, &pb, &gp, rng, gen, err)) goto done_nogen;
    double t1 = now_s();
    out->t_gen += t1 - t0;
    for (int r = 0; r < R; r++) {
        gb->ro.rlen[r] = gen[r].n;
        memcpy(gb->ro.resp + (size_t)r * Lr, gen[r].ids, (size_t)gen[r].n * sizeof(int32_t));
        for (int j = 0; j < gen[r].n; j++) gb->ro.mask[(size_t)r * Lr + j] = 1.0f;
        char *text = NULL;
        size_t tl = 0;
        if (tok_decode(tok, gen[r].ids, (size_t)gen[r].n, 1, &text, &tl, err)) goto done;
        float acc = rl_reward(o->reward, probs[r / n]->answer, text, gen[r].ids, gen[r].n);
        free(text);
        double pen;
        gb->acc[r] = acc;
        gb->score[r] = shaped_reward(&o->cfg, acc, gen[r].n, &pen);
        gb->finish_len[r] = gen[r].finish == MODEL_FINISH_LENGTH;
        out->overlong_mean += pen;
        out->overlong_frac += pen < 0;
        out->reward_mean += gb->score[r];
        out->acc += acc;
        out->resp_len_mean += gen[r].n;
        if (gen[r].n > out->resp_len_max) out->resp_len_max = gen[r].n;
        out->resp_clip_ratio += gb->finish_len[r];
        out->gen_tokens += gen[r].n;
    }
    out->t_reward += now_s() - t1;
    out->gen_batches++;
    rc = 0;
done:
    model_gen_out_free(gen, R);
done_nogen:
    free(gen);
    free(pid);
    return rc;
}

/* keep[0..R) for the groups of gb under cfg.filter (all rows when it is off); returns the
 * number of kept groups (of n rows each), or -1. */
static long filter_groups(const rl_opts *o, const rl_pool *gb, unsigned char *keep, svs_err *err) {
    int R = gb->ro.R;
    if (o->cfg.filter == GRPO_FILTER_NONE) memset(keep, 1, (size_t)R);
    else if (grpo_group_filter(&o->cfg, (size_t)R, gb->uid, gb->acc, keep, err) < 0) return -1;
    long groups = 0;
    for (int r = 0; r < R; r += o->n) groups += keep[r];
    return groups;
}

/* Without dynamic sampling (the SvS trainer's filter): one generation batch of B problems,
 * advantages over all its rows, then the filter; rows[0..*K) = the kept rows. */
static int sample_once(model *m, const tok_tokenizer *tok, const rl_opts *o, rl_problem *const *probs, int B,
                       svs_rng *rng, rl_pool *pool, int *rows, int *K, rl_metrics *out, svs_err *err) {
    int R = B * o->n, rc = -1;
    unsigned char *keep = calloc((size_t)R, 1);
    if (!keep) return svs_errf(err, "out of memory");
    if (gen_batch(m, tok, o, probs, B, 0, rng, pool, out, err)) goto done;
    double t = now_s();
    grpo_adv_info info;
    if (grpo_advantages_tokens(&o->cfg, (size_t)R, (size_t)pool->ro.Lr, pool->uid, pool->score, pool->ro.mask,
                               pool->ro.adv, &info, err))
        goto done;
    long g = filter_groups(o, pool, keep, err);
    if (g < 0) goto done;
    out->kept_groups = g;
    *K = 0;
    for (int r = 0; r < R; r++) if (keep[r]) rows[(*K)++] = r;
    out->t_reward += now_s() - t;
    rc = 0;
done:
    free(keep);
    return rc;
}

/* DAPO dynamic sampling (spec/grpo-conventions.md §8.2; verl recipe/dapo/dapo_ray_trainer.py):
 * generation batches of G problems are sampled, each filtered by groups, and the kept groups
 * accumulated until at least B are kept; the batch is then truncated to B·n rows
 * (`batch = batch[:traj_bsz]`). With max_num_gen_batches K > 0, needing more than K batches is
 * an error, as in verl ("Generated too many. Please check if your data are too difficult.").
 * Advantages are computed on the final batch (verl computes them after the filter). */
static int sample_dynamic(model *m, const tok_tokenizer *tok, const rl_opts *o, const rl_dataset *ds, long pos, int B,
                          svs_rng *rng, rl_pool *pool, int *rows, int *K, rl_metrics *out, svs_err *err) {
    int n = o->n, G = o->gen_problems > 0 ? o->gen_problems : B, rc = -1;
    rl_pool gb;
    unsigned char *keep = calloc((size_t)G * n, 1);
    rl_problem **probs = calloc((size_t)G, sizeof *probs);
    if (!keep || !probs || pool_alloc(&gb, G * n, pool->ro.Lr, err)) {
        free(keep); free(probs);
        return svs_errf(err, "out of memory");
    }
    for (int g = 0;; g++) {
        for (int i = 0; i < G; i++) probs[i] = &ds->p[(pos + (long)g * G + i) % (long)ds->n];
        gb.ro.R = 0;
        memset(gb.ro.mask, 0, (size_t)G * n * gb.ro.Lr * sizeof(float));
        if (gen_batch(m, tok, o, probs, G, (int64_t)g * G, rng, &gb, out, err)) goto done;
        out->problems_used += G;
        long kept = filter_groups(o, &gb, keep, err);
        if (kept < 0) goto done;
        out->kept_groups += kept;
        for (int r = 0; r < gb.ro.R; r++) if (keep[r]) pool_append(pool, &gb, r);
        if (out->kept_groups >= B) break;
        if (o->max_gen_batches > 0 && g + 1 >= o->max_gen_batches) {
            svs_errf(err, "dynamic sampling: %d generation batches kept %ld groups < %d (--max-gen-batches %d): "
                     "the data are too hard or too easy for the filter; raise the limit, or 0 for no limit",
                     g + 1, out->kept_groups, B, o->max_gen_batches);
            goto done;
        }
    }
    if (pool->ro.R > B * n) pool->ro.R = B * n; /* truncate to train_batch_size · n rows */
    double t = now_s();
    grpo_adv_info info;
    if (grpo_advantages_tokens(&o->cfg, (size_t)pool->ro.R, (size_t)pool->ro.Lr, pool->uid, pool->score,
                               pool->ro.mask, pool->ro.adv, &info, err))
        goto done;
    for (*K = 0; *K < pool->ro.R; (*K)++) rows[*K] = *K;
    out->t_reward += now_s() - t;
    rc = 0;
done:
    pool_free(&gb);
    free(keep);
    free(probs);
    return rc;
}

int rl_step(model *m, const tok_tokenizer *tok, const rl_opts *o, const rl_dataset *ds, long pos, int B,
            long step, svs_rng *rng, rl_metrics *out, svs_err *err) {
    const grpo_config *cfg = &o->cfg;
    memset(out, 0, sizeof *out);
    out->step = step;
    if (cfg->kl_place == GRPO_KLPLACE_LOSS && cfg->kl_coef != 0.0)
        return svs_errf(err, "KL in the loss (kl_coef=%g) needs a reference model, which svs rl does not keep "
                        "yet: use --set kl_coef=0 or kl_place=off", cfg->kl_coef);
    double t0 = now_s();
    int n = o->n, Lr = o->max_new_tokens > 0 ? o->max_new_tokens : 1, K = 0, rc = -1;
    int dyn = o->max_gen_batches >= 0, G = o->gen_problems > 0 ? o->gen_problems : B;
    int cap = dyn ? B * n + G * n : B * n; /* kept rows before the truncation: < B·n + one batch */
    rl_pool pool;
    if (pool_alloc(&pool, cap, Lr, err)) return -1;
    int *rows = calloc((size_t)cap, sizeof *rows);
    rl_problem **probs = calloc((size_t)B, sizeof *probs);
    if (!rows || !probs) { svs_errf(err, "out of memory"); goto done; }
    if (dyn) {
        if (sample_dynamic(m, tok, o, ds, pos, B, rng, &pool, rows, &K, out, err)) goto done;
    } else {
        for (int i = 0; i < B; i++) probs[i] = &ds->p[(pos + i) % (long)ds->n];
        out->problems_used = B;
        if (sample_once(m, tok, o, probs, B, rng, &pool, rows, &K, out, err)) goto done;
    }
    /* sampling metrics: means over every generated row */
    long gen_rows = (long)out->gen_batches * (dyn ? G : B) * n;
    out->prompt_len_mean /= gen_rows;
    out->reward_mean /= gen_rows;
    out->acc /= gen_rows;
    out->resp_len_mean /= gen_rows;
    out->resp_clip_ratio /= gen_rows;
    out->overlong_mean /= gen_rows;
    out->overlong_frac /= gen_rows;
    out->valid_ratio = 100.0 * (double)out->kept_groups * n / (double)gen_rows;

    if (rl_update(m, o, &pool.ro, rows, K, o->mini_problems * n, step, out, err)) goto done;
    out->t_step = now_s() - t0;
    rc = 0;
done:
    pool_free(&pool);
    free(rows);
    free(probs);
    return rc;
}
