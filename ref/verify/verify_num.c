/* verify_num.c — big integers (base 10^9 limbs) and big rationals with work counters: the
 * exact arithmetic of the value comparison (spec/verifier.md §6.4 rule 1) within the limits of
 * §6.5. Schoolbook algorithms throughout (Knuth, TAOCP vol. 2, §4.3.1: addition, subtraction,
 * multiplication, Algorithm D for division), Euclid's algorithm for the gcd. See verify_num.h
 * for the ownership rules and the meaning of the status codes.
 *
 * Cost model: one "limb operation" is one inner-loop step on one limb. 2006! (5,756 digits)
 * costs about 0.7e6 of them, far below the 5e7 per call. */
#include "verify_num.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------- */
/* bookkeeping: limb-op budget, storage, size limit                                          */

/* Charges `ops` limb operations, refusing (before the work) past VLIM_LIMB_OPS (§6.5). */
static int charge(verify_ctx *ctx, long long ops) {
    if (ctx->limb_ops + ops > VLIM_LIMB_OPS) {
        vctx_hit(ctx, "limb_ops");
        return VNUM_ABORT;
    }
    ctx->limb_ops += ops;
    return VNUM_OK;
}

static int reserve(verify_ctx *ctx, vbig *a, size_t n) {
    if (n <= a->cap) return VNUM_OK;
    uint32_t *d = realloc(a->d, n * sizeof *d);
    if (!d) {
        ctx->oom = 1;
        return VNUM_ABORT;
    }
    a->d = d;
    a->cap = n;
    return VNUM_OK;
}

static void trim(vbig *a) {
    while (a->n && a->d[a->n - 1] == 0) a->n--;
    if (a->n == 0) a->neg = 0;
}

static int digits_u32(uint32_t x) {
    int k = 1;
    while (x >= 10) {
        x /= 10;
        k++;
    }
    return k;
}

static int too_big(verify_ctx *ctx, const char *limit) {
    vctx_hit(ctx, limit);
    return VNUM_TOOBIG;
}

/* 20,000 decimal digits per value (§6.5). */
static int check_size(verify_ctx *ctx, const vbig *a) {
    return vbig_digits(a) > VLIM_BIG_DIGITS ? too_big(ctx, "big_digits") : VNUM_OK;
}

/* Moves a finished temporary into r when st is OK; always frees the temporary. */
static int finish(verify_ctx *ctx, int st, vbig *r, vbig *t) {
    trim(t);
    if (st == VNUM_OK) st = check_size(ctx, t);
    if (st == VNUM_OK) vbig_swap(r, t);
    vbig_free(t);
    return st;
}

void vbig_init(vbig *a) { memset(a, 0, sizeof *a); }

void vbig_free(vbig *a) {
    free(a->d);
    vbig_init(a);
}

void vbig_swap(vbig *a, vbig *b) {
    vbig t = *a;
    *a = *b;
    *b = t;
}

int vbig_is_zero(const vbig *a) { return a->n == 0; }

size_t vbig_digits(const vbig *a) {
    return a->n ? 9 * (a->n - 1) + (size_t)digits_u32(a->d[a->n - 1]) : 1;
}

int vbig_set_i64(verify_ctx *ctx, vbig *r, int64_t v) {
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    if (reserve(ctx, r, 3)) return VNUM_ABORT;
    r->n = 0;
    while (u) {
        r->d[r->n++] = (uint32_t)(u % VBIG_BASE);
        u /= VBIG_BASE;
    }
    r->neg = v < 0;
    trim(r);
    return VNUM_OK;
}

int vbig_copy(verify_ctx *ctx, vbig *r, const vbig *a) {
    if (r == a) return VNUM_OK;
    if (reserve(ctx, r, a->n ? a->n : 1)) return VNUM_ABORT;
    if (a->n) memcpy(r->d, a->d, a->n * sizeof *a->d);
    r->n = a->n;
    r->neg = a->neg;
    return VNUM_OK;
}

