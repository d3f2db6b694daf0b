/* rl_loop.c — one RLVR step (rl_loop.h). */
#include "rl_loop.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <stdio.h>

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

/* Steps 4–5 of a step on prepared rows (rl_loop.h). */
int rl_update(model *m, const rl_opts *o, const rl_rows *ro, const int *rows, int K, int mini, long step,
              rl_metrics *out, svs_err *err) {
    const grpo_config *cfg = &o->cfg;
    int Lr = ro->Lr;
    double t2 = now_s();
    /* 4. old log-probs and entropy of every row with the current policy (no gradient) */
    {
        int all_rows_n = ro->R, mr = o->micro_rows;
        double es = 0, em = 0;
        for (int s = 0; s < all_rows_n; s += mr) {
            int b = all_rows_n - s < mr ? all_rows_n - s : mr, T;
            int *idx = malloc((size_t)b * sizeof *idx);
            for (int i = 0; i < b; i++) idx[i] = s + i;
            int32_t *tg = NULL;
            int frc = micro_forward(m, ro, idx, b, o->temperature, ro->old + (size_t)s * Lr,
                                    ro->ent + (size_t)s * Lr, &tg, &T, err);
            free(idx); free(tg);
            if (frc) return -1;
        }
        for (size_t i = 0; i < (size_t)ro->R * Lr; i++) { es += (double)ro->ent[i] * ro->mask[i]; em += ro->mask[i]; }
        out->entropy = em > 0 ? es / em : 0.0;
    }
    double t3 = now_s();
    out->t_old = t3 - t2;

    /* 5. mini-batches of mini_problems·n rows, micro-batches of micro_rows rows */
    out->lr = grpo_lr_at(cfg, step, o->total_steps);
    int n_micro_total = 0;
    size_t cap = (size_t)o->micro_rows * Lr;
    float *lp = malloc(cap * sizeof *lp), *en = malloc(cap * sizeof *en);
    float *old = malloc(cap * sizeof *old), *adv = malloc(cap * sizeof *adv), *mask = malloc(cap * sizeof *mask);
    float *glp = malloc(cap * sizeof *glp), *gen_ = malloc(cap * sizeof *gen_);
    int ok = 1;
    for (int s0 = 0; ok && s0 < K; s0 += mini) {
        int mb_rows = K - s0 < mini ? K - s0 : mini;
        int ga = (mb_rows + o->micro_rows - 1) / o->micro_rows;
        double tokens = 0;
        for (int i = 0; i < mb_rows; i++) tokens += ro->rlen[rows[s0 + i]];
        grpo_scope_info sc = {(size_t)mini, (size_t)ga, tokens, (double)mb_rows};
        model_zero_grad(m);
        for (int u = 0; ok && u < mb_rows; u += o->micro_rows) {
            int b = mb_rows - u < o->micro_rows ? mb_rows - u : o->micro_rows, T;
            const int *idx = rows + s0 + u;
            int32_t *tg = NULL;
            int need_ent = cfg->entropy_coef != 0.0;
            if (micro_forward(m, ro, idx, b, o->temperature, lp, need_ent ? en : NULL, &tg, &T, err)) {
                free(tg); ok = 0; break;
            }
            for (int i = 0; i < b; i++) {
                size_t src = (size_t)idx[i] * Lr, dst = (size_t)i * Lr;
                memcpy(old + dst, ro->old + src, (size_t)Lr * sizeof *old);
                memcpy(adv + dst, ro->adv + src, (size_t)Lr * sizeof *adv);
                memcpy(mask + dst, ro->mask + src, (size_t)Lr * sizeof *mask);
            }
            grpo_micro mbq = {(size_t)b, (size_t)Lr, lp, old, NULL, adv, mask, need_ent ? en : NULL};
            grpo_micro_out mo;
            if (grpo_micro_loss(cfg, &mbq, &sc, &mo, NULL, glp, need_ent ? gen_ : NULL, err)) {
                free(tg); ok = 0; break;
            }
            out->pg_loss += mo.pg_loss;
            out->pg_clipfrac += mo.pg_clipfrac;
            out->pg_clipfrac_lower += mo.pg_clipfrac_lower;
            out->ppo_kl += mo.ppo_kl;
            n_micro_total++;
            /* scatter d/dlogp (and d/dH) from [b, Lr] to the padded [b, T] layout */
            float *dl = calloc((size_t)b * T, sizeof *dl), *de = need_ent ? calloc((size_t)b * T, sizeof *de) : NULL;
            for (int i = 0; i < b; i++) {
                int r = idx[i], P = ro->plen[r];
                for (int j = 0; j < ro->rlen[r]; j++) {
                    dl[(size_t)i * T + P - 1 + j] = glp[(size_t)i * Lr + j];
                    if (de) de[(size_t)i * T + P - 1 + j] = gen_[(size_t)i * Lr + j];
                }
            }
            if (model_token_backward(m, tg, dl, de, o->temperature, err)) ok = 0;
            free(dl); free(de); free(tg);
        }
        if (!ok) break;
        float gn = model_clip_grad(m, (float)cfg->grad_clip);
        out->grad_norm += gn;
        if (!isfinite(gn) && cfg->skip_nonfinite == 1) { model_zero_grad(m); continue; }
        model_adamw_params hp = {out->lr, cfg->beta1, cfg->beta2, cfg->adam_eps, cfg->weight_decay, 0};
        if (model_adamw_step(m, &hp, err)) { ok = 0; break; }
        model_zero_grad(m);
        out->optim_steps++;
    }
    free(lp); free(en); free(old); free(adv); free(mask); free(glp); free(gen_);
    if (!ok) return -1;
    if (n_micro_total) {
        out->pg_loss /= n_micro_total;
        out->pg_clipfrac /= n_micro_total;
        out->pg_clipfrac_lower /= n_micro_total;
        out->ppo_kl /= n_micro_total;
    }
    int n_mini = (K + mini - 1) / mini;
    if (n_mini) out->grad_norm /= n_mini;
    out->t_update = now_s() - t3;
    return 0;
}

