/* test_verify_parse.c — unit tests of the verifier's parser (§6.2, §6.5) and structural
 * comparison (§6.3, §6.6) on hand-written, already normalized inputs.
 *
 * Parser cases compare the S-expression of vnode_dump with the expected reading of each
 * decision of the §6.2 table; comparison cases parse both sides and check vcmp_trees's verdict
 * (and, where it matters, the rule that decided). Adversarial inputs check that limits turn
 * into a quick NULL with the limit named. */
#include <string.h>
#include <time.h>

#include "testlib.h"
#include "verify/verify_internal.h"

static verify_policy POL;

/* Parses s and compares its dump with want ("NULL" for a parse failure). */
static void parse_case(int line, const char *s, const char *want) {
    verify_ctx ctx;
    vctx_init(&ctx, &POL);
    vnode *v = vparse(&ctx, s, strlen(s));
    char *d = v ? vnode_dump(v) : NULL;
    const char *got = v ? (d ? d : "(dump failed)") : "NULL";
    if (strcmp(got, want) != 0)
        fprintf(stderr, "FAIL %s:%d: parse [%s]\n    got  %s\n    want %s\n", __FILE__, line, s, got, want);
    CHECK(strcmp(got, want) == 0, "parse case at line %d", line);
    free(d);
    vctx_free(&ctx);
}
#define P(s, want) parse_case(__LINE__, s, want)

/* Expects a parse failure with the named limit. */
static void limit_case(int line, const char *s, size_t n, const char *limit) {
    verify_ctx ctx;
    vctx_init(&ctx, &POL);
    clock_t t0 = clock();
    vnode *v = vparse(&ctx, s, n);
    double ms = 1000.0 * (double)(clock() - t0) / CLOCKS_PER_SEC;
    CHECK(v == NULL, "line %d: limit case parsed", line);
    CHECK(ctx.limit && !strcmp(ctx.limit, limit), "line %d: limit %s, want %s", line,
          ctx.limit ? ctx.limit : "none", limit);
    CHECK(ms < 50, "line %d: took %.1f ms", line, ms);
    vctx_free(&ctx);
}

