/* test_tinymath_solve.c — tests of the tiny-math solver (ref/tinymath_solve.h).
 *
 * - every family x difficulty 1..4 x the three splits: tm_solve recognizes every generated
 *   question, names its family and returns exactly the generator's answer string;
 * - synthesis targets: the problem inside the ```text block is solved to the source's answer;
 * - hand-written texts: a few exact answers, and near misses (typos, truncations, garbage,
 *   incoherent word problems, huge numbers, very long input) are not recognized (0), no crash.
 * REPORT lines give the counts. */
#include <stdint.h>

#include "../ref/tinymath.h"
#include "../ref/tinymath_solve.h"
#include "testlib.h"

#define PER_CELL 1000 /* problems per family x difficulty x split: 120,000 in all */
#define SYNTH_PER_SPLIT 3000

static void test_generated(void) {
    long total = 0, solved = 0;
    for (int f = 0; f < TM_NFAMILIES; f++) {
        long fam_total = 0, fam_solved = 0, by_d[TM_DIFFICULTY_MAX + 1] = {0};
        int shown = 0;
        for (int d = TM_DIFFICULTY_MIN; d <= TM_DIFFICULTY_MAX; d++) {
            for (int s = 0; s < TM_NSPLITS; s++) {
                tm_gen g;
                svs_err err = {{0}};
                if (tm_gen_init(&g, (tm_split)s, 7 + (uint64_t)d, d, 1u << f, &err)) {
                    CHECK(0, "tm_gen_init: %s", err.msg);
                    return;
                }
                for (int i = 0; i < PER_CELL; i++) {
                    tm_problem p;
                    char ans[TM_ANSWER_MAX];
                    tm_family fam = TM_NFAMILIES;
                    if (tm_gen_next(&g, &p, &err)) break;
                    int rc = tm_solve(p.question, ans, sizeof ans, &fam);
                    int ok = rc == 1 && !strcmp(ans, p.answer) && fam == (tm_family)f;
                    fam_total++, fam_solved += ok, by_d[d] += ok;
                    if (!ok && shown++ < 5)
                        CHECK(0, "%s d%d: \"%s\": rc %d answer \"%s\" family %s, expected \"%s\"", tm_family_name(f), d,
                              p.question, rc, ans, rc == 1 ? tm_family_name(fam) : "-", p.answer);
                }
            }
        }
        printf("REPORT tinymath_solve %-9s: %ld / %ld generated problems solved (per difficulty 1-4: %ld %ld %ld %ld "
               "of %d, train/rl/eval)\n", tm_family_name(f), fam_solved, fam_total, by_d[1], by_d[2], by_d[3], by_d[4],
               PER_CELL * TM_NSPLITS);
        CHECK(fam_solved == fam_total, "%s: %ld of %ld not solved", tm_family_name(f), fam_total - fam_solved, fam_total);
        total += fam_total, solved += fam_solved;
    }
    printf("REPORT tinymath_solve all families: %ld / %ld solved\n", solved, total);
}

/* The problem inside the target's ```text block. */
static int fenced(const char *target, char *out, size_t cap) {
    const char *a = strstr(target, "```text\n");
    if (!a) return 0;
    a += 8;
    const char *b = strstr(a, "\n```");
    if (!b || (size_t)(b - a) >= cap) return 0;
    memcpy(out, a, (size_t)(b - a));
    out[b - a] = '\0';
    return 1;
}

