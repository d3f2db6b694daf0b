/* bench_ops.c — speed of the "opt" backend (opt/) next to the reference (ref/).
 *
 * Part 1, GEMM: GFLOP/s (2·M·N·K / time) of opt_gemm with each GEMM library compiled in
 * (OpenBLAS, oneDNN), on 1 thread and on all threads, for the linear-layer shapes of the models
 * (rows = batch 16 × seq 128 = 2048; d 256, FFN 768, vocabulary 1024), in the three forms a
 * linear layer uses: forward x·W^T (N,T), dx = dout·W (N,N), dW = dout^T·x (T,N).
 * Part 2, ops: milliseconds per call of every op of ref/ops.h, ref (single thread, by design)
 * next to opt (1 thread and all threads, default GEMM library), at the shapes of the 3.4M
 * config (vocab 1024, d 256, 4 layers, 4 heads, 2 KV heads, FFN 768, seq 128, batch 16);
 * attention is one call per sequence, 16 sequences per measurement.
 * Each figure is the median of REPEATS timed runs after one warm-up (the reference: at most 3);
 * one JSON line per figure, each with the peak memory (max RSS) of the process so far. Wall
 * times, plus process CPU times (the steadier figure for 1-thread runs on a shared machine).
 * Threads: OMP_NUM_THREADS.
 *
 *   build/bench/bench_ops [REPEATS] [gemm|ops|all]          (default 5, all) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "ops.h"
#include "ops_opt.h"

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double cpu_s(void) { /* CPU time of the whole process, all threads */
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static long max_rss_kb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static uint64_t rng = 12345;
static float frand1(void) { /* uniform in [-1, 1) */
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((rng >> 40) * (1.0 / 8388608.0)) - 1.0f;
}

static float *buf(size_t n, int random) {
    float *p = malloc(n * sizeof *p);
    if (!p) { fprintf(stderr, "bench_ops: out of memory\n"); exit(2); }
    for (size_t i = 0; i < n; i++) p[i] = random ? frand1() : 0.0f;
    return p;
}

typedef void (*bench_fn)(void *ctx);

/* Median wall seconds of `repeats` runs after one warm-up run; *cpu gets the median process
 * CPU seconds of the same runs. On a shared machine the wall time of a single-threaded run
 * includes the time the thread waited for a core; its CPU time does not, and is the steadier
 * figure for 1-thread comparisons. */
static double time_median2(bench_fn f, void *ctx, int repeats, double *cpu) {
    double t[64], c[64];
    if (repeats > 64) repeats = 64;
    f(ctx);
    for (int r = 0; r < repeats; r++) {
        double t0 = now_s(), c0 = cpu_s();
        f(ctx);
        t[r] = now_s() - t0;
        c[r] = cpu_s() - c0;
    }
    qsort(t, (size_t)repeats, sizeof t[0], cmp_double);
    qsort(c, (size_t)repeats, sizeof c[0], cmp_double);
    if (cpu) *cpu = c[repeats / 2];
    return t[repeats / 2];
}

static double time_median(bench_fn f, void *ctx, int repeats) {
    return time_median2(f, ctx, repeats, NULL);
}

/* ---- part 1: GEMM ------------------------------------------------------------------------- */

typedef struct gemm_ctx {
    int ta, tb, M, N, K;
    const float *A, *B;
    float *C;
} gemm_ctx;

static void run_gemm(void *p) {
    gemm_ctx *g = p;
    int lda = g->ta ? g->M : g->K, ldb = g->tb ? g->K : g->N;
    opt_gemm(g->ta, g->tb, g->M, g->N, g->K, 1.0f, g->A, lda, g->B, ldb, 0.0f, g->C, g->N);
}