static void test_parser(void) {
    /* juxtaposition at x precedence, left-associative (§6.2) */
    P("1/2x", "(* (/ 1 2) x)");
    P("a/2b", "(* (/ a 2) b)");
    P("2x+3", "(+ (* 2 x) 3)");
    P("-x^2", "(neg (^ x 2))");
    P("2^3^2", "(^ 2 (^ 3 2))");
    P("x^{-1}", "(^ x (neg 1))");
    P("x^-1", "(^ x (neg 1))");
    P("2\\cdot3\\times4\\div5", "(/ (* (* 2 3) 4) 5)");
    P("(x-2)(x+2)", "(* (- x 2) (+ x 2))");
    P("x(x+1)", "(* x (+ x 1))");
    /* \frac is one primary; malformed arguments are single characters */
    P("\\frac12x", "(* (/ 1 2) x)");
    P("\\frac{x+2}{7}", "(/ (+ x 2) 7)");
    P("\\frac1{72}", "(/ 1 72)");
    P("\\dfrac{\\pi}{3}", "(/ @pi 3)");
    /* mixed numbers */
    P("1 \\frac{1}{2}", "(+ 1 (/ 1 2))");
    P("3 1\\frac{1}{2}", "(* 3 (+ 1 (/ 1 2)))");
    P("-3 \\frac{1}{2}", "(neg (+ 3 (/ 1 2)))");
    P("3.1 \\frac{1}{2}", "(* 3.1 (/ 1 2))");
    P("7 3/4", "(+ 7 (/ 3 4))");
    /* functions */
    P("\\sin 2x", "(sin (* 2 x))");
    P("\\sin x\\cos x", "(* (sin x) (cos x))");
    P("2\\sin b\\cos a", "(* (* 2 (sin b)) (cos a))");
    P("\\sin^2 x", "(^ (sin x) 2)");
    P("\\sin^{-1}(x)", "(arcsin x)");
    P("\\tan^2(y)+1", "(+ (^ (tan y) 2) 1)");
    P("\\log_2 8", "(log 8 2)");
    P("\\ln(x+1)", "(ln (+ x 1))");
    P("\\arccos{\\cos{\\frac{\\pi}{3}}}", "(arccos (cos (/ @pi 3)))");
    P("\\cotx", "(cot x)");
    P("sqrt(2)", "(sqrt 2)");
    P("\\sqrt[3]{x}", "(root x 3)");
    P("\\sqrt3", "(sqrt 3)");
    P("\\max(1,2)", "(max 1 2)");
    /* factorial, binomial, absolute value, floor */
    P("2004!", "(! 2004)");
    P("(n+1)!", "(! (+ n 1))");
    P("\\binom{5}{2}", "(binom 5 2)");
    P("|x-2|", "(abs (- x 2))");
    P("2|x|", "(* 2 (abs x))");
    P("\\lfloor x\\rfloor+\\lceil y\\rceil", "(+ (floor x) (ceil y))");
    /* constants, subscripts, based numbers */
    P("e^{i\\pi}", "(^ @e (* @i @pi))");
    P("e^{I\\pi}", "(^ @e (* I @pi))");
    P("2j", "(* 2 j)");
    P("\\infty", "@inf");
    P("a_1+x_{12}", "(+ a_1 x_12)");
    P("V_{1}", "V_1");
    P("F_{n-k-1}", "(apply F (- (- n k) 1))");
    P("a_i", "(apply a i)");
    P("52_8", "(based 8 52)");
    P("1112112_3", "(based 3 1112112)");
    P("40_{9}", "(based 9 40)");
    P("\\alpha+\\beta", "(+ \\alpha \\beta)");
    P("f(x)", "(apply f x)");
    P("f(1,2)", "(apply f 1 2)");
    /* +- */
    P("3\\pm2\\sqrt{2}", "(pm 3 (* 2 (sqrt 2)))");
    P("\\pm 2021", "(pm 2021)");
    P("\\frac{-1\\pm\\sqrt{13}}{4}", "(/ (pm (neg 1) (sqrt 13)) 4)");
    /* containers */
    P("(a,b)", "(pair a b)");
    P("(1,2,3)", "(tuple 1 2 3)");
    P("[a,b]", "(interval[] a b)");
    P("(a,b]", "(interval(] a b)");
    P("[0,1)", "(interval[) 0 1)");
    P("[a,b,c]", "(tuple a b c)");
    P("{1,3}", "(set 1 3)");
    P("\\{1\\}", "(set 1)");
    P("{x+1}", "(+ x 1)");
    P("\\{\\}", "(emptyset)");
    P("\\emptyset", "(emptyset)");
    P("\\mathbb{R}", "(setconst R)");
    P("\\{-1\\}\\cup[0,7)", "(cup (set (neg 1)) (interval[) 0 7))");
    P("(-\\infty,0)\\cup(1,\\infty)", "(cup (pair (neg @inf) 0) (pair 1 @inf))");
    P("[0,5]\\setminus\\{2\\}", "(setminus (interval[] 0 5) (set 2))");
    P("1,2,\\ldots,n", "(list 1 2 ... n)");
    P("19,46,82", "(list 19 46 82)");
    P("-12;-11;-10", "(list (neg 12) (neg 11) (neg 10))");
    P("(0;0;0),(4;-2;6)", "(list (tuple 0 0 0) (tuple 4 (neg 2) 6))");
    P("p=5,q=2;p=7,q=2", "(list (list (rel p = 5) (rel q = 2)) (list (rel p = 7) (rel q = 2)))");
    /* matrices: rows on `\\` or on a single `\` before a non-letter */
    P("\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", "(matrix 2x2 1 2 3 4)");
    P("\\begin{pmatrix}-1/3\\2/3\\5/3\\end{pmatrix}", "(matrix 3x1 (/ (neg 1) 3) (/ 2 3) (/ 5 3))");
    P("[\\begin{array}{cc}1&2\\\\3&4\\end{array}]", "(matrix 2x2 1 2 3 4)");
    P("\\begin{bmatrix}x\\\\y\\\\\\end{bmatrix}", "(matrix 2x1 x y)");
    P("\\begin{pmatrix}1&2\\\\3\\end{pmatrix}", "NULL");
    /* relations, ratios, percent, text */
    P("x\\in[-2,7]", "(rel x in (interval[] (neg 2) 7))");
    P("a<b\\le c", "(rel a < b <= c)");
    P("x=5+5+1=7=11", "(rel x = (+ (+ 5 5) 1) = 7 = 11)");
    P("x\\approx 11", "(rel x ~ 11)");
    P("x!=3", "(rel x != 3)");
    P("x\\neq 3", "(rel x != 3)");
    P("V_1:V_2=11:21", "(rel (ratio V_1 V_2) = (ratio 11 21))");
    P("12:00", "(time 12 00)");
    P("22:42", "(ratio 22 42)");
    P("28\\%", "(% 28)");
    P("-28\\%", "(neg (% 28))");
    P("30^\\circ", "30");
    P("30^{\\circ}", "30");
    P("\\text{Evelyn}", "\"evelyn\"");
    P("\\text{(B)}", "\"b\"");
    P("\\text{  The   Midpoints }", "\"the midpoints\"");
    P("\\mathrm{e}", "@e");
    P("\\sum_{k=0}^{n-1}F_kF_{n-k-1}", "(sum k 0 (- n 1) (* (apply F k) (apply F (- (- n k) 1))))");
    P("\\sum_{i=1}^{n}i", "(sum i 1 n i)");
    P("\\prod_{k=1}^{3}k", "(prod k 1 3 k)");
    P("1 = \\zzz = x = 0", "(rel 1 = \\zzz = x = 0)");
    P("x_{1}=1,\\quadx_{2}=2", "(list (rel x_1 = 1) (rel x_2 = 2))");
    /* no parse */
    P("\\forall x>0", "NULL");
    P("x \\implies y", "NULL");
    P("", "NULL");
    P("(", "NULL");
    P("1+", "NULL");
    P("[1,2,3)", "NULL");
    P("\\frac{1}", "NULL");
    P("1 \\2", "NULL");
}

