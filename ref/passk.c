/* passk.c — the unbiased pass@k estimator in its stable product form (see passk.h). */
#include "passk.h"

int passk_estimate(long long n, long long c, long long k, int humaneval_k_gt_n, double *out,
                   svs_err *err) {
    if (n < 1) return svs_errf(err, "pass@k: n = %lld, need n >= 1", n);
    if (c < 0 || c > n) return svs_errf(err, "pass@k: c = %lld, need 0 <= c <= n = %lld", c, n);
    if (k < 1) return svs_errf(err, "pass@k: k = %lld, need k >= 1", k);
    if (k > n && !humaneval_k_gt_n)
        return svs_errf(err, "pass@k: k = %lld > n = %lld (human-eval would return 1.0; "
                             "pass --humaneval-k-gt-n to reproduce that)", k, n);
    /* human-eval: `if n - c < k: return 1.0` -- also taken when k > n, whatever c is. */
    if (n - c < k) {
        *out = 1.0;
        return 0;
    }
    /* C(n-c,k)/C(n,k) = prod_{i=n-c+1}^{n} (i-k)/i = prod (1 - k/i); c = 0 gives 1 -> 0. */
    double prod = 1.0;
    for (long long i = n - c + 1; i <= n; i++) prod *= 1.0 - (double)k / (double)i;
    *out = 1.0 - prod;
    return 0;
}

int passk_mean(const long long *n, const long long *c, size_t nprob, long long k,
               int humaneval_k_gt_n, double *out, svs_err *err) {
    if (nprob == 0) return svs_errf(err, "pass@k: no problems");
    double sum = 0.0;
    for (size_t i = 0; i < nprob; i++) {
        double v;
        if (passk_estimate(n[i], c[i], k, humaneval_k_gt_n, &v, err))
            return svs_err_prefix(err, "problem %zu", i + 1);
        sum += v;
    }
    *out = sum / (double)nprob;
    return 0;
}