static void bench_gemm(int repeats, int threads_all) {
    /* (form, M, N, K): forward x[2048,I]·W[O,I]^T, dx = dout[2048,O]·W[O,I], dW = dout^T·x */
    static const struct { const char *form; int ta, tb, M, N, K; } shapes[] = {
        {"fwd x.W^T", 0, 1, 2048, 768, 256},  {"fwd x.W^T", 0, 1, 2048, 256, 768},
        {"fwd x.W^T", 0, 1, 2048, 1024, 256}, {"dx dout.W", 0, 0, 2048, 256, 768},
        {"dW dout^T.x", 1, 0, 768, 256, 2048},
    };
    const char *libs[2] = {"openblas", "onednn"};
    int thr[2] = {1, threads_all};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        gemm_ctx g = {shapes[s].ta, shapes[s].tb, shapes[s].M, shapes[s].N, shapes[s].K, NULL, NULL, NULL};
        float *A = buf((size_t)g.M * g.K, 1), *B = buf((size_t)g.K * g.N, 1);
        g.A = A;
        g.B = B;
        g.C = buf((size_t)g.M * g.N, 0);
        for (int l = 0; l < 2; l++) {
            if (!ops_opt_gemm_available(libs[l])) continue;
            for (int ti = 0; ti < (threads_all > 1 ? 2 : 1); ti++) {
                ops_opt_set_gemm(libs[l], NULL);
                ops_opt_set_threads(thr[ti], NULL);
                double cpu, t = time_median2(run_gemm, &g, repeats, &cpu);
                double gf = 2.0 * g.M * g.N * g.K / t * 1e-9;
                double gf_cpu = 2.0 * g.M * g.N * g.K / cpu * 1e-9 * thr[ti]; /* per-core × n */
                printf("{\"bench\":\"gemm\",\"lib\":\"%s\",\"form\":\"%s\",\"M\":%d,\"N\":%d,"
                       "\"K\":%d,\"threads\":%d,\"ms\":%.3f,\"gflops\":%.1f,"
                       "\"gflops_cpu_time\":%.1f,\"repeats\":%d,\"max_rss_kb\":%ld}\n",
                       libs[l], shapes[s].form, g.M, g.N, g.K, thr[ti], t * 1e3, gf, gf_cpu,
                       repeats, max_rss_kb());
                fflush(stdout);
            }
        }
        free(A); free(B); free(g.C);
    }
}

/* ---- part 2: ops at the 3.4M config ------------------------------------------------------- */

enum { BT = 16, T = 128, NR = BT * T, C = 256, H = 4, KVH = 2, HD = 64, F = 768, V = 1024 };
#define NPARAMS ((size_t)3400000)

typedef struct op_ctx {
    const ops_table *K;
    float *x, *w, *b, *out, *dout, *dx, *dw, *db, *rstd, *wn;
    float *q, *k, *v, *ao, *probs, *scratch, *dq, *dk, *dv;
    float *ct, *st, *g, *u, *logits, *dlogits, *lp, *ent, *dlp, *dent, *loss;
    float *p, *m, *vv, *grad, *wte;
    int32_t *ids, *pos, *tg;
    int I, O; /* the matmul shape */
} op_ctx;

