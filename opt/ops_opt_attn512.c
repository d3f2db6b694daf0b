/* ops_opt_attn512.c — the block products of the training attention (attention_forward and
 * attention_backward, ops_opt_attention.c) with AVX-512F + FMA intrinsics, for head dims that
 * are a multiple of 16 up to OPT_ATTN512_MAXHD. A task there works on a block of at most 32
 * query rows (or 32 key rows) of one head; the matrices are tiny (32 × kmax × hd), so a BLAS
 * call's fixed cost (packing, dispatch: ~6 µs) used to dominate. These kernels keep the
 * products in registers and need no packing beyond a 32 × hd transpose per call:
 *
 *   opt_attn512_scores  s[i, j] = fp32(Σ_d a[i, d]·b[j, d]) · scale          (A·Bᵀ: S = Q·Kᵀ
 *                       and dP = dout·Vᵀ), one FMA chain over d = 0 .. hd−1 per entry, so an
 *                       entry's bits depend only on its two rows (not on the block, the call
 *                       or the CPU's thread count): the backward recomputes the forward's
 *                       scores bit for bit by calling this with the same rows.
 *   opt_attn512_accum   out[r, :] (+)= alpha · Σ_i a[r, i]·b[i, :]           (A·B: out = P·V,
 *                       dq += scale·dS·K; with A read transposed, dk += scale·dSᵀ·Q and
 *                       dv += Pᵀ·dout), one FMA chain over i = 0 .. n−1 per entry.
 *   opt_attn512_softmax p[i, :] = softmax(s[i, :]) over row i's keys, (max, sum) to stats
 *   opt_attn512_probs   the same p again from the stats (the backward's recompute: same bits)
 *   opt_attn512_dscores ds[i, :] = p[i, :]⊙(dp[i, :] − Σ_j p[i, j]·dp[i, j])
 * Row i of a block sees keys 0 .. kbase+i (causal; kbase = Tk − Tq + t0); the row kernels
 * leave exact zeros from key kbase+i+1 up to Tk, which the sums rely on.
 *
 * Results differ from the GEMM path in the last bits (another summation order, FMA); both are
 * checked against ref by tests/test_ops_opt.c (NMSE 5e-4). The portable GEMM path (opt_gemm)
 * stays for other CPUs and head dims. */
#include <math.h>
#include <stddef.h>

#include "ops_opt_int.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include "ops_opt_avx512.h" /* T512, T512_INLINE, exp16, lanes */
/* loops over registers must be unrolled fully, or the arrays of vectors live in memory */
#define UNROLL _Pragma("GCC unroll 16")

/* In-place transpose of the 16 × 16 matrix whose rows are r[0..15] (r[i][c] -> r[c][i]):
 * 32-bit interleave, 64-bit interleave, then two rounds of 128-bit lane shuffles. */
T512_INLINE void tr16(__m512 r[16]) {
    __m512 t[16];
    UNROLL
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    UNROLL
    for (int i = 0; i < 16; i += 4) {
        __m512d t0 = _mm512_castps_pd(t[i]), t1 = _mm512_castps_pd(t[i + 1]);
        __m512d t2 = _mm512_castps_pd(t[i + 2]), t3 = _mm512_castps_pd(t[i + 3]);
        r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(t0, t2));
        r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(t0, t2));
        r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(t1, t3));
        r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(t1, t3));
    }
    UNROLL
    for (int h = 0; h < 16; h += 8)
        UNROLL
        for (int i = 0; i < 4; i++) {
            t[h + i] = _mm512_shuffle_f32x4(r[h + i], r[h + i + 4], 0x88);
            t[h + i + 4] = _mm512_shuffle_f32x4(r[h + i], r[h + i + 4], 0xdd);
        }
    UNROLL
    for (int i = 0; i < 8; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
        r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
    }
}

