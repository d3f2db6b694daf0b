/* ops_opt_elem.c — opt RMSNorm, RoPE, SwiGLU and add (ref/ops.h; the references are
 * ref/ops_ref_norm.c, ops_ref_rope.c, ops_ref_mlp.c).
 *
 * Memory-bound loops: OpenMP over rows (or over flat chunks), inner loops written so that GCC
 * vectorizes them (`omp simd`, no calls: SiLU uses opt_expf). The per-element arithmetic is the
 * reference's fp32 arithmetic in HF's operand order (RMSNorm's w·(x·r), RoPE's x1·c + (−x2)·s,
 * AdamW-like exact copies); the differences from the reference are the sums, fp32 in vector
 * lanes here instead of double, and SiLU's exp (opt_expf instead of a rounded double exp).
 * RMSNorm's dw is a sum over rows: threads split its columns, each sums its columns over all
 * rows in order n = 0..N-1 in double, so it does not depend on the thread count. */
#include <math.h>
#include <stddef.h>

#include "ops_opt.h"
#include "ops_opt_int.h"

#define PAR_ROWS(N, C) if ((size_t)(N) * (size_t)(C) > OPT_PAR_MIN)

/* Σ_c a[c]·b[c]·(m ? m[c] : 1) in 16 explicit lanes combined by a halving tree: the same
 * summation order, hence the same bits, in every OPT_CLONES version (an `omp simd reduction`
 * would take the lane count of the vector width). */
OPT_INLINE float dot16(const float *a, const float *b, const float *m, int C) {
    float l[16];
    for (int k = 0; k < 16; k++) l[k] = 0.0f;
    int c = 0;
    if (m) {
        for (; c + 16 <= C; c += 16)
            for (int k = 0; k < 16; k++) l[k] += m[c + k] * a[c + k] * b[c + k];
        for (; c < C; c++) l[c & 15] += m[c] * a[c] * b[c];
    } else {
        for (; c + 16 <= C; c += 16)
            for (int k = 0; k < 16; k++) l[k] += a[c + k] * b[c + k];
        for (; c < C; c++) l[c & 15] += a[c] * b[c];
    }
    for (int w = 8; w > 0; w >>= 1)
        for (int k = 0; k < w; k++) l[k] += l[k + w];
    return l[0];
}

/* One row of RMSNorm forward / backward (OPT_CLONES: AVX-512, AVX2 and baseline versions). */
OPT_CLONES static void rms_fwd_row(float *out_n, float *rstd_n, const float *x_n, const float *w,
                                   int C, float eps) {
    float ss = dot16(x_n, x_n, NULL, C);
    float r = (float)(1.0 / sqrt((double)ss / C + (double)eps)); /* rsqrt(variance + eps) */
    *rstd_n = r;
#pragma omp simd
    for (int c = 0; c < C; c++) out_n[c] = w[c] * (x_n[c] * r);
}

void opt_rmsnorm_forward(float *out,     /* [N, C] */
                         float *rstd,    /* [N] */
                         const float *x, /* [N, C] */
                         const float *w, /* [C] */
                         int N, int C, float eps) {
#pragma omp parallel for schedule(static) PAR_ROWS(N, C)
    for (int n = 0; n < N; n++)
        rms_fwd_row(out + (size_t)n * (size_t)C, rstd + n, x + (size_t)n * (size_t)C, w, C, eps);
}

/* Columns per task of RMSNorm's dw. */
#define COLS_BLK 64

OPT_CLONES static void rms_bwd_row(float *dx_n, const float *d_n, const float *x_n,
                                   const float *w, float r, int C) {
    float dot = dot16(d_n, x_n, w, C); /* Σ w·dout·x, w·dout first as before */
    float kc = (float)((double)r * r * r * dot / C);
#pragma omp simd
    for (int c = 0; c < C; c++) dx_n[c] += r * w[c] * d_n[c] - kc * x_n[c];
}

/* a[c − c0] += Σ_{n = r0..r1-1} dout[n,c]·x[n,c]·r[n] for c in [c0, c1), rows in order, in
 * double (a: the sums of columns c0..c1-1) */
OPT_CLONES static void rms_dw_blk(double *a, const float *dout, const float *x,
                                  const float *rstd, int r0, int r1, int C, int c0, int c1) {
    int m = c1 - c0;
    for (int n = r0; n < r1; n++) {
        const float *x_n = x + (size_t)n * (size_t)C + c0;
        const float *d_n = dout + (size_t)n * (size_t)C + c0;
        float r = rstd[n];
#pragma omp simd
        for (int c = 0; c < m; c++) a[c] += (double)(d_n[c] * x_n[c] * r);
    }
}

