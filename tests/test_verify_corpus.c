/* test_verify_corpus.c — the verifier on the golden corpus (golden/verifier_corpus.jsonl,
 * written by golden/gen_verifier_corpus.py): >= 2,000 realistic cases built from MATH-500,
 * AIME and GSM8K answers, equivalent rewrites and near-miss negatives, each with the verdict it
 * was built to have ("expected") and math-verify 0.8.0's verdict ("mv").
 *
 * Fails on any case whose verdict differs from "expected" unless the case is listed, with the
 * rule that explains it, in tests/verifier_corpus_disagreements.tsv (a listed case that now
 * agrees also fails, so the list stays exact). Agreement with math-verify is reported per
 * family, not failed: math-verify is a reference point, not the label (spec/verifier.md §9). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "verify.h"

#define MAX_FAMILIES 128

typedef struct {
    char name[64];
    int n, agree_expected, agree_mv;
} family_stat;

static family_stat fams[MAX_FAMILIES];
static int nfams;

static family_stat *family(const char *name) {
    for (int i = 0; i < nfams; i++)
        if (!strcmp(fams[i].name, name)) return &fams[i];
    if (nfams == MAX_FAMILIES) return &fams[MAX_FAMILIES - 1];
    snprintf(fams[nfams].name, sizeof fams[nfams].name, "%s", name);
    return &fams[nfams++];
}

/* the explained disagreements: "id<TAB>reason" lines */
static char **allowed;
static int *allowed_used;
static int nallowed;

static void load_allowed(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return;
    char line[2048];
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        char *tab = strchr(line, '\t');
        CHECK(tab && strlen(tab + 1) > 5, "%s: every line needs an id, a TAB and a reason: %s", path, line);
        if (!tab) continue;
        *tab = 0;
        allowed = realloc(allowed, (size_t)(nallowed + 1) * sizeof *allowed);
        allowed_used = realloc(allowed_used, (size_t)(nallowed + 1) * sizeof *allowed_used);
        allowed[nallowed] = strdup(line);
        allowed_used[nallowed] = 0;
        nallowed++;
    }
    fclose(f);
}

static int is_allowed(const char *id) {
    for (int i = 0; i < nallowed; i++)
        if (!strcmp(allowed[i], id)) {
            allowed_used[i] = 1;
            return 1;
        }
    return 0;
}

int main(void) {
    const char *path = "golden/verifier_corpus.jsonl";
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "cannot open %s (make golden)", path);
    if (!f) return test_summary();
    load_allowed("tests/verifier_corpus_disagreements.tsv");
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int n = 0, agree_exp = 0, agree_mv = 0, header = 0;
    while ((len = getline(&line, &cap, f)) > 0) {
        json_error_t je;
        json_t *o = json_loadb(line, (size_t)len, JSON_ALLOW_NUL, &je);
        CHECK(o != NULL, "%s: invalid JSON line: %s", path, je.text);
        if (!o) continue;
        if (json_is_true(json_object_get(o, "header"))) {
            header = 1;
            json_t *mv = json_object_get(o, "math_verify");
            printf("REPORT corpus: generated with math-verify %s\n", json_is_string(mv) ? json_string_value(mv) : "?");
            json_decref(o);
            continue;
        }
        const char *id = json_string_value(json_object_get(o, "id"));
        const char *gold = json_string_value(json_object_get(o, "gold"));
        json_t *jp = json_object_get(o, "pred"), *jr = json_object_get(o, "response");
        json_t *jm = json_is_string(jp) ? jp : jr;
        const char *fam = json_string_value(json_object_get(o, "family"));
        json_t *je_ = json_object_get(o, "expected"), *jmv = json_object_get(o, "mv");
        if (!id || !gold || !json_is_string(jm) || !fam || !json_is_boolean(je_) || !json_is_boolean(jmv)) {
            CHECK(0, "%s: malformed case: %.200s", path, line);
            json_decref(o);
            continue;
        }
        verify_result r;
        svs_err err = {{0}};
        int rc = verify_compare(gold, strlen(gold), json_string_value(jm), json_string_length(jm), jm == jr, NULL, &r, &err);
        CHECK(rc == 0, "%s: error %s", id, err.msg);
        if (rc == 0) {
            int expected = json_is_true(je_), mv = json_is_true(jmv);
            family_stat *fs = family(fam);
            fs->n++;
            n++;
            fs->agree_expected += r.correct == expected;
            fs->agree_mv += r.correct == mv;
            agree_exp += r.correct == expected;
            agree_mv += r.correct == mv;
            if (r.correct != expected && !is_allowed(id)) {
                CHECK(0, "%s [%s]: ours %d, expected %d, math-verify %d | gold=%.120s | extracted=%.120s | reason=%s", id,
                      fam, r.correct, expected, mv, gold, r.extracted, r.reason);
            } else {
                CHECK(1, "ok");
            }
            verify_result_free(&r);
        }
        json_decref(o);
    }
    free(line);
    fclose(f);
    CHECK(header, "%s: no header line", path);
    CHECK(n >= 2000, "%s: %d cases, need >= 2000", path, n);
    for (int i = 0; i < nallowed; i++) {
        CHECK(allowed_used[i], "tests/verifier_corpus_disagreements.tsv lists %s, which now agrees or no longer exists: remove it", allowed[i]);
        free(allowed[i]);
    }
    free(allowed);
    free(allowed_used);
    for (int i = 0; i < nfams; i++)
        printf("REPORT corpus family %-36s n=%4d  ours=expected %5.1f%%  ours=math-verify %5.1f%%\n", fams[i].name, fams[i].n,
               100.0 * fams[i].agree_expected / fams[i].n, 100.0 * fams[i].agree_mv / fams[i].n);
    printf("REPORT corpus: %d cases; ours = expected on %d (%.2f%%), %d explained; ours = math-verify on %d (%.2f%%)\n", n,
           agree_exp, n ? 100.0 * agree_exp / n : 0, nallowed, agree_mv, n ? 100.0 * agree_mv / n : 0);
    return test_summary();
}