/* at[d·32 + i] = a[i·lda + d] for i < m, 0 for m <= i < 32 (d < hd, hd % 16 == 0) */
T512_INLINE void pack_t32(float *at,      /* [hd, 32] */
                          const float *a, /* [m, lda] */
                          size_t lda, int m, int hd) {
    for (int half = 0; half < 2; half++) {
        int i0 = half * 16;
        for (int d0 = 0; d0 < hd; d0 += 16) {
            __m512 r[16];
            UNROLL
            for (int i = 0; i < 16; i++)
                r[i] = i0 + i < m ? _mm512_loadu_ps(a + (size_t)(i0 + i) * lda + d0)
                                  : _mm512_setzero_ps();
            tr16(r);
            UNROLL
            for (int c = 0; c < 16; c++) _mm512_store_ps(at + (size_t)(d0 + c) * 32 + i0, r[c]);
        }
    }
}

/* One strip of 8 keys j0 .. j0+7 (key c read from kp[c]) for the 16 query rows whose
 * transposed values start at at (NR = 1) or for the 32 rows at, at + 16 (NR = 2):
 * acc[v·8 + c][i] = Σ_d at[d·32 + 16v + i]·kp[c][d] (one FMA chain over d), then transposed
 * so that acc[i] holds (row i: keys j0..j0+7 | row 16+i: keys j0..j0+7), times scale. */
T512_INLINE void score_strip(__m512 acc[16], const float *at, const float *const kp[8], int hd,
                             int NR, float scale) {
    UNROLL
    for (int x = 0; x < 16; x++) acc[x] = _mm512_setzero_ps();
    for (int d = 0; d < hd; d++) {
        __m512 a0 = _mm512_loadu_ps(at + (size_t)d * 32);
        __m512 a1 = NR == 2 ? _mm512_loadu_ps(at + (size_t)d * 32 + 16) : a0;
        UNROLL
        for (int c = 0; c < 8; c++) {
            __m512 bc = _mm512_set1_ps(kp[c][d]);
            acc[c] = _mm512_fmadd_ps(a0, bc, acc[c]);
            if (NR == 2) acc[8 + c] = _mm512_fmadd_ps(a1, bc, acc[8 + c]);
        }
    }
    tr16(acc);
    __m512 sc = _mm512_set1_ps(scale);
    UNROLL
    for (int x = 0; x < 16; x++) acc[x] = _mm512_mul_ps(acc[x], sc);
}

/* s[i, j] = fp32(Σ_d a[i, d]·b[j, d]) · scale   for i < m (m <= 32) and every j < kbase+i+1
 * (query row i of the block sees keys 0 .. kbase+i). Entries j of row i up to the end of its
 * 16-row half's range (< kbase + last row of the half + 1, never past it) may be written too;
 * callers mask them. hd % 16 == 0, hd <= OPT_ATTN512_MAXHD. */
