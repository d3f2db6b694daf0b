/* test_passk.c — the unbiased pass@k estimator against (1) the hand vectors of
 * ../shared/vectors/grpo_hand_vectors.txt section F and (2) the exact-rational goldens of
 * golden/passk_golden.txt (golden/gen_passk.py: Python fractions, n up to 1024), plus the edge
 * cases of spec/grpo-conventions.md §10.
 *
 * Tolerance: |ours - exact| <= 2e-13 + 1e-12 * exact. The product form multiplies at most
 * c <= 1024 factors, each rounded once (relative error <= 2^-53 each), so 1 - prod carries an
 * absolute error of at most about 1024 * 1.1e-16 = 1.1e-13; the measured maximum is printed. */
#include <stdio.h>
#include <string.h>

#include "passk.h"
#include "testlib.h"

static double max_abs_err = 0.0;

static void check_value(long long n, long long c, long long k, double expect, const char *src) {
    double v = -1;
    svs_err err = {{0}};
    int rc = passk_estimate(n, c, k, 0, &v, &err);
    CHECK(rc == 0, "%s: pass@k(%lld,%lld,%lld) returned an error: %s", src, n, c, k, err.msg);
    double e = fabs(v - expect);
    if (e > max_abs_err) max_abs_err = e;
    CHECK(e <= 2e-13 + 1e-12 * fabs(expect), "%s: pass@k(%lld,%lld,%lld) = %.17g, expected %.17g", src,
          n, c, k, v, expect);
}

static void hand_vectors(void) {
    const char *path = svs_shared_path("vectors/grpo_hand_vectors.txt");
    if (!path) return;
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "cannot open %s", path);
    if (!f) return;
    char line[1024];
    int in_f = 0, count = 0;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "## ", 3)) in_f = !strncmp(line, "## F.", 5);
        if (!in_f) continue;
        long long n, c, k;
        const char *d = strstr(line, "20-digit=");
        if (sscanf(line, " n=%lld c=%lld k=%lld:", &n, &c, &k) == 3 && d) {
            check_value(n, c, k, strtod(d + 9, NULL), "hand vector F");
            count++;
        }
    }
    fclose(f);
    CHECK(count == 8, "expected 8 pass@k hand vectors in section F, found %d", count);
}

static void golden_file(void) {
    FILE *f = fopen("golden/passk_golden.txt", "r");
    CHECK(f != NULL, "cannot open golden/passk_golden.txt (make golden)");
    if (!f) return;
    char line[256];
    int count = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        long long n, c, k;
        double v;
        if (sscanf(line, "%lld %lld %lld %lf", &n, &c, &k, &v) != 4) {
            CHECK(0, "malformed golden line: %s", line);
            continue;
        }
        check_value(n, c, k, v, "golden");
        count++;
    }
    fclose(f);
    CHECK(count >= 200, "expected at least 200 golden pass@k values, found %d", count);
    printf("REPORT passk: %d golden values, max abs error %.3g\n", count, max_abs_err);
}

static void edge_cases(void) {
    double v;
    svs_err err = {{0}};
    CHECK(passk_estimate(8, 0, 4, 0, &v, &err) == 0 && v == 0.0, "c = 0 gives 0");
    CHECK(passk_estimate(8, 2, 8, 0, &v, &err) == 0 && v == 1.0, "n - c < k gives 1");
    CHECK(passk_estimate(8, 8, 1, 0, &v, &err) == 0 && v == 1.0, "c = n gives 1");
    CHECK(passk_estimate(4, 0, 5, 0, &v, &err) == -1 && strstr(err.msg, "k = 5 > n = 4"),
          "k > n is an error by default: %s", err.msg);
    CHECK(passk_estimate(4, 0, 5, 1, &v, &err) == 0 && v == 1.0, "human-eval flag: k > n gives 1.0 even with c = 0");
    CHECK(passk_estimate(4, 5, 1, 0, &v, &err) == -1 && strstr(err.msg, "c = 5"), "c > n rejected: %s", err.msg);
    CHECK(passk_estimate(0, 0, 1, 0, &v, &err) == -1, "n = 0 rejected");
    CHECK(passk_estimate(4, 1, 0, 0, &v, &err) == -1, "k = 0 rejected");
    long long ns[3] = {8, 8, 1024}, cs[3] = {2, 0, 3};
    CHECK(passk_mean(ns, cs, 3, 1, 0, &v, &err) == 0 && test_close(v, (0.25 + 0 + 3.0 / 1024) / 3, 1e-15, 0),
          "mean over problems");
    CHECK(passk_mean(ns, cs, 3, 16, 0, &v, &err) == -1 && strstr(err.msg, "problem 1"),
          "mean names the bad problem: %s", err.msg);
}

int main(void) {
    hand_vectors();
    golden_file();
    edge_cases();
    return test_summary();
}
