/* svs_shape.c — the shaped synthesis reward (spec/svs-algorithm.md §2.6; paper Eq. 4).
 *
 * For each valid synthetic problem, cnt = the number of correct answers among its n SPA
 * rows (n = svs_n_spa: the SPA samples per problem), graded by the caller against the ORIGINAL
 * problem's reference answer (§2.5). The
 * synthesis response that wrote it gets reward 1 iff n·SL <= cnt <= n·SH, both bounds
 * inclusive and tested on the count (MasterVito/SvS@9fd8f35:verl/trainer/ppo/ray_trainer.py:1529-1538):
 * with n = 8, SL = 0.125, SH = 0.625 that is 1 <= cnt <= 5. An invalid extraction (no SPA rows)
 * gets 0. Rewards are 1/0, never negative; a 0 becomes negative only through GRPO
 * normalization. Identical in both modes. */
#include "svs.h"


int svs_spa_count(int n, const float *spa_reward) {
    int cnt = 0;
    for (int k = 0; k < n; k++) cnt += spa_reward[k] > 0.0f;
    return cnt;
}

float svs_synthesis_reward(const svs_config *cfg, int valid, int cnt) {
    if (!valid) return 0.0f;
    double n = (double)svs_n_spa(cfg), lo = n * cfg->synth_lo, hi = n * cfg->synth_hi;
    return (lo <= (double)cnt && (double)cnt <= hi) ? 1.0f : 0.0f;
}

int svs_shape_rewards(const svs_config *cfg, size_t n_vps, const int *valid, const float *spa_reward, int *cnt,
                      float *reward, svs_err *err) {
    size_t v = 0; /* index among the valid rows: their SPA rows are spa_reward[v*n, v*n+n) */
    for (size_t r = 0; r < n_vps; r++) {
        cnt[r] = -1;
        if (valid[r]) {
            if (!spa_reward) return svs_errf(err, "svs_shape_rewards: SPA rewards missing");
            cnt[r] = svs_spa_count(svs_n_spa(cfg), spa_reward + v * (size_t)svs_n_spa(cfg));
            v++;
        }
        reward[r] = svs_synthesis_reward(cfg, valid[r], cnt[r]);
    }
    return 0;
}