/* Rows per block of the backward: the dx loop and the dw sums read the same block of dout and
 * x, which is still in L2 (2 × 128 rows × C floats: 256 KB at C = 256) when the dw loop runs,
 * so the two arrays come from memory once instead of twice. */
#define RMS_ROWS_BLK 128
/* Widest C whose double dw sums live on the stack (32 KB); wider rows take a separate dw pass
 * over all rows per column block. */
#define RMS_DW_MAX 4096

void opt_rmsnorm_backward(float *dx,         /* [N, C] += */
                          float *dw,         /* [C] += or NULL */
                          const float *dout, /* [N, C] */
                          const float *x,    /* [N, C] */
                          const float *w,    /* [C] */
                          const float *rstd, /* [N] */
                          int N, int C) {
    /* in the forward this was: out[c] = w[c]·(x[c]·r), r = (Σ_j x[j]²/C + eps)^(-1/2), so
     *   dx[c] = r·w[c]·dout[c] − (r³/C)·x[c]·Σ_j w[j]·dout[j]·x[j]
     *   dw[c] = Σ_n dout[n,c]·x[n,c]·r[n]   (double, rows in order n = 0..N-1: the same sum
     *                                        whatever the blocking and the thread count)      */
    int nblk = (C + COLS_BLK - 1) / COLS_BLK;
    double acc[RMS_DW_MAX];
    int fused = dw && C <= RMS_DW_MAX;
    if (fused)
        for (int c = 0; c < C; c++) acc[c] = 0.0;
#pragma omp parallel PAR_ROWS(N, C)
    for (int r0 = 0; r0 < N; r0 += RMS_ROWS_BLK) {
        int r1 = r0 + RMS_ROWS_BLK < N ? r0 + RMS_ROWS_BLK : N;
#pragma omp for schedule(static)
        for (int n = r0; n < r1; n++)
            rms_bwd_row(dx + (size_t)n * (size_t)C, dout + (size_t)n * (size_t)C,
                        x + (size_t)n * (size_t)C, w, rstd[n], C);
        if (fused) {
#pragma omp for schedule(static)
            for (int b = 0; b < nblk; b++) {
                int c0 = b * COLS_BLK, c1 = c0 + COLS_BLK < C ? c0 + COLS_BLK : C;
                rms_dw_blk(acc + c0, dout, x, rstd, r0, r1, C, c0, c1);
            }
        }
    }
    if (fused) {
        for (int c = 0; c < C; c++) dw[c] += (float)acc[c];
    } else if (dw) {
#pragma omp parallel for schedule(static) PAR_ROWS(N, C)
        for (int b = 0; b < nblk; b++) {
            int c0 = b * COLS_BLK, c1 = c0 + COLS_BLK < C ? c0 + COLS_BLK : C;
            double part[COLS_BLK];
            for (int c = 0; c < COLS_BLK; c++) part[c] = 0.0;
            rms_dw_blk(part, dout, x, rstd, 0, N, C, c0, c1);
            for (int c = c0; c < c1; c++) dw[c] += (float)part[c - c0];
        }
    }
}

void opt_rope_forward(float *out,         /* [N, H, hd] (in place allowed) */
                      const float *x,     /* [N, H, hd] */
                      const float *cos_t, /* [P, hd/2] */
                      const float *sin_t, /* [P, hd/2] */
                      const int32_t *pos, /* [N] */
                      int N, int H, int hd) {
    int half = hd / 2;
#pragma omp parallel for schedule(static) PAR_ROWS(N, (size_t)H * (size_t)hd)
    for (int n = 0; n < N; n++) {
        const float *c_n = cos_t + (size_t)pos[n] * (size_t)half;
        const float *s_n = sin_t + (size_t)pos[n] * (size_t)half;
        for (int h = 0; h < H; h++) {
            size_t base = ((size_t)n * (size_t)H + (size_t)h) * (size_t)hd;
            const float *x_nh = x + base;
            float *o_nh = out + base;
            /* in place: element i and i+half are read before either is written (same i) */
#pragma omp simd
            for (int i = 0; i < half; i++) {
                float x1 = x_nh[i], x2 = x_nh[i + half];
                o_nh[i] = x1 * c_n[i] + (-x2) * s_n[i];
                o_nh[i + half] = x2 * c_n[i] + x1 * s_n[i];
            }
        }
    }
}

