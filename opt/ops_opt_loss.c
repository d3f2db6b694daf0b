/* ops_opt_loss.c — opt softmax, per-token log-prob and entropy, cross-entropy (ref/ops.h;
 * the reference is ref/ops_ref_loss.c; spec/grpo-conventions.md §3).
 *
 * One streaming pass per row computes everything the row needs (row_stats): z = logits / T
 * (the fp32 division verl does), a running max m, and in double
 *   s = Σ_j exp(z_j − m),   a = Σ_j exp(z_j − m)·(z_j − m),
 * updated "online" chunk by chunk (CHUNK floats, L1-resident): when a chunk raises the max from
 * m to m', s ← s·e^(m−m') and a ← e^(m−m')·(a + (m−m')·s). Then
 *   logsumexp(z) = m + log s,   logp_y = (z_y − m) − log s,   H = log s − a/s.
 * That form of the verl entropy lse − Σ p·z has two non-negative terms (u = z − m <= 0), so it
 * does not cancel when the distribution is peaked; with s and a summed in double it stays as
 * accurate as the reference's. The exps are opt_expf (fp32, vectorized). Rows are split over
 * OpenMP threads; a row's results never depend on the thread count. The cross-entropy mean
 * sums per-thread partials in thread order (ops_opt_int.h, determinism).
 * The backward's target element y is recomputed in double with expm1, so δ_jy − p_j keeps its
 * digits when p_y is close to 1. */
#include <math.h>
#include <omp.h>
#include <stddef.h>
#include <stdint.h>

#include "ops_opt.h"
#include "ops_opt_int.h"

/* Elements per chunk of the online pass: 8 KiB of fp32, comfortably inside L1. */
#define CHUNK 2048
/* Lanes of the explicit vector loops (two SSE registers, one AVX register), and the elements
 * per lane a float partial sum takes before it is added into the double totals. */
#define LANES 8
#define FLUSH 64

typedef struct opt_row_stats {
    float m;     /* max_j z_j */
    double logs; /* log Σ_j exp(z_j − m) */
    double a;    /* Σ_j exp(z_j − m)·(z_j − m) / s */
} opt_row_stats;

/* The running sums of one row relative to its running max m:
 *   s = ties + rest,  ties = #{j : z_j == m} (each contributes e^0 = 1 exactly),
 *   rest = Σ_{z_j < m} e^(z_j − m),  a = Σ_j e^(z_j − m)·(z_j − m).
 * Keeping the exact count apart from the small terms lets log s = log(ties) + log1p(rest/ties)
 * keep every digit of rest when the distribution is peaked (rest ≪ 1), which is where the
 * entropy H = log s − a/s is small and its relative error would otherwise blow up. */
typedef struct lse_acc {
    double ties, rest, a;
} lse_acc;

OPT_INLINE void chunk_sums(lse_acc *acc, const float *z, int n, float m) {
    int j = 0;
    while (j + LANES <= n) {
        float st[LANES] = {0}, sr[LANES] = {0}, sa[LANES] = {0};
        int jend = j + FLUSH <= n ? j + FLUSH : n - (n - j) % LANES;
        for (; j < jend; j += LANES)
            for (int k = 0; k < LANES; k++) {
                float u = z[j + k] - m, e = opt_expf(u);
                int tie = u == 0.0f;
                st[k] += opt_sel(tie, 1.0f, 0.0f);
                sr[k] += opt_sel(tie, 0.0f, e);
                sa[k] += e * u;
            }
        for (int k = 0; k < LANES; k++) {
            acc->ties += st[k];
            acc->rest += sr[k];
            acc->a += sa[k];
        }
    }
    for (; j < n; j++) {
        float u = z[j] - m, e = opt_expf(u);
        if (u == 0.0f) acc->ties += 1.0;
        else acc->rest += e;
        acc->a += (double)(e * u);
    }
}

