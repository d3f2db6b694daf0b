/* test_verify_extract.c — unit tests of the verifier's extraction [A] and string
 * normalization [B] stages (ref/verify/verify_extract.c, ref/verify/verify_norm.c).
 *
 * Table-driven: each row is an input and the exact expected output, mostly the examples of
 * spec/verifier.md §5, §6.1, §6.6 and §7. The last block feeds adversarial inputs (1 MB of
 * garbage, 100,000 nested braces, 100,000 unclosed boxes, embedded NULs) through every entry
 * point and checks that each finishes quickly with a bounded output. */
#include <stdint.h>
#include <time.h>

#include "testlib.h"
#include "verify/verify_internal.h"

/* Seconds allowed per adversarial input (sanitizer builds run ~5x slower). */
#ifdef __SANITIZE_ADDRESS__
#define TIME_LIMIT 20.0
#else
#define TIME_LIMIT 2.0
#endif

static verify_policy policy(void) {
    verify_policy p;
    memset(&p, 0, sizeof p);
    p.units = VERIFY_UNITS_END;
    p.decimal_comma = 1;
    p.letters = VERIFY_LETTERS_ON;
    return p;
}

/* ---------------------------------------------------------------------------------------- */
/* Responses: steps 1-6 followed by step 0 (as verify.c chains them)                         */

typedef struct {
    const char *text;
    char gold_letter;
    const char *want; /* NULL: nothing extracted */
    int step;
} resp_case;

static const resp_case resp_cases[] = {
    /* step 1 */
    {"think... <answer>42</answer> trailing 7", 0, "42", 1},
    {"<answer>1</answer> then <answer> x+1 </answer>", 0, "x+1", 1},
    {"no opening tag 5</answer> but $6$", 0, "6", 4},
    /* step 2: boxes */
    {"So $x=\\boxed{5}$.", 0, "5", 2},
    {"\\boxed {12}", 0, "12", 2},
    {"thus \\boxed{\\frac{1}{2}} and more text 99", 0, "\\frac{1}{2}", 2},
    {"nested \\boxed{\\{1, \\{2\\}\\}}", 0, "\\{1, \\{2\\}\\}", 2},
    {"The answer is \\boxed 5$ ok", 0, "5", 2},
    {"the answer \\boxed{x+1 and so on", 0, "x+1 and so on", 2},
    {"\\fbox{7}", 0, "7", 2},
    {"x \\in \\boxed{\\{-1\\} \\cup [0,7)}.", 0, "\\{-1\\} \\cup [0,7)", 2},
    {"first \\boxed{840}. Hmm, let me check again, yes:\n\\boxed{840}", 0, "840", 2},
    {"\\(\\boxed{1}\\) and \\(\\boxed{-2}\\).", 0, "1,-2", 2},
    {"\\boxed{1} no no no no no \\boxed{2}", 0, "2", 2},
    {"\\boxed{1}\\boxed{2}", 0, "1,2", 2},
    {"\\boxed{1} papers and \\boxed{2} bins", 0, "1,2", 2},
    {"$\\boxed{(2, 2)} \\quad \\text{and} \\quad \\boxed{(6, 2)}$", 0, "(2, 2),(6, 2)", 2},
    {"\\boxed{2}, \\boxed{3}, \\boxed{5}", 0, "2,3,5", 2},
    {"\\boxed{3} a long gap without separators here \\boxed{4}", 0, "4", 2},
    /* Minerva form outranks boxes (MV priority 0) */
    {"so \\boxed{255} Final Answer: The final answer is $10,455$. I hope it is correct.", 0, "10,455", 3},
    /* step 3: phrases */
    {"The answer is $\\frac{3}{4}$ and done", 0, "\\frac{3}{4}", 3},
    {"The answer is 12.", 0, "12", 3},
    {"**Answer:** 4.", 0, "4", 3},
    {"**Final Answer**: 17", 0, "17", 3},
    {"Final Answer: The largest $n$ is 34.", 0, "34", 3},
    {"Final Answer: The volume of $ABCDEFGH$ is 120. I hope it is correct.", 0, "120", 3},
    {"We get $7$ is the answer.", 0, "7", 3},
    {"We checked.\n2 and 3 are the answers", 0, "2 and 3", 3},
    {"so we get 2 and 3 are the answers", 0, "3", 3},
    {"The answers are $1$ and $2$.", 0, "1,2", 3},
    {"ANSWER: x = 3\nmore text 9", 0, "x = 3", 3},
    /* step 4: math environments */
    {"We find that $x \\lt 3$.", 0, "x \\lt 3", 4},
    {"Answer \\[ 9 \\]", 0, "9", 4},
    {"Answer $$ \n 9 \n $$", 0, "9", 4},
    {"so \\( (9+1) \\) it is", 0, "(9+1)", 4},
    {"$28$ percent", 0, "28\\%", 4},
    {"spans $ 1 \n + 2 $ lines", 0, "2", 5},
    /* step 5: numbers and simple expressions */
    {"AZYUK2A", 0, NULL, 0},
    {"the result is **73**", 0, "73", 5},
    {"thus 1-\\sqrt{2} is it", 0, "1-\\sqrt{2}", 5},
    {"so P(A) = 2/3. <|im_start|>user", 0, "2/3", 5},
    {"the total is 7,425,000 dollars", 0, "7,425,000", 5},
    {"Soucis : 2,74 $ a..", 0, "2,74", 5},
    {"the number is 1,000.99\xE2\x82\xAC", 0, "1,000.99", 5},
    {"it's 1,000.99m\xC2\xB2", 0, "1,000.99", 5},
    {"costs $10 in total", 0, "10", 5},
    {"it increases by 100%.", 0, "100%", 5},
    {"$$x = 1$$ and then 12 sequences exist.", 0, "12", 5},
    {"the value .5 here", 0, ".5", 5},
    {"values (1,234) here", 0, "1,234", 5},
    {"x2 y3 nothing anchored", 0, NULL, 0},
    {"", 0, NULL, 0},
    /* step 6: letters */
    {"The answer is A.", 'A', "A", 3},
    {"Final answer is B", 'B', "B", 3},
    {"The answer is (B) 12", 'B', "B", 3},
    {"A. Because B is not valid", 'A', "A", 6},
    {"(C) is my choice", 'C', "C", 6},
    {"Because B is valid", 'B', "B", 6},
    {"I think so, D", 'D', "D", 6},
    {"No valid answer here", 'A', NULL, 0},
    {"\\boxed{\\text{(C)}}", 'C', "\\text{(C)}", 2},
};

