/* test_tinymath.c — tests of the tiny-math world (ref/tinymath.h).
 *
 * Every answer is recomputed here independently, from the numbers of the question TEXT and the
 * problem's form tag (not from the generator's internals); every worked solution must be graded
 * correct by the verifier against its answer and wrong against a different answer; synthesis
 * targets must hold exactly one FENCE_TEXT block whose problem has the source's answer; splits
 * must be disjoint; lengths stay within bounds. REPORT lines give the vocabulary size and the
 * longest texts. */
#include <stdint.h>

#include "../ref/tinymath.h"
#include "../ref/verify.h"
#include "testlib.h"

#define PER_CELL 250

typedef struct {
    long long p, q;
    int ok;
} frac;

/* ------------------------------------------------------------------ independent solver */

static long long gcd_ll(long long a, long long b) {
    a = a < 0 ? -a : a, b = b < 0 ? -b : b;
    while (b) {
        long long t = a % b;
        a = b, b = t;
    }
    return a;
}

static frac mk(long long p, long long q) {
    frac f = {p, q, q != 0};
    if (!f.ok) return f;
    if (f.q < 0) f.p = -f.p, f.q = -f.q;
    long long g = gcd_ll(f.p, f.q);
    if (g > 1) f.p /= g, f.q /= g;
    return f;
}

static frac bad(void) {
    frac f = {0, 1, 0};
    return f;
}

/* Integers of the text in order; "-7" is negative when the minus follows a space or "(" or
 * starts the text (so "5 - 3" gives 5, 3). */
static int numbers(const char *s, long long *out, int max) {
    int n = 0;
    for (const char *c = s; *c && n < max; c++) {
        if (*c < '0' || *c > '9') continue;
        int neg = c > s && c[-1] == '-' && (c - 1 == s || c[-2] == ' ' || c[-2] == '(');
        long long v = 0;
        while (*c >= '0' && *c <= '9') v = v * 10 + (*c++ - '0');
        out[n++] = neg ? -v : v;
        c--;
    }
    return n;
}

/* Recursive descent over + - * ( ) and integers, for the arith family. */
static long long expr_sum(const char **p);
static void skip(const char **p) {
    while (**p == ' ') (*p)++;
}
static long long expr_atom(const char **p) {
    skip(p);
    if (**p == '(') {
        (*p)++;
        long long v = expr_sum(p);
        skip(p);
        if (**p == ')') (*p)++;
        return v;
    }
    long long v = 0;
    while (**p >= '0' && **p <= '9') v = v * 10 + (*(*p)++ - '0');
    return v;
}
static long long expr_prod(const char **p) {
    long long v = expr_atom(p);
    for (;;) {
        skip(p);
        if (**p != '*') return v;
        (*p)++;
        v *= expr_atom(p);
    }
}
static long long expr_sum(const char **p) {
    long long v = expr_prod(p);
    for (;;) {
        skip(p);
        if (**p != '+' && !(**p == '-' && (*p)[1] == ' ')) return v;
        char op = *(*p)++;
        long long w = expr_prod(p);
        v = op == '+' ? v + w : v - w;
    }
}

static frac solve_arith(const char *q) {
    const char *p = q;
    while (*p && !(*p >= '0' && *p <= '9') && *p != '(') p++;
    return *p ? mk(expr_sum(&p), 1) : bad();
}

static frac solve_linear(const char *form, const long long *x, int n) {
    if (!strcmp(form, "x+b=c") && n == 2) return mk(x[1] - x[0], 1);
    if (!strcmp(form, "x-b=c") && n == 2) return mk(x[1] + x[0], 1);
    if (n == 3 && (x[2] - x[1]) % x[0] == 0 && !strcmp(form, "ax+b=c")) return mk((x[2] - x[1]) / x[0], 1);
    if (n == 3 && (x[2] + x[1]) % x[0] == 0 && !strcmp(form, "ax-b=c")) return mk((x[2] + x[1]) / x[0], 1);
    if (n == 4) {
        long long rhs = !strcmp(form, "ax+b=cx-d") ? -x[3] : x[3];
        if ((rhs - x[1]) % (x[0] - x[2]) == 0) return mk((rhs - x[1]) / (x[0] - x[2]), 1);
    }
    return bad();
}

