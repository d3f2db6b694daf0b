/* ops_opt_decode512.c — attention_decode's per-row work with AVX-512F + FMA intrinsics, for
 * head dims that are a multiple of 16 (32, 64, 128: every model here). The portable version
 * (decode_task in ops_opt_attention.c, 8-float vectors, separate multiply and add because opt/
 * is built with -ffp-contract=off) stays the fallback; opt_attention_decode calls this one when
 * the CPU has AVX-512F (checked once, __builtin_cpu_supports) and hd % 16 == 0.
 *
 * Same formulas as decode_task, for the n_rep query heads of one KV group of one row:
 *   s[r, j] = (q_r·k_j)·scale        one 16-float FMA chain per (r, j), then a horizontal sum
 *   p[r, :] = softmax(s[r, :])       max, e = exp(s − max) (opt_expf's polynomial, 16 lanes),
 *                                    sum, p = e · (1/sum)
 *   out_r   = Σ_j p[r, j]·v_j        16-float FMA accumulators, 4 keys in flight
 * The keys of the group are loaded once per key for all its heads (GQA). Results differ from
 * the portable version in the last bits (FMA rounds once, sums in another order); both are
 * checked against ref by tests/test_ops_opt.c (NMSE 5e-4, docs/ops.md). */
#include <stddef.h>

#include "ops_opt_int.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define T512 __attribute__((target("avx512f,fma")))

/* opt_expf (ops_opt_int.h) on 16 lanes: Cephes expf, x = n·ln2 + r, degree-6 polynomial in
 * r, 2^n from exponent bits in two factors; x below -87.3 gives 0. Inputs here are scores
 * minus their row max (<= 0, or -inf for nothing), so no NaN handling is needed. */
T512 static inline __m512 exp16(__m512 x) {
    const __m512 lo = _mm512_set1_ps(-87.3f);
    __mmask16 tiny = _mm512_cmp_ps_mask(x, lo, _CMP_LT_OQ);
    __m512 xc = _mm512_max_ps(x, lo);
    __m512 fn = _mm512_roundscale_ps(_mm512_mul_ps(xc, _mm512_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(fn, _mm512_set1_ps(0.693359375f), xc);
    r = _mm512_fnmadd_ps(fn, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 y = _mm512_set1_ps(1.9875691500e-4f);
    y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(1.3981999507e-3f));
    y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(8.3334519073e-3f));
    y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(4.1665795894e-2f));
    y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(1.6666665459e-1f));
    y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(5.0000001201e-1f));
    y = _mm512_fmadd_ps(y, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    /* y · 2^n: n in [-126, 0] here, scalef handles the whole range in one step */
    y = _mm512_scalef_ps(y, fn);
    return _mm512_mask_blend_ps(tiny, y, _mm512_setzero_ps());
}

/* Row softmax of s[0..n-1] in place; s[n .. nz-1] set to 0 (the scratch row's tail that
 * callers may read). */
T512 static void softmax16(float *s, int n, int nz) {
    __m512 mx = _mm512_set1_ps(-INFINITY);
    int j = 0;
    for (; j + 16 <= n; j += 16) mx = _mm512_max_ps(mx, _mm512_loadu_ps(s + j));
    __mmask16 tail = (__mmask16)((1u << (n - j)) - 1u);
    if (n > j) mx = _mm512_max_ps(mx, _mm512_mask_loadu_ps(mx, tail, s + j));
    __m512 m = _mm512_set1_ps(_mm512_reduce_max_ps(mx));
    __m512 sum = _mm512_setzero_ps();
    for (j = 0; j + 16 <= n; j += 16) {
        __m512 e = exp16(_mm512_sub_ps(_mm512_loadu_ps(s + j), m));
        _mm512_storeu_ps(s + j, e);
        sum = _mm512_add_ps(sum, e);
    }
    if (n > j) {
        __m512 e = exp16(_mm512_sub_ps(_mm512_mask_loadu_ps(m, tail, s + j), m));
        e = _mm512_maskz_mov_ps(tail, e);
        _mm512_mask_storeu_ps(s + j, tail, e);
        sum = _mm512_add_ps(sum, e);
    }
    __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sum));
    for (j = 0; j + 16 <= n; j += 16) _mm512_storeu_ps(s + j, _mm512_mul_ps(_mm512_loadu_ps(s + j), inv));
    if (n > j) _mm512_mask_storeu_ps(s + j, tail, _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, s + j), inv));
    for (j = n; j < nz; j++) s[j] = 0.0f;
}

