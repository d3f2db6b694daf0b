/* test_verify_num.c — unit tests of the verifier's numeric core: big integers / rationals
 * (verify_num.c), wide double-double and complex functions (verify_dd.c), and the value
 * comparison of spec/verifier.md §6.4 with the limits of §6.5 (verify_eval.c). Trees are built
 * by hand with vnode_new / vnode_bin, so the test does not depend on the parser.
 * Expected values: Python's exact integers (math.factorial, math.comb) and mpmath. */
#include <time.h>

#include "testlib.h"
#include "verify/verify_dd.h"
#include "verify/verify_internal.h"
#include "verify/verify_num.h"

/* ---------------------------------------------------------------------------------------- */
/* helpers                                                                                   */

/* Decimal string of a vbig (limbs printed as %09u below the top one). Caller frees. */
static char *big_str(const vbig *a) {
    char *s = malloc(a->n * 9 + 3), *p = s;
    if (a->neg) *p++ = '-';
    if (a->n == 0) p += sprintf(p, "0");
    for (size_t i = a->n; i-- > 0;) p += sprintf(p, i == a->n - 1 ? "%u" : "%09u", a->d[i]);
    return s;
}

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static vnode *mk_num(verify_ctx *c, const char *t) {
    vnode *v = vnode_new(c, VN_NUM, 0);
    v->text = vctx_strndup(c, t, strlen(t));
    if (strchr(t, '.')) v->flags |= VF_DECIMAL;
    return v;
}

static vnode *mk_text(verify_ctx *c, vnode_kind k, const char *t) {
    vnode *v = vnode_new(c, k, 0);
    v->text = vctx_strndup(c, t, strlen(t));
    return v;
}

static vnode *mk_un(verify_ctx *c, vnode_kind k, vnode *a) {
    vnode *v = vnode_new(c, k, 1);
    v->a[0] = a;
    return v;
}

static vnode *mk_fn(verify_ctx *c, vnode_kind k, const char *name, vnode *a) {
    vnode *v = mk_un(c, k, a);
    v->text = vctx_strndup(c, name, strlen(name));
    return v;
}

static vnode *mk_sum(verify_ctx *c, vnode_kind k, const char *idx, vnode *lo, vnode *hi, vnode *body) {
    vnode *v = vnode_new(c, k, 3);
    v->text = vctx_strndup(c, idx, strlen(idx));
    v->a[0] = lo;
    v->a[1] = hi;
    v->a[2] = body;
    return v;
}

static vnode *mk_based(verify_ctx *c, const char *digits, int base) {
    vnode *v = mk_text(c, VN_BASED, digits);
    v->base = base;
    return v;
}

/* Tree-building shorthands; they use the context `c` in scope. */
#define N(t) mk_num(c, t)
#define S(t) mk_text(c, VN_SYM, t)
#define K(t) mk_text(c, VN_CONST, t)
#define ADD(a, b) vnode_bin(c, VN_ADD, a, b)
#define SUB(a, b) vnode_bin(c, VN_SUB, a, b)
#define MUL(a, b) vnode_bin(c, VN_MUL, a, b)
#define DIV(a, b) vnode_bin(c, VN_DIV, a, b)
#define POW(a, b) vnode_bin(c, VN_POW, a, b)
#define BINOM(a, b) vnode_bin(c, VN_BINOM, a, b)
#define NEG(a) mk_un(c, VN_NEG, a)
#define FACT(a) mk_un(c, VN_FACT, a)
#define PCT(a) mk_un(c, VN_PERCENT, a)
#define SQRT(a) mk_un(c, VN_SQRT, a)
#define FN(name, a) mk_fn(c, VN_FUNC, name, a)
#define APPLY(name, a) mk_fn(c, VN_APPLY, name, a)
#define SUM(i, lo, hi, body) mk_sum(c, VN_SUM, i, lo, hi, body)
#define BASED(d, b) mk_based(c, d, b)

static const char *VNAMES[] = {"NOT_EQUAL", "EQUAL", "UNDECIDED"};

/* One comparison in a fresh context; `want_reason` NULL = not checked. */
#define EXPECT(expect, want_reason, gexpr, pexpr)                                                \
    do {                                                                                         \
        verify_ctx ctx_;                                                                         \
        vctx_init(&ctx_, NULL);                                                                  \
        ctx_.seed = 0x1234;                                                                      \
        verify_ctx *c = &ctx_;                                                                   \
        const char *why_ = NULL;                                                                 \
        vcmp r_ = veval_equal(c, (gexpr), (pexpr), &why_);                                       \
        CHECK(r_ == (expect) && (!(want_reason) || strcmp(why_, (want_reason) ? (want_reason) : "") == 0), \
              "%s  vs  %s: got %s (%s, limit %s)", #gexpr, #pexpr, VNAMES[r_], why_,             \
              c->limit ? c->limit : "-");                                                        \
        vctx_free(c);                                                                            \
    } while (0)