static void b_mm_f(void *p) { op_ctx *c = p; c->K->matmul_forward(c->out, c->x, c->w, NULL, NR, c->I, c->O); }
static void b_mm_b(void *p) { op_ctx *c = p; c->K->matmul_backward(c->dx, c->dw, NULL, c->dout, c->x, c->w, NR, c->I, c->O); }
static void b_emb_f(void *p) { op_ctx *c = p; c->K->embedding_forward(c->out, c->wte, c->ids, NR, C); }
static void b_emb_b(void *p) { op_ctx *c = p; c->K->embedding_backward(c->dw, c->dout, c->ids, NR, C); }
static void b_rms_f(void *p) { op_ctx *c = p; c->K->rmsnorm_forward(c->out, c->rstd, c->x, c->wn, NR, C, 1e-6f); }
static void b_rms_b(void *p) { op_ctx *c = p; c->K->rmsnorm_backward(c->dx, c->db, c->dout, c->x, c->wn, c->rstd, NR, C); }
static void b_rope_f(void *p) { op_ctx *c = p; c->K->rope_forward(c->out, c->q, c->ct, c->st, c->pos, NR, H, HD); }
static void b_rope_b(void *p) { op_ctx *c = p; c->K->rope_backward(c->dx, c->dout, c->ct, c->st, c->pos, NR, H, HD); }
static void b_att_f(void *p) {
    op_ctx *c = p;
    for (int s = 0; s < BT; s++) /* one call per sequence, as the model does */
        c->K->attention_forward(c->ao + (size_t)s * T * H * HD, c->scratch,
                                c->probs + (size_t)s * H * T * T, /* stats [H, T, 2] */
                                c->q + (size_t)s * T * H * HD, c->k + (size_t)s * T * KVH * HD,
                                c->v + (size_t)s * T * KVH * HD, T, T, H, KVH, HD);
}
static void b_att_b(void *p) {
    op_ctx *c = p;
    for (int s = 0; s < BT; s++)
        c->K->attention_backward(c->dq + (size_t)s * T * H * HD, c->dk + (size_t)s * T * KVH * HD,
                                 c->dv + (size_t)s * T * KVH * HD, c->scratch,
                                 c->dout + (size_t)s * T * H * HD, c->probs + (size_t)s * H * T * T,
                                 c->q + (size_t)s * T * H * HD, c->k + (size_t)s * T * KVH * HD,
                                 c->v + (size_t)s * T * KVH * HD, T, T, H, KVH, HD);
}
static void b_swi_f(void *p) { op_ctx *c = p; c->K->swiglu_forward(c->out, c->g, c->u, (size_t)NR * F); }
static void b_swi_b(void *p) { op_ctx *c = p; c->K->swiglu_backward(c->dx, c->dw, c->dout, c->g, c->u, (size_t)NR * F); }
static void b_add(void *p) { op_ctx *c = p; c->K->add(c->out, c->x, c->dout, (size_t)NR * C); }
static void b_sm(void *p) { op_ctx *c = p; c->K->softmax_forward(c->dlogits, c->logits, NR, V, 1.0f); }
static void b_lp_f(void *p) { op_ctx *c = p; c->K->logprob_forward(c->lp, c->ent, c->logits, c->tg, NR, V, 0.7f); }
static void b_lp_b(void *p) { op_ctx *c = p; c->K->logprob_backward(c->dlogits, c->dlp, c->dent, c->logits, c->tg, NR, V, 0.7f); }
static void b_ce_f(void *p) { op_ctx *c = p; c->K->crossentropy_forward(c->loss, c->lp, c->logits, c->tg, NR, V); }
static void b_ce_b(void *p) { op_ctx *c = p; c->K->crossentropy_backward(c->dlogits, 1.0f, c->logits, c->tg, NR, V); }
static void b_adam(void *p) { op_ctx *c = p; c->K->adamw_update(c->p, c->m, c->vv, c->grad, NPARAMS, 1e-3, 0.9, 0.999, 1e-8, 0.01, 3); }
static void b_norm(void *p) { op_ctx *c = p; volatile float r = c->K->grad_norm(c->grad, NPARAMS); (void)r; }