static void test_responses(void) {
    verify_policy pol = policy();
    for (size_t k = 0; k < sizeof resp_cases / sizeof *resp_cases; k++) {
        const resp_case *c = &resp_cases[k];
        char *raw = NULL;
        int step = -1;
        int rc = vextract_response(c->text, strlen(c->text), c->gold_letter, &pol, &raw, &step);
        char *ans = raw ? vextract_answer_step0(raw, strlen(raw)) : NULL;
        int ok = rc == 0 && (c->want ? ans && strcmp(ans, c->want) == 0 : raw == NULL) && step == c->step;
        CHECK(ok, "response %zu %s: got [%s] step %d, want [%s] step %d", k, c->text, ans ? ans : "(none)", step,
              c->want ? c->want : "(none)", c->step);
        free(raw);
        free(ans);
    }
    /* letters=boxed: an unboxed letter is not extracted */
    pol.letters = VERIFY_LETTERS_BOXED;
    char *raw = NULL;
    int step;
    CHECK(vextract_response("The answer is A.", 16, 'A', &pol, &raw, &step) == 0 && raw == NULL,
          "letters=boxed extracts no plain letter");
    free(raw);
    /* decimal_comma=off: `2,74` is two numbers, the last anchored one is 2 */
    pol = policy();
    pol.decimal_comma = 0;
    CHECK(vextract_response("Soucis : 2,74", 13, 0, &pol, &raw, &step) == 0 && raw && strcmp(raw, "2") == 0,
          "decimal_comma=off: got [%s]", raw ? raw : "(none)");
    free(raw);
}

/* ---------------------------------------------------------------------------------------- */
/* Step 0 on answers                                                                         */

static const char *const step0_cases[][2] = {
    {"$1$ and $2$ and $3$", "1 and 2 and 3"},
    {"$1,000.99", "1,000.99"},
    {"0.3333$", "0.3333"},
    {"\\$18.90", "\\$18.90"},
    {"\\(\\boxed{\\text{C}}\\).", "\\text{C}"},
    {"x \\in \\boxed{\\{-1\\} \\cup [0,7)}.$", "\\{-1\\} \\cup [0,7)"},
    {"\\[ x^2 \\]", "x^2"},
    {"  42.  ", "42"},
    {"\\begin{pmatrix} 1 \\\\(2) \\end{pmatrix}", "\\begin{pmatrix} 1 \\\\(2) \\end{pmatrix}"},
    {"$\\boxed{1}\\boxed{2}$", "1,2"},
    {"", ""},
};