T512 void opt_attn512_scores(float *s,       /* [m, lds] */
                             size_t lds,
                             const float *a, /* [m, lda] query rows (Q or dout) */
                             size_t lda,
                             const float *b, /* [kbase + m, ldb] key rows (K or V) */
                             size_t ldb, int m, int kbase, int hd, float scale) {
    float at[OPT_ATTN512_MAXHD * 32] __attribute__((aligned(64)));
    pack_t32(at, a, lda, m, hd);
    int n0 = kbase + (m < 16 ? m : 16); /* keys rows 0..15 need */
    int n1 = m > 16 ? kbase + m : 0;    /* keys rows 16..m-1 need (n1 >= n0 when m > 16) */
    int nk = n0 > n1 ? n0 : n1;
    for (int j0 = 0; j0 < nk; j0 += 8) {
        const float *kp[8];
        UNROLL
        for (int c = 0; c < 8; c++) /* past the last key: re-read it (results not stored) */
            kp[c] = b + (size_t)(j0 + c < nk ? j0 + c : nk - 1) * ldb;
        __m512 acc[16];
        int c0 = n0 - j0 < 8 ? n0 - j0 : 8, c1 = n1 - j0 < 8 ? n1 - j0 : 8;
        if (c0 > 0 && c1 > 0) { /* both halves: row i < 16 in the low 8 lanes of acc[i], row
                                 * 16+i in the high 8 */
            score_strip(acc, at, kp, hd, 2, scale);
            __mmask16 mk0 = (__mmask16)((1u << c0) - 1u), mk1 = (__mmask16)(((1u << c1) - 1u) << 8);
            UNROLL
            for (int i = 0; i < 16; i++) _mm512_mask_storeu_ps(s + (size_t)i * lds + j0, mk0, acc[i]);
            for (int i = 16; i < m; i++) /* lanes 8..15 to s[i, j0 ..] */
                _mm512_mask_storeu_ps(s + (size_t)i * lds + j0 - 8, mk1, acc[i - 16]);
        } else { /* one half: rows h0 .. h0+15 (those of them < m) in the low 8 lanes */
            int h0 = c0 > 0 ? 0 : 16, cn = c0 > 0 ? c0 : c1;
            score_strip(acc, at + h0, kp, hd, 1, scale);
            __mmask16 mk = (__mmask16)((1u << cn) - 1u);
            for (int i = h0; i < h0 + 16 && i < m; i++)
                _mm512_mask_storeu_ps(s + (size_t)i * lds + j0, mk, acc[i - h0]);
        }
    }
}

/* One tile: R rows r0..r0+R-1 of out, NV 16-float column vectors from column d0:
 *   acc[r][v] = Σ_{lo <= i < n} a[r·ars + i·acs] · b[i·ldb + d0 + 16v],  out = alpha·acc (+ out) */
T512_INLINE void accum_tile(float *out, size_t ldo, const float *a, size_t ars, size_t acs,
                            const float *b, size_t ldb, int lo, int n, float alpha, int add,
                            int R, int NV) {
    __m512 acc[4][4];
    UNROLL
    for (int r = 0; r < R; r++)
        UNROLL
        for (int v = 0; v < NV; v++) acc[r][v] = _mm512_setzero_ps();
    for (int i = lo; i < n; i++) {
        const float *bi = b + (size_t)i * ldb, *ai = a + (size_t)i * acs;
        __m512 bv[4];
        UNROLL
        for (int v = 0; v < NV; v++) bv[v] = _mm512_loadu_ps(bi + 16 * v);
        UNROLL
        for (int r = 0; r < R; r++) {
            __m512 ar = _mm512_set1_ps(ai[(size_t)r * ars]);
            UNROLL
            for (int v = 0; v < NV; v++) acc[r][v] = _mm512_fmadd_ps(ar, bv[v], acc[r][v]);
        }
    }
    __m512 al = _mm512_set1_ps(alpha);
    UNROLL
    for (int r = 0; r < R; r++)
        UNROLL
        for (int v = 0; v < NV; v++) {
            float *o = out + (size_t)r * ldo + 16 * v;
            __m512 x = alpha == 1.0f ? acc[r][v] : _mm512_mul_ps(acc[r][v], al);
            _mm512_storeu_ps(o, add ? _mm512_add_ps(_mm512_loadu_ps(o), x) : x);
        }
}

#define ACC_CASE(R, NV)                                                                       \
    case (R) * 8 + (NV):                                                                      \
        accum_tile(o, ldo, ar, ars, acs, b + d0, ldb, lo, ni, alpha, add, R, NV);             \
        break;

/* out[r, 0:hd] = alpha·Σ_{lo_r <= i < n_r} a[r·ars + i·acs]·b[i·ldb + 0:hd] (add: out +=
 * that) for r < m, with n_r = min(n, nb + r + 1) and lo_r = max(0, ib + r), both rounded
 * outwards to the 4-row tile (the caller guarantees a[r, i] == 0 for the extra i of a row:
 * the masked probabilities and d-scores); nb >= n and ib <= -m sum all i < n. A row-major a:
 * ars = its row stride, acs = 1; a read transposed: ars = 1, acs = its row stride. The sum
 * over i runs in order, one FMA chain per output (zero terms leave it unchanged). hd % 16 == 0. */
