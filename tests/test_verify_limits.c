/* test_verify_limits.c — bad and adversarial input through the public verifier API
 * (spec/verifier.md §6.5): power towers, 100,000-deep nesting, 1 MB inputs, garbage, embedded
 * NULs, invalid UTF-8. Every call must return a verdict (never an error, crash or hang);
 * identical strings are equal, unparseable different strings are not. The wall-clock bound
 * below is a hang detector (2 s per call, against the spec's "milliseconds"); speed itself is
 * measured by `make bench`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testlib.h"
#include "verify.h"

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Runs one comparison; checks it returns, within the hang bound, with the expected verdict
 * (expect = -1: any verdict). Returns the elapsed seconds. */
static double run(const char *name, const char *gold, size_t glen, const char *model, size_t mlen,
                  int is_response, int expect, const char *want_limit) {
    verify_result r;
    svs_err err = {{0}};
    double t0 = now_s();
    int rc = verify_compare(gold, glen, model, mlen, is_response, NULL, &r, &err);
    double dt = now_s() - t0;
    CHECK(rc == 0, "%s: returned an error: %s", name, err.msg);
    if (rc) return dt;
    CHECK(dt < 2.0, "%s: took %.3f s (hang bound 2 s)", name, dt);
    if (expect >= 0) CHECK(r.correct == expect, "%s: verdict %d, expected %d (reason %s)", name, r.correct, expect, r.reason);
    if (want_limit) CHECK(r.limit && strcmp(r.limit, want_limit) == 0, "%s: limit %s, expected %s", name, r.limit ? r.limit : "none", want_limit);
    printf("REPORT limits %-34s %8.3f ms verdict=%d reason=%s limit=%s\n", name, dt * 1e3, r.correct, r.reason ? r.reason : "",
           r.limit ? r.limit : "none");
    verify_result_free(&r);
    return dt;
}

static char *repeat(const char *unit, size_t times, const char *tail) {
    size_t u = strlen(unit), t = strlen(tail);
    char *s = malloc(u * times + t + 1);
    for (size_t i = 0; i < times; i++) memcpy(s + i * u, unit, u);
    memcpy(s + u * times, tail, t + 1);
    return s;
}

int main(void) {
    const char *tower = "\\dfrac{5^{(5^{(5^{(5^5)})}-4)}-5}{16}";
    run("power tower identical", tower, strlen(tower), tower, strlen(tower), 0, 1, NULL);
    const char *tower2 = "\\dfrac{5^{(5^{(5^{(5^5)})}-4)}-6}{16}";
    run("power tower different", tower, strlen(tower), tower2, strlen(tower2), 0, 0, NULL);
    char boxed[256];
    snprintf(boxed, sizeof boxed, "so the answer is \\boxed{%s}", tower);
    run("power tower boxed response", tower, strlen(tower), boxed, strlen(boxed), 1, 1, NULL);
    run("huge power", "2^{100000000}", 13, "2^{100000001}", 13, 0, 0, NULL);
    run("huge factorial", "100000!", 7, "100001!", 7, 0, 0, NULL);
    /* rational values beyond exact limits are never accepted by a relative tolerance */
    run("huge power vs huge power + 1", "10^{10^{10}}", 12, "10^{10^{10}}+1", 14, 0, 0, NULL);
    run("exact 1/2004! vs 1/2006!", "\\frac{1}{2004!}", 15, "\\frac{1}{2006!}", 15, 0, 0, NULL);

    /* 100,000-deep nesting, as answer and inside a response */
    char *deep = repeat("{", 100000, "1");
    char *deep2 = malloc(200001);
    memcpy(deep2, deep, 100001);
    memset(deep2 + 100001, '}', 99999);
    deep2[200000] = 0;
    run("100k unclosed braces (self)", deep, strlen(deep), deep, strlen(deep), 0, 1, NULL);
    run("100k balanced braces vs 1", "1", 1, deep2, strlen(deep2), 0, -1, NULL);
    char *parens = repeat("(", 100000, "x");
    run("100k parens vs x", "x", 1, parens, strlen(parens), 0, 0, NULL);
    char *boxes = repeat("\\boxed{", 100000, "7");
    run("100k nested boxes response", "7", 1, boxes, strlen(boxes), 1, -1, NULL);
    char *fracs = repeat("\\frac{1}{", 50000, "2");
    run("50k nested fracs", fracs, strlen(fracs), "1", 1, 0, 0, NULL);

    /* 1 MB inputs: garbage, digits, a long response ending in a box; just over 1 MiB */
    size_t mb = 1000000;
    char *garbage = malloc(mb + 1);
    unsigned x = 12345;
    for (size_t i = 0; i < mb; i++) {
        x = x * 1103515245u + 12345u;
        garbage[i] = (char)(32 + (x >> 16) % 95);
    }
    garbage[mb] = 0;
    run("1 MB printable garbage response", "42", 2, garbage, mb, 1, -1, NULL);
    run("1 MB garbage as answer", "42", 2, garbage, mb, 0, 0, NULL);
    run("1 MB garbage as gold", garbage, mb, "42", 2, 1, 0, NULL);
    char *digits = repeat("9", mb, "");
    run("1 MB digits vs itself", digits, mb, digits, mb, 0, 1, NULL);
    char *resp = repeat("Let us think step by step. ", 36000, "The answer is \\boxed{42}.");
    run("~1 MB response with final box", "42", 2, resp, strlen(resp), 1, 1, NULL);
    size_t over = (1u << 20) + 10;
    char *big = repeat("a", over, "");
    run("over 1 MiB response", "42", 2, big, over, 1, 0, "input");

    /* binary garbage with NULs and invalid UTF-8 */
    char bin[4096];
    for (size_t i = 0; i < sizeof bin; i++) {
        x = x * 1103515245u + 12345u;
        bin[i] = (char)(x >> 16);
    }
    run("binary garbage (NULs, invalid UTF-8)", "1", 1, bin, sizeof bin, 1, -1, NULL);
    run("invalid UTF-8 identical", "\xff\xfe", 2, "\xff\xfe", 2, 0, 1, NULL);
    run("empty pred", "1", 1, "", 0, 0, 0, NULL);
    run("empty response", "1", 1, "", 0, 1, 0, NULL);
    run("unparseable different", "\\frac{{", 7, "\\frac{{{", 8, 0, 0, NULL);
    char *list = repeat("1,", 100000, "1");
    run("100k-element list", list, strlen(list), list, strlen(list), 0, 1, NULL);
    char *pm = repeat("1\\pm", 64, "1");
    run("64 +- signs", pm, strlen(pm), "1", 1, 0, 0, NULL);
    char *mat = repeat("1&", 100, "1\\\\");
    char *matrix = malloc(strlen(mat) * 100 + 64);
    strcpy(matrix, "\\begin{pmatrix}");
    for (int i = 0; i < 100; i++) strcat(matrix, mat);
    strcat(matrix, "\\end{pmatrix}");
    run("100x101 matrix vs itself", matrix, strlen(matrix), matrix, strlen(matrix), 0, 1, NULL);

    /* invalid calls are errors, not crashes */
    verify_result r;
    svs_err err = {{0}};
    CHECK(verify_compare(NULL, 0, "1", 1, 0, NULL, &r, &err) == -1 && err.msg[0], "NULL gold is an error");

    free(deep); free(deep2); free(parens); free(boxes); free(fracs); free(garbage); free(digits);
    free(resp); free(big); free(list); free(pm); free(mat); free(matrix);
    return test_summary();
}