int vbig_to_i64(const vbig *a, int64_t *v) {
    if (a->n > 3) return 0;
    uint64_t u = 0;
    for (size_t i = a->n; i-- > 0;) {
        if (u > ((1ULL << 62) - a->d[i]) / VBIG_BASE) return 0;
        u = u * VBIG_BASE + a->d[i];
    }
    *v = a->neg ? -(int64_t)u : (int64_t)u;
    return 1;
}

int vbig_cmp_abs(const vbig *a, const vbig *b) {
    if (a->n != b->n) return a->n < b->n ? -1 : 1;
    for (size_t i = a->n; i-- > 0;)
        if (a->d[i] != b->d[i]) return a->d[i] < b->d[i] ? -1 : 1;
    return 0;
}

int vbig_cmp(const vbig *a, const vbig *b) {
    if (a->neg != b->neg) return a->neg ? -1 : 1;
    int c = vbig_cmp_abs(a, b);
    return a->neg ? -c : c;
}

/* ---------------------------------------------------------------------------------------- */
/* addition, subtraction, multiplication                                                     */

/* t = |a| + |b| (t empty on entry). */
static int add_abs(verify_ctx *ctx, vbig *t, const vbig *a, const vbig *b) {
    size_t n = a->n > b->n ? a->n : b->n;
    if (charge(ctx, (long long)n + 1) || reserve(ctx, t, n + 1)) return VNUM_ABORT;
    uint32_t carry = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t s = carry + (i < a->n ? a->d[i] : 0) + (i < b->n ? b->d[i] : 0);
        carry = s >= VBIG_BASE;
        t->d[i] = carry ? s - VBIG_BASE : s;
    }
    t->d[n] = carry;
    t->n = n + 1;
    return VNUM_OK;
}

/* t = |a| - |b|, requires |a| >= |b| (t empty on entry). */
static int sub_abs(verify_ctx *ctx, vbig *t, const vbig *a, const vbig *b) {
    if (charge(ctx, (long long)a->n + 1) || reserve(ctx, t, a->n + 1)) return VNUM_ABORT;
    int64_t borrow = 0;
    for (size_t i = 0; i < a->n; i++) {
        int64_t s = (int64_t)a->d[i] - (i < b->n ? b->d[i] : 0) - borrow;
        borrow = s < 0;
        t->d[i] = (uint32_t)(borrow ? s + VBIG_BASE : s);
    }
    t->n = a->n;
    return VNUM_OK;
}

int vbig_add(verify_ctx *ctx, vbig *r, const vbig *a, const vbig *b) {
    vbig t;
    vbig_init(&t);
    int st, neg;
    if (a->neg == b->neg) {
        st = add_abs(ctx, &t, a, b);
        neg = a->neg;
    } else if (vbig_cmp_abs(a, b) >= 0) {
        st = sub_abs(ctx, &t, a, b);
        neg = a->neg;
    } else {
        st = sub_abs(ctx, &t, b, a);
        neg = b->neg;
    }
    t.neg = neg;
    return finish(ctx, st, r, &t);
}

int vbig_sub(verify_ctx *ctx, vbig *r, const vbig *a, const vbig *b) {
    vbig nb = *b; /* shallow: the same limbs with the sign flipped (read before r is written) */
    nb.neg = b->n ? !b->neg : 0;
    return vbig_add(ctx, r, a, &nb);
}

/* Schoolbook product; (10^9 - 1)^2 + 2 (10^9 - 1) < 2^64, so one uint64 holds each step.
 * The digit count is checked before the work: a*b has at least digits(a) + digits(b) - 1. */
int vbig_mul(verify_ctx *ctx, vbig *r, const vbig *a, const vbig *b) {
    vbig t;
    vbig_init(&t);
    if (a->n == 0 || b->n == 0) return finish(ctx, VNUM_OK, r, &t);
    if (vbig_digits(a) + vbig_digits(b) - 1 > VLIM_BIG_DIGITS) return too_big(ctx, "big_digits");
    int st = charge(ctx, (long long)a->n * (long long)b->n);
    if (st == VNUM_OK) st = reserve(ctx, &t, a->n + b->n);
    if (st == VNUM_OK) {
        memset(t.d, 0, (a->n + b->n) * sizeof *t.d);
        for (size_t i = 0; i < a->n; i++) {
            uint64_t carry = 0;
            for (size_t j = 0; j < b->n; j++) {
                uint64_t cur = t.d[i + j] + (uint64_t)a->d[i] * b->d[j] + carry;
                t.d[i + j] = (uint32_t)(cur % VBIG_BASE);
                carry = cur / VBIG_BASE;
            }
            t.d[i + b->n] = (uint32_t)carry;
        }
        t.n = a->n + b->n;
        t.neg = a->neg != b->neg;
    }
    return finish(ctx, st, r, &t);
}