static frac solve_word(const char *ops, const long long *x, int n) {
    long long cur = x[0];
    int i = 1;
    for (const char *o = ops; *o; o++) {
        if (i >= n) return bad();
        if (*o == '+') cur += x[i++];
        else if (*o == '-') cur -= x[i++];
        else if (*o == 'm' && i + 1 < n) cur += x[i] * x[i + 1], i += 2;
        else if (*o == '/' && cur % x[i] == 0) cur /= x[i++];
        else return bad();
    }
    return i == n ? mk(cur, 1) : bad();
}

static frac solve_sequence(const char *form, const long long *x, int n) {
    if (!strcmp(form, "next") && n == 4 && x[1] - x[0] == x[3] - x[2]) return mk(x[3] + x[1] - x[0], 1);
    if (!strcmp(form, "nth") && n == 4 && x[2] - x[1] == x[3] - x[2]) return mk(x[1] + (x[0] - 1) * (x[2] - x[1]), 1);
    return bad();
}

static frac solve(const tm_problem *p) {
    long long x[16], s = 0;
    int n = numbers(p->question, x, 16);
    switch (p->family) {
    case TM_ARITH: return solve_arith(p->question);
    case TM_LINEAR: return solve_linear(p->form, x, n);
    case TM_FRACTION:
        if (n != 4) return bad();
        return mk(x[0] * x[3] + (p->form[0] == '-' ? -1 : 1) * x[2] * x[1], x[1] * x[3]);
    case TM_REMAINDER: return n == 2 ? mk(x[0] % x[1], 1) : bad();
    case TM_GCD: return n == 2 ? mk(gcd_ll(x[0], x[1]), 1) : bad();
    case TM_LCM: return n == 2 ? mk(x[0] / gcd_ll(x[0], x[1]) * x[1], 1) : bad();
    case TM_PERCENT:
        if (n != 2) return bad();
        if (!strcmp(p->form, "x%y")) return (x[0] * x[1]) % 100 ? bad() : mk(x[0] * x[1] / 100, 1);
        if ((x[0] * x[1]) % 100) return bad();
        return mk(x[0] + (p->form[1] == '+' ? 1 : -1) * x[0] * x[1] / 100, 1);
    case TM_WORD: return solve_word(p->form, x, n);
    case TM_AVERAGE:
        for (int i = 0; i < n; i++) s += x[i];
        return n >= 2 && s % n == 0 ? mk(s / n, 1) : bad();
    case TM_SEQUENCE: return solve_sequence(p->form, x, n);
    default: return bad();
    }
}

static void fmt(frac f, char *buf, size_t cap) {
    if (f.q == 1) snprintf(buf, cap, "%lld", f.p);
    else snprintf(buf, cap, "%s\\frac{%lld}{%lld}", f.p < 0 ? "-" : "", f.p < 0 ? -f.p : f.p, f.q);
}

