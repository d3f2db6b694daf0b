/* cmd_passk.c — `svs passk`: the unbiased pass@k estimate for one (n, c, k), or the mean over
 * the problems of a JSONL file for a list of k (ref/passk.h). */
#include <stdlib.h>
#include <string.h>

#include "../passk.h"
#include "cli.h"

static const char *HELP =
    "usage: svs passk -n N -c C -k K [--humaneval-k-gt-n]\n"
    "       svs passk --jsonl FILE -k K1,K2,... [--humaneval-k-gt-n]\n\n"
    "Unbiased pass@k estimator (Chen et al. 2021): 1 - C(n-c,k)/C(n,k), computed in double\n"
    "with the stable product form 1 - prod_{i=n-c+1}^{n} (1 - k/i).\n\n"
    "  -n N, -c C, -k K     samples, correct samples, k; prints the estimate (17 significant\n"
    "                       digits)\n"
    "  --jsonl FILE         one problem per line: {\"n\": N, \"c\": C} or {\"correct\": [bool,...]};\n"
    "                       prints one line {\"k\": K, \"pass_at_k\": MEAN, \"problems\": P} per k\n"
    "  -k K1,K2,...         with --jsonl: the list of k\n"
    "  --humaneval-k-gt-n   k > n returns 1.0 as openai/human-eval does (default: error)\n\n"
    "Edge cases: c = 0 -> 0; n - c < k -> 1; k > n -> error (see docs/passk.md).\n";

static long long json_count(cli_jsonl *r, json_t *obj, const char *field) {
    json_t *v = json_object_get(obj, field);
    if (!v) return -1;
    if (!json_is_integer(v)) cli_die("%s:%ld: field \"%s\": expected an integer", r->path, r->lineno, field);
    return json_integer_value(v);
}

static int run_jsonl(const char *path, const char *klist, int hek) {
    long long *ns = NULL, *cs = NULL;
    size_t np = 0, cap = 0;
    cli_jsonl r;
    cli_jsonl_open(&r, path);
    json_t *obj;
    while ((obj = cli_jsonl_next(&r))) {
        long long n = json_count(&r, obj, "n"), c = json_count(&r, obj, "c");
        json_t *arr = json_object_get(obj, "correct");
        if (arr) {
            if (!json_is_array(arr)) cli_die("%s:%ld: field \"correct\": expected an array", r.path, r.lineno);
            n = (long long)json_array_size(arr);
            c = 0;
            for (size_t i = 0; i < json_array_size(arr); i++) {
                json_t *b = json_array_get(arr, i);
                if (!json_is_boolean(b) && !json_is_integer(b))
                    cli_die("%s:%ld: field \"correct\"[%zu]: expected a boolean or 0/1", r.path, r.lineno, i);
                c += json_is_true(b) || (json_is_integer(b) && json_integer_value(b) != 0);
            }
        } else if (n < 0 || c < 0) {
            cli_die("%s:%ld: expected fields \"n\" and \"c\", or \"correct\"", r.path, r.lineno);
        }
        if (np == cap) {
            cap = cap ? cap * 2 : 64;
            ns = realloc(ns, cap * sizeof *ns);
            cs = realloc(cs, cap * sizeof *cs);
            if (!ns || !cs) cli_die("out of memory");
        }
        ns[np] = n;
        cs[np] = c;
        np++;
        json_decref(obj);
    }
    cli_jsonl_close(&r);
    char *list = strdup(klist), *save = NULL;
    if (!list) cli_die("out of memory");
    for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        long long k = cli_int("-k", tok, 1, (long long)1 << 40);
        double v;
        svs_err err = {{0}};
        if (passk_mean(ns, cs, np, k, hek, &v, &err)) cli_die("%s: %s", path, err.msg);
        printf("{\"k\":%lld,\"pass_at_k\":%.17g,\"problems\":%zu}\n", k, v, np);
    }
    free(list);
    free(ns);
    free(cs);
    return 0;
}

int cmd_passk(int argc, char **argv) {
    long long n = -1, c = -1, k = -1;
    const char *jsonl = NULL, *klist = NULL;
    int hek = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) { fputs(HELP, stdout); return 0; }
        else if (!strcmp(a, "-n")) n = cli_int("-n", cli_value(argc, argv, &i), 0, (long long)1 << 40);
        else if (!strcmp(a, "-c")) c = cli_int("-c", cli_value(argc, argv, &i), 0, (long long)1 << 40);
        else if (!strcmp(a, "-k")) klist = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--jsonl")) jsonl = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--humaneval-k-gt-n")) hek = 1;
        else cli_die("passk: unknown option \"%s\" (svs passk --help)", a);
    }
    if (!klist) cli_die("passk: -k is required (svs passk --help)");
    if (jsonl) return run_jsonl(jsonl, klist, hek);
    if (n < 0 || c < 0) cli_die("passk: -n and -c are required (svs passk --help)");
    k = cli_int("-k", klist, 0, (long long)1 << 40);
    double v;
    svs_err err = {{0}};
    if (passk_estimate(n, c, k, hek, &v, &err)) cli_die_err(&err);
    printf("%.17g\n", v);
    return 0;
}