/* r = r*m + add in place (m, add < 10^9), sign of r kept. */
int vbig_muladd_small(verify_ctx *ctx, vbig *r, uint32_t m, uint32_t add) {
    if (charge(ctx, (long long)r->n + 1) || reserve(ctx, r, r->n + 2)) return VNUM_ABORT;
    uint64_t carry = add;
    for (size_t i = 0; i < r->n; i++) {
        uint64_t cur = (uint64_t)r->d[i] * m + carry;
        r->d[i] = (uint32_t)(cur % VBIG_BASE);
        carry = cur / VBIG_BASE;
    }
    while (carry) {
        r->d[r->n++] = (uint32_t)(carry % VBIG_BASE);
        carry /= VBIG_BASE;
    }
    trim(r);
    return check_size(ctx, r);
}

/* ---------------------------------------------------------------------------------------- */
/* division                                                                                  */

/* q = |a| / m, *rem = |a| mod m (m < 10^9); q may alias a. */
static int divmod_small(verify_ctx *ctx, vbig *q, const vbig *a, uint32_t m, uint32_t *rem) {
    vbig t;
    vbig_init(&t);
    int st = charge(ctx, (long long)a->n + 1);
    if (st == VNUM_OK) st = reserve(ctx, &t, a->n + 1);
    uint64_t r = 0;
    if (st == VNUM_OK) {
        for (size_t i = a->n; i-- > 0;) {
            uint64_t cur = r * VBIG_BASE + a->d[i];
            t.d[i] = (uint32_t)(cur / m);
            r = cur % m;
        }
        t.n = a->n;
    }
    *rem = (uint32_t)r;
    if (!q) {
        vbig_free(&t);
        return st;
    }
    return finish(ctx, st, q, &t);
}

/* Knuth Algorithm D on magnitudes, n = |b| limbs >= 2, |a| >= |b|: *q = |a| / |b|,
 * *rem = |a| mod |b|. Both operands are first scaled by f = B/(v[n-1]+1) so that the top divisor
 * limb is >= B/2, which makes the two-limb quotient estimate at most 2 too large. */