OPT_INLINE opt_row_stats row_stats(const float *row, int V, float T) {
    float zb[CHUNK]; /* z = row / T for one chunk (the fp32 division verl does) */
    float m = -INFINITY;
    lse_acc acc = {0.0, 0.0, 0.0};
    for (int c0 = 0; c0 < V; c0 += CHUNK) {
        int n = c0 + CHUNK < V ? CHUNK : V - c0;
        const float *z = row + c0;
        if (T != 1.0f) { /* x / 1 == x exactly: no copy at T = 1 */
            for (int j = 0; j < n; j++) zb[j] = row[c0 + j] / T;
            z = zb;
        }
        float cm = opt_max(z, n);
        if (cm > m) {
            if (acc.ties + acc.rest > 0.0) { /* rescale the sums from max m to the new max cm */
                double d = (double)m - (double)cm, f = exp(d), s = acc.ties + acc.rest;
                acc.a = f * (acc.a + d * s);
                acc.rest = f * s; /* the old maxima are now below the max */
                acc.ties = 0.0;
            }
            m = cm;
        }
        chunk_sums(&acc, z, n, m);
    }
    double logs = acc.ties > 0.0 ? log(acc.ties) + log1p(acc.rest / acc.ties) : log(acc.rest);
    opt_row_stats st = {m, logs, acc.a / (acc.ties + acc.rest)};
    return st;
}

/* The per-row kernels below are compiled twice (OPT_CLONES: AVX2 and baseline x86-64), the
 * CPU picks one at load time; row_stats and opt_expf are inlined into each. The explicit
 * LANES-wide sums of chunk_sums make both versions give the same bits. */
OPT_CLONES static opt_row_stats row_stats_k(const float *row, int V, float T) {
    return row_stats(row, V, T);
}

OPT_CLONES static void softmax_row(float *p, const float *row, int V, float T) {
    opt_row_stats st = row_stats(row, V, T);
    float ls = (float)st.logs, m = st.m;
    /* p_j = exp(z_j − m − log s) */
    if (T == 1.0f) {
#pragma omp simd
        for (int j = 0; j < V; j++) p[j] = opt_expf((row[j] - m) - ls);
    } else {
#pragma omp simd
        for (int j = 0; j < V; j++) p[j] = opt_expf((row[j] / T - m) - ls);
    }
}

/* drow += dz/T with dz = gl·(δ_jy − p_j) − gh·p_j·(log p_j + H); y < 0: no logp term */
OPT_CLONES static void logprob_bwd_row(float *drow, const float *row, int V, float T, float gl,
                                       float gh, int y) {
    opt_row_stats st = row_stats(row, V, T);
    double Hd = st.logs - st.a;
    float ls = (float)st.logs, m = st.m, H = (float)Hd, invT = 1.0f / T;
    float keep = y >= 0 ? drow[y] : 0.0f;
#pragma omp simd
    for (int j = 0; j < V; j++) {
        float lp = (row[j] / T - m) - ls, p = opt_expf(lp);
        drow[j] += (-gl * p - gh * p * (lp + H)) * invT;
    }
    if (y >= 0) { /* the target element again, in double: 1 − p_y = −expm1(logp_y) */
        double lp = (double)(row[y] / T) - (double)m - st.logs;
        double dz = -(double)gl * expm1(lp) - (double)gh * exp(lp) * (lp + Hd);
        drow[y] = keep + (float)(dz / (double)T);
    }
}

/* drow += g·(p_j − δ_jy), T = 1 */
OPT_CLONES static void ce_bwd_row(float *drow, const float *row, int V, double g, int y) {
    opt_row_stats st = row_stats(row, V, 1.0f);
    float ls = (float)st.logs, m = st.m, keep = drow[y], gf = (float)g;
#pragma omp simd
    for (int j = 0; j < V; j++) drow[j] += gf * opt_expf((row[j] - m) - ls);
    /* the target element in double: p_y − 1 = expm1(logp_y) */
    drow[y] = keep + (float)(g * expm1((double)row[y] - (double)m - st.logs));
}

#define PAR_ROWS(N, V) if ((size_t)(N) * (size_t)(V) > OPT_PAR_MIN)

void opt_softmax_forward(float *probs,        /* [N, V] */
                         const float *logits, /* [N, V] */
                         int N, int V, float temperature) {
#pragma omp parallel for schedule(static) PAR_ROWS(N, V)
    for (int n = 0; n < N; n++)
        softmax_row(probs + (size_t)n * (size_t)V, logits + (size_t)n * (size_t)V, V, temperature);
}