static int ends_with(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

/* ------------------------------------------------------------------ checks of one problem */

static int max_qwords, max_swords;
static size_t max_qchars, max_schars;

static void check_problem(const tm_problem *p) {
    char want[64], box[96], wrong[64];
    frac f = solve(p);
    CHECK(f.ok, "%s d%d form %s: cannot recompute: %s", tm_family_name(p->family), p->difficulty, p->form,
          p->question);
    if (!f.ok) return;
    fmt(f, want, sizeof want);
    CHECK(strcmp(want, p->answer) == 0, "%s: answer %s, recomputed %s: %s", tm_family_name(p->family),
          p->answer, want, p->question);
    snprintf(box, sizeof box, "\\boxed{%s}", p->answer);
    CHECK(ends_with(p->solution, box), "solution does not end with %s: %s", box, p->solution);
    CHECK(verify_simple(p->answer, p->solution, 1) == 1, "verifier rejects %s for: %s", p->answer, p->solution);
    fmt(mk(f.p + f.q, f.q), wrong, sizeof wrong);
    CHECK(verify_simple(wrong, p->solution, 1) == 0, "verifier accepts wrong %s for: %s", wrong, p->solution);
    int qw = tm_count_words(p->question), sw = tm_count_words(p->solution);
    CHECK(qw <= TM_MAX_QUESTION_WORDS, "question has %d words: %s", qw, p->question);
    CHECK(sw <= TM_MAX_SOLUTION_WORDS, "solution has %d words: %s", sw, p->solution);
    if (qw > max_qwords) max_qwords = qw;
    if (sw > max_swords) max_swords = sw;
    if (strlen(p->question) > max_qchars) max_qchars = strlen(p->question);
    if (strlen(p->solution) > max_schars) max_schars = strlen(p->solution);
}

static void test_families(void) {
    tm_rng r;
    tm_rng_seed(&r, 42);
    for (int f = 0; f < TM_NFAMILIES; f++)
        for (int d = TM_DIFFICULTY_MIN; d <= TM_DIFFICULTY_MAX; d++)
            for (int i = 0; i < PER_CELL; i++) {
                tm_problem p;
                svs_err err = {{0}};
                int rc = tm_generate(&r, (tm_family)f, d, NULL, &p, &err);
                CHECK(rc == 0, "%s d%d: rc %d %s", tm_family_name((tm_family)f), d, rc, err.msg);
                if (rc == 0) check_problem(&p);
            }
    printf("REPORT tinymath longest question %d words / %zu chars, solution %d words / %zu chars\n", max_qwords,
           max_qchars, max_swords, max_schars);
}

/* ------------------------------------------------------------------ determinism, splits */

static void test_determinism(void) {
    tm_gen a, b, c;
    svs_err err = {{0}};
    CHECK(tm_gen_init(&a, TM_SPLIT_TRAIN, 7, 0, 0, &err) == 0, "%s", err.msg);
    CHECK(tm_gen_init(&b, TM_SPLIT_TRAIN, 7, 0, 0, &err) == 0, "%s", err.msg);
    CHECK(tm_gen_init(&c, TM_SPLIT_TRAIN, 8, 0, 0, &err) == 0, "%s", err.msg);
    int same = 1, differ = 0;
    for (int i = 0; i < 500; i++) {
        tm_problem p, q, o;
        char t1[TM_TARGET_MAX], t2[TM_TARGET_MAX];
        tm_problem s1, s2;
        if (tm_gen_next(&a, &p, &err) || tm_gen_next(&b, &q, &err) || tm_gen_next(&c, &o, &err)) break;
        if (tm_gen_synthesize(&a, &p, &s1, t1, sizeof t1, &err) || tm_gen_synthesize(&b, &q, &s2, t2, sizeof t2, &err))
            break;
        same &= !strcmp(p.question, q.question) && !strcmp(p.solution, q.solution) && !strcmp(p.answer, q.answer) &&
                !strcmp(t1, t2);
        differ += strcmp(p.question, o.question) != 0;
    }
    CHECK(same, "same seed gave different problems");
    CHECK(differ > 400, "different seeds gave the same problems (%d of 500 differ)", differ);
    CHECK(tm_split_seed(7, TM_SPLIT_TRAIN) != tm_split_seed(7, TM_SPLIT_RL) &&
              tm_split_seed(7, TM_SPLIT_RL) != tm_split_seed(7, TM_SPLIT_EVAL),
          "split seeds not distinct");
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

#define SPLIT_N 3000

static void test_splits(void) {
    char **q[TM_NSPLITS];
    int ok = 1, clash = 0;
    for (int s = 0; s < TM_NSPLITS; s++) {
        tm_gen g;
        svs_err err = {{0}};
        q[s] = calloc(SPLIT_N, sizeof *q[s]);
        tm_gen_init(&g, (tm_split)s, 1, 1, 0, &err); /* difficulty 1: the most collision-prone */
        for (int i = 0; i < SPLIT_N; i++) {
            tm_problem p;
            if (tm_gen_next(&g, &p, &err)) {
                CHECK(0, "%s", err.msg);
                p.question[0] = '\0';
            }
            ok &= tm_split_of(p.question) == (tm_split)s;
            q[s][i] = strdup(p.question);
        }
        qsort(q[s], SPLIT_N, sizeof *q[s], cmp_str);
    }
    CHECK(ok, "a problem landed outside its split");
    for (int s = 0; s < TM_NSPLITS; s++)
        for (int t = s + 1; t < TM_NSPLITS; t++)
            for (int i = 0; i < SPLIT_N; i++)
                clash += bsearch(&q[s][i], q[t], SPLIT_N, sizeof *q[t], cmp_str) != NULL;
    CHECK(clash == 0, "%d question texts shared between splits", clash);
    for (int s = 0; s < TM_NSPLITS; s++) {
        for (int i = 0; i < SPLIT_N; i++) free(q[s][i]);
        free(q[s]);
    }
}

/* ------------------------------------------------------------------ synthesis */

/* The problem inside the single FENCE_TEXT block, or "" when there is not exactly one. */
static void fenced(const char *t, char *out, size_t cap) {
    out[0] = '\0';
    int fences = 0;
    for (const char *c = t; (c = strstr(c, "```")); c += 3) fences++;
    const char *a = strstr(t, "```text");
    if (fences != 2 || !a || strstr(a + 1, "```text")) return;
    a += 7;
    const char *e = strstr(a, "```");
    while (a < e && *a == '\n') a++;
    while (e > a && e[-1] == '\n') e--;
    snprintf(out, cap, "%.*s", (int)(e - a), a);
}

static void test_synthesis(void) {
    int n = 0, other_family = 0;
    for (int s = 0; s < TM_NSPLITS; s++) {
        tm_gen g;
        svs_err err = {{0}};
        tm_gen_init(&g, (tm_split)s, 99, 0, 0, &err);
        for (int i = 0; i < 1000; i++) {
            tm_problem p, d;
            char t[TM_TARGET_MAX], q[TM_QUESTION_MAX];
            int rc = tm_gen_next(&g, &p, &err);
            if (!rc) rc = tm_gen_synthesize(&g, &p, &d, t, sizeof t, &err);
            CHECK(rc == 0, "synthesis: %s", err.msg);
            if (rc) continue;
            fenced(t, q, sizeof q);
            CHECK(q[0] && strcmp(q, d.question) == 0, "target has no single FENCE_TEXT block with the problem: %s", t);
            CHECK(strcmp(d.question, p.question) != 0, "synthesis repeats the problem: %s", p.question);
            CHECK(tm_split_of(d.question) == (tm_split)s, "synthesized problem left its split");
            frac f = solve(&d);
            char want[64];
            fmt(f, want, sizeof want);
            CHECK(f.ok && strcmp(want, p.answer) == 0, "synthesized problem has answer %s, source %s: %s", want,
                  p.answer, d.question);
            check_problem(&d);
            n++;
            other_family += d.family != p.family;
        }
    }
    printf("REPORT tinymath synthesis: %d pairs, %.1f%% change family\n", n, 100.0 * other_family / (n ? n : 1));
}

/* ------------------------------------------------------------------ vocabulary, errors */

/* Adds the whitespace-separated words of s to v; with letters_only, punctuation is stripped and
 * words holding a digit (numbers, "3x", "25%") are left out, giving the non-numeric vocabulary. */
static int add_words(char ***v, size_t *n, size_t *cap, const char *s, int letters_only) {
    char buf[TM_SOLUTION_MAX], *save = NULL;
    snprintf(buf, sizeof buf, "%s", s);
    for (char *w = strtok_r(buf, " \n", &save); w; w = strtok_r(NULL, " \n", &save)) {
        if (letters_only) {
            if (strpbrk(w, "0123456789")) continue;
            while (*w && strchr(".,?:()", *w)) w++;
            size_t l = strlen(w);
            while (l && strchr(".,?:()", w[l - 1])) w[--l] = '\0';
            if (!l) continue;
        }
        if (*n == *cap) {
            *cap = *cap ? 2 * *cap : 1024;
            *v = realloc(*v, *cap * sizeof **v);
        }
        (*v)[(*n)++] = strdup(w);
    }
    return 0;
}

static size_t distinct(char **v, size_t n) {
    qsort(v, n, sizeof *v, cmp_str);
    size_t d = 0;
    for (size_t i = 0; i < n; i++) d += i == 0 || strcmp(v[i], v[i - 1]) != 0;
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
    return d;
}

static void test_vocabulary(void) {
    tm_gen g;
    svs_err err = {{0}};
    char **qv = NULL, **sv = NULL, **lv = NULL;
    size_t qn = 0, qc = 0, sn = 0, sc = 0, ln = 0, lc = 0;
    tm_gen_init(&g, TM_SPLIT_TRAIN, 2024, 0, 0, &err);
    for (int i = 0; i < 10000; i++) {
        tm_problem p;
        if (tm_gen_next(&g, &p, &err)) break;
        add_words(&qv, &qn, &qc, p.question, 0);
        add_words(&sv, &sn, &sc, p.solution, 0);
        add_words(&lv, &ln, &lc, p.question, 1);
        add_words(&lv, &ln, &lc, p.solution, 1);
    }
    size_t words = qn, dq = distinct(qv, qn), ds = distinct(sv, sn), dl = distinct(lv, ln);
    printf("REPORT tinymath vocabulary over 10000 problems: %zu distinct whitespace words in questions (%zu words; "
           "numbers included), %zu in solutions; %zu distinct non-numeric words in both\n", dq, words, ds, dl);
    CHECK(dl < 200, "non-numeric vocabulary too large for a tiny model: %zu", dl);
    CHECK(dq > 50, "vocabulary suspiciously small: %zu", dq);
}

static void test_errors(void) {
    unsigned mask;
    svs_err err = {{0}};
    tm_problem p;
    tm_rng r;
    tm_gen g;
    tm_rng_seed(&r, 1);
    CHECK(tm_families_parse("arith,nope", &mask, &err) == -1 && strstr(err.msg, "nope"), "bad family accepted");
    CHECK(tm_families_parse("arith,gcd", &mask, &err) == 0 && mask == ((1u << TM_ARITH) | (1u << TM_GCD)),
          "family list parse");
    CHECK(tm_families_parse("all", &mask, &err) == 0 && mask == (1u << TM_NFAMILIES) - 1, "all families");
    CHECK(tm_generate(&r, TM_ARITH, 9, NULL, &p, &err) == -1, "difficulty 9 accepted");
    CHECK(tm_gen_init(&g, TM_SPLIT_EVAL, 1, 5, 0, &err) == -1, "gen difficulty 5 accepted");
    CHECK(tm_split_from_name("rl") == TM_SPLIT_RL && tm_split_from_name("test") == -1, "split names");
    tm_frac half = {1, 2};
    CHECK(tm_generate(&r, TM_GCD, 2, &half, &p, &err) == 1, "gcd produced a fraction answer");
    tm_gen_init(&g, TM_SPLIT_TRAIN, 3, 2, 1u << TM_FRACTION, &err);
    int only = 1;
    for (int i = 0; i < 50; i++) only &= tm_gen_next(&g, &p, &err) == 0 && p.family == TM_FRACTION && p.difficulty == 2;
    CHECK(only, "family / difficulty filter not honoured");
}

int main(void) {
    test_errors();
    test_families();
    test_determinism();
    test_splits();
    test_synthesis();
    test_vocabulary();
    return test_summary();
}
