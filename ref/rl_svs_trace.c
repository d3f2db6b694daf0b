/* rl_svs_trace.c — JSONL trace of one SvS step (rl_svs_trace.h). */
#include "rl_svs_trace.h"

#include <string.h>

static int push(json_t *lines, json_t *o, svs_err *err) {
    if (!o || json_array_append_new(lines, o)) return svs_errf(err, "trace: out of memory");
    return 0;
}

static json_t *head(long step, const char *stage) {
    return json_pack("{s:I, s:s}", "step", (json_int_t)step, "stage", stage);
}

int rl_trace_oqa(json_t *lines, long step, rl_problem *const *problems, int B, int n, const float *rewards,
                 const svs_selection *sel, svs_err *err) {
    for (int i = 0; i < B; i++) {
        const rl_problem *p = problems[i];
        json_t *o = head(step, "oqa"), *rw = json_array();
        if (!o || !rw) return json_decref(o), json_decref(rw), svs_errf(err, "trace: out of memory");
        for (int j = 0; j < n; j++) json_array_append_new(rw, json_integer((json_int_t)rewards[i * n + j]));
        double acc = sel->group_acc[i];
        /* §2.2: under-performing iff lower <= acc <= upper (the seeds come from these) */
        int under = 0;
        for (size_t s = 0; s < sel->n_seeds; s++) under |= sel->seeds[s] / (size_t)n == (size_t)i;
        json_object_set_new(o, "problem", json_integer(i));
        json_object_set_new(o, "question", json_string(p->contents[p->n_msgs - 1]));
        json_object_set_new(o, "answer", json_string(p->answer));
        json_object_set_new(o, "rewards", rw);
        json_object_set_new(o, "acc", json_real(acc));
        json_object_set_new(o, "under_performing", json_boolean(under));
        if (push(lines, o, err)) return -1;
    }
    return 0;
}

int rl_trace_seed(json_t *lines, long step, size_t seed, size_t oqa_row, int kept, const char *response,
                  svs_err *err) {
    json_t *o = head(step, "seed");
    if (o) {
        json_object_set_new(o, "seed", json_integer((json_int_t)seed));
        json_object_set_new(o, "oqa_row", json_integer((json_int_t)oqa_row));
        json_object_set_new(o, "kept", json_boolean(kept));
        json_object_set_new(o, "response", json_string(response));
    }
    return push(lines, o, err);
}

int rl_trace_synthesis(json_t *lines, long step, int kept_seed, int sample, const char *response, int valid,
                       const char *problem, size_t problem_len, svs_err *err) {
    json_t *o = head(step, "synthesis");
    if (o) {
        json_object_set_new(o, "kept_seed", json_integer(kept_seed));
        json_object_set_new(o, "sample", json_integer(sample));
        json_object_set_new(o, "response", json_string(response));
        json_object_set_new(o, "valid", json_boolean(valid));
        json_object_set_new(o, "problem", valid ? json_stringn(problem, problem_len) : json_null());
    }
    return push(lines, o, err);
}

int rl_trace_batch(json_t *lines, long step, const svs_batch *bt, svs_err *err) {
    static const char *KIND[] = {"OQA", "VPS", "SPA"};
    size_t r = 0;
    for (size_t i = 0; i < json_array_size(lines); i++) {
        json_t *o = json_array_get(lines, i);
        if (strcmp(json_string_value(json_object_get(o, "stage")), "synthesis")) continue;
        /* §2.6-§2.7: solve count of the synthetic problem (-1 = invalid), reward 1 iff in band */
        json_object_set_new(o, "spa_count", json_integer(bt->vps_cnt[r]));
        json_object_set_new(o, "synthesis_reward", json_real(bt->vps_reward[r]));
        r++;
    }
    json_t *o = head(step, "batch"), *rows = json_array();
    if (!o || !rows) return json_decref(o), json_decref(rows), svs_errf(err, "trace: out of memory");
    for (size_t i = 0; i < bt->n_rows; i++) {
        const svs_row *w = &bt->rows[i];
        json_array_append_new(rows, json_pack("[s, I, f, I, I]", KIND[w->kind], (json_int_t)w->uid, (double)w->reward,
                                              (json_int_t)w->resp_len, (json_int_t)w->adv_len));
    }
    json_object_set_new(o, "train", json_boolean(bt->train));
    json_object_set_new(o, "exit", json_integer(bt->exit));
    json_object_set_new(o, "n_seeds", json_integer((json_int_t)bt->n_seeds));
    json_object_set_new(o, "n_valid", json_integer((json_int_t)bt->n_valid));
    json_object_set_new(o, "n_oqa", json_integer((json_int_t)bt->n_oqa));
    json_object_set_new(o, "n_vps", json_integer((json_int_t)bt->n_vps));
    json_object_set_new(o, "n_spa", json_integer((json_int_t)bt->n_spa));
    json_object_set_new(o, "rows", rows);
    return push(lines, o, err);
}

int rl_trace_update(json_t *lines, long step, const rl_metrics *m, svs_err *err) {
    json_t *o = json_pack("{s:I, s:s, s:f, s:f, s:f, s:f, s:f, s:i}", "step", (json_int_t)step, "stage", "update",
                          "pg_loss", m->pg_loss, "entropy", m->entropy, "pg_clipfrac", m->pg_clipfrac,
                          "ppo_kl", m->ppo_kl, "grad_norm", m->grad_norm, "optim_steps", m->optim_steps);
    return push(lines, o, err);
}

int rl_trace_write(FILE *f, const json_t *lines, svs_err *err) {
    for (size_t i = 0; i < json_array_size(lines); i++) {
        if (json_dumpf(json_array_get(lines, i), f, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9)) ||
            fputc('\n', f) == EOF)
            return svs_errf(err, "trace: write error");
    }
    if (fflush(f)) return svs_errf(err, "trace: write error");
    return 0;
}