/* One (row, KV group) task; the arguments are decode_task's (ops_opt_attention.c). */
T512 void opt_decode_task512(float *out, float *s, const float *q, const float *kb,
                             const float *vb, int ldk, int len, int n_rep, int hd, int Tmax,
                             float scale) {
    size_t lk = (size_t)ldk, lt = (size_t)Tmax;
    int nz = (len + 15) & ~15;
    if (nz > Tmax) nz = Tmax;
    /* scores: per key, one FMA chain over hd per head (the key's lines stay in L1 for the
     * group's other heads), then a horizontal sum */
    for (int j = 0; j < len; j++) {
        const float *kj = kb + (size_t)j * lk;
        for (int r = 0; r < n_rep; r++) {
            const float *qr = q + (size_t)r * (size_t)hd;
            __m512 acc = _mm512_mul_ps(_mm512_loadu_ps(qr), _mm512_loadu_ps(kj));
            for (int d = 16; d < hd; d += 16)
                acc = _mm512_fmadd_ps(_mm512_loadu_ps(qr + d), _mm512_loadu_ps(kj + d), acc);
            s[(size_t)r * lt + (size_t)j] = _mm512_reduce_add_ps(acc) * scale;
        }
    }
    for (int r = 0; r < n_rep; r++) softmax16(s + (size_t)r * lt, len, nz);
    /* out_r = Σ_j p[r, j]·v_j, 16 columns at a time, four partial sums over j (FMA latency) */
    for (int r = 0; r < n_rep; r++) {
        const float *pr = s + (size_t)r * lt;
        float *o = out + (size_t)r * (size_t)hd;
        for (int d = 0; d < hd; d += 16) {
            __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            const float *vd = vb + d;
            int j = 0;
            for (; j + 4 <= len; j += 4) {
                a0 = _mm512_fmadd_ps(_mm512_set1_ps(pr[j]), _mm512_loadu_ps(vd + (size_t)j * lk), a0);
                a1 = _mm512_fmadd_ps(_mm512_set1_ps(pr[j + 1]), _mm512_loadu_ps(vd + (size_t)(j + 1) * lk), a1);
                a2 = _mm512_fmadd_ps(_mm512_set1_ps(pr[j + 2]), _mm512_loadu_ps(vd + (size_t)(j + 2) * lk), a2);
                a3 = _mm512_fmadd_ps(_mm512_set1_ps(pr[j + 3]), _mm512_loadu_ps(vd + (size_t)(j + 3) * lk), a3);
            }
            for (; j < len; j++)
                a0 = _mm512_fmadd_ps(_mm512_set1_ps(pr[j]), _mm512_loadu_ps(vd + (size_t)j * lk), a0);
            _mm512_storeu_ps(o + d, _mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
        }
    }
}

int opt_have_avx512(void) {
    static int have = -1;
    if (have < 0) {
        __builtin_cpu_init();
        have = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
    }
    return have;
}

#else
int opt_have_avx512(void) { return 0; }
void opt_decode_task512(float *out, float *s, const float *q, const float *kb, const float *vb,
                        int ldk, int len, int n_rep, int hd, int Tmax, float scale) {
    (void)out, (void)s, (void)q, (void)kb, (void)vb, (void)ldk, (void)len, (void)n_rep;
    (void)hd, (void)Tmax, (void)scale;
}
#endif
