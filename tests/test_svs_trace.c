/* test_svs_trace.c — the golden trace of one deterministic SvS step on the shipped tiny model.
 *
 * Runs `svs rl --mode svs --backend ref --steps 1 --trace` on data/tiny/ with the problems and
 * settings recorded in golden/svs_step_tiny.args, and compares the trace with
 * golden/svs_step_tiny.jsonl (made by golden/gen_svs_trace.sh with the same command): every
 * string, integer and boolean exactly (seeds, synthesis texts, extracted problems, SPA counts,
 * synthesis rewards, batch rows), every real within rel 1e-5 (loss, entropy, grad norm: the
 * reference backend is deterministic; the slack only absorbs libm differences between
 * machines). It also checks the trace against the rules of spec/svs-algorithm.md §2 on its own
 * (selection band, seeds = correct responses of selected problems, synthesis reward band,
 * batch composition), so a golden regenerated from a broken step would still fail. */
#include <jansson.h>

#include "testlib.h"

#define REL_TOL 1e-5
#define ABS_TOL 1e-7

static json_t *read_jsonl(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    json_t *arr = json_array();
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        json_error_t je;
        json_t *o = json_loads(line, 0, &je);
        if (!o) { fprintf(stderr, "%s: bad line: %s\n", path, je.text); json_decref(arr); arr = NULL; break; }
        json_array_append_new(arr, o);
    }
    free(line);
    fclose(f);
    return arr;
}

/* Recursive comparison; prints the path of the first difference of each line. */
static int same_json(const json_t *a, const json_t *b, char *path, size_t plen, double *max_rel) {
    if (json_is_number(a) && json_is_number(b) && (json_is_real(a) || json_is_real(b))) {
        double x = json_number_value(a), y = json_number_value(b);
        double rel = fabs(x - y) / fmax(fabs(y), 1e-30);
        if (fabs(x - y) > ABS_TOL && rel > *max_rel) *max_rel = rel;
        if (test_close(x, y, REL_TOL, ABS_TOL)) return 1;
        fprintf(stderr, "  %s: %.9g vs golden %.9g\n", path, x, y);
        return 0;
    }
    if (json_typeof(a) != json_typeof(b)) { fprintf(stderr, "  %s: type differs\n", path); return 0; }
    if (json_is_object(a)) {
        if (json_object_size(a) != json_object_size(b)) { fprintf(stderr, "  %s: key count differs\n", path); return 0; }
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)a, k, v) {
            json_t *w = json_object_get(b, k);
            size_t n = strlen(path);
            snprintf(path + n, plen - n, ".%s", k);
            int ok = w && same_json(v, w, path, plen, max_rel);
            if (!w) fprintf(stderr, "  %s: missing in golden\n", path);
            path[n] = 0;
            if (!ok) return 0;
        }
        return 1;
    }
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b)) { fprintf(stderr, "  %s: length differs\n", path); return 0; }
        for (size_t i = 0; i < json_array_size(a); i++) {
            size_t n = strlen(path);
            snprintf(path + n, plen - n, "[%zu]", i);
            int ok = same_json(json_array_get(a, i), json_array_get(b, i), path, plen, max_rel);
            path[n] = 0;
            if (!ok) return 0;
        }
        return 1;
    }
    if (json_equal((json_t *)a, (json_t *)b)) return 1;
    fprintf(stderr, "  %s: differs\n", path);
    return 0;
}

static const char *stage_of(const json_t *o) { return json_string_value(json_object_get(o, "stage")); }
static double num(const json_t *o, const char *k) { return json_number_value(json_object_get(o, k)); }

