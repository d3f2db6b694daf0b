/* testlib.h — the tiny test harness every tests/test_*.c program uses.
 *
 * CHECK(cond, fmt, ...) counts one check; a failure prints the file, line and message.
 * A test program ends with `return test_summary();`, which prints `N passed, N failed`
 * (tests/run_tests.sh sums these lines over all programs) and returns non-zero on any failure.
 *
 * svs_shared_path() resolves a path under $SVS_SHARED (default ../shared). When the file is
 * missing: in CI (CI=true) that is a failure; elsewhere the caller may skip (test_skip()). */
#ifndef SVS_TESTLIB_H
#define SVS_TESTLIB_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int test_passed_, test_failed_, test_skipped_;

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (cond) {                                                        \
            test_passed_++;                                                \
        } else {                                                           \
            test_failed_++;                                                \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);           \
            fprintf(stderr, __VA_ARGS__);                                  \
            fprintf(stderr, "\n");                                         \
        }                                                                  \
    } while (0)

/* relative/absolute closeness: |a-b| <= atol + rtol*|b| */
static inline int test_close(double a, double b, double rtol, double atol) {
    if (isnan(a) || isnan(b)) return 0;
    return fabs(a - b) <= atol + rtol * fabs(b);
}

static inline void test_skip(const char *what) {
    test_skipped_++;
    fprintf(stderr, "SKIP %s\n", what);
}

static inline int test_in_ci(void) {
    const char *ci = getenv("CI");
    return ci && (strcmp(ci, "true") == 0 || strcmp(ci, "1") == 0);
}

/* Returns a static path "$SVS_SHARED/<rel>" (default ../shared) if it exists, else NULL.
 * A missing asset in CI counts as a failure. */
static inline const char *svs_shared_path(const char *rel) {
    static char buf[4096];
    const char *root = getenv("SVS_SHARED");
    if (!root || !*root) root = "../shared";
    snprintf(buf, sizeof buf, "%s/%s", root, rel);
    if (access(buf, R_OK) == 0) return buf;
    if (test_in_ci()) {
        test_failed_++;
        fprintf(stderr, "FAIL missing shared asset in CI: %s\n", buf);
    } else {
        test_skip(buf);
    }
    return NULL;
}

static inline int test_summary(void) {
    if (test_skipped_)
        printf("%d passed, %d failed, %d skipped\n", test_passed_, test_failed_, test_skipped_);
    else
        printf("%d passed, %d failed\n", test_passed_, test_failed_);
    return test_failed_ ? 1 : 0;
}

#endif