#define EXPECT_RATIO(expect, pos, gexpr, pexpr)                                                  \
    do {                                                                                         \
        verify_ctx ctx_;                                                                         \
        vctx_init(&ctx_, NULL);                                                                  \
        ctx_.seed = 0x99;                                                                        \
        verify_ctx *c = &ctx_;                                                                   \
        vcmp r_ = veval_ratio_constant(c, (gexpr), (pexpr), pos);                                \
        CHECK(r_ == (expect), "ratio(%s, %s, %d): got %s", #gexpr, #pexpr, pos, VNAMES[r_]);    \
        vctx_free(c);                                                                            \
    } while (0)

#define EXPECT_ORDER(expect, aexpr, bexpr)                                                       \
    do {                                                                                         \
        verify_ctx ctx_;                                                                         \
        vctx_init(&ctx_, NULL);                                                                  \
        verify_ctx *c = &ctx_;                                                                   \
        int r_ = veval_order(c, (aexpr), (bexpr));                                               \
        CHECK(r_ == (expect), "order(%s, %s): got %d want %d", #aexpr, #bexpr, r_, expect);      \
        vctx_free(c);                                                                            \
    } while (0)

/* ---------------------------------------------------------------------------------------- */
/* verify_num.c                                                                              */

static void test_bigint(void) {
    verify_ctx ctx;
    vctx_init(&ctx, NULL);
    vbig f, g, q, r, t;
    vbig_init(&f);
    vbig_init(&g);
    vbig_init(&q);
    vbig_init(&r);
    vbig_init(&t);

    /* 2006! = 2144794478704...: 5,756 digits, 500 trailing zeros (401 + 80 + 16 + 3) */
    double t0 = now_ms();
    CHECK(vbig_fact(&ctx, &f, 2006) == VNUM_OK, "2006!");
    double ms = now_ms() - t0;
    printf("2006! in %.3f ms, %lld limb ops\n", ms, ctx.limb_ops);
    char *s = big_str(&f);
    CHECK(strlen(s) == 5756 && strncmp(s, "214479447870477", 15) == 0, "2006! digits: %.20s (%zu)", s, strlen(s));
    size_t z = 0;
    for (size_t i = strlen(s); i-- > 0 && s[i] == '0';) z++;
    CHECK(z == 500, "2006! trailing zeros %zu", z);
    free(s);
    CHECK(vbig_digits(&f) == 5756, "vbig_digits(2006!)");
    CHECK(ms < 500.0, "2006! took %.3f ms", ms); /* generous: valgrind / ASan builds run ~50x slower */

    /* 2^2006 = 7348036449755...537880064 (604 digits) */
    CHECK(vbig_set_i64(&ctx, &t, 2) == VNUM_OK && vbig_pow(&ctx, &g, &t, 2006) == VNUM_OK, "2^2006");
    s = big_str(&g);
    CHECK(strlen(s) == 604 && strncmp(s, "734803644975522", 15) == 0 && strcmp(s + 595, "537880064") == 0,
          "2^2006 = %.20s...", s);
    free(s);

    /* gcd(2006!, 2^2006) = 2^1998 (Legendre: 1003 + 501 + 250 + ... + 1 = 1998) */
    CHECK(vbig_gcd(&ctx, &q, &f, &g) == VNUM_OK, "gcd");
    CHECK(vbig_pow(&ctx, &r, &t, 1998) == VNUM_OK && vbig_cmp(&q, &r) == 0, "gcd(2006!, 2^2006) = 2^1998");

    /* divmod: 2006! = q 2^2006 + r with 0 <= r < 2^2006, checked by recombination */
    CHECK(vbig_divmod(&ctx, &q, &r, &f, &g) == VNUM_OK, "divmod");
    CHECK(vbig_mul(&ctx, &t, &q, &g) == VNUM_OK && vbig_add(&ctx, &t, &t, &r) == VNUM_OK &&
              vbig_cmp(&t, &f) == 0 && vbig_cmp_abs(&r, &g) < 0, "q b + r == a");

    /* divmod on pseudo-random operands of many sizes and signs (Knuth D, add-back path) */
    uint64_t seed = 7;
    int bad = 0;
    for (int it = 0; it < 200; it++) {
        char da[200], db[200];
        int la = 1 + (int)((seed = seed * 6364136223846793005ULL + 1442695040888963407ULL) >> 33) % 150;
        int lb = 1 + (int)((seed = seed * 6364136223846793005ULL + 1442695040888963407ULL) >> 33) % 60;
        for (int i = 0; i < la; i++) da[i] = (char)('0' + ((seed = seed * 6364136223846793005ULL + 1) >> 60) % 10);
        for (int i = 0; i < lb; i++) db[i] = (char)('0' + ((seed = seed * 6364136223846793005ULL + 1) >> 60) % 10);
        if (it % 7 == 0) memset(db, '9', (size_t)lb); /* many 9s: qhat corrections */
        db[0] = '1' + (char)(it % 9);
        vbig_from_digits(&ctx, &f, da, (size_t)la, 10);
        vbig_from_digits(&ctx, &g, db, (size_t)lb, 10);
        f.neg = f.n && (it & 1);
        g.neg = (it & 2) != 0;
        if (vbig_divmod(&ctx, &q, &r, &f, &g) != VNUM_OK) bad++;
        vbig_mul(&ctx, &t, &q, &g);
        vbig_add(&ctx, &t, &t, &r);
        if (vbig_cmp(&t, &f) != 0 || vbig_cmp_abs(&r, &g) >= 0 || (r.n && r.neg != f.neg)) bad++;
    }
    CHECK(bad == 0, "random divmod: %d failures", bad);

    /* C(10000, 5000): 3,009 digits, 159179026353243... */
    CHECK(vbig_binom(&ctx, &f, 10000, 5000) == VNUM_OK, "binom");
    s = big_str(&f);
    CHECK(strlen(s) == 3009 && strncmp(s, "159179026353243", 15) == 0, "C(10000,5000) = %.20s", s);
    free(s);
    CHECK(vbig_binom(&ctx, &f, 10001, 3) == VNUM_TOOBIG && ctx.limit && strcmp(ctx.limit, "binomial") == 0,
          "binomial n > 10000 refused");
    CHECK(vbig_fact(&ctx, &f, 5001) == VNUM_TOOBIG, "5001! refused");

    /* 1112112 in base 3 = 1121; digit 3 in base 3 is invalid */
    CHECK(vbig_from_digits(&ctx, &f, "1112112", 7, 3) == VNUM_OK && vbig_set_i64(&ctx, &t, 1121) == VNUM_OK &&
              vbig_cmp(&f, &t) == 0, "1112112_3 = 1121");
    CHECK(vbig_from_digits(&ctx, &f, "123", 3, 3) == VNUM_DOMAIN, "digit >= base");
    CHECK(vbig_from_digits(&ctx, &f, "zz", 2, 36) == VNUM_OK && vbig_set_i64(&ctx, &t, 1295) == VNUM_OK &&
              vbig_cmp(&f, &t) == 0, "zz_36 = 1295");

    vbig_free(&f);
    vbig_free(&g);
    vbig_free(&q);
    vbig_free(&r);
    vbig_free(&t);
    vctx_free(&ctx);
}

static void test_rational(void) {
    verify_ctx ctx;
    vctx_init(&ctx, NULL);
    vrat a, b, r;
    vrat_init(&a);
    vrat_init(&b);
    vrat_init(&r);

    /* 0.0000672 = 672/10^7 = 21/312500 */
    CHECK(vrat_parse_decimal(&ctx, &a, "0.0000672") == VNUM_OK, "parse");
    CHECK(vrat_set_i64(&ctx, &b, 21) == VNUM_OK && vbig_set_i64(&ctx, &b.den, 312500) == VNUM_OK &&
              vrat_equal(&a, &b), "0.0000672 = 21/312500");
    CHECK(vrat_parse_decimal(&ctx, &a, "12.50") == VNUM_OK && vrat_parse_decimal(&ctx, &b, "12.5") == VNUM_OK &&
              vrat_equal(&a, &b), "12.50 = 12.5");
    CHECK(vrat_parse_decimal(&ctx, &a, "1.2.3") == VNUM_DOMAIN, "1.2.3 rejected");
    CHECK(vrat_parse_decimal(&ctx, &a, "x") == VNUM_DOMAIN, "x rejected");

    /* (2/3)^-3 = 27/8; (-2/3)^-3 = -27/8 */
    vrat_set_i64(&ctx, &a, 2);
    vbig_set_i64(&ctx, &a.den, 3);
    CHECK(vrat_pow(&ctx, &r, &a, -3) == VNUM_OK, "pow");
    vrat_set_i64(&ctx, &b, 27);
    vbig_set_i64(&ctx, &b.den, 8);
    CHECK(vrat_equal(&r, &b), "(2/3)^-3 = 27/8");
    vrat_neg(&a);
    vrat_neg(&b);
    CHECK(vrat_pow(&ctx, &r, &a, -3) == VNUM_OK && vrat_equal(&r, &b), "(-2/3)^-3 = -27/8");

    /* 1/3 + 1/6 = 1/2; floor(-7/2) = -4; round(2/3, 3) = 0.667 */
    vrat_set_i64(&ctx, &a, 1);
    vbig_set_i64(&ctx, &a.den, 3);
    vrat_set_i64(&ctx, &b, 1);
    vbig_set_i64(&ctx, &b.den, 6);
    vrat_add(&ctx, &r, &a, &b);
    CHECK(vrat_is_int(&r) == 0 && r.num.n == 1 && r.num.d[0] == 1 && r.den.d[0] == 2, "1/3 + 1/6 = 1/2");
    vrat_set_i64(&ctx, &a, -7);
    vbig_set_i64(&ctx, &a.den, 2);
    CHECK(vrat_floor(&ctx, &r, &a) == VNUM_OK && r.num.neg && r.num.d[0] == 4 && vrat_is_int(&r), "floor(-7/2) = -4");
    vrat_set_i64(&ctx, &a, 2);
    vbig_set_i64(&ctx, &a.den, 3);
    vrat_parse_decimal(&ctx, &b, "0.667");
    CHECK(vrat_round(&ctx, &r, &a, 3) == VNUM_OK && vrat_equal(&r, &b), "round(2/3, 3) = 0.667");

    /* 1/2006! as a wide double-double: log2 = -lgamma(2007)/ln 2, far below the double range */
    vrat_set_i64(&ctx, &a, 1);
    vbig_fact(&ctx, &a.den, 2006);
    vwd w = vrat_to_wd(&a);
    double l2 = (double)w.e + log2(w.m.hi);
    CHECK(vwd_ok(w) && fabs(l2 + lgamma(2007.0) / log(2.0)) < 1e-9 * 19000, "log2(1/2006!) = %.6f", l2);

    /* 10^30000 is refused before any work (20,000-digit limit) */
    long long before = ctx.limb_ops;
    vrat_set_i64(&ctx, &a, 10);
    CHECK(vrat_pow(&ctx, &r, &a, 30000) == VNUM_TOOBIG && ctx.limb_ops == before, "10^30000 refused upfront");

    vrat_free(&a);
    vrat_free(&b);
    vrat_free(&r);
    vctx_free(&ctx);
}

/* ---------------------------------------------------------------------------------------- */
/* verify_dd.c                                                                               */

static int dd_near(vwd a, vdd want, double tol) {
    vwd d = vwd_sub(a, vwd_from_dd(want));
    return vwd_ok(d) && fabs(vwd_to_double(d)) <= tol * fabs(want.hi);
}

static void test_dd(void) {
    vwd one = vwd_from_double(1.0), two = vwd_from_double(2.0);
    CHECK(dd_near(vwd_exp(one), DD_E, 1e-30), "exp(1) = e");
    CHECK(dd_near(vwd_log(vwd_from_dd(DD_E)), dd_from(1.0), 1e-30), "log(e) = 1");
    CHECK(dd_near(vwd_mul(vwd_sqrt(two), vwd_sqrt(two)), dd_from(2.0), 1e-30), "sqrt(2)^2 = 2");
    CHECK(dd_near(vwd_sin(vwd_div(vwd_pi(), vwd_from_double(6.0))), dd_from(0.5), 1e-30), "sin(pi/6)");
    CHECK(dd_near(vwd_cos(vwd_div(vwd_pi(), vwd_from_double(3.0))), dd_from(0.5), 1e-30), "cos(pi/3)");
    CHECK(dd_near(vwd_mul_d(vwd_atan2(one, one), 4.0), DD_PI, 1e-30), "4 atan(1) = pi");
    vcx as = vcx_asin(vcx_from_double(0.5));
    CHECK(dd_near(vwd_mul_d(as.re, 6.0), DD_PI, 1e-30), "6 asin(1/2) = pi");
    vcx ac = vcx_acos(vcx_from_double(-1.0));
    CHECK(dd_near(ac.re, DD_PI, 1e-30), "acos(-1) = pi");
    /* e^-50000 and e^50000 stay finite with the wide exponent: product 1 */
    vwd big = vwd_exp(vwd_from_double(50000.0)), small = vwd_exp(vwd_from_double(-50000.0));
    CHECK(dd_near(vwd_mul(big, small), dd_from(1.0), 1e-28), "e^50000 e^-50000 = 1");
    CHECK(vwd_exp(vwd_from_double(1e30)).cls == VWD_OVER, "e^(1e30) overflows the wide exponent");
    /* principal branches: sqrt(-4) = 2i, log(-1) = i pi, asin(2) = pi/2 - i ln(2 + sqrt 3) */
    vcx s = vcx_sqrt(vcx_from_double(-4.0));
    CHECK(vwd_is_zero(s.re) && dd_near(s.im, dd_from(2.0), 1e-31), "sqrt(-4) = 2i");
    vcx l = vcx_log(vcx_from_double(-1.0));
    CHECK(vwd_is_zero(l.re) && dd_near(l.im, DD_PI, 1e-31), "log(-1) = i pi");
    vcx a2 = vcx_asin(vcx_from_double(2.0));
    vwd want_im = vwd_neg(vwd_log(vwd_add(two, vwd_sqrt(vwd_from_double(3.0)))));
    CHECK(dd_near(a2.re, DD_PI_2, 1e-28) && vwd_cmp_abs(vwd_sub(a2.im, want_im), vwd_from_double(1e-28)) < 0,
          "asin(2)");
    /* complex trig identity sin^2 + cos^2 = 1 at z = 0.7 + 1.3i */
    vcx z = vcx_make(vwd_from_double(0.7), vwd_from_double(1.3));
    vcx sc = vcx_add(vcx_mul(vcx_sin(z), vcx_sin(z)), vcx_mul(vcx_cos(z), vcx_cos(z)));
    CHECK(vcx_close(sc, vcx_from_double(1.0), 1e-28, vwd_zero()), "sin^2 + cos^2 = 1 (complex)");
    /* tanh(z) = -i tan(iz) */
    vcx iz = vcx_make(vwd_neg(z.im), z.re);
    vcx t1 = vcx_tanh(z), t2 = vcx_mul(vcx_make(vwd_zero(), vwd_from_double(-1.0)), vcx_tan(iz));
    CHECK(vcx_close(t1, t2, 1e-28, vwd_zero()), "tanh z = -i tan(iz)");
    /* round53 loses the low half: (1 + 2^-80) - 1 */
    vwd tiny = vwd_sub(vwd_add(one, vwd_from_double(0x1p-80)), one);
    vwd tiny53 = vwd_sub(vwd_round53(vwd_add(one, vwd_from_double(0x1p-80))), one);
    CHECK(vwd_to_double(tiny) == 0x1p-80 && vwd_is_zero(tiny53), "double-double keeps 2^-80, double does not");
    int64_t n;
    CHECK(vwd_is_int(vwd_from_i64(123456789012345LL), &n) && n == 123456789012345LL, "vwd_is_int");
    CHECK(!vwd_is_int(vwd_from_double(2.5), &n), "2.5 not int");
    CHECK(vwd_to_double(vwd_floor(vwd_from_double(-2.5))) == -3.0, "floor(-2.5)");
}

/* ---------------------------------------------------------------------------------------- */
/* verify_eval.c                                                                             */

static void test_exact(void) {
    EXPECT(VCMP_NOT_EQUAL, "exact", DIV(N("1"), FACT(N("2004"))), DIV(N("1"), FACT(N("2006"))));
    EXPECT(VCMP_EQUAL, "exact", DIV(N("1"), FACT(N("2006"))), DIV(DIV(N("1"), FACT(N("2004"))), N("4022030")));
    EXPECT(VCMP_NOT_EQUAL, "exact", DIV(N("1"), POW(N("2"), N("99"))), DIV(N("1"), POW(N("2"), N("98"))));
    EXPECT(VCMP_NOT_EQUAL, "exact", DIV(ADD(POW(N("2"), N("2005")), N("1")), MUL(N("3"), POW(N("2"), N("2006")))),
           DIV(N("1"), MUL(N("3"), POW(N("2"), N("2006")))));
    EXPECT(VCMP_EQUAL, "exact", POW(N("2"), N("2006")), POW(POW(N("2"), N("1003")), N("2")));
    EXPECT(VCMP_NOT_EQUAL, "exact", POW(N("2"), N("2006")), ADD(POW(N("2"), N("2006")), N("1")));
    EXPECT(VCMP_EQUAL, "exact", N("11111111100"), MUL(N("100"), N("111111111")));
    EXPECT(VCMP_EQUAL, "exact", BINOM(N("10"), N("3")), N("120"));
    EXPECT(VCMP_EQUAL, "exact", POW(NEG(N("1")), POW(N("10"), N("100"))), N("1")); /* huge exponent, base -1 */
    EXPECT(VCMP_EQUAL, "exact", BASED("1112112", 3), N("1121"));
    EXPECT(VCMP_EQUAL, "exact", PCT(N("25")), DIV(N("1"), N("4")));
    EXPECT(VCMP_EQUAL, "exact", FN("floor", DIV(NEG(N("7")), N("2"))), NEG(N("4")));
}

static void test_decimal(void) {
    EXPECT(VCMP_NOT_EQUAL, "exact", N("0.0000672"), N("0.0000673"));
    EXPECT(VCMP_EQUAL, "exact", N("16386.20"), N("16386.2"));
    EXPECT(VCMP_NOT_EQUAL, "exact", N("0.35625"), N("0.35626"));
    EXPECT(VCMP_NOT_EQUAL, "decimal", N("0.333"), DIV(N("1"), N("3")));
    EXPECT(VCMP_EQUAL, "decimal", N("0.333333"), DIV(N("1"), N("3")));
    EXPECT(VCMP_EQUAL, "decimal", DIV(N("1"), N("3")), N("0.333333")); /* either side */
    EXPECT(VCMP_NOT_EQUAL, "decimal", N("0.333334"), DIV(N("1"), N("3")));
    EXPECT(VCMP_NOT_EQUAL, "decimal", N("0.3"), DIV(N("2"), N("7")));
    EXPECT(VCMP_EQUAL, "decimal", NEG(N("0.666667")), DIV(NEG(N("2")), N("3")));
    EXPECT(VCMP_EQUAL, "decimal", PCT(N("33.3333")), DIV(N("1"), N("3"))); /* 33.3333% = 0.333333 */
    EXPECT(VCMP_EQUAL, "decimal", N("1.414214"), SQRT(N("2")));
    EXPECT(VCMP_NOT_EQUAL, "decimal", N("1.41"), SQRT(N("2")));
    EXPECT(VCMP_EQUAL, "decimal", N("3.141593"), K("pi"));

    /* other policies: exact, round:6 (Math-Verify), rel:1e-4 (Qwen) */
    verify_policy pol;
    memset(&pol, 0, sizeof pol);
    const char *why;
    struct { verify_decimal_mode m; const char *d; int num, den; vcmp want; } cases[] = {
        {VERIFY_DEC_EXACT, "0.333333", 1, 3, VCMP_NOT_EQUAL},
        {VERIFY_DEC_ROUND, "0.333333", 1, 3, VCMP_EQUAL},
        {VERIFY_DEC_ROUND, "0.3333", 1, 3, VCMP_NOT_EQUAL},
        {VERIFY_DEC_ROUND, "0.0000001", 1, 10000000, VCMP_EQUAL}, /* MV's tiny-number collapse */
        {VERIFY_DEC_REL, "0.33334", 1, 3, VCMP_EQUAL},
        {VERIFY_DEC_REL, "0.334", 1, 3, VCMP_NOT_EQUAL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        verify_ctx ctx_;
        pol.decimal = cases[i].m;
        vctx_init(&ctx_, &pol);
        verify_ctx *c = &ctx_;
        char nb[16], db[16];
        snprintf(nb, sizeof nb, "%d", cases[i].num);
        snprintf(db, sizeof db, "%d", cases[i].den);
        vcmp r = veval_equal(c, N(cases[i].d), DIV(N(nb), N(db)), &why);
        CHECK(r == cases[i].want, "policy %d: %s vs %d/%d got %s", cases[i].m, cases[i].d, cases[i].num,
              cases[i].den, VNAMES[r]);
        vctx_free(c);
    }
}

static void test_tower_and_limits(void) {
    /* \dfrac{5^{(5^{(5^{(5^5)})}-4)}-5}{16} vs itself: exact 5^3125 (2,185 digits), then the
     * exponent is too large; the numeric value overflows: UNDECIDED with a limit (§6.5). */
    verify_ctx ctx_;
    vctx_init(&ctx_, NULL);
    verify_ctx *c = &ctx_;
    vnode *t1 = DIV(SUB(POW(N("5"), SUB(POW(N("5"), POW(N("5"), POW(N("5"), N("5")))), N("4"))), N("5")), N("16"));
    vnode *t2 = DIV(SUB(POW(N("5"), SUB(POW(N("5"), POW(N("5"), POW(N("5"), N("5")))), N("4"))), N("5")), N("16"));
    const char *why;
    double t0 = now_ms();
    vcmp r = veval_equal(c, t1, t2, &why);
    double ms = now_ms() - t0;
    printf("power tower: %s in %.3f ms (limit %s, %lld limb ops, %lld node evals)\n", VNAMES[r], ms,
           c->limit ? c->limit : "-", c->limb_ops, c->node_evals);
    CHECK(r == VCMP_UNDECIDED && c->limit != NULL, "tower undecided with a limit");
    CHECK(ms < 500.0, "tower took %.3f ms", ms); /* ~0.1 ms natively; generous for valgrind */
    vctx_free(c);

    /* beyond exact limits, the wide numeric value can still reject; rational values too big
     * for exact arithmetic are never accepted by a relative tolerance (10^30000 and
     * 10^30000 + 1 agree to 1e-12), so equal ones are UNDECIDED (docs/verifier.md) */
    EXPECT(VCMP_UNDECIDED, "numeric", FACT(N("5001")), MUL(N("5001"), FACT(N("5000"))));
    EXPECT(VCMP_UNDECIDED, "numeric", POW(N("10"), N("30000")), ADD(POW(N("10"), N("30000")), N("1")));
    EXPECT(VCMP_NOT_EQUAL, "numeric", DIV(K("pi"), FACT(N("2006"))), DIV(K("pi"), FACT(N("2004"))));
    EXPECT(VCMP_NOT_EQUAL, "numeric", POW(N("10"), N("30000")), POW(N("10"), N("30001")));
    EXPECT(VCMP_UNDECIDED, "numeric", POW(N("10"), N("30000")), POW(N("100"), N("15000")));

    /* limb-op budget: nearly exhausted before the call -> UNDECIDED, limit "limb_ops" */
    vctx_init(&ctx_, NULL);
    c->limb_ops = VLIM_LIMB_OPS - 1000;
    r = veval_equal(c, FACT(N("2006")), FACT(N("2006")), &why);
    CHECK(r == VCMP_UNDECIDED && c->limit && strcmp(c->limit, "limb_ops") == 0, "limb_ops: %s %s", VNAMES[r],
          c->limit ? c->limit : "-");
    vctx_free(c);

    /* node-evaluation budget: a sum of 10^7 terms stops at 1e6 evaluations */
    vctx_init(&ctx_, NULL);
    t0 = now_ms();
    r = veval_equal(c, SUM("k", N("1"), N("10000000"), S("k")), N("50000005000000"), &why);
    ms = now_ms() - t0;
    CHECK(r == VCMP_UNDECIDED && c->limit && strcmp(c->limit, "node_evals") == 0 && c->node_evals <= VLIM_NODE_EVALS + 1,
          "node_evals: %s %s %lld", VNAMES[r], c->limit ? c->limit : "-", c->node_evals);
    printf("sum of 1e7 terms refused in %.3f ms\n", ms);
    vctx_free(c);
    EXPECT(VCMP_EQUAL, "numeric", SUM("k", N("1"), N("100000"), S("k")), N("5000050000"));
}

static void test_numeric(void) {
    EXPECT(VCMP_EQUAL, "numeric", MUL(N("2"), SQRT(N("5"))), SQRT(N("20")));
    EXPECT(VCMP_EQUAL, "numeric", DIV(SQRT(N("3")), N("3")), DIV(N("1"), SQRT(N("3"))));
    EXPECT(VCMP_EQUAL, "numeric", FN("sin", DIV(K("pi"), N("6"))), DIV(N("1"), N("2")));
    EXPECT(VCMP_EQUAL, "numeric", POW(K("e"), MUL(K("i"), K("pi"))), NEG(N("1")));
    EXPECT(VCMP_NOT_EQUAL, "identity", POW(K("e"), MUL(S("I"), K("pi"))), NEG(N("1"))); /* I is a symbol */
    EXPECT(VCMP_NOT_EQUAL, "numeric", SUB(N("1"), DIV(N("1"), K("e"))), ADD(N("1"), DIV(N("1"), K("e"))));
    EXPECT(VCMP_NOT_EQUAL, "numeric", N("4"), MUL(N("4"), SQRT(N("2"))));
    EXPECT(VCMP_EQUAL, "numeric", FN("sin", K("pi")), N("0"));
    EXPECT(VCMP_EQUAL, "numeric", FN("arctan", N("1")), DIV(K("pi"), N("4")));
    EXPECT(VCMP_EQUAL, "numeric", FN("ln", POW(K("e"), N("3"))), N("3"));
    EXPECT(VCMP_EQUAL, "numeric", SQRT(NEG(N("4"))), MUL(N("2"), K("i")));
    EXPECT(VCMP_EQUAL, "numeric", DIV(N("20000"), K("pi")), DIV(N("20000"), K("pi")));
    EXPECT(VCMP_NOT_EQUAL, "numeric", ADD(K("pi"), POW(N("10"), NEG(N("11")))), K("pi"));
    EXPECT(VCMP_EQUAL, "numeric", ADD(K("pi"), POW(N("10"), NEG(N("15")))), K("pi")); /* within 1e-12 */
    /* cancellation: (10^20 + pi) - 10^20 is still pi in double-double (the double pass is 0, but
     * within its noise 2^-53 10^20); (10^40 + pi) - 10^40 is 0 in double-double: undecidable */
    EXPECT(VCMP_EQUAL, "numeric", SUB(ADD(POW(N("10"), N("20")), K("pi")), POW(N("10"), N("20"))), K("pi"));
    EXPECT(VCMP_NOT_EQUAL, "numeric", SUB(ADD(POW(N("10"), N("20")), K("pi")), POW(N("10"), N("20"))), N("3"));
    EXPECT(VCMP_UNDECIDED, "numeric", SUB(ADD(POW(N("10"), N("40")), K("pi")), POW(N("10"), N("40"))), K("pi"));
    EXPECT(VCMP_EQUAL, "numeric", SUB(FN("cos", K("pi")), NEG(N("1"))), N("0"));
    EXPECT(VCMP_EQUAL, "exact", K("inf"), K("inf"));
    EXPECT(VCMP_NOT_EQUAL, "exact", K("inf"), POW(N("10"), N("100")));
    EXPECT(VCMP_NOT_EQUAL, "exact", NEG(K("inf")), K("inf"));
    EXPECT(VCMP_UNDECIDED, "numeric", DIV(N("1"), N("0")), DIV(N("1"), N("0")));
}

static vnode *mk_sum_f(verify_ctx *c, int swap, const char *upper_minus) {
    /* \sum_{k=0}^{n-1} F_k F_{n-k-1} (or the factors swapped; or n-2 instead of n-1) */
    vnode *fk = APPLY("F", S("k"));
    vnode *fo = APPLY("F", SUB(SUB(S("n"), S("k")), N("1")));
    vnode *body = swap ? MUL(fo, fk) : MUL(fk, fo);
    return SUM("k", N("0"), SUB(S("n"), N(upper_minus)), body);
}

static void test_identity(void) {
    EXPECT(VCMP_EQUAL, "identity", SQRT(DIV(N("1"), S("n"))), DIV(N("1"), SQRT(S("n"))));
    EXPECT(VCMP_NOT_EQUAL, "identity", FN("abs", S("x")), S("x"));
    EXPECT(VCMP_EQUAL, "identity", ADD(SUB(S("x"), S("x")), N("1")), N("1"));
    EXPECT(VCMP_EQUAL, "identity", POW(ADD(S("x"), N("1")), N("2")),
           ADD(ADD(POW(S("x"), N("2")), MUL(N("2"), S("x"))), N("1")));
    EXPECT(VCMP_NOT_EQUAL, "identity", ADD(POW(S("x"), N("2")), MUL(N("2"), S("x"))),
           ADD(ADD(POW(S("x"), N("2")), MUL(N("2"), S("x"))), N("0.000001")));
    EXPECT(VCMP_NOT_EQUAL, "identity", APPLY("f", S("x")), APPLY("f", S("y")));
    EXPECT(VCMP_EQUAL, "identity", APPLY("f", ADD(S("x"), N("1"))), APPLY("f", ADD(N("1"), S("x"))));
    EXPECT(VCMP_NOT_EQUAL, "identity", APPLY("f", S("x")), APPLY("g", S("x")));
    {
        verify_ctx ctx_;
        vctx_init(&ctx_, NULL);
        verify_ctx *c = &ctx_;
        const char *why;
        vcmp r1 = veval_equal(c, mk_sum_f(c, 0, "1"), mk_sum_f(c, 1, "1"), &why);
        vcmp r2 = veval_equal(c, mk_sum_f(c, 0, "1"), mk_sum_f(c, 0, "2"), &why);
        CHECK(r1 == VCMP_EQUAL, "sum F_k F_{n-k-1} vs swapped: %s", VNAMES[r1]);
        CHECK(r2 == VCMP_NOT_EQUAL, "sum to n-1 vs n-2: %s", VNAMES[r2]);
        vctx_free(c);
    }
    EXPECT(VCMP_EQUAL, "identity", SUM("k", N("1"), S("n"), S("k")), DIV(MUL(S("n"), ADD(S("n"), N("1"))), N("2")));
    EXPECT(VCMP_NOT_EQUAL, "identity", SUM("k", N("1"), S("n"), S("k")), DIV(MUL(S("n"), S("n")), N("2")));
    EXPECT(VCMP_EQUAL, "identity", POW(NEG(N("1")), MUL(N("2"), S("n"))), N("1"));
    EXPECT(VCMP_EQUAL, "identity", FN("ln", MUL(S("x"), S("y"))), ADD(FN("ln", S("x")), FN("ln", S("y"))));
    EXPECT(VCMP_EQUAL, "identity", FACT(ADD(S("n"), N("1"))), MUL(ADD(S("n"), N("1")), FACT(S("n"))));
    EXPECT(VCMP_EQUAL, "identity", BINOM(S("n"), N("2")), DIV(MUL(S("n"), SUB(S("n"), N("1"))), N("2")));
    EXPECT(VCMP_EQUAL, "identity", SQRT(POW(S("x"), N("2"))), S("x")); /* positive sampling */
    EXPECT(VCMP_EQUAL, "identity", SQRT(POW(S("x"), N("2"))), FN("abs", S("x"))); /* also at x < 0 */
    EXPECT(VCMP_EQUAL, "identity", ADD(POW(FN("sin", S("x")), N("2")), POW(FN("cos", S("x")), N("2"))), N("1"));
    EXPECT(VCMP_EQUAL, "identity", SUB(ADD(POW(FN("sin", S("x")), N("2")), POW(FN("cos", S("x")), N("2"))), N("1")), N("0"));
    EXPECT(VCMP_NOT_EQUAL, "identity", DIV(ADD(S("x"), N("1")), FACT(N("2006"))), DIV(ADD(S("x"), N("2")), FACT(N("2006"))));
    EXPECT(VCMP_EQUAL, "identity", DIV(SUB(ADD(S("x"), N("1")), S("x")), FACT(N("2006"))), DIV(N("1"), FACT(N("2006"))));
    EXPECT(VCMP_EQUAL, "identity", MUL(N("0.5"), S("x")), DIV(S("x"), N("2")));
}

static void test_ratio_order(void) {
    /* 34x + 45y - 20z + 100 = 0 vs its negation (as L - R) */
    EXPECT_RATIO(VCMP_EQUAL, 0,
                 ADD(SUB(ADD(MUL(N("34"), S("x")), MUL(N("45"), S("y"))), MUL(N("20"), S("z"))), N("100")),
                 SUB(ADD(SUB(NEG(MUL(N("34"), S("x"))), MUL(N("45"), S("y"))), MUL(N("20"), S("z"))), N("100")));
    EXPECT_RATIO(VCMP_NOT_EQUAL, 1,
                 ADD(SUB(ADD(MUL(N("34"), S("x")), MUL(N("45"), S("y"))), MUL(N("20"), S("z"))), N("100")),
                 SUB(ADD(SUB(NEG(MUL(N("34"), S("x"))), MUL(N("45"), S("y"))), MUL(N("20"), S("z"))), N("100")));
    /* x^2/4 + y^2/3 - 1 vs x^2/16 + y^2/12 - 1/4 */
    EXPECT_RATIO(VCMP_EQUAL, 0,
                 SUB(ADD(DIV(POW(S("x"), N("2")), N("4")), DIV(POW(S("y"), N("2")), N("3"))), N("1")),
                 SUB(ADD(DIV(POW(S("x"), N("2")), N("16")), DIV(POW(S("y"), N("2")), N("12"))), DIV(N("1"), N("4"))));
    /* 5x - 7y + 11z + 4 vs x + y - z + 2 */
    EXPECT_RATIO(VCMP_NOT_EQUAL, 0,
                 ADD(ADD(SUB(MUL(N("5"), S("x")), MUL(N("7"), S("y"))), MUL(N("11"), S("z"))), N("4")),
                 ADD(SUB(ADD(S("x"), S("y")), S("z")), N("2")));
    /* x < 1 (D = x - 1) vs -x > -1 (flipped: D = -(-x - (-1))) : positive constant */
    EXPECT_RATIO(VCMP_EQUAL, 1, SUB(S("x"), N("1")), NEG(SUB(NEG(S("x")), NEG(N("1")))));
    /* x < 1 vs x > -1 (flipped: D = -(x + 1)) */
    EXPECT_RATIO(VCMP_NOT_EQUAL, 1, SUB(S("x"), N("1")), NEG(ADD(S("x"), N("1"))));
    /* x < 1 vs x > 1 (flipped: D = 1 - x): constant but negative */
    EXPECT_RATIO(VCMP_NOT_EQUAL, 1, SUB(S("x"), N("1")), SUB(N("1"), S("x")));
    EXPECT_RATIO(VCMP_EQUAL, 0, SUB(S("x"), N("1")), SUB(N("1"), S("x")));

    EXPECT_ORDER(-1, DIV(N("1"), N("3")), N("0.5"));
    EXPECT_ORDER(1, SQRT(N("2")), N("1.414"));
    EXPECT_ORDER(-1, K("pi"), DIV(N("22"), N("7")));
    EXPECT_ORDER(0, N("2"), DIV(N("4"), N("2")));
    EXPECT_ORDER(0, MUL(N("2"), SQRT(N("5"))), SQRT(N("20")));
    EXPECT_ORDER(-1, NEG(K("inf")), N("0"));
    EXPECT_ORDER(1, K("inf"), POW(N("10"), N("100")));
    EXPECT_ORDER(2, K("i"), N("1"));
    EXPECT_ORDER(2, S("x"), N("1"));

    verify_ctx ctx_;
    vctx_init(&ctx_, NULL);
    verify_ctx *c = &ctx_;
    CHECK(veval_is_constant(SUM("k", N("1"), N("10"), S("k"))), "sum with constant bounds is constant");
    CHECK(!veval_is_constant(SUM("k", N("1"), S("n"), S("k"))), "sum to n is not constant");
    CHECK(!veval_is_constant(APPLY("f", N("2"))), "f(2) is not a known constant");
    CHECK(veval_is_constant(FN("sin", K("pi"))), "sin(pi) is constant");
    vctx_free(c);
}

int main(void) {
    test_bigint();
    test_rational();
    test_dd();
    test_exact();
    test_decimal();
    test_tower_and_limits();
    test_numeric();
    test_identity();
    test_ratio_order();
    return test_summary();
}