/* numbers keep how they were written (§6.2 last paragraph) */
static void test_numbers(void) {
    static const struct {
        const char *s;
        int decimal, frac, sig;
    } cases[] = {
        {"0.0000672", 1, 7, 3}, {"16386.20", 1, 2, 7}, {"12", 0, 0, 2}, {"0.333", 1, 3, 3},
        {"4.123105625617661", 1, 15, 16}, {"100", 0, 0, 3}, {"0", 0, 0, 1},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        verify_ctx ctx;
        vctx_init(&ctx, &POL);
        vnode *v = vparse(&ctx, cases[k].s, strlen(cases[k].s));
        CHECK(v && v->kind == VN_NUM, "%s: not a number", cases[k].s);
        if (v && v->kind == VN_NUM) {
            CHECK(!!(v->flags & VF_DECIMAL) == cases[k].decimal, "%s: decimal flag", cases[k].s);
            CHECK(v->frac_digits == cases[k].frac, "%s: frac_digits %d", cases[k].s, v->frac_digits);
            CHECK(v->sig_digits == cases[k].sig, "%s: sig_digits %d", cases[k].s, v->sig_digits);
        }
        vctx_free(&ctx);
    }
}

static void test_limits(void) {
    static char buf[200000];
    /* 100,000-deep nesting: the answer limit (4096 bytes) answers first */
    memset(buf, '(', 100000);
    buf[100000] = 0;
    limit_case(__LINE__, buf, 100000, "answer");
    /* depth within the byte limit */
    memset(buf, '(', 500);
    buf[500] = '1';
    memset(buf + 501, ')', 500);
    limit_case(__LINE__, buf, 1001, "depth");
    memset(buf, '-', 1000);
    buf[1000] = '1';
    limit_case(__LINE__, buf, 1001, "depth");
    /* tokens */
    for (int k = 0; k < 1500; k++) {
        buf[2 * k] = '1';
        buf[2 * k + 1] = '+';
    }
    buf[2999] = '1';
    limit_case(__LINE__, buf, 3000, "tokens");
    /* elements */
    for (int k = 0; k < 300; k++) {
        buf[2 * k] = '1';
        buf[2 * k + 1] = ',';
    }
    buf[599] = '1';
    limit_case(__LINE__, buf, 600, "elements");
    /* +- signs: 5 > 4 */
    const char *pm = "1\\pm2\\pm3\\pm4\\pm5\\pm6";
    limit_case(__LINE__, pm, strlen(pm), "pm");
    /* matrix 17 rows */
    char *m = buf;
    m += sprintf(m, "\\begin{pmatrix}");
    for (int r = 0; r < 17; r++) m += sprintf(m, "1\\\\");
    sprintf(m, "\\end{pmatrix}");
    limit_case(__LINE__, buf, strlen(buf), "matrix");
    /* 1 MB of garbage: rejected by size at once */
    for (int k = 0; k < 190000; k++) buf[k] = (char)(" {}\\frac^_()x1$%&"[k % 17]);
    limit_case(__LINE__, buf, 190000, "answer");
}

