/* svs_select.c — the SvS configuration and the selection stage: group accuracies, the
 * under-performing problems, the seeds and the OQA rows kept for training
 * (spec/svs-algorithm.md §2.1 step 8, §2.2 steps 9–11, defaults from §4).
 *
 * Input: the 0/1 rewards of the B·n OQA rows, problem-major (row i*n+j is answer j to problem
 * i). Output: acc_g per problem; seeds = every correct row of a problem with
 * UL <= acc_g <= UH (both inclusive), in batch row order; OQA rows = all rows of problems with
 * 0 < acc_g < 1 (both strict). Identical in both modes. */
#include "svs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void svs_config_default(svs_config *cfg) {
    /* MasterVito/SvS@9fd8f35:scripts/run_svs_qwen2.5_3b.sh:30-52; ppo_trainer.yaml:92-104,420-424 */
    cfg->n = 8;
    cfg->n_vps = cfg->n_spa = 0; /* = n */
    cfg->under_lo = 0.125;
    cfg->under_hi = 0.5;
    cfg->synth_lo = 0.125;
    cfg->synth_hi = 0.625;
    cfg->max_prompt_len = 4096;
    cfg->max_response_len = 8192;
    cfg->faithful = 0;
    cfg->world_size = 1;
    cfg->r2q_ratio = 1.0;
    cfg->oqa_temperature = cfg->oqa_top_p = 1.0;
    cfg->vps_temperature = cfg->vps_top_p = 1.0;
    cfg->spa_temperature = cfg->spa_top_p = 1.0;
}

static int bad_bounds(double lo, double hi) {
    return !(lo >= 0.0 && hi <= 1.0 && lo <= hi);
}

int svs_config_validate(const svs_config *cfg, svs_err *err) {
    if (cfg->n < 1) return svs_errf(err, "svs config: n = %d must be >= 1", cfg->n);
    if (cfg->n_vps < 0 || cfg->n_spa < 0)
        return svs_errf(err, "svs config: n_vps = %d, n_spa = %d must be >= 0 (0 = n)", cfg->n_vps, cfg->n_spa);
    if (bad_bounds(cfg->under_lo, cfg->under_hi))
        return svs_errf(err, "svs config: under-performing bounds [%g, %g] must satisfy 0 <= lo <= hi <= 1",
                        cfg->under_lo, cfg->under_hi);
    if (bad_bounds(cfg->synth_lo, cfg->synth_hi))
        return svs_errf(err, "svs config: synthesis bounds [%g, %g] must satisfy 0 <= lo <= hi <= 1",
                        cfg->synth_lo, cfg->synth_hi);
    if (cfg->max_prompt_len == 0 || cfg->max_response_len == 0)
        return svs_errf(err, "svs config: max prompt/response lengths must be > 0");
    if (cfg->world_size < 1) return svs_errf(err, "svs config: world_size = %d must be >= 1", cfg->world_size);
    if (!(cfg->r2q_ratio >= 0.0 && cfg->r2q_ratio <= 1.0))
        return svs_errf(err, "svs config: r2q_ratio = %g must be in [0, 1]", cfg->r2q_ratio);
    return 0;
}

/* UL <= acc <= UH, both inclusive (MasterVito/SvS@9fd8f35:verl/trainer/ppo/ray_trainer.py:1369). */
int svs_is_under_performing(const svs_config *cfg, double acc) {
    return cfg->under_lo <= acc && acc <= cfg->under_hi;
}

void svs_selection_free(svs_selection *s) {
    if (!s) return;
    free(s->group_acc);
    free(s->seeds);
    free(s->oqa_rows);
    s->group_acc = NULL;
    s->seeds = s->oqa_rows = NULL;
    s->n_seeds = s->n_oqa_rows = 0;
}

/* acc_g = mean of the group's 0/1 rewards (ray_trainer.py:1357-1362). The sum of 0/1 values is
 * exact in double, so acc_g is the correctly rounded k/n, as numpy's mean gives. */
static double group_mean(const float *r, int n) {
    double s = 0.0;
    for (int j = 0; j < n; j++) s += (double)r[j];
    return s / (double)n;
}

static void select_problem(const svs_config *cfg, size_t i, const float *reward, svs_selection *s) {
    int n = cfg->n;
    double acc = group_mean(reward + i * (size_t)n, n);
    s->group_acc[i] = acc;
    if (svs_is_under_performing(cfg, acc)) /* seeds: every correct row, ray_trainer.py:1370-1373 */
        for (int j = 0; j < n; j++)
            if (reward[i * (size_t)n + (size_t)j] > 0.0f) s->seeds[s->n_seeds++] = i * (size_t)n + (size_t)j;
    if (acc > 0.0 && acc < 1.0) /* OQA rows: 0 < acc < 1, both strict, ray_trainer.py:1375-1376 */
        for (int j = 0; j < n; j++) s->oqa_rows[s->n_oqa_rows++] = i * (size_t)n + (size_t)j;
}

int svs_select(const svs_config *cfg, size_t n_problems, const float *reward, svs_selection *out, svs_err *err) {
    size_t rows = n_problems * (size_t)cfg->n;
    memset(out, 0, sizeof *out);
    if (svs_config_validate(cfg, err) < 0) return -1;
    if (n_problems && !reward) return svs_errf(err, "svs_select: OQA rewards missing");
    out->n_problems = n_problems;
    out->n = cfg->n;
    out->group_acc = svs_calloc(n_problems ? n_problems : 1, sizeof(double), err);
    out->seeds = svs_calloc(rows ? rows : 1, sizeof(size_t), err);
    out->oqa_rows = svs_calloc(rows ? rows : 1, sizeof(size_t), err);
    if (!out->group_acc || !out->seeds || !out->oqa_rows) {
        svs_selection_free(out);
        return -1;
    }
    for (size_t r = 0; r < rows; r++)
        if (!isfinite(reward[r]))
            return svs_selection_free(out), svs_errf(err, "svs_select: OQA reward of row %zu is not finite", r);
    for (size_t i = 0; i < n_problems; i++) select_problem(cfg, i, reward, out);
    return 0;
}
