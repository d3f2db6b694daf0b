/* ops_opt_avx512.h — internal to opt/: what the AVX-512F + FMA intrinsics kernels share
 * (ops_opt_attn512.c, ops_opt_decode512.c). Include only under
 * `#if defined(__x86_64__) && defined(__GNUC__)`; the functions carry their own target
 * attribute, so the build needs no -mavx512f, and opt_have_avx512() (ops_opt_decode512.c)
 * decides at run time whether they are called. */
#ifndef SVS_OPS_OPT_AVX512_H
#define SVS_OPS_OPT_AVX512_H

#include <immintrin.h>

#define T512 __attribute__((target("avx512f,fma")))
#define T512_INLINE static inline __attribute__((always_inline, target("avx512f,fma")))

/* exp(x) on 16 lanes for x <= 0 (scores minus their row max, so no overflow and no NaN
 * handling): opt_expf's Cephes polynomial (ops_opt_int.h: x = n·ln2 + r, Cody–Waite r,
 * degree 6 in r) with FMA, 2^n by scalef; x below -87.3 (and -inf) gives 0. */
T512_INLINE __m512 exp16(__m512 x) {
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
    y = _mm512_scalef_ps(y, fn); /* y · 2^n: n in [-126, 0] here */
    return _mm512_mask_blend_ps(tiny, y, _mm512_setzero_ps());
}

/* Mask of the first c lanes, c in [0, 16]. */
T512_INLINE __mmask16 lanes(int c) { return (__mmask16)((1u << c) - 1u); }

#endif
