/* rl_svs.c — one SvS training step (rl_svs.h; spec/svs-algorithm.md §2.13). */
#include "rl_svs.h"

#include "rl_svs_trace.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct ntok_ctx {
    const tok_tokenizer *tok;
    tok_chat_template chat;
} ntok_ctx;

/* chat(user) with the generation prompt -> ids (spec §0.2). */
static int chat_ids(const ntok_ctx *c, const char *user, size_t len, tok_ids *ids, svs_err *err) {
    tok_chat_msg msg = {"user", user, len};
    memset(ids, 0, sizeof *ids);
    return tok_chat_encode(c->tok, c->chat, &msg, 1, 1, ids, err);
}

static int ntok_cb(void *ctx, const char *user, size_t len, size_t *ntok, svs_err *err) {
    tok_ids ids;
    if (chat_ids(ctx, user, len, &ids, err)) return -1;
    *ntok = ids.len;
    free(ids.data);
    return 0;
}

/* Samples one response per row (rows' prompts right-padded), temperature temp / top_p. */
static int gen_rows(model *m, const rl_opts *o, const int32_t *const *prompt, int *plen, int R, double temp,
                    double top_p, svs_rng *rng, model_gen_out *gen, svs_err *err) {
    int Tp = 1;
    for (int r = 0; r < R; r++) if (plen[r] > Tp) Tp = plen[r];
    int32_t *pid = calloc((size_t)R * Tp, sizeof *pid);
    if (!pid) return svs_errf(err, "out of memory");
    for (int r = 0; r < R; r++) memcpy(pid + (size_t)r * Tp, prompt[r], (size_t)plen[r] * sizeof *pid);
    model_batch pb = {R, Tp, pid, plen};
    model_gen_params gp = {.max_new_tokens = o->max_new_tokens, .stop_ids = o->stop_ids,
                           .n_stop_ids = o->n_stop_ids, .sampling = {(float)temp, 0, (float)top_p}};
    int g = model_generate(m, &pb, &gp, rng, gen, err);
    free(pid);
    return g;
}

/* TESTS ONLY (--svs-test-synth): a tiny random model never writes an extractable problem, so
 * the decoded synthesis response is replaced by a text derived from its sampled ids: with
 * s = the sum of the ids, s % 4 == 0 gives a response with no fence (no rule matches: invalid
 * in default mode, the Q2 fall-through in faithful mode), otherwise "```text\nWhat is A plus
 * B?\n```" with A = s % 10, B = n_ids. The trained rows keep the sampled ids. */
static char *test_synth_text(const int32_t *ids, int n) {
    long s = 0;
    for (int i = 0; i < n; i++) s += ids[i];
    char *t = malloc(96);
    if (!t) return NULL;
    if (s % 4 == 0) snprintf(t, 96, "I cannot reconstruct it (%ld).", s);
    else snprintf(t, 96, "Here:\n```text\nWhat is %ld plus %d?\n```\n", s % 10, n);
    return t;
}

/* Token-mean entropy (from the old-log-prob pass) over the OQA rows of the batch, each with its
 * own response mask: the policy entropy on the original problems, which an rlvr run's
 * actor/entropy also measures (VPS/SPA rows answer other prompts). */
static double oqa_entropy(const svs_batch *bt, const rl_rows *ro) {
    double es = 0, em = 0;
    for (size_t i = 0; i < bt->n_rows; i++) {
        if (bt->rows[i].kind != SVS_KIND_OQA) continue;
        for (int j = 0; j < ro->Lr; j++) {
            size_t t = i * (size_t)ro->Lr + (size_t)j;
            es += (double)ro->ent[t] * ro->mask[t];
            em += ro->mask[t];
        }
    }
    return em > 0 ? es / em : NAN;
}

static void free_gen(model_gen_out *g, int R, int have) {
    if (have) model_gen_out_free(g, R);
    free(g);
}