void opt_logprob_forward(float *logp,            /* [N] or NULL */
                         float *entropy,         /* [N] or NULL */
                         const float *logits,    /* [N, V] */
                         const int32_t *targets, /* [N] */
                         int N, int V, float temperature) {
#pragma omp parallel for schedule(static) PAR_ROWS(N, V)
    for (int n = 0; n < N; n++) {
        const float *row = logits + (size_t)n * (size_t)V;
        opt_row_stats st = row_stats_k(row, V, temperature);
        if (logp)
            logp[n] = (float)((double)(row[targets[n]] / temperature) - (double)st.m - st.logs);
        if (entropy) entropy[n] = (float)(st.logs - st.a); /* H = log s − a/s, both >= 0 */
    }
}

void opt_logprob_backward(float *dlogits,         /* [N, V] += */
                          const float *dlogp,     /* [N] or NULL */
                          const float *dentropy,  /* [N] or NULL */
                          const float *logits,    /* [N, V] */
                          const int32_t *targets, /* [N] */
                          int N, int V, float temperature) {
    /* in the forward this was: logp = z_y − lse(z), H = lse(z) − Σ_j p_j·z_j, z = logits/T;
     *   ∂logp/∂z_j = δ_jy − p_j,  ∂H/∂z_j = −p_j·(log p_j + H),  ∂z_j/∂logits_j = 1/T       */
#pragma omp parallel for schedule(static) PAR_ROWS(N, V)
    for (int n = 0; n < N; n++) {
        float gl = dlogp ? dlogp[n] : 0.0f, gh = dentropy ? dentropy[n] : 0.0f;
        if (gl == 0.0f && gh == 0.0f) continue; /* masked token: nothing to add */
        logprob_bwd_row(dlogits + (size_t)n * (size_t)V, logits + (size_t)n * (size_t)V, V,
                        temperature, gl, gh, dlogp ? targets[n] : -1);
    }
}

void opt_crossentropy_forward(float *loss,            /* [1] */
                              float *losses,          /* [N] or NULL */
                              const float *logits,    /* [N, V] */
                              const int32_t *targets, /* [N], < 0 ignored */
                              int N, int V) {
    double psum[OPT_MAX_THREADS] = {0};
    int64_t pcnt[OPT_MAX_THREADS] = {0};
    int nth_max = omp_get_max_threads();
    if (nth_max > OPT_MAX_THREADS) nth_max = OPT_MAX_THREADS;
    int nth_used = 1;
#pragma omp parallel num_threads(nth_max) PAR_ROWS(N, V)
    {
        int tid = omp_get_thread_num(), nth = omp_get_num_threads();
#pragma omp single
        nth_used = nth;
        /* contiguous block of rows per thread, so the partials are summed in row order */
        int n0 = (int)((int64_t)N * tid / nth), n1 = (int)((int64_t)N * (tid + 1) / nth);
        double sum = 0.0;
        int64_t cnt = 0;
        for (int n = n0; n < n1; n++) {
            const float *row = logits + (size_t)n * (size_t)V;
            double l = 0.0;
            if (targets[n] >= 0) {
                opt_row_stats st = row_stats_k(row, V, 1.0f);
                l = (double)st.m + st.logs - (double)row[targets[n]]; /* lse − logit_y */
                sum += l;
                cnt++;
            }
            if (losses) losses[n] = (float)l;
        }
        psum[tid] = sum;
        pcnt[tid] = cnt;
    }
    double sum = 0.0;
    int64_t count = 0;
    for (int t = 0; t < nth_used; t++) {
        sum += psum[t];
        count += pcnt[t];
    }
    *loss = count ? (float)(sum / (double)count) : NAN;
}

void opt_crossentropy_backward(float *dlogits,         /* [N, V] += */
                               float dloss,            /* scalar */
                               const float *logits,    /* [N, V] */
                               const int32_t *targets, /* [N] */
                               int N, int V) {
    /* in the forward this was: loss = (1/count)·Σ_n (lse(row_n) − row_n[y_n]), so
     *   dlogits[n,j] = dloss/count · (p_j − δ_jy)                                          */
    int64_t count = 0;
    for (int n = 0; n < N; n++) count += targets[n] >= 0;
    if (count == 0) return;
    double g = (double)dloss / (double)count;
#pragma omp parallel for schedule(static) PAR_ROWS(N, V)
    for (int n = 0; n < N; n++)
        if (targets[n] >= 0)
            ce_bwd_row(dlogits + (size_t)n * (size_t)V, logits + (size_t)n * (size_t)V, V, g,
                       targets[n]);
}