/* ---------------------------------------------------------------------------------------- */
/* vcmp_trees on parsed inputs                                                               */

static void cmp_case(int line, const char *g, const char *p, int want, const char *why) {
    verify_ctx ctx;
    vctx_init(&ctx, &POL);
    ctx.seed = 12345;
    vnode *tg = vparse(&ctx, g, strlen(g)), *tp = vparse(&ctx, p, strlen(p));
    const char *reason = NULL;
    vcmp r = tg && tp ? vcmp_trees(&ctx, tg, tp, &reason) : VCMP_UNDECIDED;
    int got = r == VCMP_EQUAL;
    CHECK(tg && tp, "line %d: [%s] / [%s] did not parse", line, g, p);
    CHECK(got == want, "line %d: cmp [%s] vs [%s]: got %d (%s), want %d", line, g, p, got,
          reason ? reason : "-", want);
    if (why && reason) CHECK(!strcmp(reason, why), "line %d: reason %s, want %s", line, reason, why);
    vctx_free(&ctx);
}
#define C(g, p, want, why) cmp_case(__LINE__, g, p, want, why)

static void test_compare(void) {
    /* values */
    C("\\frac{1}{2}", "0.5", 1, NULL);
    C("\\frac{x+2}{7}", "\\frac{x}{7}+\\frac{2}{7}", 1, NULL);
    C("(x-2)(x+2)", "x^2-4", 1, NULL);
    /* assignments (§6.3 rows 2-4) */
    C("x=11", "x=5+5+1=7=11", 1, NULL);
    C("11", "x=11", 1, NULL);
    C("k=1", "1", 1, NULL);
    C("x=1/3", "x=5+5+1=1/3\\approx11", 1, NULL);
    C("11", "x\\approx11", 1, NULL);
    C("z=1+1=2", "z=3+3=2", 1, NULL);
    C("x=5", "y=5", 0, NULL);
    C("AB=4,CD=5", "4,5", 1, NULL);
    C("|AB|=1", "1", 1, NULL);
    C("(p,q)=(3,2)", "(3,2)", 1, "tuple");
    C("1=\\zzz=x=0", "0", 1, NULL);
    /* equations */
    C("7=11a+c", "11a+c", 0, "equation");
    C("a+3z=0", "0", 0, "equation");
    C("34x+45y-20z+100=0", "-34x-45y+20z-100=0", 1, "equation");
    C("2x+4y-3=0", "y=-\\frac{1}{2}x+\\frac{3}{4}", 1, "equation");
    C("5x-7y+11z+4=0", "x+y-z+2=0", 0, "equation");
    /* relations */
    C("x\\le5", "5\\ge x", 1, "relation");
    C("x<1", "-x>-1", 1, "relation");
    C("x<1", "x>-1", 0, "relation");
    C("x\\ne3", "x!=3", 1, "relation");
    C("x>5", "x<5", 0, NULL);
    /* inequality <-> interval (§6.6: gold side only) */
    C("-2\\le x\\le7", "x\\in[-2,7]", 1, "interval");
    C("-2\\le x\\le7", "[-2,7]", 1, "interval");
    C("x\\in[-2,7]", "-2\\le x\\le7", 0, "relation");
    C("[-2,7]", "-2\\le x\\le7", 0, "relation");
    C("k\\ge2", "[2,\\infty)", 1, "interval");
    C("0<f(x)<1", "(0,1)", 1, "interval");
    C("1\\le|z|\\le\\frac{3}{2}", "z\\in[-\\frac{3}{2},-1]\\cup[1,\\frac{3}{2}]", 1, "interval");
    C("x\\ne3", "(-\\infty,3)\\cup(3,\\infty)", 1, "interval");
    C("-1<2x+1\\le5", "(-1,2]", 1, "interval");
    C("-x>3", "(-\\infty,-3)", 1, "interval");
    C("x^2<4", "(-2,2)", 0, NULL);
    /* intervals and unions */
    C("[0,1)", "[0,1)", 1, "interval");
    C("[0,9)", "[0,1)", 0, NULL);
    C("(0,9)", "[0,9)", 0, "interval");
    C("[-\\infty,0]", "(-\\infty,0]", 1, "interval");
    C("(1,2)\\cup(0,1]", "(0,2)", 1, "interval");
    C("\\mathbb{R}", "(-\\infty,\\infty)", 1, "interval");
    C("[0,5]\\setminus\\{2\\}", "[0,2)\\cup(2,5]", 1, "interval");
    C("\\{-1\\}\\cup[0,7)", "\\{-1\\}\\cup[0,7)", 1, NULL);
    /* sets, lists, tuples */
    C("\\{1,2,3\\}", "3,1,2", 1, "set");
    C("1,2,3", "3,2,1", 1, "list");
    C("1,2,3", "1,2", 0, "list");
    C("(3,1)", "\\{1,3\\}", 0, "tuple");
    C("(1,3)", "\\{1,3\\}", 1, "tuple");
    C("(1,\\frac{9}{2})", "(1,4.5)", 1, "tuple");
    C("(2,4)", "[2,4)", 0, NULL);
    C("(2,4)", "(2,4)", 1, "tuple");
    C("1,2,\\ldots,n", "1,3,5,\\ldots,2n-1", 0, "list");
    C("1,2,\\ldots,n", "1,2,\\ldots,n", 1, "list");
    C("a_3=2,a_{37}=19", "a_{37}=19,a_3=2", 1, "list");
    C("p=-1,p=\\frac{15}{8}", "p=\\frac{15}{8},p=-1", 1, "list");
    C("x=-5,p=\\frac{14}{3}", "-5,\\frac{14}{3}", 1, "list");
    C("a=4,-8,-10", "-10,-8,4", 1, "list");
    C("p=5,q=2;p=7,q=2", "(5,2),(7,2)", 1, "list");
    C("(2,1),(1,2)", "(1,2),(2,1)", 1, "list");
    C("(37,3,3),(17,3,3,7)", "(17,3,3,7),(37,3,3,13)", 0, "list");
    C("\\frac{639}{40}", "15\\frac{39}{40},\\frac{639}{40}", 1, "list");
    C("2", "2,3", 0, "list");
    C("2", "\\{2\\}", 1, "set");
    /* +- */
    C("\\pm2021", "2021", 0, NULL);
    C("\\pm2021", "\\{-2021,2021\\}", 1, "set");
    C("1\\pm\\sqrt{19}", "1+\\sqrt{19},1-\\sqrt{19}", 1, NULL);
    C("3\\pm2\\sqrt{2}", "3\\mp2\\sqrt{2}", 1, "set");
    /* matrices */
    C("\\begin{pmatrix}-1/3\\2/3\\end{pmatrix}", "\\begin{pmatrix}-1/3\\\\2/3\\end{pmatrix}", 1, "matrix");
    C("\\begin{pmatrix}1\\\\2\\end{pmatrix}", "(1,2)", 1, "matrix");
    C("\\begin{pmatrix}6&8\\\\10&12\\end{pmatrix}",
      "\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}+\\begin{pmatrix}5&6\\\\7&8\\end{pmatrix}", 1, "matrix");
    C("\\begin{pmatrix}7&10\\\\15&22\\end{pmatrix}",
      "\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", 1, "matrix");
    C("\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", "\\begin{pmatrix}1&2\\\\3&5\\end{pmatrix}", 0, NULL);
    /* ratios and times */
    C("22:42", "11:21", 1, "ratio");
    C("12:00", "1:00", 0, "ratio");
    C("12:00", "12:00", 1, "ratio");
    C("V_1:V_2=11:21", "11:21", 1, "ratio");
    C("1:2:3:\\ldots", "1:4:9:\\ldots", 0, "ratio");
    /* based numbers (§6.6 "base subscripts") */
    C("1112112_3", "1112122_3", 0, "based");
    C("1112112_3", "1112112", 1, "based");
    C("12_3", "5", 0, "based");
    /* text atoms */
    C("\\text{odd}", "odd", 1, "text");
    C("\\text{Even}", "Even", 1, "text");
    C("\\text{Evelyn}", "\\text{evelyn}", 1, "text");
    C("\\text{13}", "13", 1, NULL);
    C("\\text{east}", "\\text{west}", 0, NULL);
    /* percent (§6.6) */
    C("10\\%", "10", 1, NULL);
    C("25\\%", "\\frac{1}{4}", 1, NULL);
    C("28\\%", "28\\%", 1, NULL);
    C("50", "0.5", 0, NULL);
    /* mismatched structures */
    C("(1,2)", "3", 0, NULL);
    C("5", "x>5", 0, "relation");
    C("f(x)", "f(y)", 0, NULL);
}