static int divmod_knuth(verify_ctx *ctx, vbig *q, vbig *rem, const vbig *a, const vbig *b) {
    const uint64_t B = VBIG_BASE;
    size_t n = b->n, m = a->n - n;
    if (charge(ctx, (long long)n * (long long)(m + 1) + (long long)(a->n + n))) return VNUM_ABORT;
    uint32_t f = (uint32_t)(B / ((uint64_t)b->d[n - 1] + 1));
    vbig u, v;
    vbig_init(&u);
    vbig_init(&v);
    int st = vbig_copy(ctx, &u, a);
    if (st == VNUM_OK) st = vbig_copy(ctx, &v, b);
    if (st == VNUM_OK) st = vbig_muladd_small(ctx, &u, f, 0);
    if (st == VNUM_OK) st = vbig_muladd_small(ctx, &v, f, 0);
    if (st == VNUM_OK) st = reserve(ctx, &u, a->n + 1);
    if (st == VNUM_OK) st = reserve(ctx, q, m + 1);
    if (st != VNUM_OK) goto done;
    while (u.n < a->n + 1) u.d[u.n++] = 0; /* u has exactly m + n + 1 limbs */
    for (size_t j = m + 1; j-- > 0;) {
        uint64_t num = (uint64_t)u.d[j + n] * B + u.d[j + n - 1];
        uint64_t qhat = num / v.d[n - 1], rhat = num % v.d[n - 1];
        while (qhat >= B || qhat * v.d[n - 2] > rhat * B + u.d[j + n - 2]) {
            qhat--;
            rhat += v.d[n - 1];
            if (rhat >= B) break;
        }
        /* u[j..j+n] -= qhat * v */
        uint64_t carry = 0;
        int64_t borrow = 0;
        for (size_t i = 0; i < n; i++) {
            uint64_t p = qhat * v.d[i] + carry;
            carry = p / B;
            int64_t t = (int64_t)u.d[i + j] - (int64_t)(p % B) - borrow;
            borrow = t < 0;
            u.d[i + j] = (uint32_t)(borrow ? t + (int64_t)B : t);
        }
        int64_t top = (int64_t)u.d[j + n] - (int64_t)carry - borrow;
        if (top < 0) { /* qhat was one too large (rare): add v back */
            qhat--;
            uint64_t c = 0;
            for (size_t i = 0; i < n; i++) {
                uint64_t s = (uint64_t)u.d[i + j] + v.d[i] + c;
                u.d[i + j] = (uint32_t)(s % B);
                c = s / B;
            }
            top += (int64_t)c; /* the carry out of the top cancels the borrow: top = 0 */
        }
        u.d[j + n] = (uint32_t)top;
        q->d[j] = (uint32_t)qhat;
    }
    q->n = m + 1;
    q->neg = 0;
    trim(q);
    u.n = n;
    u.neg = 0;
    trim(&u);
    uint32_t dummy;
    st = divmod_small(ctx, rem, &u, f, &dummy); /* unscale the remainder */
done:
    vbig_free(&u);
    vbig_free(&v);
    return st;
}

int vbig_divmod(verify_ctx *ctx, vbig *q, vbig *rem, const vbig *a, const vbig *b) {
    if (b->n == 0) return VNUM_DOMAIN;
    int qneg = a->neg != b->neg, rneg = a->neg;
    vbig tq, tr;
    vbig_init(&tq);
    vbig_init(&tr);
    int st = VNUM_OK;
    if (vbig_cmp_abs(a, b) < 0) {
        st = vbig_copy(ctx, &tr, a);
    } else if (b->n == 1) {
        uint32_t r;
        st = divmod_small(ctx, &tq, a, b->d[0], &r);
        if (st == VNUM_OK) st = vbig_set_i64(ctx, &tr, r);
    } else {
        st = divmod_knuth(ctx, &tq, &tr, a, b);
    }
    tq.neg = qneg;
    tr.neg = rneg;
    trim(&tq);
    trim(&tr);
    if (st == VNUM_OK && q) vbig_swap(q, &tq);
    if (st == VNUM_OK && rem) vbig_swap(rem, &tr);
    vbig_free(&tq);
    vbig_free(&tr);
    return st;
}

/* Euclid: gcd(x, y) = gcd(y, x mod y). */
int vbig_gcd(verify_ctx *ctx, vbig *r, const vbig *a, const vbig *b) {
    vbig x, y, t;
    vbig_init(&x);
    vbig_init(&y);
    vbig_init(&t);
    int st = vbig_copy(ctx, &x, a);
    if (st == VNUM_OK) st = vbig_copy(ctx, &y, b);
    x.neg = y.neg = 0;
    while (st == VNUM_OK && y.n) {
        st = vbig_divmod(ctx, NULL, &t, &x, &y);
        vbig_swap(&x, &y);
        vbig_swap(&y, &t);
    }
    if (st == VNUM_OK) vbig_swap(r, &x);
    vbig_free(&x);
    vbig_free(&y);
    vbig_free(&t);
    return st;
}

/* ---------------------------------------------------------------------------------------- */
/* powers, factorials, binomials, digit strings                                              */

/* log10 |a| from the two leading limbs (a != 0). */
static double log10_abs(const vbig *a) {
    double lead = a->d[a->n - 1];
    if (a->n >= 2) lead += a->d[a->n - 2] / (double)VBIG_BASE;
    return log10(lead) + 9.0 * (double)(a->n - 1);
}