int rl_svs_step(model *m, const tok_tokenizer *tok, const rl_opts *o, const rl_svs_opts *so,
                rl_problem *const *problems, int B, long step, svs_rng *rng, svs_extract_state *xs,
                uint64_t *r2q_rng, rl_svs_out *out, svs_err *err) {
    const svs_config *cfg = &so->cfg;
    int n = cfg->n, rc = -1, Lr = o->max_new_tokens > 0 ? o->max_new_tokens : 1;
    memset(out, 0, sizeof *out);
    out->rl.step = step;
    if (o->n != n) return svs_errf(err, "svs step: rl n %d != svs n %d", o->n, n);
    if (o->cfg.kl_place == GRPO_KLPLACE_LOSS && o->cfg.kl_coef != 0.0)
        return svs_errf(err, "KL in the loss (kl_coef=%g) needs a reference model, which svs rl does not keep "
                        "yet: use --set kl_coef=0 or kl_place=off", o->cfg.kl_coef);
    ntok_ctx nc = {tok, so->chat};
    double t0 = now_s();
    int R0 = B * n, R1 = 0, R2 = 0, have0 = 0, have1 = 0, have2 = 0;
    /* stage buffers */
    const int32_t **p0 = calloc((size_t)R0, sizeof *p0);
    int *pl0 = calloc((size_t)R0, sizeof *pl0);
    model_gen_out *g0 = calloc((size_t)R0, sizeof *g0), *g1 = NULL, *g2 = NULL;
    float *rw0 = calloc((size_t)R0, sizeof *rw0), *rw2 = NULL;
    size_t *len0 = calloc((size_t)R0, sizeof *len0), *len1 = NULL, *len2 = NULL, *kept = NULL;
    char **txt0 = calloc((size_t)R0, sizeof *txt0);
    tok_ids *kid = NULL, *vid = NULL;          /* synthesis prompts of kept seeds, SPA prompts */
    int *valid = NULL, *vrow = NULL, n_kept = 0, n_valid = 0;
    const int32_t **p1 = NULL, **p2 = NULL;
    int *pl1 = NULL, *pl2 = NULL;
    svs_selection sel = {0};
    svs_batch bt = {0};
    rl_rows ro = {0};
    int64_t *uid = NULL;
    float *score = NULL, *amask = NULL;
    int *rows = NULL;
    json_t *trace = so->trace ? json_array() : NULL; /* --trace: the step's lines */
    if (so->trace && !trace) { svs_errf(err, "out of memory"); goto done; }
    if (!p0 || !pl0 || !g0 || !rw0 || !len0 || !txt0) { svs_errf(err, "out of memory"); goto done; }

    /* 1. OQA: n samples per problem, rewards against the gold answer */
    for (int r = 0; r < R0; r++) {
        p0[r] = problems[r / n]->ids;
        pl0[r] = problems[r / n]->n_ids;
        out->rl.prompt_len_mean += pl0[r];
    }
    out->rl.prompt_len_mean /= R0;
    if (gen_rows(m, o, p0, pl0, R0, cfg->oqa_temperature, cfg->oqa_top_p, rng, g0, err)) goto done;
    have0 = 1;
    double t1 = now_s();
    out->rl.t_gen = t1 - t0;
    for (int r = 0; r < R0; r++) {
        size_t tl;
        if (tok_decode(tok, g0[r].ids, (size_t)g0[r].n, 1, &txt0[r], &tl, err)) goto done;
        rw0[r] = rl_reward(o->reward, problems[r / n]->answer, txt0[r], g0[r].ids, g0[r].n);
        len0[r] = (size_t)g0[r].n;
        out->rl.reward_mean += rw0[r];
        out->rl.resp_len_mean += g0[r].n;
        if (g0[r].n > out->rl.resp_len_max) out->rl.resp_len_max = g0[r].n;
        if (g0[r].finish == MODEL_FINISH_LENGTH) out->rl.resp_clip_ratio += 1;
        out->rl.gen_tokens += g0[r].n;
    }
    out->rl.reward_mean /= R0;
    out->rl.acc = out->rl.reward_mean;
    out->rl.resp_len_mean /= R0;
    out->rl.resp_clip_ratio /= R0;

    /* 2. selection; 3. synthesis prompts of the seeds, VPS-len filter (ntok(chat(P)) <= LP) */
    if (svs_select(cfg, (size_t)B, rw0, &sel, err)) goto done;
    if (trace && rl_trace_oqa(trace, step, problems, B, n, rw0, &sel, err)) goto done;
    kept = calloc(sel.n_seeds + 1, sizeof *kept);
    kid = calloc(sel.n_seeds + 1, sizeof *kid);
    if (!kept || !kid) { svs_errf(err, "out of memory"); goto done; }
    for (size_t s = 0; s < sel.n_seeds; s++) {
        size_t r = sel.seeds[s];
        svs_buf user = {0};
        int fits = 0;
        if (svs_synthesis_prompt(so->tpl, so->tpl_len, txt0[r], strlen(txt0[r]), &user, err) ||
            svs_prompt_fits(cfg, ntok_cb, &nc, user.data, user.len, &fits, NULL, err)) {
            svs_buf_free(&user);
            goto done;
        }
        if (fits) {
            if (chat_ids(&nc, user.data, user.len, &kid[n_kept], err)) { svs_buf_free(&user); goto done; }
            kept[n_kept++] = r;
        }
        svs_buf_free(&user);
        if (trace && rl_trace_seed(trace, step, s, r, fits, txt0[r], err)) goto done;
    }

    /* 4. n synthesis samples per kept seed (interleaved: seed k's rows are adjacent) */
    int nv = svs_n_vps(cfg), ns = svs_n_spa(cfg);
    R1 = n_kept * nv;
    if (R1) {
        p1 = calloc((size_t)R1, sizeof *p1);
        pl1 = calloc((size_t)R1, sizeof *pl1);
        g1 = calloc((size_t)R1, sizeof *g1);
        len1 = calloc((size_t)R1, sizeof *len1);
        valid = calloc((size_t)R1, sizeof *valid);
        vrow = calloc((size_t)R1, sizeof *vrow);
        vid = calloc((size_t)R1, sizeof *vid);
        if (!p1 || !pl1 || !g1 || !len1 || !valid || !vrow || !vid) { svs_errf(err, "out of memory"); goto done; }
        for (int r = 0; r < R1; r++) { p1[r] = kid[r / nv].data; pl1[r] = (int)kid[r / nv].len; }
        if (gen_rows(m, o, p1, pl1, R1, cfg->vps_temperature, cfg->vps_top_p, rng, g1, err)) goto done;
        have1 = 1;
        /* 5. extraction (one state per run) + SPA length check; SPA prompt chat(q + MP) */
        for (int r = 0; r < R1; r++) {
            len1[r] = (size_t)g1[r].n;
            out->vps_gen_tokens += g1[r].n;
            char *text = NULL;
            size_t tl;
            if (so->test_synth) {
                if (!(text = test_synth_text(g1[r].ids, g1[r].n))) { svs_errf(err, "out of memory"); goto done; }
                tl = strlen(text);
            } else if (tok_decode(tok, g1[r].ids, (size_t)g1[r].n, 1, &text, &tl, err)) goto done;
            svs_extract_result ex;
            int xrc = svs_extract(cfg, xs, text, tl, ntok_cb, &nc, &ex, err);
            if (!xrc && trace)
                xrc = rl_trace_synthesis(trace, step, r / nv, r % nv, text, ex.valid, ex.problem, ex.problem_len, err);
            free(text);
            if (xrc) goto done;
            valid[r] = ex.valid;
            if (ex.valid) {
                svs_buf user = {0};
                int e = svs_spa_prompt(ex.problem, ex.problem_len, &user, err) ||
                        chat_ids(&nc, user.data, user.len, &vid[n_valid], err);
                svs_buf_free(&user);
                if (e) { svs_extract_result_free(&ex); goto done; }
                vrow[n_valid++] = r;
            }
            svs_extract_result_free(&ex);
        }
    }

    /* 6. n SPA samples per valid synthetic problem, graded against the ORIGINAL answer */
    R2 = n_valid * ns;
    if (R2) {
        p2 = calloc((size_t)R2, sizeof *p2);
        pl2 = calloc((size_t)R2, sizeof *pl2);
        g2 = calloc((size_t)R2, sizeof *g2);
        len2 = calloc((size_t)R2, sizeof *len2);
        rw2 = calloc((size_t)R2, sizeof *rw2);
        if (!p2 || !pl2 || !g2 || !len2 || !rw2) { svs_errf(err, "out of memory"); goto done; }
        for (int r = 0; r < R2; r++) { p2[r] = vid[r / ns].data; pl2[r] = (int)vid[r / ns].len; }
        if (gen_rows(m, o, p2, pl2, R2, cfg->spa_temperature, cfg->spa_top_p, rng, g2, err)) goto done;
        have2 = 1;
        for (int r = 0; r < R2; r++) {
            int v = r / ns;
            const rl_problem *orig = problems[kept[vrow[v] / nv] / (size_t)n];
            char *text = NULL;
            size_t tl;
            if (tok_decode(tok, g2[r].ids, (size_t)g2[r].n, 1, &text, &tl, err)) goto done;
            rw2[r] = rl_reward(o->reward, orig->answer, text, g2[r].ids, g2[r].n);
            free(text);
            len2[r] = (size_t)g2[r].n;
            out->spa_gen_tokens += g2[r].n;
        }
    }
    double t2 = now_s();
    out->rl.t_reward = t2 - t1; /* synthesis, extraction, SPA and grading */

    /* 7. shaping, batch assembly, metrics */
    svs_step_in in = {(size_t)B, rw0, len0, (size_t)n_kept, kept, valid, len1, rw2, len2};
    if (svs_batch_assemble(cfg, &in, r2q_rng, &bt, err)) goto done;
    if (svs_step_metrics(cfg, &in, &bt, &out->sm, err)) goto done;
    if (trace && rl_trace_batch(trace, step, &bt, err)) goto done;
    out->exit = bt.exit;
    out->trained = bt.train;
    out->n_rows = bt.n_rows;
    {
        double v;
        if (svs_metrics_get(&out->sm, "SvS-Valid-Ratio/OQA-RL", &v)) out->rl.valid_ratio = v;
    }
    if (!bt.train) { rc = 0; goto done; }

    /* 8. the update rows: prompt/response per kind; loss mask t < resp_len, advantage mask
     * t < adv_len (Q1 faithful: the seed's OQA length for VPS/SPA rows) */
    int R = (int)bt.n_rows;
    ro.R = R;
    ro.Lr = Lr;
    ro.prompt = calloc((size_t)R, sizeof *ro.prompt);
    ro.plen = calloc((size_t)R, sizeof *ro.plen);
    ro.rlen = calloc((size_t)R, sizeof *ro.rlen);
    ro.resp = calloc((size_t)R * Lr, sizeof *ro.resp);
    ro.mask = calloc((size_t)R * Lr, sizeof *ro.mask);
    ro.old = calloc((size_t)R * Lr, sizeof *ro.old);
    ro.adv = calloc((size_t)R * Lr, sizeof *ro.adv);
    ro.ent = calloc((size_t)R * Lr, sizeof *ro.ent);
    uid = calloc((size_t)R, sizeof *uid);
    score = calloc((size_t)R, sizeof *score);
    amask = calloc((size_t)R * Lr, sizeof *amask);
    rows = calloc((size_t)R, sizeof *rows);
    if (!ro.prompt || !ro.plen || !ro.rlen || !ro.resp || !ro.mask || !ro.old || !ro.adv || !ro.ent || !uid ||
        !score || !amask || !rows) { svs_errf(err, "out of memory"); goto done; }
    for (int i = 0; i < R; i++) {
        const svs_row *w = &bt.rows[i];
        const model_gen_out *g;
        if (w->kind == SVS_KIND_OQA) { g = &g0[w->index]; ro.prompt[i] = p0[w->index]; ro.plen[i] = pl0[w->index]; }
        else if (w->kind == SVS_KIND_VPS) { g = &g1[w->index]; ro.prompt[i] = p1[w->index]; ro.plen[i] = pl1[w->index]; }
        else { g = &g2[w->index]; ro.prompt[i] = p2[w->index]; ro.plen[i] = pl2[w->index]; }
        ro.rlen[i] = g->n;
        memcpy(ro.resp + (size_t)i * Lr, g->ids, (size_t)g->n * sizeof *ro.resp);
        size_t rl = w->resp_len < (size_t)Lr ? w->resp_len : (size_t)Lr;
        size_t al = w->adv_len < (size_t)Lr ? w->adv_len : (size_t)Lr;
        for (size_t j = 0; j < rl; j++) ro.mask[(size_t)i * Lr + j] = 1.0f;
        for (size_t j = 0; j < al; j++) amask[(size_t)i * Lr + j] = 1.0f;
        uid[i] = w->uid;
        score[i] = w->reward;
        rows[i] = i;
    }
    if (cfg->faithful) ro.ent_mask = amask; /* Q1: the metric also uses the stale mask */
    grpo_adv_info info;
    if (grpo_advantages_tokens(&o->cfg, (size_t)R, (size_t)Lr, uid, score, amask, ro.adv, &info, err)) goto done;
    double t3 = now_s();
    if (rl_update(m, o, &ro, rows, R, o->mini_problems * n, step, &out->rl, err)) goto done;
    out->entropy_oqa = oqa_entropy(&bt, &ro);
    out->rl.t_reward += t3 - t2;
    out->rl.t_step = now_s() - t0;
    if (trace && rl_trace_update(trace, step, &out->rl, err)) goto done;
    rc = 0;
done:
    if (!rc && trace && rl_trace_write(so->trace, trace, err)) rc = -1;
    json_decref(trace);
    if (!out->rl.t_step) out->rl.t_step = now_s() - t0;
    for (int r = 0; r < R0 && txt0; r++) free(txt0[r]);
    free(txt0);
    for (int k = 0; k < n_kept; k++) free(kid[k].data);
    for (int v = 0; v < n_valid; v++) free(vid[v].data);
    free(kid); free(vid); free(kept); free(valid); free(vrow);
    free_gen(g0, R0, have0); free_gen(g1, R1, have1); free_gen(g2, R2, have2);
    free(p0); free(pl0); free(p1); free(pl1); free(p2); free(pl2);
    free(rw0); free(rw2); free(len0); free(len1); free(len2);
    svs_selection_free(&sel);
    svs_batch_free(&bt);
    free(ro.prompt); free(ro.plen); free(ro.rlen); free(ro.resp); free(ro.mask); free(ro.old); free(ro.adv);
    free(ro.ent);
    free(uid); free(score); free(amask); free(rows);
    return rc;
}