static void test_synthesis(void) {
    long total = 0, solved = 0;
    int shown = 0;
    for (int s = 0; s < TM_NSPLITS; s++) {
        tm_gen g;
        svs_err err = {{0}};
        tm_gen_init(&g, (tm_split)s, 11, 0, 0, &err);
        for (int i = 0; i < SYNTH_PER_SPLIT; i++) {
            tm_problem src, dst;
            char target[TM_TARGET_MAX], prob[TM_QUESTION_MAX], ans[TM_ANSWER_MAX];
            if (tm_gen_next(&g, &src, &err) || tm_gen_synthesize(&g, &src, &dst, target, sizeof target, &err)) {
                CHECK(0, "generator: %s", err.msg);
                return;
            }
            int ok = fenced(target, prob, sizeof prob) && tm_solve(prob, ans, sizeof ans, NULL) == 1 &&
                     !strcmp(ans, src.answer);
            total++, solved += ok;
            if (!ok && shown++ < 5) CHECK(0, "synthesis target \"%s\": got \"%s\", source answer \"%s\"", target, ans, src.answer);
        }
    }
    printf("REPORT tinymath_solve synthesis targets: %ld / %ld solved to the source answer\n", solved, total);
    CHECK(solved == total, "synthesis targets: %ld not solved", total - solved);
}

/* Hand-written texts with known answers (some outside the generator's ranges). */
static void test_known(void) {
    static const char *const CASES[][3] = {
        {"What is 3 + 4 * 2 - 1?", "10", "arith"},
        {"Evaluate (2 + 3) * (9 - 4) + 7.", "32", "arith"},
        {"Compute 1/2 - 3/4.", "-\\frac{1}{4}", "fraction"},
        {"Find 2/6 + 1/6. Give the answer in lowest terms.", "\\frac{1}{2}", "fraction"},
        {"What is 5/7 + 2/7 in lowest terms?", "1", "fraction"},
        {"If 7x + 3 = 2x - 12, what is x?", "-3", "linear"},
        {"Solve for x: 3x - 4 = -10.", "-2", "linear"},
        {"Find x if x + 5 = 12.", "7", "linear"},
        {"What is x if 2x + 1 = 4?", "\\frac{3}{2}", "linear"},
        {"What is the remainder when 100 is divided by 7?", "2", "remainder"},
        {"Find 9999 mod 50.", "49", "remainder"},
        {"Find the GCD of 84 and 36.", "12", "gcd"},
        {"What is the smallest number that is a multiple of both 4 and 6?", "12", "lcm"},
        {"What is 15% of 7?", "\\frac{21}{20}", "percent"},
        {"A box costs 200 coins. Its price goes down by 25%. What is the new price?", "150", "percent"},
        {"A pen costs 80 coins. Its price goes up by 5%. What is the new price?", "84", "percent"},
        {"Tom has 5 apples. Tom gets 3 apples from Ann. Tom gives 2 apples to Sam. How many apples does Tom have now?",
         "6", "word"},
        {"Mia has 4 eggs. Mia buys 2 bags with 5 eggs in each bag. Mia shares the eggs equally among 7 friends. "
         "How many eggs does each friend get?", "2", "word"},
        {"What is the average of 1, 2 and 4?", "\\frac{7}{3}", "average"},
        {"Find the mean of 10 and 20.", "15", "average"},
        {"What number comes next: -3, -7, -11, -15?", "-19", "sequence"},
        {"Find term 30 of the sequence -20, -11, -2, ...", "241", "sequence"},
        {"  What is term 5 of the sequence 2, 4, 6, ...?\n", "10", "sequence"},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        char ans[TM_ANSWER_MAX];
        tm_family fam = TM_NFAMILIES;
        int rc = tm_solve(CASES[i][0], ans, sizeof ans, &fam);
        CHECK(rc == 1 && !strcmp(ans, CASES[i][1]) && !strcmp(tm_family_name(fam), CASES[i][2]),
              "\"%s\": rc %d answer \"%s\" family %s, expected \"%s\" (%s)", CASES[i][0], rc, ans,
              tm_family_name(fam), CASES[i][1], CASES[i][2]);
    }
}