/* The rules of the step, checked on the trace alone (n samples per stage, default bounds). */
static void check_rules(const json_t *tr, int n) {
    int seeds_expected = 0, seeds = 0, synth = 0, reward1 = 0, under = 0;
    size_t rows_kind[3] = {0}, oqa_mixed = 0;
    const json_t *batch = NULL;
    for (size_t i = 0; i < json_array_size(tr); i++) {
        const json_t *o = json_array_get(tr, i);
        const char *st = stage_of(o);
        if (!strcmp(st, "oqa")) {
            double acc = num(o, "acc");
            int sel = acc >= 0.125 && acc <= 0.5; /* §2.2, inclusive */
            CHECK(json_is_true(json_object_get(o, "under_performing")) == sel, "oqa problem %d: acc %g selection", (int)num(o, "problem"), acc);
            if (sel) seeds_expected += (int)lround(acc * n), under++;
            if (acc > 0 && acc < 1) oqa_mixed++;
        } else if (!strcmp(st, "seed")) {
            seeds++;
        } else if (!strcmp(st, "synthesis")) {
            synth++;
            int valid = json_is_true(json_object_get(o, "valid"));
            double cnt = num(o, "spa_count"), r = num(o, "synthesis_reward");
            int want = valid && cnt >= 0.125 * n && cnt <= 0.625 * n; /* §2.7 */
            CHECK((r == 1.0) == want && (r == 0.0 || r == 1.0), "synthesis line %zu: count %g reward %g", i, cnt, r);
            CHECK(valid || cnt == -1, "invalid synthesis has count %g", cnt);
            reward1 += r == 1.0;
        } else if (!strcmp(st, "batch")) {
            batch = o;
        }
    }
    CHECK(seeds == seeds_expected, "seeds %d, expected %d (correct responses of selected problems)", seeds, seeds_expected);
    CHECK(batch != NULL, "no batch line");
    if (!batch) return;
    const json_t *rows = json_object_get(batch, "rows");
    for (size_t i = 0; i < json_array_size(rows); i++) {
        const char *k = json_string_value(json_array_get(json_array_get(rows, i), 0));
        rows_kind[!strcmp(k, "OQA") ? 0 : !strcmp(k, "VPS") ? 1 : 2]++;
    }
    /* §2.8: OQA rows = the n rows of each problem with 0 < acc < 1 */
    CHECK(rows_kind[0] == oqa_mixed * (size_t)n, "OQA rows %zu, expected %zu", rows_kind[0], oqa_mixed * (size_t)n);
    CHECK(rows_kind[0] == (size_t)num(batch, "n_oqa") && rows_kind[1] == (size_t)num(batch, "n_vps") &&
              rows_kind[2] == (size_t)num(batch, "n_spa"),
          "batch counts vs rows");
    CHECK(rows_kind[1] % (size_t)n == 0 && rows_kind[2] % (size_t)n == 0, "VPS/SPA rows come in groups of n");
    fprintf(stderr, "REPORT trace: %d under-performing problems, %d seeds, %d synthesis samples, %d with reward 1, "
                    "batch OQA/VPS/SPA rows %zu/%zu/%zu\n",
            under, seeds, synth, reward1, rows_kind[0], rows_kind[1], rows_kind[2]);
}

int main(void) {
    const char *svs = getenv("SVS") ? getenv("SVS") : "bin/svs";
    const char *build = getenv("SVS_BUILD") ? getenv("SVS_BUILD") : "build";
    if (access("data/tiny/model.safetensors", R_OK)) {
        CHECK(0, "data/tiny/model.safetensors missing (make tiny-model)");
        return test_summary();
    }
    FILE *af = fopen("golden/svs_step_tiny.args", "r");
    CHECK(af != NULL, "golden/svs_step_tiny.args missing");
    if (!af) return test_summary();
    char args[2048] = {0};
    size_t an = fread(args, 1, sizeof args - 1, af);
    fclose(af);
    args[an] = 0;
    for (char *p = args; *p; p++) if (*p == '\n') *p = ' ';
    char out[1024], cmd[8192], trace[1100];
    snprintf(out, sizeof out, "%s/tests/svs_trace_run", build);
    snprintf(trace, sizeof trace, "%s/tests/svs_trace.jsonl", build);
    snprintf(cmd, sizeof cmd, "rm -rf %s && %s rl %s --out %s --trace %s 2>/dev/null", out, svs, args, out, trace);
    int rc = system(cmd);
    CHECK(rc == 0, "command failed (%d): %s", rc, cmd);
    json_t *got = read_jsonl(trace), *want = read_jsonl("golden/svs_step_tiny.jsonl");
    CHECK(got && want, "cannot read the traces");
    if (!got || !want) return test_summary();
    CHECK(json_array_size(got) == json_array_size(want), "trace lines %zu vs golden %zu", json_array_size(got),
          json_array_size(want));
    double max_rel = 0;
    size_t same = 0;
    for (size_t i = 0; i < json_array_size(got) && i < json_array_size(want); i++) {
        char path[512];
        snprintf(path, sizeof path, "line %zu (%s)", i + 1, stage_of(json_array_get(want, i)));
        int ok = same_json(json_array_get(got, i), json_array_get(want, i), path, sizeof path, &max_rel);
        CHECK(ok, "trace line %zu differs from the golden", i + 1);
        same += ok;
    }
    fprintf(stderr, "REPORT trace vs golden: %zu/%zu lines identical, max rel difference of reals %.3g (tol %g)\n",
            same, json_array_size(want), max_rel, REL_TOL);
    int n = 0;
    const char *p = strstr(args, "--n ");
    if (p) n = atoi(p + 4);
    CHECK(n > 0, "--n missing from the args");
    if (n > 0) check_rules(got, n);
    json_decref(got);
    json_decref(want);
    return test_summary();
}
