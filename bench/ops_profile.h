/* ops_profile.h — where the time of a model run goes, op by op: a wrapper ops_table that
 * forwards every call to a backend's table and adds the wall time of the call to a counter per
 * op (and per GEMM shape for matmul_forward/backward). bench_model --profile installs it around
 * the timed runs and prints one JSON line per op to stderr:
 *   {"profile":OP,"calls":N,"ms":TOTAL,"ms_per_run":TOTAL/RUNS,"share":FRACTION}
 * plus, for the matmuls, {"profile":"matmul_forward","shape":"NxIxO","calls":..,"gflops":..}.
 * Timing each call adds two clock reads (~50 ns) per op call: negligible next to the ops of the
 * models benchmarked here (a few µs and up). Single-threaded callers only (the counters are
 * plain globals); the ops themselves may use threads. */
#ifndef SVS_BENCH_OPS_PROFILE_H
#define SVS_BENCH_OPS_PROFILE_H

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ops.h"

enum {
    PROF_MATMUL_F, PROF_MATMUL_B, PROF_EMB_F, PROF_EMB_B, PROF_RMS_F, PROF_RMS_B, PROF_ROPE_F,
    PROF_ROPE_B, PROF_ATT_F, PROF_ATT_B, PROF_ATT_D, PROF_SWIGLU_F, PROF_SWIGLU_B, PROF_ADD,
    PROF_SOFTMAX, PROF_LOGP_F, PROF_LOGP_B, PROF_CE_F, PROF_CE_B, PROF_ADAMW, PROF_NORM,
    PROF_SCALE, PROF_N
};
static const char *const prof_names[PROF_N] = {
    "matmul_forward", "matmul_backward", "embedding_forward", "embedding_backward",
    "rmsnorm_forward", "rmsnorm_backward", "rope_forward", "rope_backward", "attention_forward",
    "attention_backward", "attention_decode", "swiglu_forward", "swiglu_backward", "add",
    "softmax_forward", "logprob_forward", "logprob_backward", "crossentropy_forward",
    "crossentropy_backward", "adamw_update", "grad_norm", "scale"};

static const ops_table *prof_inner;
static double prof_s[PROF_N];
static long prof_calls[PROF_N];

/* matmul shapes seen (N, I, O, backward?) with their time */
#define PROF_SHAPES 64
static struct { int N, I, O, bwd; long calls; double s, flops; } prof_shape[PROF_SHAPES];
static int prof_nshape;

static double prof_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* one call of a matmul shape that took s seconds for `flops` floating-point operations */
static void prof_add_shape(int N, int I, int O, int bwd, double s, double flops) {
    int i = 0;
    while (i < prof_nshape && !(prof_shape[i].N == N && prof_shape[i].I == I &&
                                prof_shape[i].O == O && prof_shape[i].bwd == bwd))
        i++;
    if (i == PROF_SHAPES) return;
    if (i == prof_nshape) {
        prof_shape[i].N = N, prof_shape[i].I = I, prof_shape[i].O = O, prof_shape[i].bwd = bwd;
        prof_shape[i].calls = 0, prof_shape[i].s = 0.0, prof_shape[i].flops = 0.0;
        prof_nshape++;
    }
    prof_shape[i].calls++;
    prof_shape[i].s += s;
    prof_shape[i].flops += flops;
}

/* One wrapper per op: time the inner call, count it. */
#define PROF_BODY(ID, CALL)          \
    double t0_ = prof_now();         \
    CALL;                            \
    prof_s[ID] += prof_now() - t0_;  \
    prof_calls[ID]++