/* Texts that are no tiny-math problem, or an inconsistent one: 0, and an empty answer. */
static void test_near_misses(void) {
    static const char *const BAD[] = {
        "",
        "   ",
        "What is 3 + ?",
        "What is 3 +* 4?",
        "Waht is 3 + 4?",
        "What is 3 + 4",
        "What is 59?",
        "What is (((3 + 4)?",
        "What is 3 / 0 + 1?",
        "Compute 1/0 + 1/2.",
        "Solve for x: 3 = 3.",
        "Solve for x: 2x + 1 = 2x + 5.",
        "Solve for x: 2y + 1 = 5.",
        "If 2x + 3 = 7 = 9, what is x?",
        "Find x if 2x + 3 =.",
        "What is the remainder when 10 is divided by 0?",
        "Find -10 mod 3.",
        "Find the GCD of 0 and 0.",
        "Find the LCM of 0 and 5.",
        "A car costs 100 coins. Its price goes up by 10%. What is the new price?",
        "A pen costs 100 coins. Its price goes sideways by 10%. What is the new price?",
        "A pen costs 100 coins. Its price goes down by 150%. What is the new price?",
        "Ben has 14 coins. Amy sells 6 eggs. How many coins does Ben have now?",
        "Ben has 14 coins. Ben sells 6 eggs. How many coins does Ben have now?",
        "Ben has 14 coins. Ben gives 3 coins to Ben. How many coins does Ben have now?",
        "Ben has 14 coins. Ben gives 3 coins to Zed. How many coins does Ben have now?",
        "Zed has 14 coins. Zed loses 3 coins. How many coins does Zed have now?",
        "Ben has 14 coins. Ben loses 20 coins. How many coins does Ben have now?",
        "Ben has 14 coins. Ben loses 2 coins. How many coins does Amy have now?",
        "Ben has 14 coins. Ben loses 2 coins. How many eggs does Ben have now?",
        "Ben has 14 coins. How many coins does Ben have now?",
        "Ben has 14 coins. Ben shares the coins equally among 4 friends. How many coins does each friend get?",
        "Ben has 12 coins. Ben shares the coins equally among 4 friends. How many coins does Ben have now?",
        "Ben has 12 coins. Ben loses 2 coins. How many coins does each friend get?",
        "Ben has 12 coins. Ben shares the coins equally among 4 friends. Ben loses 1 coins. "
        "How many coins does each friend get?",
        "Ben has 12 coins. Ben loses 2 coins. How many coins does Ben have now? Ben loses 2 coins.",
        "Ben has 12 coins. Ben loses 2 coins",
        "Ben has 12 coins. Ben loses 2 coins. How many coins does Ben have",
        "What is the average of 1, 2, 3?",
        "What is the average of 5?",
        "What is the mean of 1 and 2 and 3?",
        "What is the next number in the sequence 1, 2, 4, 8?",
        "What is the next number in the sequence 1, 2?",
        "Find term 0 of the sequence 1, 2, 3, ...",
        "What is term 5 of the sequence 1, 3, ...?",
        "What is 99999999999999999999 + 1?",
        "Find the GCD of 99999999999999999999 and 5.",
        "What is 1000000000 * 1000000000 * 1000000000 + 1?",
        "What is 1000000000 * 1000000000 + 1000000000 * 1000000000 - 1?",
        "Find term 1000000000 of the sequence 0, 1000000000, 2000000000, ...",
        "Hello world.",
        "\x01\x02\xff garbage ```text",
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        char ans[TM_ANSWER_MAX] = "x";
        int rc = tm_solve(BAD[i], ans, sizeof ans, NULL);
        CHECK(rc == 0 && ans[0] == '\0', "not a problem, but recognized: \"%s\" -> rc %d \"%s\"", BAD[i], rc, ans);
    }
    /* truncations of valid problems: no proper prefix of a generated question is a problem */
    tm_gen g;
    svs_err err = {{0}};
    long cut = 0, cut_rejected = 0;
    tm_gen_init(&g, TM_SPLIT_TRAIN, 5, 0, 0, &err);
    for (int i = 0; i < 200; i++) {
        tm_problem p;
        if (tm_gen_next(&g, &p, &err)) break;
        size_t n = strlen(p.question);
        for (size_t k = 1; k < n; k++) {
            char t[TM_QUESTION_MAX], ans[TM_ANSWER_MAX];
            memcpy(t, p.question, k);
            t[k] = '\0';
            int rc = tm_solve(t, ans, sizeof ans, NULL);
            cut++, cut_rejected += rc == 0;
            if (rc != 0) CHECK(0, "truncated \"%s\" recognized as %s", t, ans);
        }
        /* one-character typos: replace each letter by 'q' */
        for (size_t k = 0; k < n; k++) {
            char t[TM_QUESTION_MAX], ans[TM_ANSWER_MAX];
            if (p.question[k] < 'a' || p.question[k] > 'z' || p.question[k] == 'q' || p.question[k] == 'x') continue;
            memcpy(t, p.question, n + 1);
            t[k] = 'q';
            int rc = tm_solve(t, ans, sizeof ans, NULL);
            CHECK(rc == 0, "typo \"%s\" recognized as %s", t, ans);
        }
    }
    /* random mutations (a byte replaced, a run of digits inserted): any verdict, but no crash
     * (the sanitizer build, make asan, checks memory) and a consistent return */
    tm_rng r;
    tm_rng_seed(&r, 99);
    long mutated = 0, still = 0;
    for (int i = 0; i < 2000; i++) {
        tm_problem p;
        if (tm_gen_next(&g, &p, &err)) break;
        for (int m = 0; m < 5; m++) {
            char t[TM_QUESTION_MAX + 32], ans[TM_ANSWER_MAX];
            size_t n = strlen(p.question), k = (size_t)tm_rng_range(&r, 0, (long long)n - 1);
            snprintf(t, sizeof t, "%s", p.question);
            if (m % 2) t[k] = (char)tm_rng_range(&r, 1, 255);
            else snprintf(t + k, sizeof t - k, "%lld%s", (long long)tm_rng_range(&r, 0, 1LL << 62), p.question + k);
            int rc = tm_solve(t, ans, sizeof ans, NULL);
            mutated++, still += rc == 1;
            CHECK((rc == 0 && !ans[0]) || (rc == 1 && ans[0]), "mutation \"%s\": rc %d", t, rc);
        }
    }
    printf("REPORT tinymath_solve near misses: %zu hand-written, %ld / %ld truncations rejected, "
           "%ld / %ld random mutations still recognized (e.g. a digit changed)\n",
           sizeof BAD / sizeof BAD[0], cut_rejected, cut, still, mutated);
    /* very long inputs */
    static char big[200000];
    memset(big, '(', sizeof big - 1);
    char ans[TM_ANSWER_MAX];
    CHECK(tm_solve(big, ans, sizeof ans, NULL) == 0, "200000 '(' recognized");
    char deep[TM_SOLVE_TEXT_MAX];
    snprintf(deep, sizeof deep, "What is %s1 + 1?", "((((((((((((((((((((((((((((((((((((((((");
    CHECK(tm_solve(deep, ans, sizeof ans, NULL) == 0, "40 nested parentheses recognized");
    char list[TM_SOLVE_TEXT_MAX];
    strcpy(list, "What is the next number in the sequence 1");
    for (int i = 2; i <= 40; i++) snprintf(list + strlen(list), sizeof list - strlen(list), ", %d", i);
    strcat(list, "?");
    CHECK(tm_solve(list, ans, sizeof ans, NULL) == 0, "40-term sequence (over the 16-number limit) recognized");
    /* invalid calls */
    CHECK(tm_solve(NULL, ans, sizeof ans, NULL) == -1, "NULL question");
    CHECK(tm_solve("What is 1 + 1?", NULL, 8, NULL) == -1, "NULL answer");
    char tiny[3];
    CHECK(tm_solve("What is 1/2 + 1/3?", tiny, sizeof tiny, NULL) == -1, "answer buffer too small not reported");
}

int main(void) {
    test_known();
    test_near_misses();
    test_generated();
    test_synthesis();
    return test_summary();
}