T512 void opt_attn512_accum(float *out,     /* [m, ldo] */
                            size_t ldo,
                            const float *a, /* a[r, i] at a[r·ars + i·acs] */
                            size_t ars, size_t acs,
                            const float *b, /* [n, ldb] */
                            size_t ldb, int m, int n, int nb, int ib, int hd, float alpha,
                            int add) {
    for (int r0 = 0; r0 < m; r0 += 4) {
        int R = m - r0 < 4 ? m - r0 : 4;
        int ni = nb + r0 + R < n ? nb + r0 + R : n, lo = ib + r0 > 0 ? ib + r0 : 0;
        const float *ar = a + (size_t)r0 * ars;
        for (int d0 = 0; d0 < hd; d0 += 64) {
            int NV = (hd - d0) / 16 < 4 ? (hd - d0) / 16 : 4;
            float *o = out + (size_t)r0 * ldo + d0;
            switch (R * 8 + NV) {
                ACC_CASE(4, 4) ACC_CASE(4, 3) ACC_CASE(4, 2) ACC_CASE(4, 1)
                ACC_CASE(3, 4) ACC_CASE(3, 3) ACC_CASE(3, 2) ACC_CASE(3, 1)
                ACC_CASE(2, 4) ACC_CASE(2, 3) ACC_CASE(2, 2) ACC_CASE(2, 1)
                ACC_CASE(1, 4) ACC_CASE(1, 3) ACC_CASE(1, 2) ACC_CASE(1, 1)
            }
        }
    }
}

/* x[j] = 0 for j0 <= j < Tk (j0 a multiple of 16 or the end of the data: masked stores) */
T512_INLINE void zero_tail(float *x, int j0, int Tk) {
    int j = j0;
    for (; j + 16 <= Tk; j += 16) _mm512_storeu_ps(x + j, _mm512_setzero_ps());
    if (j < Tk) _mm512_mask_storeu_ps(x + j, lanes(Tk - j), _mm512_setzero_ps());
}

/* softmax rows i0 .. i0+R-1 (R <= 4) of opt_attn512_softmax, interleaved: the rows' max and
 * sum reductions are latency chains, R of them in flight at once. Vectors before jf are
 * whole in every row; the last one or two (j >= jf) take per-row lane masks km[r][v]. */