/* Left-to-right binary powering. The result size n log10|a| is estimated first (§6.5
 * "estimated result <= 20,000 digits"); the +1 absorbs the rounding of the estimate. */
int vbig_pow(verify_ctx *ctx, vbig *r, const vbig *a, uint32_t n) {
    vbig t, base;
    vbig_init(&t);
    vbig_init(&base);
    if (a->n && (double)n * log10_abs(a) > VLIM_BIG_DIGITS + 1.0) return too_big(ctx, "power");
    int st = vbig_set_i64(ctx, &t, 1);
    if (st == VNUM_OK) st = vbig_copy(ctx, &base, a);
    int top = 31;
    while (top >= 0 && !((n >> top) & 1)) top--;
    for (int bit = top; bit >= 0 && st == VNUM_OK; bit--) {
        st = vbig_mul(ctx, &t, &t, &t);
        if (st == VNUM_OK && ((n >> bit) & 1)) st = vbig_mul(ctx, &t, &t, &base);
    }
    vbig_free(&base);
    return finish(ctx, st, r, &t);
}

int vbig_fact(verify_ctx *ctx, vbig *r, int64_t n) {
    if (n < 0) return VNUM_DOMAIN;
    if (n > VLIM_FACT) return too_big(ctx, "factorial");
    int st = vbig_set_i64(ctx, r, 1);
    for (int64_t i = 2; i <= n && st == VNUM_OK; i++) st = vbig_muladd_small(ctx, r, (uint32_t)i, 0);
    return st;
}

/* C(n, k) = prod_{i=1..k} (n-k+i)/i with k <= n/2; after step i the value is C(n-k+i, i), an
 * integer, so every division is exact. */
int vbig_binom(verify_ctx *ctx, vbig *r, int64_t n, int64_t k) {
    if (n < 0) return VNUM_DOMAIN;
    if (k < 0 || k > n) return vbig_set_i64(ctx, r, 0);
    if (n > VLIM_BINOM) return too_big(ctx, "binomial");
    if (k > n - k) k = n - k;
    int st = vbig_set_i64(ctx, r, 1);
    for (int64_t i = 1; i <= k && st == VNUM_OK; i++) {
        uint32_t rem;
        st = vbig_muladd_small(ctx, r, (uint32_t)(n - k + i), 0);
        if (st == VNUM_OK) st = divmod_small(ctx, r, r, (uint32_t)i, &rem);
    }
    return st;
}

static int digit_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'z') return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
    return 99;
}

/* Horner's rule in groups: k digits at a time with base^k < 10^9, so one small
 * multiply-add per group. */
int vbig_from_digits(verify_ctx *ctx, vbig *r, const char *s, size_t n, int base) {
    if (base < 2 || base > 36 || n == 0) return VNUM_DOMAIN;
    if ((double)n * log10((double)base) > VLIM_BIG_DIGITS + 1.0) return too_big(ctx, "big_digits");
    int st = vbig_set_i64(ctx, r, 0);
    uint32_t group = 0, mul = 1;
    for (size_t i = 0; i < n && st == VNUM_OK; i++) {
        int v = digit_value(s[i]);
        if (v >= base) return VNUM_DOMAIN;
        group = group * (uint32_t)base + (uint32_t)v;
        mul *= (uint32_t)base;
        if ((uint64_t)mul * (uint32_t)base >= VBIG_BASE || i + 1 == n) {
            st = vbig_muladd_small(ctx, r, mul, group);
            group = 0;
            mul = 1;
        }
    }
    return st;
}

/* The five leading limbs (>= 36 digits, more than the 32 of a double-double) times
 * (10^9)^(remaining limbs) in the wide exponent. */
vwd vbig_to_wd(const vbig *a) {
    if (a->n == 0) return vwd_zero();
    size_t k = a->n < 5 ? a->n : 5;
    vdd m = dd_from(0.0);
    for (size_t i = 0; i < k; i++) m = dd_add(dd_mul_d(m, 1e9), dd_from(a->d[a->n - 1 - i]));
    vwd w = vwd_mul(vwd_from_dd(m), vwd_powi(vwd_from_double(1e9), (int64_t)(a->n - k)));
    return a->neg ? vwd_neg(w) : w;
}

