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
#include "ops_opt_avx512.h" /* T512, exp16, lanes */

/* Row softmax of s[0..n-1] in place; s[n .. nz-1] set to 0 (the scratch row's tail that
 * callers may read). */
T512 static void softmax16(float *s, int n, int nz) {
    __m512 mx = _mm512_set1_ps(-INFINITY);
    int j = 0;
    for (; j + 16 <= n; j += 16) mx = _mm512_max_ps(mx, _mm512_loadu_ps(s + j));
    __mmask16 tail = lanes(n - j);
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
