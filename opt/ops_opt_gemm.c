/* ops_opt_gemm.c — the GEMM behind every opt kernel (opt_gemm, opt/ops_opt.h) and the backend
 * settings: which GEMM library runs it and how many threads.
 *
 * Two implementations of the same row-major sgemm:
 *   - OpenBLAS cblas_sgemm (Debian libopenblas0-openmp: its threads are libgomp's);
 *   - oneDNN dnnl_sgemm (Debian libdnnl2, DNNL_RUNTIME_OMP), compiled in with -DOPT_HAVE_DNNL.
 * Both read the OpenMP thread count at each call and run single-threaded when called inside an
 * OpenMP parallel region (OpenBLAS: num_cpu_avail() returns 1 when omp_in_parallel(); oneDNN:
 * adjust_num_threads() does the same), so a per-head GEMM inside our `omp parallel for` does not
 * fork a second team: no oversubscription. The default is oneDNN when compiled in, else
 * OpenBLAS; $SVS_OPT_GEMM ("openblas" | "onednn"), read once when the backend registers,
 * overrides it (docs/backends.md has the measurement behind the choice). The settings below are the only mutable globals of opt/: written at start-up
 * (single-threaded), read by the kernels afterwards. */
#include "ops_opt.h" /* first: cblas.h pulls in <complex.h>, whose macro I would break the
                      * parameter names of ref/ops.h */

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#ifdef OPT_HAVE_DNNL
#include <dnnl.h>
#endif

typedef enum { GEMM_OPENBLAS = 0, GEMM_ONEDNN = 1 } gemm_lib;

/* setting: the GEMM library. oneDNN when compiled in: it measured 5–15 % faster than OpenBLAS
 * per thread on the linear-layer shapes of the models (docs/backends.md, preliminary). */
#ifdef OPT_HAVE_DNNL
static gemm_lib g_gemm = GEMM_ONEDNN;
#else
static gemm_lib g_gemm = GEMM_OPENBLAS;
#endif

int ops_opt_gemm_available(const char *name) {
    if (!name) return 0;
    if (strcmp(name, "openblas") == 0) return 1;
#ifdef OPT_HAVE_DNNL
    if (strcmp(name, "onednn") == 0) return 1;
#endif
    return 0;
}

int ops_opt_set_gemm(const char *name, svs_err *err) {
    if (!ops_opt_gemm_available(name)) {
        return svs_errf(err, "opt: unknown or unavailable GEMM library '%s' (have: openblas%s)",
                        name ? name : "(null)",
#ifdef OPT_HAVE_DNNL
                        ", onednn"
#else
                        ""
#endif
        );
    }
    g_gemm = strcmp(name, "onednn") == 0 ? GEMM_ONEDNN : GEMM_OPENBLAS;
    return 0;
}

const char *ops_opt_gemm_name(void) { return g_gemm == GEMM_ONEDNN ? "onednn" : "openblas"; }

int ops_opt_set_threads(int n, svs_err *err) {
    if (n < 1) return svs_errf(err, "opt: thread count %d must be at least 1", n);
    omp_set_num_threads(n);
    openblas_set_num_threads(n); /* the OpenMP build also follows omp_get_max_threads() */
    return 0;
}

int ops_opt_threads(void) { return omp_get_max_threads(); }

int ops_opt_blas_is_openmp(void) { return openblas_get_parallel() == 2; }

const char *ops_opt_blas_config(void) { return openblas_get_config(); }

/* Reads $SVS_OPT_GEMM (ops_opt.c calls this when registering). Unknown values are ignored:
 * the CLI's --gemm reports errors; the environment is only a default. */
void opt_settings_from_env(void);
void opt_settings_from_env(void) {
    const char *e = getenv("SVS_OPT_GEMM");
    if (e && *e) (void)ops_opt_set_gemm(e, NULL);
}

void opt_gemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
              int lda, const float *B, int ldb, float beta, float *C, int ldc) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0) { /* C = beta·C; BLAS does this too, but K = 0 is legal only in some of them */
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) {
                float *c = C + (size_t)i * (size_t)ldc + (size_t)j;
                *c = beta == 0.0f ? 0.0f : beta * *c;
            }
        return;
    }
#ifdef OPT_HAVE_DNNL
    if (g_gemm == GEMM_ONEDNN) {
        (void)dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', M, N, K, alpha, A, lda, B, ldb,
                         beta, C, ldc);
        return;
    }
#endif
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B, ldb, beta, C,
                ldc);
}
