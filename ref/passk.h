/* passk.h — the unbiased pass@k estimator (Chen et al. 2021, openai/human-eval
 * `estimate_pass_at_k`; spec/grpo-conventions.md §10).
 *
 *   pass@k(n, c, k) = 1 - C(n-c, k) / C(n, k)
 *                   = 1 - prod_{i = n-c+1}^{n} (1 - k/i)      (stable product form, double)
 *
 * n samples of which c are correct. Edge cases: c = 0 -> 0 (empty product); n - c < k -> 1
 * (every k-subset holds a correct sample). k > n is an error unless `humaneval_k_gt_n` is set,
 * in which case human-eval's guard is reproduced: it returns 1.0 even when c = 0. */
#ifndef SVS_PASSK_H
#define SVS_PASSK_H

#include <stddef.h>

#include "common.h"

/* Returns 0 and *out, or -1 with err naming the bad argument. */
int passk_estimate(long long n, long long c, long long k, int humaneval_k_gt_n, double *out,
                   svs_err *err);

/* Mean of pass@k over problems (n[i], c[i]); a benchmark score. */
int passk_mean(const long long *n, const long long *c, size_t nprob, long long k,
               int humaneval_k_gt_n, double *out, svs_err *err);

#endif
