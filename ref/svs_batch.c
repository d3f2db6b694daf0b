/* svs_batch.c — the rows entering the update, their groups and masks, and the early exits
 * (spec/svs-algorithm.md §2.7, §2.2 step 13, §2.3 step 16, §2.4 "Early exit 2"; Q1, Q4, Q7,
 * Q11, Q17 of §8).
 *
 * Input: a step record (svs_step_in): OQA rewards and lengths, the kept seeds, the validity of
 * each synthesis response, the SPA rewards of the valid ones, and all lengths. Output: the batch
 * OQA ++ VPS ++ SPA (MasterVito/SvS@9fd8f35:verl/trainer/ppo/ray_trainer.py:1575) where
 *   OQA = all rows of problems with 0 < acc_g < 1;
 *   VPS = the n rows of a seed group, faithful: if any reward is 1 (Q7); default: 0 < mean < 1;
 *   SPA = the n rows of a valid synthetic problem with 0 < cnt < n (Q17: whatever its VPS reward);
 * the VPS rows subsampled by r2q_ratio, the tail truncated to a multiple of W (faithful, Q11),
 * one uid per problem / seed / synthetic problem, and per row the loss-mask length and the
 * advantage-mask length (Q1). Early exits: faithful skips the step on exits 1 and 2 (Q4);
 * default trains on the OQA rows; an empty batch is skipped in both modes (exit 3). */
#include "svs.h"

#include <stdlib.h>
#include <string.h>