static void pw_matmul_f(float *out, const float *x, const float *w, const float *b, int N, int I,
                        int O) {
    double t0 = prof_now();
    prof_inner->matmul_forward(out, x, w, b, N, I, O);
    double s = prof_now() - t0;
    prof_s[PROF_MATMUL_F] += s, prof_calls[PROF_MATMUL_F]++;
    prof_add_shape(N, I, O, 0, s, 2.0 * N * (double)I * O);
}
static void pw_matmul_b(float *dx, float *dw, float *db, const float *dout, const float *x,
                        const float *w, int N, int I, int O) {
    double t0 = prof_now();
    prof_inner->matmul_backward(dx, dw, db, dout, x, w, N, I, O);
    double s = prof_now() - t0;
    prof_s[PROF_MATMUL_B] += s, prof_calls[PROF_MATMUL_B]++;
    /* dx and dW: 2·N·I·O each when wanted (the dbias sums are not counted) */
    prof_add_shape(N, I, O, 1, s, ((dx != NULL) + (dw != NULL)) * 2.0 * N * (double)I * O);
}
static void pw_emb_f(float *o, const float *w, const int32_t *ids, int N, int C) {
    PROF_BODY(PROF_EMB_F, prof_inner->embedding_forward(o, w, ids, N, C));
}
static void pw_emb_b(float *d, const float *o, const int32_t *ids, int N, int C) {
    PROF_BODY(PROF_EMB_B, prof_inner->embedding_backward(d, o, ids, N, C));
}
static void pw_rms_f(float *o, float *r, const float *x, const float *w, int N, int C, float e) {
    PROF_BODY(PROF_RMS_F, prof_inner->rmsnorm_forward(o, r, x, w, N, C, e));
}
static void pw_rms_b(float *dx, float *dw, const float *d, const float *x, const float *w,
                     const float *r, int N, int C) {
    PROF_BODY(PROF_RMS_B, prof_inner->rmsnorm_backward(dx, dw, d, x, w, r, N, C));
}
static void pw_rope_f(float *o, const float *x, const float *c, const float *s,
                      const int32_t *p, int N, int H, int hd) {
    PROF_BODY(PROF_ROPE_F, prof_inner->rope_forward(o, x, c, s, p, N, H, hd));
}
static void pw_rope_b(float *dx, const float *d, const float *c, const float *s,
                      const int32_t *p, int N, int H, int hd) {
    PROF_BODY(PROF_ROPE_B, prof_inner->rope_backward(dx, d, c, s, p, N, H, hd));
}
static void pw_att_f(float *o, float *p, float *st, const float *q, const float *k,
                     const float *v, int Tq, int Tk, int H, int KVH, int hd) {
    PROF_BODY(PROF_ATT_F, prof_inner->attention_forward(o, p, st, q, k, v, Tq, Tk, H, KVH, hd));
}
static void pw_att_b(float *dq, float *dk, float *dv, float *sc, const float *d,
                     const float *st, const float *q, const float *k, const float *v, int Tq,
                     int Tk, int H, int KVH, int hd) {
    PROF_BODY(PROF_ATT_B, prof_inner->attention_backward(dq, dk, dv, sc, d, st, q, k, v, Tq, Tk,
                                                         H, KVH, hd));
}
static void pw_att_d(float *o, float *sc, const float *q, const float *k, const float *v,
                     const size_t *off, const int *len, int n, int Tmax, int H, int KVH,
                     int hd) {
    PROF_BODY(PROF_ATT_D,
              prof_inner->attention_decode(o, sc, q, k, v, off, len, n, Tmax, H, KVH, hd));
}
static void pw_swiglu_f(float *o, const float *g, const float *u, size_t n) {
    PROF_BODY(PROF_SWIGLU_F, prof_inner->swiglu_forward(o, g, u, n));
}
static void pw_swiglu_b(float *dg, float *du, const float *d, const float *g, const float *u,
                        size_t n) {
    PROF_BODY(PROF_SWIGLU_B, prof_inner->swiglu_backward(dg, du, d, g, u, n));
}
static void pw_add(float *o, const float *a, const float *b, size_t n) {
    PROF_BODY(PROF_ADD, prof_inner->add(o, a, b, n));
}
static void pw_softmax(float *p, const float *l, int N, int V, float t) {
    PROF_BODY(PROF_SOFTMAX, prof_inner->softmax_forward(p, l, N, V, t));
}
static void pw_logp_f(float *lp, float *en, const float *l, const int32_t *y, int N, int V,
                      float t) {
    PROF_BODY(PROF_LOGP_F, prof_inner->logprob_forward(lp, en, l, y, N, V, t));
}
static void pw_logp_b(float *dl, const float *dlp, const float *den, const float *l,
                      const int32_t *y, int N, int V, float t) {
    PROF_BODY(PROF_LOGP_B, prof_inner->logprob_backward(dl, dlp, den, l, y, N, V, t));
}
static void pw_ce_f(float *loss, float *ls, const float *l, const int32_t *y, int N, int V) {
    PROF_BODY(PROF_CE_F, prof_inner->crossentropy_forward(loss, ls, l, y, N, V));
}
static void pw_ce_b(float *dl, float d, const float *l, const int32_t *y, int N, int V) {
    PROF_BODY(PROF_CE_B, prof_inner->crossentropy_backward(dl, d, l, y, N, V));
}
static void pw_adamw(float *p, float *m, float *v, const float *g, size_t n, double lr, double b1,
                     double b2, double eps, double wd, int64_t step) {
    PROF_BODY(PROF_ADAMW, prof_inner->adamw_update(p, m, v, g, n, lr, b1, b2, eps, wd, step));
}
static float pw_norm(const float *g, size_t n) {
    float r;
    PROF_BODY(PROF_NORM, r = prof_inner->grad_norm(g, n));
    return r;
}
static void pw_scale(float *x, size_t n, float s) {
    PROF_BODY(PROF_SCALE, prof_inner->scale(x, n, s));
}