/* ---------------------------------------------------------------------------------------- */
/* rationals                                                                                 */

void vrat_init(vrat *r) {
    vbig_init(&r->num);
    vbig_init(&r->den);
}

void vrat_free(vrat *r) {
    vbig_free(&r->num);
    vbig_free(&r->den);
}

static int is_one(const vbig *a) { return a->n == 1 && a->d[0] == 1 && !a->neg; }

/* Divides num and den by their gcd and makes den positive. */
static int vrat_norm(verify_ctx *ctx, vrat *r) {
    if (r->den.n == 0) return VNUM_DOMAIN;
    if (r->num.n == 0) return vbig_set_i64(ctx, &r->den, 1);
    if (r->den.neg) {
        r->den.neg = 0;
        r->num.neg = !r->num.neg;
    }
    if (is_one(&r->den)) return VNUM_OK;
    vbig g;
    vbig_init(&g);
    int st = vbig_gcd(ctx, &g, &r->num, &r->den);
    if (st == VNUM_OK && !is_one(&g)) {
        st = vbig_divmod(ctx, &r->num, NULL, &r->num, &g);
        if (st == VNUM_OK) st = vbig_divmod(ctx, &r->den, NULL, &r->den, &g);
    }
    vbig_free(&g);
    return st;
}

int vrat_set_i64(verify_ctx *ctx, vrat *r, int64_t v) {
    int st = vbig_set_i64(ctx, &r->num, v);
    return st ? st : vbig_set_i64(ctx, &r->den, 1);
}

int vrat_copy(verify_ctx *ctx, vrat *r, const vrat *a) {
    int st = vbig_copy(ctx, &r->num, &a->num);
    return st ? st : vbig_copy(ctx, &r->den, &a->den);
}

int vrat_is_int(const vrat *a) { return is_one(&a->den); }
int vrat_is_zero(const vrat *a) { return a->num.n == 0; }
int vrat_sign(const vrat *a) { return a->num.n == 0 ? 0 : a->num.neg ? -1 : 1; }

int vrat_equal(const vrat *a, const vrat *b) {
    return vbig_cmp(&a->num, &b->num) == 0 && vbig_cmp(&a->den, &b->den) == 0;
}

void vrat_neg(vrat *r) {
    if (r->num.n) r->num.neg = !r->num.neg;
}

void vrat_abs(vrat *r) { r->num.neg = 0; }

/* a/b ? c/d by the signs, then a*d ? c*b. */
int vrat_cmp(verify_ctx *ctx, const vrat *a, const vrat *b, int *out) {
    int sa = vrat_sign(a), sb = vrat_sign(b);
    if (sa != sb || sa == 0) {
        *out = (sa > sb) - (sa < sb);
        return VNUM_OK;
    }
    vbig x, y;
    vbig_init(&x);
    vbig_init(&y);
    int st = vbig_mul(ctx, &x, &a->num, &b->den);
    if (st == VNUM_OK) st = vbig_mul(ctx, &y, &b->num, &a->den);
    if (st == VNUM_OK) *out = vbig_cmp(&x, &y);
    vbig_free(&x);
    vbig_free(&y);
    return st;
}

/* a/b + sign*c/d = (a d + sign c b) / (b d), reduced; equal denominators skip the products. */
static int rat_addsub(verify_ctx *ctx, vrat *r, const vrat *a, const vrat *b, int sub) {
    vrat t;
    vrat_init(&t);
    vbig x, y;
    vbig_init(&x);
    vbig_init(&y);
    int st;
    if (vbig_cmp(&a->den, &b->den) == 0) {
        st = sub ? vbig_sub(ctx, &t.num, &a->num, &b->num) : vbig_add(ctx, &t.num, &a->num, &b->num);
        if (st == VNUM_OK) st = vbig_copy(ctx, &t.den, &a->den);
    } else {
        st = vbig_mul(ctx, &x, &a->num, &b->den);
        if (st == VNUM_OK) st = vbig_mul(ctx, &y, &b->num, &a->den);
        if (st == VNUM_OK) st = sub ? vbig_sub(ctx, &t.num, &x, &y) : vbig_add(ctx, &t.num, &x, &y);
        if (st == VNUM_OK) st = vbig_mul(ctx, &t.den, &a->den, &b->den);
    }
    if (st == VNUM_OK) st = vrat_norm(ctx, &t);
    if (st == VNUM_OK) {
        vbig_swap(&r->num, &t.num);
        vbig_swap(&r->den, &t.den);
    }
    vbig_free(&x);
    vbig_free(&y);
    vrat_free(&t);
    return st;
}