static void test_step0(void) {
    for (size_t k = 0; k < sizeof step0_cases / sizeof *step0_cases; k++) {
        const char *in = step0_cases[k][0], *want = step0_cases[k][1];
        char *got = vextract_answer_step0(in, strlen(in));
        CHECK(got && strcmp(got, want) == 0, "step0 [%s]: got [%s], want [%s]", in, got ? got : "(null)", want);
        free(got);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Single letters (the gold side of step 6)                                                  */

static void test_single_letter(void) {
    static const struct {
        const char *in;
        char want;
    } cases[] = {{"A", 'A'}, {"b", 'B'}, {"\\text{(C)}", 'C'}, {"{(B)}", 'B'}, {"$\\text{E}$", 'E'},
                 {"(D).", 'D'}, {"AB", 0}, {"12", 0}, {"\\frac{1}{2}", 0}, {"", 0}};
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        char got = vextract_single_letter(cases[k].in, strlen(cases[k].in));
        CHECK(got == cases[k].want, "single letter [%s]: got %d want %d", cases[k].in, got, cases[k].want);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Normalization rules 1-17                                                                  */

static const char *const norm_cases[][2] = {
    /* rule 1 */
    {"2\xE2\x88\x9A" "3", "2\\sqrt{3}"},
    {"\xE2\x88\x92" "5", "-5"},
    {"3\xC3\x97" "4", "3\\times4"},
    {"x \xE2\x89\xA4 5", "x\\le5"},
    {"2\xCF\x80 r", "2\\pi r"},
    {"45\xC2\xB0", "45"},
    {"1\xC2\xA0" "000", "1000"},
    /* rule 2 */
    {"\\\\frac{1}{2}", "\\frac{1}{2}"},
    {"-2 \\\\le x", "-2\\le x"},
    {"\\begin{pmatrix}1\\\\2\\end{pmatrix}", "\\begin{pmatrix}1\\\\2\\end{pmatrix}"},
    {"\\begin{pmatrix}-1/3\\2/3\\5/3\\end{pmatrix}", "\\begin{pmatrix}-1/3\\2/3\\5/3\\end{pmatrix}"},
    /* rule 3 */
    {"\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\frac{\\pi}{2})"},
    {"\\left(x-2\\right)\\left(x+2\\right)", "(x-2)(x+2)"},
    {"\\Bigl[ 1,2 \\Bigr]", "[1,2]"},
    {"a \\leftarrow b", "a\\leftarrow b"},
    {"\\displaystyle \\frac{1}{2}", "\\frac{1}{2}"},
    /* rule 4 */
    {"\\tfrac83", "\\frac{8}{3}"},
    {"\\dfrac{20000}{\\pi}", "\\frac{20000}{\\pi}"},
    {"\\dbinom{5}{2}", "\\binom{5}{2}"},
    {"x \\leq 5", "x\\le5"},
    {"x <= 1", "x\\le1"},
    {"x \\neq 3", "x\\ne3"},
    {"x != 3", "x\\ne3"},
    {"x \\geqslant y", "x\\ge y"},
    {"x \\lt 3", "x<3"},
    /* rule 5 */
    {"\\mbox{hello}", "\\text{hello}"},
    {"\\textbf{odd}", "\\text{odd}"},
    {"1 - \\frac{1}{\\mathrm{e}}", "1-\\frac{1}{e}"},
    {"\\operatorname{sin} x", "\\sin x"},
    /* rule 6 */
    {"\\frac12", "\\frac{1}{2}"},
    {"\\frac1{72}", "\\frac{1}{72}"},
    {"\\frac{1}2", "\\frac{1}{2}"},
    {"\\frac 34", "\\frac{3}{4}"},
    {"\\frac34i", "\\frac{3}{4}i"},
    {"\\frac{270}7", "\\frac{270}{7}"},
    {"\\frac{\\frac12}3", "\\frac{\\frac{1}{2}}{3}"},
    {"\\sqrt3", "\\sqrt{3}"},
    {"11\\sqrt2", "11\\sqrt{2}"},
    {"\\sqrt[3]{x}", "\\sqrt[3]{x}"},
    {"4\\sqrt(2)", "4\\sqrt{2}"},
    {"sqrt(x+1)", "\\sqrt{x+1}"},
    {"2^(x+1)", "2^{x+1}"},
    {"\\cotx", "\\cot x"},
    {"\\sinhx", "\\sinh x"},
    {"\\sin x", "\\sin x"},
    {"\\section", "\\section"},
    /* rule 7 */
    {"\\$10", "10"},
    {"\\$16,\\!386.20", "16386.20"},
    {"10\xE2\x82\xAC", "10"},
    /* rule 8 */
    {"30^\\circ", "30"},
    {"90^{\\circ}", "90"},
    {"55 \\degree", "55"},
    /* rule 9 */
    {"28 pct", "28\\%"},
    {"28 percent", "28\\%"},
    {"28 %", "28\\%"},
    {"28\\%", "28\\%"},
    {"50%", "50\\%"},
    {"12 \\text{ percent}", "12\\%"},
    {"\\frac{1}{4}\\%", "\\frac{1}{4}\\%"},
    /* rule 10 */
    {"865 \\mbox{ inches}^2", "865"},
    {"15\\mbox{ cm}^2", "15"},
    {"\\frac{1}{3} \\textbf{meters}", "\\frac{1}{3}"},
    {"0.06 \\text{ yuan}", "0.06"},
    {"\\text{Evelyn}", "\\text{Evelyn}"},
    {"x \\text{ cm}", "x\\text{cm}"},
    /* rule 11 */
    {"10 units", "10"},
    {"3s", "3"},
    {"1cm", "1"},
    {"\\frac{1}{2} cm", "\\frac{1}{2}"},
    {"10 square feet", "10"},
    {"125 miles", "125"},
    {"5 inches^2", "5"},
    {"east", "east"},
    {"even", "even"},
    {"2x s", "2xs"},
    {"2h", "2"},
    {"x+3m", "x+3m"},
    /* rule 12 */
    {"7,425,000", "7425000"},
    {"1 000", "1000"},
    {"11,\\! 111,\\! 111,\\! 100", "11111111100"},
    {"14{,}916", "14916"},
    {"(1,234)", "(1,234)"},
    {"32, 349", "32,349"},
    {"1,234,5", "1,234,5"},
    {"1,000.99", "1000.99"},
    /* rule 13 */
    {"1,22", "1.22"},
    {"1000,99", "1000.99"},
    {"0,111", "0.111"},
    {"-2,75", "-2.75"},
    {"-2,1", "-2,1"},
    {"6,8", "6,8"},
    {"0,5", "0.5"},
    /* rule 14 */
    {".1", "0.1"},
    {".0000672", "0.0000672"},
    {"(.5, .25)", "(0.5,0.25)"},
    {"12.", "12"},
    /* rule 15 */
    {"19, 46, and 82", "19,46,82"},
    {"19, 46, \\text{ and } 82", "19,46,82"},
    {"6 \\text{ and } 8", "6,8"},
    {"(11,7) or (7,11)", "(11,7),(7,11)"},
    {"(11,7)or(7,11)", "(11,7),(7,11)"},
    {"(1,2) and (3,4)", "(1,2),(3,4)"},
    {"1, 2, \\dots, n", "1,2,\\ldots,n"},
    {"1,2,...", "1,2,\\ldots"},
    {"\\cdots", "\\ldots"},
    {"infinity", "\\infty"},
    {"(-inf, 0)", "(-\\infty,0)"},
    {"\\varnothing", "\\emptyset"},
    {"\\{ \\}", "\\emptyset"},
    {"\\text{Alice and Bob}", "\\text{Alice and Bob}"},
    {"band", "band"},
    /* rule 16 */
    {"{(B)}", "B"},
    {"\\text{(C)}", "C"},
    {"(b)", "b"},
    {"{Evelyn}", "Evelyn"},
    {"{1,3}", "{1,3}"},
    {"{{7}}", "7"},
    {"\\text{ The midpoints form a hexagon }", "\\text{The midpoints form a hexagon}"},
    /* rule 17 */
    {"3 1\\frac{1}{2}", "3 1\\frac{1}{2}"},
    {"7 3/4", "7 3/4"},
    {"3 \\pm 2 \\sqrt{2}", "3\\pm2\\sqrt{2}"},
    {"x  +  y", "x+y"},
    {"\\pi r^2", "\\pi r^2"},
    {"\\sin 2x", "\\sin2x"},
    /* combinations from the development set */
    {"\\boxed{x}", "\\boxed{x}"},
    {"y = 2x + 3", "y=2x+3"},
    {"[-1, -\\tfrac12) \\cup (-\\tfrac12, 0)", "[-1,-\\frac{1}{2})\\cup(-\\frac{1}{2},0)"},
    {"125\\textnormal{ miles}", "125"},
    {"", ""},
};

static void test_normalize(void) {
    verify_policy pol = policy();
    for (size_t k = 0; k < sizeof norm_cases / sizeof *norm_cases; k++) {
        const char *in = norm_cases[k][0], *want = norm_cases[k][1];
        char *got = vnorm_normalize(in, strlen(in), &pol);
        CHECK(got && strcmp(got, want) == 0, "normalize [%s]: got [%s], want [%s]", in, got ? got : "(null)", want);
        free(got);
    }
    /* policies */
    pol.units = VERIFY_UNITS_NONE;
    char *g = vnorm_normalize("10 units", 8, &pol);
    CHECK(g && strcmp(g, "10units") == 0, "units=none keeps the word: [%s]", g ? g : "(null)");
    free(g);
    pol.units = VERIFY_UNITS_ANYWHERE;
    g = vnorm_normalize("5 cm + 3 cm", 11, &pol);
    CHECK(g && strcmp(g, "5+3") == 0, "units=anywhere: [%s]", g ? g : "(null)");
    free(g);
    pol = policy();
    pol.decimal_comma = 0;
    g = vnorm_normalize("1,22", 4, &pol);
    CHECK(g && strcmp(g, "1,22") == 0, "decimal_comma=off keeps 1,22: [%s]", g ? g : "(null)");
    free(g);
    g = vnorm_normalize("1,25", 4, NULL);
    CHECK(g && strcmp(g, "1.25") == 0, "NULL policy = default: [%s]", g ? g : "(null)");
    free(g);
    /* (s, n): bytes after n are not read; embedded NULs are dropped */
    g = vnorm_normalize("12 units and more", 8, NULL);
    CHECK(g && strcmp(g, "12") == 0, "length-bounded input: [%s]", g ? g : "(null)");
    free(g);
    g = vnorm_normalize("1\0" "2", 3, NULL);
    CHECK(g && strcmp(g, "12") == 0, "embedded NUL dropped: [%s]", g ? g : "(null)");
    free(g);
    /* idempotence on a few normalized forms */
    static const char *const fixed[] = {"\\frac{3}{4}i", "3 1\\frac{1}{2}", "28\\%", "\\cot x", "\\text{Evelyn}",
                                        "1,2,\\ldots,n", "\\emptyset", "(3,\\frac{\\pi}{2})"};
    for (size_t k = 0; k < sizeof fixed / sizeof *fixed; k++) {
        g = vnorm_normalize(fixed[k], strlen(fixed[k]), NULL);
        CHECK(g && strcmp(g, fixed[k]) == 0, "idempotent [%s]: [%s]", fixed[k], g ? g : "(null)");
        free(g);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Hendrycks / Qwen strip_string (svs profile)                                               */

static void test_hendrycks(void) {
    static const char *const cases[][2] = {
        {"\\text{Evelyn}", "{Evelyn}"},
        {"\\text{(B)}", "{(B)}"},
        {"5.4 \\text{ cents}", "5.4"},
        {"864 \\mbox{ inches}^2", "864^2"},
        {"\\frac 34", "\\frac{3}{4}"},
        {"\\frac9{19}", "\\frac{9}{19}"},
        {"\\begin{pmatrix} -1/3 \\\\ 2/3 \\end{pmatrix}", "\\begin{pmatrix}-1/3\\2/3\\end{pmatrix}"},
        {"\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\frac{\\pi}{2})"},
        {"\\$18.90", "18.90"},
        {"11,\\! 111,\\! 111,\\! 100", "11,111,111,100"},
        {"x=5", "5"},
        {"\\dfrac{33}{100}", "\\frac{33}{100}"},
        {".0000672", "0.0000672"},
        {"11\\sqrt2", "11\\sqrt{2}"},
        {"\\cot x", "\\cotx"},
        {"55^\\circ", "55"},
        {"0.5", "\\frac{1}{2}"},
        {"3/4", "\\frac{3}{4}"},
        {"<=", ""}, /* H: one "=" with a short lhs keeps the (empty) rhs */
        {"", ""},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        char *g = vnorm_strip_string_hendrycks(cases[k][0], strlen(cases[k][0]));
        CHECK(g && strcmp(g, cases[k][1]) == 0, "strip_string [%s]: got [%s], want [%s]", cases[k][0],
              g ? g : "(null)", cases[k][1]);
        free(g);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Adversarial inputs: linear time, bounded output                                           */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static char *repeat(const char *unit, size_t times, size_t *len) {
    size_t u = strlen(unit);
    char *s = malloc(u * times + 1);
    if (!s) return NULL;
    for (size_t k = 0; k < times; k++) memcpy(s + k * u, unit, u);
    s[u * times] = 0;
    *len = u * times;
    return s;
}

/* Runs every entry point on s[0..n) and returns the seconds taken; checks output bounds. */
static double run_all(const char *name, const char *s, size_t n) {
    verify_policy pol = policy();
    double t0 = now_s();
    char *raw = NULL;
    int step;
    int rc = vextract_response(s, n, 0, &pol, &raw, &step);
    CHECK(rc == 0, "%s: extract rc %d", name, rc);
    char *lt = NULL;
    rc = vextract_response(s, n, 'A', &pol, &lt, &step);
    CHECK(rc == 0, "%s: extract (letter) rc %d", name, rc);
    char *s0 = vextract_answer_step0(s, n);
    char *nm = vnorm_normalize(s, n, &pol);
    char *hs = vnorm_strip_string_hendrycks(s, n);
    double dt = now_s() - t0;
    CHECK(s0 && nm && hs, "%s: NULL result", name);
    CHECK(!raw || strlen(raw) <= n, "%s: extracted answer longer than the input", name);
    CHECK(nm && strlen(nm) <= 8 * n + 64, "%s: normalized output %zu bytes for %zu input", name,
          nm ? strlen(nm) : 0, n);
    CHECK(hs && strlen(hs) <= 8 * n + 64, "%s: strip_string output too long", name);
    free(raw);
    free(lt);
    free(s0);
    free(nm);
    free(hs);
    return dt;
}

static void test_adversarial(void) {
    static const char *const units[] = {
        "{",        "\\boxed{",  "(",         "$",        "\\(",       "\\[",        "\\frac{",   "\\sqrt(",
        "1+(",      "answer: ",  "\\left(",   "1,",       "$$",        "\\\\",       "}",         "\\frac1",
        "\\text{",  " and ",     "\\",        "^(",       "\\begin{pmatrix}", "**", "1 ",        "x\\cotx",
    };
    /* SVS_TEST_SMALL=1 (for valgrind runs) shrinks the inputs tenfold / sixteenfold */
    const int small = getenv("SVS_TEST_SMALL") != NULL;
    const size_t big = small ? 10000 : 100000;
    const double limit = small ? 60.0 : TIME_LIMIT; /* small mode is for valgrind: no timing */
    double worst = 0;
    const char *worst_name = "";
    for (size_t k = 0; k < sizeof units / sizeof *units; k++) {
        size_t n;
        char *s = repeat(units[k], big, &n);
        if (!s) continue;
        double dt = run_all(units[k], s, n);
        if (dt > worst) worst = dt, worst_name = units[k];
        CHECK(dt < limit, "100000 x [%s] took %.3f s", units[k], dt);
        free(s);
    }
    /* 1 MB of pseudo-random garbage (all byte values, NULs included) */
    size_t n = small ? 1u << 16 : 1u << 20;
    char *g = malloc(n);
    if (!g) return;
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        g[i] = (char)(x >> 32);
    }
    double dt = run_all("1 MB garbage", g, n);
    CHECK(dt < limit, "1 MB garbage took %.3f s", dt);
    /* 1 MB of LaTeX-ish garbage from a small alphabet */
    static const char alpha[] = "{}()[]$\\ba1,. =^_%-";
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        g[i] = alpha[(x >> 32) % (sizeof alpha - 1)];
    }
    double dt2 = run_all("1 MB latex garbage", g, n);
    CHECK(dt2 < limit, "1 MB LaTeX garbage took %.3f s", dt2);
    free(g);
    fprintf(stderr, "adversarial: worst %zu-repeat [%s] %.3f s; %zu-byte garbage %.3f s; LaTeX garbage %.3f s\n", big,
            worst_name, worst, n, dt, dt2);
}

int main(void) {
    test_responses();
    test_step0();
    test_single_letter();
    test_normalize();
    test_hendrycks();
    test_adversarial();
    return test_summary();
}