void opt_rope_backward(float *dx,          /* [N, H, hd] += */
                       const float *dout,  /* [N, H, hd] */
                       const float *cos_t, /* [P, hd/2] */
                       const float *sin_t, /* [P, hd/2] */
                       const int32_t *pos, /* [N] */
                       int N, int H, int hd) {
    /* in the forward this was: out1 = x1·c − x2·s, out2 = x2·c + x1·s, so (rotation by −θ)
     *   dx1 = dout1·c + dout2·s,   dx2 = dout2·c − dout1·s                                 */
    int half = hd / 2;
#pragma omp parallel for schedule(static) PAR_ROWS(N, (size_t)H * (size_t)hd)
    for (int n = 0; n < N; n++) {
        const float *c_n = cos_t + (size_t)pos[n] * (size_t)half;
        const float *s_n = sin_t + (size_t)pos[n] * (size_t)half;
        for (int h = 0; h < H; h++) {
            size_t base = ((size_t)n * (size_t)H + (size_t)h) * (size_t)hd;
            const float *d = dout + base;
            float *g = dx + base;
#pragma omp simd
            for (int i = 0; i < half; i++) {
                float d1 = d[i], d2 = d[i + half];
                g[i] += d1 * c_n[i] + d2 * s_n[i];
                g[i + half] += d2 * c_n[i] - d1 * s_n[i];
            }
        }
    }
}

/* Flat loops: chunks of this many elements per OpenMP iteration. */
#define FLAT_BLK 4096

/* One block of SwiGLU forward / backward (OPT_CLONES: AVX2 and baseline versions). */
OPT_CLONES static void swiglu_fwd_blk(float *out, const float *gate, const float *up, size_t i0,
                                      size_t i1) {
#pragma omp simd
    for (size_t i = i0; i < i1; i++) out[i] = gate[i] / (1.0f + opt_expf(-gate[i])) * up[i];
}

OPT_CLONES static void swiglu_bwd_blk(float *dgate, float *dup, const float *dout,
                                      const float *gate, const float *up, size_t i0, size_t i1) {
#pragma omp simd
    for (size_t i = i0; i < i1; i++) {
        float g = gate[i];
        float sig = 1.0f / (1.0f + opt_expf(-g));
        dgate[i] += dout[i] * up[i] * (sig * (1.0f + g * (1.0f - sig)));
        dup[i] += dout[i] * (g * sig);
    }
}

void opt_swiglu_forward(float *out,        /* [n] */
                        const float *gate, /* [n] */
                        const float *up,   /* [n] */
                        size_t n) {
    /* out = silu(g)·u, silu(g) = g / (1 + exp(−g)) */
    size_t nb = (n + FLAT_BLK - 1) / FLAT_BLK;
#pragma omp parallel for schedule(static) if (n > OPT_PAR_MIN)
    for (size_t b = 0; b < nb; b++)
        swiglu_fwd_blk(out, gate, up, b * FLAT_BLK, (b + 1) * FLAT_BLK < n ? (b + 1) * FLAT_BLK : n);
}

void opt_swiglu_backward(float *dgate,      /* [n] += */
                         float *dup,        /* [n] += */
                         const float *dout, /* [n] */
                         const float *gate, /* [n] */
                         const float *up,   /* [n] */
                         size_t n) {
    /* in the forward this was: out = silu(g)·u, silu(g) = g·σ(g), so
     *   dup = dout·silu(g),  dgate = dout·u·σ(g)·(1 + g·(1 − σ(g)))                        */
    size_t nb = (n + FLAT_BLK - 1) / FLAT_BLK;
#pragma omp parallel for schedule(static) if (n > OPT_PAR_MIN)
    for (size_t b = 0; b < nb; b++)
        swiglu_bwd_blk(dgate, dup, dout, gate, up, b * FLAT_BLK,
                       (b + 1) * FLAT_BLK < n ? (b + 1) * FLAT_BLK : n);
}

void opt_add(float *out, const float *a, const float *b, size_t n) {
    size_t nb = (n + FLAT_BLK - 1) / FLAT_BLK;
#pragma omp parallel for schedule(static) if (n > OPT_PAR_MIN)
    for (size_t k = 0; k < nb; k++) {
        size_t i1 = (k + 1) * FLAT_BLK < n ? (k + 1) * FLAT_BLK : n;
#pragma omp simd
        for (size_t i = k * FLAT_BLK; i < i1; i++) out[i] = a[i] + b[i];
    }
}