int vrat_add(verify_ctx *ctx, vrat *r, const vrat *a, const vrat *b) { return rat_addsub(ctx, r, a, b, 0); }
int vrat_sub(verify_ctx *ctx, vrat *r, const vrat *a, const vrat *b) { return rat_addsub(ctx, r, a, b, 1); }

/* (a/b)(c/d) = (a c)/(b d) when inv = 0; (a/b)/(c/d) = (a d)/(b c) when inv = 1. */
static int rat_muldiv(verify_ctx *ctx, vrat *r, const vrat *a, const vrat *b, int inv) {
    if (inv && b->num.n == 0) return VNUM_DOMAIN;
    vrat t;
    vrat_init(&t);
    const vbig *bn = inv ? &b->den : &b->num, *bd = inv ? &b->num : &b->den;
    int st = vbig_mul(ctx, &t.num, &a->num, bn);
    if (st == VNUM_OK) st = vbig_mul(ctx, &t.den, &a->den, bd);
    if (st == VNUM_OK) st = vrat_norm(ctx, &t);
    if (st == VNUM_OK) {
        vbig_swap(&r->num, &t.num);
        vbig_swap(&r->den, &t.den);
    }
    vrat_free(&t);
    return st;
}

int vrat_mul(verify_ctx *ctx, vrat *r, const vrat *a, const vrat *b) { return rat_muldiv(ctx, r, a, b, 0); }
int vrat_div(verify_ctx *ctx, vrat *r, const vrat *a, const vrat *b) { return rat_muldiv(ctx, r, a, b, 1); }

/* (p/q)^n = p^n / q^n (already coprime); negative n inverts first. 0, 1 and -1 take any
 * exponent; otherwise |n| <= 10,000 (§6.5). */
int vrat_pow(verify_ctx *ctx, vrat *r, const vrat *a, int64_t n) {
    if (a->num.n == 0) return n > 0 ? vrat_set_i64(ctx, r, 0) : n == 0 ? vrat_set_i64(ctx, r, 1) : VNUM_DOMAIN;
    if (is_one(&a->den) && a->num.n == 1 && a->num.d[0] == 1)
        return vrat_set_i64(ctx, r, (a->num.neg && (n & 1)) ? -1 : 1);
    if (n > VLIM_POW_EXP || n < -VLIM_POW_EXP) return too_big(ctx, "power");
    uint32_t u = (uint32_t)(n < 0 ? -n : n);
    vrat t;
    vrat_init(&t);
    int st = vbig_pow(ctx, &t.num, n < 0 ? &a->den : &a->num, u);
    if (st == VNUM_OK) st = vbig_pow(ctx, &t.den, n < 0 ? &a->num : &a->den, u);
    if (st == VNUM_OK) {
        if (t.den.neg) { /* inverted a negative base: move the sign to the numerator */
            t.den.neg = 0;
            vrat_neg(&t);
        }
        vbig_swap(&r->num, &t.num);
        vbig_swap(&r->den, &t.den);
    }
    vrat_free(&t);
    return st;
}

/* floor(p/q) = trunc(p/q) - 1 when the remainder is nonzero and p < 0. */
int vrat_floor(verify_ctx *ctx, vrat *r, const vrat *a) {
    vbig q, rem, one;
    vbig_init(&q);
    vbig_init(&rem);
    vbig_init(&one);
    int st = vbig_divmod(ctx, &q, &rem, &a->num, &a->den);
    if (st == VNUM_OK && rem.n && a->num.neg) {
        st = vbig_set_i64(ctx, &one, 1);
        if (st == VNUM_OK) st = vbig_sub(ctx, &q, &q, &one);
    }
    if (st == VNUM_OK) st = vbig_set_i64(ctx, &r->den, 1);
    if (st == VNUM_OK) vbig_swap(&r->num, &q);
    vbig_free(&q);
    vbig_free(&rem);
    vbig_free(&one);
    return st;
}

