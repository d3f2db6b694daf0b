/* grpo_golden.h — what tests/test_grpo_verl.c and tests/test_grpo_trl.c share: reading the
 * golden JSONL (a header line, then one batch per line), JSON arrays as float / int64 buffers,
 * and the log-prob / entropy check from logits. Each test keeps its own batch layout, error
 * statistics and tolerances. */
#ifndef SVS_TESTS_GRPO_GOLDEN_H
#define SVS_TESTS_GRPO_GOLDEN_H

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "grpo.h"
#include "testlib.h"

#define U32 (1.0 / 16777216.0) /* float32 unit roundoff */

/* a JSON number, or NaN for null (the generators write NaN as null) */
static inline float gg_num(json_t *v) { return json_is_number(v) ? (float)json_number_value(v) : NAN; }

/* root[k] as n floats (malloc'ed), or NULL when missing or not of length n */
static inline float *gg_farr(json_t *root, const char *k, size_t n) {
    json_t *a = json_object_get(root, k);
    if (!json_is_array(a) || json_array_size(a) != n) return NULL;
    float *x = malloc((n ? n : 1) * sizeof *x);
    for (size_t i = 0; i < n && x; i++) x[i] = gg_num(json_array_get(a, i));
    return x;
}

/* root[k] as n int64 (malloc'ed), or NULL when missing or not of length n */
static inline int64_t *gg_iarr(json_t *root, const char *k, size_t n) {
    json_t *a = json_object_get(root, k);
    if (!json_is_array(a) || json_array_size(a) != n) return NULL;
    int64_t *x = malloc((n ? n : 1) * sizeof *x);
    for (size_t i = 0; i < n && x; i++) x[i] = json_integer_value(json_array_get(a, i));
    return x;
}

/* Calls check(batch, id) for every batch line of `path` (ids from 1); the header line's
 * string field `lib` (the library version) goes to version[cap]. Returns the batch count. */
static inline long gg_each_batch(const char *path, const char *lib, char *version, size_t cap,
                                 void (*check)(json_t *batch, long id)) {
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "cannot open %s (see golden/README.md)", path);
    if (!f) return 0;
    char *line = NULL;
    size_t lcap = 0;
    long batches = 0;
    while (getline(&line, &lcap, f) > 0) {
        json_error_t je;
        json_t *r = json_loads(line, 0, &je);
        CHECK(r != NULL, "%s: golden line: %s", path, je.text);
        if (!r) continue;
        if (json_is_true(json_object_get(r, "header")))
            snprintf(version, cap, "%s", json_string_value(json_object_get(r, lib)));
        else
            check(r, ++batches);
        json_decref(r);
    }
    free(line);
    fclose(f);
    return batches;
}

typedef void (*gg_cmp_fn)(int q, long id, const char *what, double ours, double ref, double tol);

/* grpo_logprob / grpo_entropy of n rows of V logits (temperature T) against the library's
 * lp[n], ent[n]: tolerance 2e-6 relative + 16 u32 (max|z/T| + 1), the rounding of a float32
 * log-softmax. Compared through the test's own cmp under quantities q_logp, q_ent. */
static inline void gg_check_logits(const grpo_config *c, const float *logits, const int64_t *labels, size_t n,
                                   size_t V, double T, const float *lp, const float *ent, gg_cmp_fn cmp, int q_logp,
                                   int q_ent, long id) {
    for (size_t k = 0; k < n; k++) {
        const float *z = logits + k * V;
        double zmax = 0;
        for (size_t j = 0; j < V; j++) zmax = fmax(zmax, fabs(z[j] / T));
        float ol, oh;
        svs_err err = {{0}};
        CHECK(grpo_logprob(c, z, V, (size_t)labels[k], &ol, NULL, &err) == 0, "%s", err.msg);
        CHECK(grpo_entropy(c, z, V, &oh, NULL, &err) == 0, "%s", err.msg);
        cmp(q_logp, id, "logp", ol, lp[k], 2e-6 * fabs(lp[k]) + 16 * U32 * (zmax + 1));
        cmp(q_ent, id, "H", oh, ent[k], 2e-6 * fabs(ent[k]) + 16 * U32 * (zmax + 1));
    }
}

#endif