static void bench_ops(int repeats, int threads_all) {
    op_ctx c;
    memset(&c, 0, sizeof c);
    size_t big = (size_t)NR * V; /* the largest activation: [2048, 1024] (logits) */
    c.x = buf(big, 1); c.w = buf((size_t)V * F, 1); c.out = buf(big, 0); c.dout = buf(big, 1);
    c.dx = buf(big, 0); c.dw = buf(big, 0); c.db = buf(C, 0); c.rstd = buf(NR, 0);
    c.wn = buf(C, 1);
    c.q = buf((size_t)NR * H * HD, 1); c.k = buf((size_t)NR * KVH * HD, 1);
    c.v = buf((size_t)NR * KVH * HD, 1); c.ao = buf((size_t)NR * H * HD, 0);
    c.probs = buf((size_t)BT * H * T * T, 0); c.scratch = buf((size_t)H * T * T, 0);
    c.dq = buf((size_t)NR * H * HD, 0); c.dk = buf((size_t)NR * KVH * HD, 0);
    c.dv = buf((size_t)NR * KVH * HD, 0);
    c.ct = buf((size_t)T * HD / 2, 0); c.st = buf((size_t)T * HD / 2, 0);
    float *inv = buf(HD / 2, 0);
    ops_rope_inv_freq(inv, HD, 1e6, NULL, NULL);
    ops_rope_tables(c.ct, c.st, inv, T, HD, NULL);
    free(inv);
    c.g = buf(big, 1); c.u = buf(big, 1);
    c.logits = buf((size_t)NR * V, 1); c.dlogits = buf((size_t)NR * V, 0);
    for (size_t i = 0; i < (size_t)NR * V; i++) c.logits[i] *= 4.0f;
    c.lp = buf(NR, 0); c.ent = buf(NR, 0); c.dlp = buf(NR, 1); c.dent = buf(NR, 1); c.loss = buf(1, 0);
    c.p = buf(NPARAMS, 1); c.m = buf(NPARAMS, 0); c.vv = buf(NPARAMS, 0); c.grad = buf(NPARAMS, 1);
    c.wte = buf((size_t)V * C, 1);
    c.ids = malloc(NR * sizeof *c.ids); c.pos = malloc(NR * sizeof *c.pos); c.tg = malloc(NR * sizeof *c.tg);
    if (!c.ids || !c.pos || !c.tg) { fprintf(stderr, "bench_ops: out of memory\n"); exit(2); }
    for (int i = 0; i < NR; i++) {
        c.ids[i] = (int32_t)((unsigned)i * 2654435761u % V);
        c.pos[i] = i % T;
        c.tg[i] = (int32_t)((unsigned)i * 40503u % V);
    }
    static const struct { const char *op, *shape; bench_fn f; int I, O; } ops[] = {
        {"matmul_forward", "N2048,I256,O768 (gate/up)", b_mm_f, C, F},
        {"matmul_backward", "N2048,I256,O768 (gate/up)", b_mm_b, C, F},
        {"matmul_forward", "N2048,I768,O256 (down)", b_mm_f, F, C},
        {"matmul_backward", "N2048,I768,O256 (down)", b_mm_b, F, C},
        {"matmul_forward", "N2048,I256,O1024 (lm head)", b_mm_f, C, V},
        {"matmul_backward", "N2048,I256,O1024 (lm head)", b_mm_b, C, V},
        {"embedding_forward", "N2048,C256", b_emb_f, 0, 0},
        {"embedding_backward", "N2048,C256,V1024", b_emb_b, 0, 0},
        {"rmsnorm_forward", "N2048,C256", b_rms_f, 0, 0},
        {"rmsnorm_backward", "N2048,C256", b_rms_b, 0, 0},
        {"rope_forward", "N2048,H4,hd64", b_rope_f, 0, 0},
        {"rope_backward", "N2048,H4,hd64", b_rope_b, 0, 0},
        {"attention_forward", "16x(T128,H4,KVH2,hd64)", b_att_f, 0, 0},
        {"attention_backward", "16x(T128,H4,KVH2,hd64)", b_att_b, 0, 0},
        {"swiglu_forward", "n2048x768", b_swi_f, 0, 0},
        {"swiglu_backward", "n2048x768", b_swi_b, 0, 0},
        {"add", "n2048x256", b_add, 0, 0},
        {"softmax_forward", "N2048,V1024", b_sm, 0, 0},
        {"logprob_forward", "N2048,V1024,T0.7", b_lp_f, 0, 0},
        {"logprob_backward", "N2048,V1024,T0.7", b_lp_b, 0, 0},
        {"crossentropy_forward", "N2048,V1024", b_ce_f, 0, 0},
        {"crossentropy_backward", "N2048,V1024", b_ce_b, 0, 0},
        {"adamw_update", "n3.4M", b_adam, 0, 0},
        {"grad_norm", "n3.4M", b_norm, 0, 0},
    };
    double tot_ref = 0, tot_1 = 0, tot_all = 0;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        c.I = ops[i].I;
        c.O = ops[i].O;
        c.K = ops_ref();
        int rrep = repeats < 3 ? repeats : 3; /* the reference is slow: at most 3 repeats */
        double cr, c1;
        double tr = time_median2(ops[i].f, &c, rrep, &cr);
        c.K = ops_opt();
        ops_opt_set_threads(1, NULL);
        double t1 = time_median2(ops[i].f, &c, repeats, &c1);
        ops_opt_set_threads(threads_all, NULL);
        double ta = time_median(ops[i].f, &c, repeats);
        tot_ref += tr;
        tot_1 += t1;
        tot_all += ta;
        printf("{\"bench\":\"ops\",\"op\":\"%s\",\"shape\":\"%s\",\"gemm\":\"%s\",\"ref_ms\":%.3f,"
               "\"opt_1t_ms\":%.3f,\"opt_ms\":%.3f,\"threads\":%d,\"speedup_1t\":%.1f,"
               "\"speedup\":%.1f,\"ref_cpu_ms\":%.3f,\"opt_1t_cpu_ms\":%.3f,"
               "\"speedup_1t_cpu\":%.1f,\"repeats\":%d,\"max_rss_kb\":%ld}\n",
               ops[i].op, ops[i].shape, ops_opt_gemm_name(), tr * 1e3, t1 * 1e3, ta * 1e3,
               threads_all, tr / t1, tr / ta, cr * 1e3, c1 * 1e3, cr / c1, repeats, max_rss_kb());
        fflush(stdout);
    }
    printf("{\"bench\":\"ops_total\",\"ref_ms\":%.1f,\"opt_1t_ms\":%.1f,\"opt_ms\":%.1f,"
           "\"threads\":%d,\"speedup_1t\":%.1f,\"speedup\":%.1f,\"max_rss_kb\":%ld}\n",
           tot_ref * 1e3, tot_1 * 1e3, tot_all * 1e3, threads_all, tot_ref / tot_1,
           tot_ref / tot_all, max_rss_kb());
    float *bufs[] = {c.x, c.w, c.out, c.dout, c.dx, c.dw, c.db, c.rstd, c.wn, c.q, c.k, c.v,
                     c.ao, c.probs, c.scratch, c.dq, c.dk, c.dv, c.ct, c.st, c.g, c.u, c.logits,
                     c.dlogits, c.lp, c.ent, c.dlp, c.dent, c.loss, c.p, c.m, c.vv, c.grad, c.wte};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
    free(c.ids); free(c.pos); free(c.tg);
}

int main(int argc, char **argv) {
    int repeats = argc > 1 ? atoi(argv[1]) : 5;
    const char *what = argc > 2 ? argv[2] : "all";
    if (repeats < 1) repeats = 1;
    ops_opt_register();
    int threads_all = ops_opt_threads();
    const char *gemm0 = ops_opt_gemm_name();
    printf("{\"bench\":\"ops_config\",\"blas\":\"%s\",\"blas_openmp\":%d,\"threads\":%d,"
           "\"default_gemm\":\"%s\"}\n",
           ops_opt_blas_config(), ops_opt_blas_is_openmp(), threads_all, gemm0);
    if (strcmp(what, "ops") != 0) bench_gemm(repeats, threads_all);
    ops_opt_set_gemm(gemm0, NULL);
    ops_opt_set_threads(threads_all, NULL);
    if (strcmp(what, "gemm") != 0) bench_ops(repeats, threads_all);
    return 0;
}