/* 10^|k| is one limb 10^(|k| mod 9) above |k|/9 zero limbs. */
int vrat_pow10(verify_ctx *ctx, vrat *r, int64_t k) {
    uint64_t u = k < 0 ? (uint64_t)0 - (uint64_t)k : (uint64_t)k;
    if (u + 1 > VLIM_BIG_DIGITS) return too_big(ctx, "big_digits");
    vbig *p = k < 0 ? &r->den : &r->num, *o = k < 0 ? &r->num : &r->den;
    size_t zeros = (size_t)(u / 9);
    if (charge(ctx, (long long)zeros + 1)) return VNUM_ABORT;
    if (reserve(ctx, p, zeros + 1) || vbig_set_i64(ctx, o, 1)) return VNUM_ABORT;
    memset(p->d, 0, zeros * sizeof *p->d);
    uint32_t top = 1;
    for (uint64_t i = 0; i < u % 9; i++) top *= 10;
    p->d[zeros] = top;
    p->n = zeros + 1;
    p->neg = 0;
    return VNUM_OK;
}

int vrat_parse_decimal(verify_ctx *ctx, vrat *r, const char *s) {
    size_t len = strlen(s), ndig = 0, frac = 0;
    int dot = 0;
    char *digits = malloc(len + 1);
    if (!digits) {
        ctx->oom = 1;
        return VNUM_ABORT;
    }
    int st = VNUM_OK;
    for (size_t i = 0; i < len && st == VNUM_OK; i++) {
        if (s[i] == '.' && !dot) {
            dot = 1;
        } else if (s[i] >= '0' && s[i] <= '9') {
            digits[ndig++] = s[i];
            frac += (size_t)dot;
        } else {
            st = VNUM_DOMAIN;
        }
    }
    if (st == VNUM_OK && ndig == 0) st = VNUM_DOMAIN;
    vrat t;
    vrat_init(&t);
    if (st == VNUM_OK) st = vrat_pow10(ctx, &t, -(int64_t)frac);
    if (st == VNUM_OK) st = vbig_from_digits(ctx, &t.num, digits, ndig, 10);
    if (st == VNUM_OK) st = vrat_norm(ctx, &t);
    if (st == VNUM_OK) {
        vbig_swap(&r->num, &t.num);
        vbig_swap(&r->den, &t.den);
    }
    vrat_free(&t);
    free(digits);
    return st;
}

/* round(a, N) = sign(a) floor(|a| 10^N + 1/2) / 10^N. */
int vrat_round(verify_ctx *ctx, vrat *r, const vrat *a, int places) {
    vrat s, half;
    vrat_init(&s);
    vrat_init(&half);
    int neg = vrat_sign(a) < 0;
    int st = vrat_pow10(ctx, &s, places);
    if (st == VNUM_OK) st = vrat_copy(ctx, r, a);
    if (st == VNUM_OK) {
        vrat_abs(r);
        st = vrat_mul(ctx, r, r, &s);
    }
    if (st == VNUM_OK) st = vbig_set_i64(ctx, &half.num, 1);
    if (st == VNUM_OK) st = vbig_set_i64(ctx, &half.den, 2);
    if (st == VNUM_OK) st = vrat_add(ctx, r, r, &half);
    if (st == VNUM_OK) st = vrat_floor(ctx, r, r);
    if (st == VNUM_OK) st = vrat_div(ctx, r, r, &s);
    if (st == VNUM_OK && neg) vrat_neg(r);
    vrat_free(&s);
    vrat_free(&half);
    return st;
}

vwd vrat_to_wd(const vrat *a) { return vwd_div(vbig_to_wd(&a->num), vbig_to_wd(&a->den)); }