/* The wrapper around `inner` (ops the inner table lacks stay NULL). */
static const ops_table *ops_profile_wrap(const ops_table *inner) {
    static ops_table t;
    prof_inner = inner;
    memset(&t, 0, sizeof t);
    t.name = inner->name;
#define PW(field, fn) t.field = inner->field ? fn : NULL
    PW(matmul_forward, pw_matmul_f);
    PW(matmul_backward, pw_matmul_b);
    PW(embedding_forward, pw_emb_f);
    PW(embedding_backward, pw_emb_b);
    PW(rmsnorm_forward, pw_rms_f);
    PW(rmsnorm_backward, pw_rms_b);
    PW(rope_forward, pw_rope_f);
    PW(rope_backward, pw_rope_b);
    PW(attention_forward, pw_att_f);
    PW(attention_backward, pw_att_b);
    PW(attention_decode, pw_att_d);
    PW(swiglu_forward, pw_swiglu_f);
    PW(swiglu_backward, pw_swiglu_b);
    PW(add, pw_add);
    PW(softmax_forward, pw_softmax);
    PW(logprob_forward, pw_logp_f);
    PW(logprob_backward, pw_logp_b);
    PW(crossentropy_forward, pw_ce_f);
    PW(crossentropy_backward, pw_ce_b);
    PW(adamw_update, pw_adamw);
    PW(grad_norm, pw_norm);
    PW(scale, pw_scale);
#undef PW
    return &t;
}

static void ops_profile_reset(void) {
    memset(prof_s, 0, sizeof prof_s);
    memset(prof_calls, 0, sizeof prof_calls);
    prof_nshape = 0;
}

/* Prints the counters of `runs` timed runs that took `total_s` in all (the share of each op is
 * of that total; "other" is the time outside any op: the model's own loops, memcpy, sampling). */
static void ops_profile_print(int runs, double total_s) {
    double in_ops = 0.0;
    for (int i = 0; i < PROF_N; i++) {
        in_ops += prof_s[i];
        if (!prof_calls[i]) continue;
        fprintf(stderr,
                "{\"profile\":\"%s\",\"calls\":%ld,\"ms\":%.3f,\"ms_per_run\":%.3f,"
                "\"share\":%.4f}\n",
                prof_names[i], prof_calls[i], 1e3 * prof_s[i], 1e3 * prof_s[i] / runs,
                prof_s[i] / total_s);
    }
    fprintf(stderr, "{\"profile\":\"other\",\"ms_per_run\":%.3f,\"share\":%.4f}\n",
            1e3 * (total_s - in_ops) / runs, (total_s - in_ops) / total_s);
    for (int i = 0; i < prof_nshape; i++) {
        double fl = prof_shape[i].flops;
        fprintf(stderr,
                "{\"profile\":\"%s\",\"shape\":\"%dx%dx%d\",\"calls\":%ld,\"ms_per_run\":%.3f,"
                "\"gflops\":%.1f}\n",
                prof_shape[i].bwd ? "matmul_backward" : "matmul_forward", prof_shape[i].N,
                prof_shape[i].I, prof_shape[i].O, prof_shape[i].calls,
                1e3 * prof_shape[i].s / runs, fl / prof_shape[i].s * 1e-9);
    }
}

#endif