static void test_policies(void) {
    verify_policy saved = POL;
    POL.percent = VERIFY_PCT_MV;
    C("10\\%", "10", 0, NULL);
    C("25\\%", "\\frac{1}{4}", 1, NULL);
    POL = saved;
    POL.percent = VERIFY_PCT_STRIP;
    C("25\\%", "\\frac{1}{4}", 0, NULL);
    C("10\\%", "10", 1, NULL);
    POL = saved;
    POL.lists_ordered = 1;
    C("10,4,-2", "4,10,-2", 0, "list");
    C("10,4,-2", "10,4,-2", 1, "list");
    POL = saved;
    POL.relations_symmetric = 1;
    C("x\\in[-2,7]", "-2\\le x\\le7", 1, "interval");
    POL = saved;
    POL.bases_value = 1;
    C("12_3", "5", 1, NULL);
    POL = saved;
    POL.vectors_strict = 1;
    C("\\begin{pmatrix}1\\\\2\\end{pmatrix}", "(1,2)", 0, NULL);
    POL = saved;
    POL.assign_gold_only = 1;
    C("11", "x=11", 0, NULL);
    POL = saved;
    POL.vars_positional = 1;
    C("f(x)", "f(y)", 1, NULL);
    C("x^2+1", "y^2+1", 1, NULL);
    POL = saved;
}

int main(void) {
    verify_policy_default(&POL);
    test_parser();
    test_numbers();
    test_limits();
    test_compare();
    test_policies();
    return test_summary();
}