T512_INLINE void softmax_rows(float *s, float *st, size_t lds, int i0, int R, int kbase, int Tk) {
    float *x[4];
    int n[4];
    __m512 mv[4], sum[4], m16[4], inv[4];
    __mmask16 km[4][2];
    UNROLL
    for (int r = 0; r < R; r++) {
        x[r] = s + (size_t)(i0 + r) * lds;
        n[r] = kbase + i0 + r + 1;
        mv[r] = _mm512_set1_ps(-INFINITY);
        sum[r] = _mm512_setzero_ps();
    }
    int jf = n[0] & ~15, nt = (n[R - 1] - jf + 15) / 16; /* nt <= 2 tail vectors */
    UNROLL
    for (int r = 0; r < R; r++)
        UNROLL
        for (int v = 0; v < 2; v++) {
            int c = n[r] - jf - 16 * v;
            km[r][v] = lanes(c < 0 ? 0 : c > 16 ? 16 : c);
        }
    for (int j = 0; j < jf; j += 16)
        UNROLL
        for (int r = 0; r < R; r++) mv[r] = _mm512_max_ps(mv[r], _mm512_loadu_ps(x[r] + j));
    for (int v = 0; v < nt; v++)
        UNROLL
        for (int r = 0; r < R; r++)
            mv[r] = _mm512_max_ps(mv[r], _mm512_mask_loadu_ps(mv[r], km[r][v], x[r] + jf + 16 * v));
    UNROLL
    for (int r = 0; r < R; r++) {
        st[2 * (i0 + r)] = _mm512_reduce_max_ps(mv[r]);
        m16[r] = _mm512_set1_ps(st[2 * (i0 + r)]);
    }
    for (int j = 0; j < jf; j += 16)
        UNROLL
        for (int r = 0; r < R; r++) {
            __m512 e = exp16(_mm512_sub_ps(_mm512_loadu_ps(x[r] + j), m16[r]));
            _mm512_storeu_ps(x[r] + j, e);
            sum[r] = _mm512_add_ps(sum[r], e);
        }
    for (int v = 0; v < nt; v++)
        UNROLL
        for (int r = 0; r < R; r++) {
            __mmask16 k = km[r][v];
            float *xj = x[r] + jf + 16 * v;
            __m512 e = exp16(_mm512_sub_ps(_mm512_mask_loadu_ps(m16[r], k, xj), m16[r]));
            e = _mm512_maskz_mov_ps(k, e);
            _mm512_mask_storeu_ps(xj, k, e);
            sum[r] = _mm512_add_ps(sum[r], e);
        }
    UNROLL
    for (int r = 0; r < R; r++) {
        float l = _mm512_reduce_add_ps(sum[r]);
        st[2 * (i0 + r) + 1] = l;
        inv[r] = _mm512_set1_ps(1.0f / l);
    }
    for (int j = 0; j < jf; j += 16)
        UNROLL
        for (int r = 0; r < R; r++)
            _mm512_storeu_ps(x[r] + j, _mm512_mul_ps(_mm512_loadu_ps(x[r] + j), inv[r]));
    for (int v = 0; v < nt; v++)
        UNROLL
        for (int r = 0; r < R; r++) {
            __mmask16 k = km[r][v];
            float *xj = x[r] + jf + 16 * v;
            _mm512_mask_storeu_ps(xj, k, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, xj), inv[r]));
        }
    UNROLL
    for (int r = 0; r < R; r++) zero_tail(x[r], n[r], Tk);
}

/* Row softmax of the m rows of a block, row i over its keys j < n_i = kbase + i + 1:
 *   mx = max_j s[i, j],  e_j = exp16(s[i, j] − mx),  l = fp32(Σ_j e_j) (16 lanes, then the
 *   fixed reduce tree),  p[i, j] = e_j · (1/l),  p[i, j] = 0 for n_i <= j < Tk,
 *   st[i] = (mx, l)
 * in place (s becomes p), four rows at a time. opt_attn512_probs recomputes p from (mx, l)
 * with the same operations, hence the same bits. */
T512 void opt_attn512_softmax(float *s,  /* [m, lds] scores in, probabilities out */
                              float *st, /* [m, 2] */
                              size_t lds, int m, int kbase, int Tk) {
    int i = 0;
    for (; i + 4 <= m; i += 4) softmax_rows(s, st, lds, i, 4, kbase, Tk);
    for (; i < m; i++) softmax_rows(s, st, lds, i, 1, kbase, Tk);
}

/* p[i, j] = exp16(s[i, j] − mx_i) · (1/l_i) for j < n_i = kbase + i + 1, 0 for n_i <= j < Tk,
 * with (mx_i, l_i) = st[i]: opt_attn512_softmax's probabilities, bit for bit, in place. */
T512 void opt_attn512_probs(float *s,        /* [m, lds] scores in, probabilities out */
                            const float *st, /* [m, 2] */
                            size_t lds, int m, int kbase, int Tk) {
    for (int i = 0; i < m; i++) {
        float *x = s + (size_t)i * lds;
        int n = kbase + i + 1, nf = n & ~15, c = n - nf;
        __m512 m16 = _mm512_set1_ps(st[2 * i]), inv = _mm512_set1_ps(1.0f / st[2 * i + 1]);
        for (int j = 0; j < nf; j += 16)
            _mm512_storeu_ps(x + j, _mm512_mul_ps(exp16(_mm512_sub_ps(_mm512_loadu_ps(x + j), m16)), inv));
        if (c) {
            __m512 e = exp16(_mm512_sub_ps(_mm512_mask_loadu_ps(m16, lanes(c), x + nf), m16));
            _mm512_mask_storeu_ps(x + nf, lanes(c), _mm512_mul_ps(e, inv));
        }
        zero_tail(x, n, Tk);
    }
}

