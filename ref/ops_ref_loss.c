/* ops_ref_loss.c — reference softmax, per-token log-prob and entropy, and cross-entropy
 * (ref/ops.h; spec/grpo-conventions.md §3).
 *
 * Temperature: verl divides the logits by the rollout temperature before every log-prob and
 * entropy (logits.div_(temperature), fp32; §3.1), so z = logits / T is an fp32 division here.
 *   logp_y = z_y − logsumexp(z)                    verl logprobs_from_logits_v2 (§3.3)
 *   H      = logsumexp(z) − Σ_j softmax(z)_j·z_j   verl entropy_from_logits (§3.4)
 * Everything after z is evaluated in double and rounded once: the verl entropy form subtracts
 * two nearly equal numbers when the distribution is peaked, and double keeps that exact enough
 * for a reference. The backward kernels recompute the row statistics (max, logsumexp, H) in
 * double instead of reading fp32 copies, so no extra buffer is needed. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "ops_ref.h"

/* The statistics of one row of z = logits / T. */
typedef struct row_stats {
    double lse; /* logsumexp(z) = max + log Σ_j exp(z_j − max) */
    double pz;  /* Σ_j softmax(z)_j · z_j */
} row_stats;

static float zval(const float *row, int j, float temperature) { return row[j] / temperature; }

static row_stats row_statistics(const float *row, int V, float temperature) {
    float mx = -INFINITY;
    for (int j = 0; j < V; j++) {
        float z = zval(row, j, temperature);
        if (z > mx) mx = z;
    }
    double sum = 0.0;
    for (int j = 0; j < V; j++) sum += exp((double)zval(row, j, temperature) - (double)mx);
    row_stats st;
    st.lse = (double)mx + log(sum);
    st.pz = 0.0;
    for (int j = 0; j < V; j++) {
        double z = zval(row, j, temperature);
        st.pz += exp(z - st.lse) * z;
    }
    return st;
}

void ops_ref_softmax_forward(float *probs,        /* [N, V] */
                             const float *logits, /* [N, V] */
                             int N, int V, float temperature) {
    for (int n = 0; n < N; n++) {
        const float *row = logits + (size_t)n * (size_t)V;
        float *p = probs + (size_t)n * (size_t)V;
        row_stats st = row_statistics(row, V, temperature);
        for (int j = 0; j < V; j++) p[j] = (float)exp((double)zval(row, j, temperature) - st.lse);
    }
}

void ops_ref_logprob_forward(float *logp,            /* [N] or NULL */
                             float *entropy,         /* [N] or NULL */
                             const float *logits,    /* [N, V] */
                             const int32_t *targets, /* [N] */
                             int N, int V, float temperature) {
    for (int n = 0; n < N; n++) {
        const float *row = logits + (size_t)n * (size_t)V;
        row_stats st = row_statistics(row, V, temperature);
        if (logp) logp[n] = (float)((double)zval(row, targets[n], temperature) - st.lse);
        if (entropy) entropy[n] = (float)(st.lse - st.pz); /* H = lse − Σ p·z */
    }
}

void ops_ref_logprob_backward(float *dlogits,         /* [N, V] += */
                              const float *dlogp,     /* [N] or NULL */
                              const float *dentropy,  /* [N] or NULL */
                              const float *logits,    /* [N, V] */
                              const int32_t *targets, /* [N] */
                              int N, int V, float temperature) {
    /* in the forward this was: logp = z_y − lse(z), H = lse(z) − Σ_j p_j·z_j, z = logits/T;
     * with p = softmax(z):
     *   ∂logp/∂z_j = δ_jy − p_j                        (grpo-conventions §3.3)
     *   ∂H/∂z_j    = −p_j·(log p_j + H)                 (grpo-conventions §3.4)
     * and ∂z_j/∂logits_j = 1/T.                                                         */
    for (int n = 0; n < N; n++) {
        double gl = dlogp ? dlogp[n] : 0.0, gh = dentropy ? dentropy[n] : 0.0;
        if (gl == 0.0 && gh == 0.0) continue; /* masked token: nothing to add */
        const float *row = logits + (size_t)n * (size_t)V;
        float *drow = dlogits + (size_t)n * (size_t)V;
        row_stats st = row_statistics(row, V, temperature);
        double H = st.lse - st.pz;
        int y = dlogp ? targets[n] : -1;
        for (int j = 0; j < V; j++) {
            double logp_j = (double)zval(row, j, temperature) - st.lse;
            double p = exp(logp_j);
            double dz = gl * ((j == y ? 1.0 : 0.0) - p) + gh * (-p * (logp_j + H));
            drow[j] += (float)(dz / (double)temperature);
        }
    }
}

void ops_ref_crossentropy_forward(float *loss,            /* [1] */
                                  float *losses,          /* [N] or NULL */
                                  const float *logits,    /* [N, V] */
                                  const int32_t *targets, /* [N], < 0 ignored */
                                  int N, int V) {
    /* torch F.cross_entropy(logits, targets, reduction="mean"): the mean over non-ignored rows
     * of lse(logits) − logits[y]; 0 valid rows gives 0/0 = NaN as in torch. */
    double sum = 0.0;
    int64_t count = 0;
    for (int n = 0; n < N; n++) {
        const float *row = logits + (size_t)n * (size_t)V;
        double l = 0.0;
        if (targets[n] >= 0) {
            l = row_statistics(row, V, 1.0f).lse - (double)row[targets[n]];
            sum += l;
            count++;
        }
        if (losses) losses[n] = (float)l;
    }
    *loss = count ? (float)(sum / (double)count) : NAN;
}

void ops_ref_crossentropy_backward(float *dlogits,         /* [N, V] += */
                                   float dloss,            /* scalar */
                                   const float *logits,    /* [N, V] */
                                   const int32_t *targets, /* [N] */
                                   int N, int V) {
    /* in the forward this was: loss = (1/count)·Σ_n (lse(row_n) − row_n[y_n]), so
     *   dlogits[n,j] = dloss/count · (p_j − δ_jy)                                        */
    int64_t count = 0;
    for (int n = 0; n < N; n++) count += targets[n] >= 0;
    if (count == 0) return;
    double g = (double)dloss / (double)count;
    for (int n = 0; n < N; n++) {
        if (targets[n] < 0) continue;
        const float *row = logits + (size_t)n * (size_t)V;
        float *drow = dlogits + (size_t)n * (size_t)V;
        double lse = row_statistics(row, V, 1.0f).lse;
        for (int j = 0; j < V; j++) {
            double p = exp((double)row[j] - lse);
            drow[j] += (float)(g * (p - (j == targets[n] ? 1.0 : 0.0)));
        }
    }
}
