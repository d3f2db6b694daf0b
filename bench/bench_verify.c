/* bench_verify.c — verdicts per second of the verifier, single thread, on the golden corpus
 * (golden/verifier_corpus.jsonl). Each repeat verifies every case once; the median repeat is
 * reported with the peak memory (max RSS) of the process. Prints one JSON line.
 *
 *   build/bench/bench_verify [CORPUS] [REPEATS]  */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "verify.h"

typedef struct {
    char *gold, *model;
    size_t gold_len, model_len;
    int is_response;
} bench_case;

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "golden/verifier_corpus.jsonl";
    int repeats = argc > 2 ? atoi(argv[2]) : 5;
    if (repeats < 1) repeats = 1;
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "bench_verify: cannot open %s\n", path);
        return 2;
    }
    bench_case *cases = NULL;
    size_t n = 0, cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    while ((len = getline(&line, &lcap, f)) > 0) {
        json_t *o = json_loadb(line, (size_t)len, 0, NULL);
        if (!o) continue;
        json_t *g = json_object_get(o, "gold"), *p = json_object_get(o, "pred"), *r = json_object_get(o, "response");
        if (json_is_string(g) && (json_is_string(p) || json_is_string(r))) {
            if (n == cap) {
                cap = cap ? 2 * cap : 1024;
                cases = realloc(cases, cap * sizeof *cases);
                if (!cases) return 2;
            }
            json_t *m = json_is_string(p) ? p : r;
            cases[n].gold = strdup(json_string_value(g));
            cases[n].gold_len = json_string_length(g);
            cases[n].model = strdup(json_string_value(m));
            cases[n].model_len = json_string_length(m);
            cases[n].is_response = !json_is_string(p);
            n++;
        }
        json_decref(o);
    }
    free(line);
    fclose(f);
    if (n == 0) {
        fprintf(stderr, "bench_verify: no cases in %s\n", path);
        return 2;
    }
    double *times = malloc((size_t)repeats * sizeof *times);
    long equal = 0;
    for (int rep = 0; rep < repeats; rep++) {
        double t0 = now_s();
        equal = 0;
        for (size_t i = 0; i < n; i++) {
            verify_result res;
            if (verify_compare(cases[i].gold, cases[i].gold_len, cases[i].model, cases[i].model_len,
                               cases[i].is_response, NULL, &res, NULL) == 0) {
                equal += res.correct;
                verify_result_free(&res);
            }
        }
        times[rep] = now_s() - t0;
    }
    qsort(times, (size_t)repeats, sizeof *times, cmp_double);
    double med = times[repeats / 2];
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("{\"bench\":\"verify\",\"impl\":\"svs.c\",\"cases\":%zu,\"equal\":%ld,\"repeats\":%d,"
           "\"median_s\":%.6f,\"verdicts_per_s\":%.1f,\"max_rss_kb\":%ld}\n",
           n, equal, repeats, med, (double)n / med, ru.ru_maxrss);
    for (size_t i = 0; i < n; i++) {
        free(cases[i].gold);
        free(cases[i].model);
    }
    free(cases);
    free(times);
    return 0;
}