/* The softmax Jacobian on the rows of a block, in place on dp (which becomes ds):
 *   ds[i, j] = p[i, j]·(dp[i, j] − Σ_k p[i, k]·dp[i, k])   for j < n_i = kbase + i + 1,
 *   ds[i, j] = 0 for n_i <= j < Tk   (the row sum in 16 fp32 lanes, FMA, then reduced) */
T512 void opt_attn512_dscores(float *dp,      /* [m, ld] dP in, dS out */
                              const float *p, /* [m, ld] */
                              size_t ld, int m, int kbase, int Tk) {
    for (int i = 0; i < m; i++) {
        float *x = dp + (size_t)i * ld;
        const float *pi = p + (size_t)i * ld;
        int n = kbase + i + 1, nf = n & ~15, c = n - nf, j;
        __m512 acc = _mm512_setzero_ps();
        for (j = 0; j < nf; j += 16)
            acc = _mm512_fmadd_ps(_mm512_loadu_ps(pi + j), _mm512_loadu_ps(x + j), acc);
        if (c)
            acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(lanes(c), pi + nf),
                                  _mm512_maskz_loadu_ps(lanes(c), x + nf), acc);
        __m512 pdp = _mm512_set1_ps(_mm512_reduce_add_ps(acc));
        for (j = 0; j < nf; j += 16)
            _mm512_storeu_ps(x + j, _mm512_mul_ps(_mm512_loadu_ps(pi + j),
                                                  _mm512_sub_ps(_mm512_loadu_ps(x + j), pdp)));
        if (c)
            _mm512_mask_storeu_ps(x + nf, lanes(c),
                                  _mm512_mul_ps(_mm512_maskz_loadu_ps(lanes(c), pi + nf),
                                                _mm512_sub_ps(_mm512_maskz_loadu_ps(lanes(c), x + nf), pdp)));
        zero_tail(x, n, Tk);
    }
}

#else /* not x86-64 GCC/Clang: opt_have_avx512() is 0, so nothing calls these */
void opt_attn512_softmax(float *s, float *st, size_t lds, int m, int kbase, int Tk) {
    (void)s, (void)st, (void)lds, (void)m, (void)kbase, (void)Tk;
}
void opt_attn512_probs(float *s, const float *st, size_t lds, int m, int kbase, int Tk) {
    (void)s, (void)st, (void)lds, (void)m, (void)kbase, (void)Tk;
}
void opt_attn512_dscores(float *dp, const float *p, size_t ld, int m, int kbase, int Tk) {
    (void)dp, (void)p, (void)ld, (void)m, (void)kbase, (void)Tk;
}
void opt_attn512_scores(float *s, size_t lds, const float *a, size_t lda, const float *b,
                        size_t ldb, int m, int kbase, int hd, float scale) {
    (void)s, (void)lds, (void)a, (void)lda, (void)b, (void)ldb, (void)m, (void)kbase;
    (void)hd, (void)scale;
}
void opt_attn512_accum(float *out, size_t ldo, const float *a, size_t ars, size_t acs,
                       const float *b, size_t ldb, int m, int n, int nb, int ib, int hd,
                       float alpha, int add) {
    (void)out, (void)ldo, (void)a, (void)ars, (void)acs, (void)b, (void)ldb, (void)m, (void)n;
    (void)nb, (void)ib, (void)hd, (void)alpha, (void)add;
}
#endif