uint64_t svs_rng_next(uint64_t *state) { /* splitmix64 (Steele, Lea, Flood 2014) */
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint64_t svs_rng_below(uint64_t *state, uint64_t bound) { /* rejection: no modulo bias */
    uint64_t limit = UINT64_MAX - UINT64_MAX % bound, x;
    do x = svs_rng_next(state);
    while (x >= limit);
    return x % bound;
}

void svs_batch_free(svs_batch *b) {
    if (!b) return;
    free(b->rows);
    free(b->vps_reward);
    free(b->vps_cnt);
    memset(b, 0, sizeof *b);
}

/* Checks that the kept seeds are seeds of the selection, in increasing row order. */
static int check_kept(const svs_selection *sel, const svs_step_in *in, svs_err *err) {
    size_t j = 0;
    if (in->n_kept && (!in->kept_seed_row || !in->vps_valid || !in->vps_len))
        return svs_errf(err, "svs_batch: kept seeds given without their synthesis rows");
    for (size_t k = 0; k < in->n_kept; k++) {
        while (j < sel->n_seeds && sel->seeds[j] != in->kept_seed_row[k]) j++;
        if (j == sel->n_seeds)
            return svs_errf(err, "svs_batch: kept seed %zu (OQA row %zu) is not a seed, or out of order", k,
                            in->kept_seed_row[k]);
        j++;
    }
    return 0;
}

static svs_row oqa_row(const svs_step_in *in, size_t r, int n) {
    svs_row row = {SVS_KIND_OQA, r, (int64_t)(r / (size_t)n), in->oqa_reward[r], r, in->oqa_len[r], in->oqa_len[r]};
    return row;
}

/* Q1: response_mask is computed once for the OQA batch and carried into the VPS/SPA rows, so
 * their advantages are masked by the SEED's length while the loss uses the true mask
 * (MasterVito/SvS@9fd8f35:verl/trainer/ppo/ray_trainer.py:1330,1436,1508; core_algos.py:252;
 * dp_actor.py:437). Default mode uses each row's own mask. */
static size_t adv_len(const svs_config *cfg, const svs_step_in *in, size_t seed_row, size_t own) {
    return cfg->faithful ? in->oqa_len[seed_row] : own;
}

/* Q7: faithful keeps a seed group if ANY of its n rewards is 1, so all-1 groups (advantage 0)
 * stay (MasterVito/SvS@9fd8f35:verl/trainer/ppo/ray_trainer.py:1542,1555-1558); default keeps
 * 0 < mean < 1, like OQA and SPA. */
static int keep_vps_group(const svs_config *cfg, const float *reward) {
    int ones = 0;
    int n = svs_n_vps(cfg);
    for (int m = 0; m < n; m++) ones += reward[m] > 0.0f;
    return cfg->faithful ? ones > 0 : (ones > 0 && ones < n);
}

static void add_vps_rows(const svs_config *cfg, const svs_step_in *in, svs_batch *b) {
    size_t n = (size_t)svs_n_vps(cfg);
    for (size_t k = 0; k < in->n_kept; k++) {
        if (!keep_vps_group(cfg, b->vps_reward + k * n)) continue;
        size_t seed = in->kept_seed_row[k];
        for (size_t m = 0; m < n; m++) {
            size_t r = k * n + m, own = in->vps_len[r];
            svs_row row = {SVS_KIND_VPS, r, (int64_t)(in->n_problems + k), b->vps_reward[r], seed, own,
                           adv_len(cfg, in, seed, own)};
            b->rows[b->n_rows++] = row;
        }
        b->n_vps_kept += n;
    }
}

/* Q17: an SPA group is kept iff 0 < cnt < n, independent of its synthesis reward (a problem
 * with 6/8 gives reward 0 yet trains its SPA rows), MasterVito/SvS@9fd8f35:verl/trainer/ppo/ray_trainer.py:1562-1566. */
static void add_spa_rows(const svs_config *cfg, const svs_step_in *in, svs_batch *b) {
    size_t nv = (size_t)svs_n_vps(cfg), n = (size_t)svs_n_spa(cfg), v = 0;
    for (size_t r = 0; r < in->n_kept * nv; r++) {
        if (!in->vps_valid[r]) continue;
        int cnt = b->vps_cnt[r];
        size_t seed = in->kept_seed_row[r / nv];
        if (cnt > 0 && (size_t)cnt < n) {
            for (size_t k = 0; k < n; k++) {
                size_t s = v * n + k, own = in->spa_len[s];
                svs_row row = {SVS_KIND_SPA, s, (int64_t)(in->n_problems + in->n_kept + v), in->spa_reward[s],
                               seed, own, adv_len(cfg, in, seed, own)};
                b->rows[b->n_rows++] = row;
            }
            b->n_spa_kept += n;
        }
        v++;
    }
}

/* data.r2q_training_ratio < 1: int(ratio · #VPS rows) individual VPS rows, a random subset in
 * random order (MasterVito/SvS@9fd8f35:verl/trainer/ppo/ray_trainer.py:1571-1572). The VPS rows
 * occupy rows[first, first+m); a partial Fisher–Yates shuffle picks the kept ones. */
static void r2q_subsample(const svs_config *cfg, svs_batch *b, size_t first, size_t m, uint64_t *rng) {
    if (cfg->r2q_ratio >= 1.0 || m == 0) return;
    size_t keep = (size_t)(cfg->r2q_ratio * (double)m); /* Python int(): truncation */
    svs_row *v = b->rows + first;
    for (size_t i = 0; i < keep; i++) {
        size_t j = i + (size_t)svs_rng_below(rng, (uint64_t)(m - i));
        svs_row t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
    memmove(v + keep, v + m, (b->n_rows - first - m) * sizeof *v);
    b->n_rows -= m - keep;
}

/* Shapes the synthesis rewards of all synthesis rows and counts the valid ones. */
static int shape(const svs_config *cfg, const svs_step_in *in, svs_batch *b, svs_err *err) {
    size_t rows = in->n_kept * (size_t)svs_n_vps(cfg);
    b->n_vps_all = rows;
    b->vps_reward = svs_calloc(rows ? rows : 1, sizeof(float), err);
    b->vps_cnt = svs_calloc(rows ? rows : 1, sizeof(int), err);
    if (!b->vps_reward || !b->vps_cnt) return -1;
    for (size_t r = 0; r < rows; r++) b->n_valid += in->vps_valid[r] != 0;
    b->n_spa_all = b->n_valid * (size_t)svs_n_spa(cfg);
    if (b->n_valid && (!in->spa_reward || !in->spa_len))
        return svs_errf(err, "svs_batch: %zu valid synthetic problems but no SPA rows", b->n_valid);
    return svs_shape_rewards(cfg, rows, in->vps_valid, in->spa_reward, b->vps_cnt, b->vps_reward, err);
}

/* The first early exit met (§2.2 step 13, §2.3 step 16, §2.4). */
static svs_exit first_exit(const svs_batch *b, const svs_step_in *in) {
    if (b->n_seeds == 0) return SVS_EXIT_NO_SEEDS;
    if (in->n_kept == 0) return SVS_EXIT_NO_KEPT_SEEDS;
    if (b->n_valid == 0) return SVS_EXIT_NO_VALID;
    return SVS_EXIT_NONE;
}

static int assemble_rows(const svs_config *cfg, const svs_step_in *in, const svs_selection *sel, uint64_t *rng,
                         svs_batch *b, svs_err *err) {
    size_t cap = sel->n_oqa_rows + b->n_vps_all + b->n_spa_all;
    b->rows = svs_calloc(cap ? cap : 1, sizeof(svs_row), err);
    if (!b->rows) return -1;
    for (size_t k = 0; k < sel->n_oqa_rows; k++) b->rows[b->n_rows++] = oqa_row(in, sel->oqa_rows[k], cfg->n);
    b->n_oqa = b->n_rows;
    add_vps_rows(cfg, in, b);
    size_t spa_first = b->n_rows;
    add_spa_rows(cfg, in, b);
    b->n_spa = b->n_rows - spa_first;
    r2q_subsample(cfg, b, b->n_oqa, spa_first - b->n_oqa, rng);
    b->n_vps = b->n_rows - b->n_oqa - b->n_spa;
    b->n_total = b->n_rows;
    return 0;
}

/* Q11: the last len(batch) mod W rows are dropped so the batch splits over W ranks; they come
 * from the SPA tail and may leave a partial group (MasterVito/SvS@9fd8f35:verl/trainer/ppo/ray_trainer.py:1587-1593).
 * Default mode does not truncate. */
static void truncate_world(const svs_config *cfg, svs_batch *b) {
    if (!cfg->faithful) return;
    b->n_truncated = b->n_rows % (size_t)cfg->world_size;
    b->n_rows -= b->n_truncated;
}

static int assemble(const svs_config *cfg, const svs_step_in *in, const svs_selection *sel, uint64_t *rng,
                    svs_batch *b, svs_err *err) {
    b->n_seeds = sel->n_seeds;
    if (check_kept(sel, in, err) < 0 || shape(cfg, in, b, err) < 0) return -1;
    b->exit = first_exit(b, in);
    /* Q4: early exits 1 and 2 skip the whole step, the valid OQA rows included, and leave the
     * step counter unchanged (MasterVito/SvS@9fd8f35:verl/trainer/ppo/ray_trainer.py:1378-1380,1464-1466).
     * Default mode trains on the rows that exist (OQA only) and counts the step. */
    if (cfg->faithful && b->exit != SVS_EXIT_NONE) {
        b->rows = svs_calloc(1, sizeof(svs_row), err);
        return b->rows ? 0 : -1;
    }
    if (assemble_rows(cfg, in, sel, rng, b, err) < 0) return -1;
    truncate_world(cfg, b);
    /* Early exit 3: an empty batch is skipped in both modes (ray_trainer.py:1589-1591). */
    if (b->n_rows == 0 && b->exit == SVS_EXIT_NONE) b->exit = SVS_EXIT_EMPTY_BATCH;
    b->train = b->n_rows > 0;
    return 0;
}

int svs_batch_assemble(const svs_config *cfg, const svs_step_in *in, uint64_t *rng, svs_batch *out, svs_err *err) {
    svs_selection sel;
    memset(out, 0, sizeof *out);
    if (cfg->r2q_ratio < 1.0 && !rng) return svs_errf(err, "svs_batch: r2q_ratio < 1 needs an RNG state");
    if (in->n_problems && !in->oqa_len) return svs_errf(err, "svs_batch: OQA response lengths missing");
    if (svs_select(cfg, in->n_problems, in->oqa_reward, &sel, err) < 0) return -1;
    int rc = assemble(cfg, in, &sel, rng, out, err);
    svs_selection_free(&sel);
    if (rc < 0) svs_batch_free(out);
    return rc;
}
