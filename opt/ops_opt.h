/* ops_opt.h — the "opt" backend: the ops table of ref/ops.h implemented with a BLAS sgemm
 * (OpenBLAS, or oneDNN when built with OPT_HAVE_DNNL) and OpenMP loops (opt/README.md,
 * docs/backends.md). Every op computes what the reference computes, up to fp32 summation order;
 * tests/test_ops_opt.c compares it with ref op by op (NMSE per op) at every `make test`.
 *
 * Registration: call ops_opt_register() once at start-up (the CLI does, before --backend is
 * looked up). A constructor in ops_opt.c also registers the table when the opt objects are
 * linked as object files; registering twice is harmless (the second call returns 0).
 *
 * Settings — the only mutable global state of opt/ (set at start-up, single-threaded, before
 * any kernel runs; reading them from kernels is race-free after that):
 *   - the GEMM library: ops_opt_set_gemm("openblas" | "onednn"); the default is oneDNN when
 *     compiled in (-DOPT_HAVE_DNNL), else OpenBLAS (chosen by measurement, docs/backends.md);
 *     $SVS_OPT_GEMM overrides the default;
 *   - the thread count: ops_opt_set_threads(n) sets OpenMP's thread count (omp_set_num_threads)
 *     and OpenBLAS's (openblas_set_num_threads) to the same n; without it both follow
 *     OMP_NUM_THREADS. Both libraries are built on libgomp (Debian libopenblas0-openmp,
 *     libdnnl2 with DNNL_RUNTIME_OMP), and a GEMM called inside one of our parallel regions
 *     runs on the calling thread, so the process never runs more than n busy threads. */
#ifndef SVS_OPS_OPT_H
#define SVS_OPS_OPT_H

#include "ops.h"

/* The "opt" table (name "opt"). */
const ops_table *ops_opt(void);

/* Adds "opt" to the registry (ops_register). Returns 0, also when it is already registered;
 * -1 when the registry is full. */
int ops_opt_register(void);

/* Selects the GEMM library by name: "openblas" or "onednn". Returns 0, or -1 with err when the
 * name is unknown or the library was not compiled in (no OPT_HAVE_DNNL). */
int ops_opt_set_gemm(const char *name, svs_err *err);
const char *ops_opt_gemm_name(void);        /* the library in use */
int ops_opt_gemm_available(const char *name); /* 1 if ops_opt_set_gemm(name) would succeed */

/* Sets the number of threads for OpenMP loops and for the GEMM library (n >= 1). Returns 0,
 * or -1 with err when n < 1. */
int ops_opt_set_threads(int n, svs_err *err);
int ops_opt_threads(void);                  /* the current thread count (omp_get_max_threads) */

/* 1 when the OpenBLAS linked at run time is the OpenMP build (openblas_get_parallel() == 2):
 * the pthreads build keeps its own thread pool and would oversubscribe the cores together with
 * our OpenMP loops. Debian selects the library with update-alternatives. */
int ops_opt_blas_is_openmp(void);
const char *ops_opt_blas_config(void);      /* openblas_get_config(): version, kernel, threads */

/* The GEMM every opt kernel calls, row-major, BLAS semantics:
 *   C[M,N] = alpha · op(A)[M,K] · op(B)[K,N] + beta · C,  op(X) = X or X^T (trans_x != 0)
 * with leading dimensions lda, ldb, ldc (row strides in elements). beta == 0 overwrites C.
 * Called from inside an OpenMP parallel region it runs on the calling thread only. */
void opt_gemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
              int lda, const float *B, int ldb, float beta, float *C, int ldc);

#endif