int rl_step(model *m, const tok_tokenizer *tok, const rl_opts *o, rl_problem *const *problems,
            int B, long step, svs_rng *rng, rl_metrics *out, svs_err *err) {
    const grpo_config *cfg = &o->cfg;
    memset(out, 0, sizeof *out);
    out->step = step;
    if (cfg->kl_place == GRPO_KLPLACE_LOSS && cfg->kl_coef != 0.0) {
        snprintf(err->msg, sizeof err->msg, "KL in the loss (kl_coef=%g) needs a reference model, "
                 "which svs rl does not keep yet: use --set kl_coef=0 or kl_place=off", cfg->kl_coef);
        return -1;
    }
    double t0 = now_s();
    int n = o->n, R = B * n, Lr = o->max_new_tokens > 0 ? o->max_new_tokens : 1, rc = -1;
    rollout ro = {R, Lr, calloc((size_t)R, sizeof(int32_t *)), calloc((size_t)R, sizeof(int)),
                  calloc((size_t)R, sizeof(int)), calloc((size_t)R * Lr, sizeof(int32_t)),
                  calloc((size_t)R * Lr, sizeof(float)), calloc((size_t)R * Lr, sizeof(float)),
                  calloc((size_t)R * Lr, sizeof(float)), calloc((size_t)R * Lr, sizeof(float))};
    int64_t *uid = calloc((size_t)R, sizeof *uid);
    float *score = calloc((size_t)R, sizeof *score);
    double *score_d = calloc((size_t)R, sizeof *score_d);
    unsigned char *keep = calloc((size_t)R, 1);
    int *rows = calloc((size_t)R, sizeof *rows);
    model_gen_out *gen = calloc((size_t)R, sizeof *gen);
    int have_gen = 0;

    /* 1. sample: problem p's n rows are adjacent */
    int Tp = 1;
    for (int r = 0; r < R; r++) {
        const rl_problem *p = problems[r / n];
        ro.prompt[r] = p->ids;
        ro.plen[r] = p->n_ids;
        uid[r] = r / n;
        if (p->n_ids > Tp) Tp = p->n_ids;
        out->prompt_len_mean += p->n_ids;
    }
    out->prompt_len_mean /= R;
    {
        int32_t *pid = calloc((size_t)R * Tp, sizeof *pid);
        for (int r = 0; r < R; r++) memcpy(pid + (size_t)r * Tp, ro.prompt[r], (size_t)ro.plen[r] * sizeof *pid);
        model_batch pb = {R, Tp, pid, ro.plen};
        model_gen_params gp = {.max_new_tokens = o->max_new_tokens, .stop_ids = o->stop_ids,
                               .n_stop_ids = o->n_stop_ids,
                               .sampling = {o->temperature, 0, 1.0f}};
        int g = model_generate(m, &pb, &gp, rng, gen, err);
        free(pid);
        if (g) goto done;
        have_gen = 1;
    }
    double t1 = now_s();
    out->t_gen = t1 - t0;

    /* 2. decode, reward */
    for (int r = 0; r < R; r++) {
        ro.rlen[r] = gen[r].n;
        memcpy(ro.resp + (size_t)r * Lr, gen[r].ids, (size_t)gen[r].n * sizeof(int32_t));
        for (int j = 0; j < gen[r].n; j++) ro.mask[(size_t)r * Lr + j] = 1.0f;
        char *text = NULL;
        size_t tl = 0;
        if (tok_decode(tok, gen[r].ids, (size_t)gen[r].n, 1, &text, &tl, err)) goto done;
        score[r] = rl_reward(o->reward, problems[r / n]->answer, text, gen[r].ids, gen[r].n);
        free(text);
        score_d[r] = score[r];
        out->reward_mean += score[r];
        out->resp_len_mean += gen[r].n;
        if (gen[r].n > out->resp_len_max) out->resp_len_max = gen[r].n;
        if (gen[r].finish == MODEL_FINISH_LENGTH) out->resp_clip_ratio += 1;
        out->gen_tokens += gen[r].n;
    }
    out->reward_mean /= R;
    out->acc = out->reward_mean;
    out->resp_len_mean /= R;
    out->resp_clip_ratio /= R;

    /* 3. advantages, group filter */
    grpo_adv_info info;
    if (grpo_advantages_tokens(cfg, (size_t)R, (size_t)Lr, uid, score, ro.mask, ro.adv, &info, err)) goto done;
    int K = 0;
    if (cfg->filter != GRPO_FILTER_NONE) {
        if (grpo_group_filter(cfg, (size_t)R, uid, score_d, keep, err) < 0) goto done;
    } else memset(keep, 1, (size_t)R);
    for (int r = 0; r < R; r++) if (keep[r]) rows[K++] = r;
    out->valid_ratio = 100.0 * K / R;
    double t2 = now_s();
    out->t_reward = t2 - t1;

    if (rl_update(m, o, &ro, rows, K, o->mini_problems * n, step, out, err)) goto done;
    double t4 = now_s();
    out->t_step = t4 - t0;
    rc = 0;
done:
    if (have_gen) model_gen_out_free(gen, R);
    free(gen);
    free(ro.prompt); free(ro.plen); free(ro.rlen); free(ro.resp); free(ro.mask); free(ro.old);
    free(ro.adv); free(ro.ent);
    free(uid); free(score); free(score_d); free(keep); free(rows);
    return rc;
}