/* blob: "svs-state-1 <r2q hex16> <set 0|1> <len>\n" followed by len bytes of the last q */
int rl_svs_state_pack(const svs_extract_state *xs, uint64_t r2q, char **blob, size_t *len, svs_err *err) {
    size_t ll = xs->set ? xs->last_len : 0;
    char *b = malloc(96 + ll);
    if (!b) return svs_errf(err, "out of memory");
    int h = snprintf(b, 96, "svs-state-1 %016llx %d %zu\n", (unsigned long long)r2q, xs->set ? 1 : 0, ll);
    if (ll) memcpy(b + h, xs->last, ll);
    *blob = b;
    *len = (size_t)h + ll;
    return 0;
}

int rl_svs_state_unpack(const char *blob, size_t len, svs_extract_state *xs, uint64_t *r2q, svs_err *err) {
    unsigned long long r;
    int set, off = 0;
    size_t ll;
    char head[96];
    size_t hl = len < sizeof head - 1 ? len : sizeof head - 1;
    memcpy(head, blob, hl);
    head[hl] = 0;
    if (sscanf(head, "svs-state-1 %llx %d %zu%n", &r, &set, &ll, &off) != 3 || off <= 0 || head[off] != '\n' ||
        (size_t)++off + ll != len)
        return svs_errf(err, "checkpoint svs_state.bin: malformed");
    svs_extract_state_free(xs);
    svs_extract_state_init(xs);
    if (set && svs_extract_state_set(xs, blob + off, ll, err)) return -1;
    *r2q = (uint64_t)r;
    return 0;
}
