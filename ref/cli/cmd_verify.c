/* cmd_verify.c — `svs verify`: the math answer verifier on the command line (ref/verify.h,
 * spec/verifier.md). JSONL in, JSONL out, one output line per input line, in order. */
#include <stdlib.h>
#include <string.h>

#include "../jsonl.h"
#include "../verify.h"
#include "cli.h"

static const char *HELP =
    "usage: svs verify --jsonl FILE [--profile default|svs] [--policy NAME=VALUE]...\n"
    "       svs verify --gold G (--response R | --pred P) [--profile ...] [--policy ...]\n\n"
    "Decides whether a model answer equals the reference answer: extract -> normalize ->\n"
    "parse -> compare (docs/verifier.md). The verdict is the 0/1 reward of an RL step.\n\n"
    "  --jsonl FILE      lines {\"gold\": str, \"pred\": str} (an extracted answer) or\n"
    "                    {\"gold\": str, \"response\": str} (a whole model response); \"-\" = stdin.\n"
    "                    Output lines: {\"correct\": bool, \"extracted\": str, \"gold_extracted\": str,\n"
    "                    \"reason\": str, \"limit\": str|null} (+ \"id\" copied when present)\n"
    "  --gold G          reference answer (may be a whole solution; its answer is extracted)\n"
    "  --response R      whole model response: prints 1 (equal) or 0\n"
    "  --pred P          already extracted answer: prints 1 or 0\n"
    "  --profile P       default (mathematically correct) | svs (close to the official SvS reward)\n"
    "  --policy N=V      one switch: decimal=sig:6|exact|round:N|rel:T, percent=default|mv|strip|qwen,\n"
    "                    lists=ordered|unordered, relations=gold|symmetric, bases=digits|value,\n"
    "                    units=end|none|anywhere, vectors=loose|strict, letters=on|boxed,\n"
    "                    assign=both|gold, vars=strict|positional, decimal_comma=on|off\n"
    "  -v, --verbose     with --gold: also print the extracted answers and the reason on stderr\n";

static void add_policy(verify_policy *pol, const char *spec) {
    svs_err err = {{0}};
    if (verify_policy_set(pol, spec, &err)) cli_die("verify: %s", err.msg);
}

static json_t *result_json(const verify_result *res, json_t *id) {
    json_t *o = json_object();
    if (id) json_object_set(o, "id", id);
    json_object_set_new(o, "correct", json_boolean(res->correct));
    json_object_set_new(o, "extracted", json_string(res->extracted ? res->extracted : ""));
    json_object_set_new(o, "gold_extracted", json_string(res->gold_extracted ? res->gold_extracted : ""));
    json_object_set_new(o, "reason", json_string(res->reason ? res->reason : ""));
    json_object_set_new(o, "limit", res->limit ? json_string(res->limit) : json_null());
    return o;
}

static int run_jsonl(const char *path, const verify_policy *pol) {
    cli_jsonl r;
    cli_jsonl_open(&r, path);
    json_t *obj;
    while ((obj = cli_jsonl_next(&r))) {
        jsonl_verify_line in;
        verify_result res;
        svs_err err = {{0}};
        if (jsonl_verify_fields(obj, &in, &err) ||
            verify_compare(in.gold, in.gold_len, in.model, in.model_len, in.is_response, pol, &res, &err)) {
            /* free before exiting, so that leak checkers stay quiet on the error path too */
            char where[600];
            snprintf(where, sizeof where, "%s:%ld", r.path, r.lineno);
            json_decref(obj);
            cli_jsonl_close(&r);
            cli_die("%s: %s", where, err.msg);
        }
        json_t *out = result_json(&res, json_object_get(obj, "id"));
        cli_print_json(out);
        json_decref(out);
        verify_result_free(&res);
        json_decref(obj);
    }
    cli_jsonl_close(&r);
    if (fflush(stdout)) cli_die("write error on stdout");
    return 0;
}

int cmd_verify(int argc, char **argv) {
    verify_policy pol;
    verify_policy_default(&pol);
    const char *jsonl = NULL, *gold = NULL, *response = NULL, *pred = NULL;
    int verbose = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) { fputs(HELP, stdout); return 0; }
        else if (!strcmp(a, "--jsonl")) jsonl = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--gold")) gold = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--response")) response = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--pred")) pred = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--profile")) {
            char spec[64];
            snprintf(spec, sizeof spec, "profile=%s", cli_value(argc, argv, &i));
            add_policy(&pol, spec);
        } else if (!strcmp(a, "--policy")) add_policy(&pol, cli_value(argc, argv, &i));
        else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) verbose = 1;
        else cli_die("verify: unknown option \"%s\" (svs verify --help)", a);
    }
    if (jsonl) {
        if (gold || response || pred) cli_die("verify: --jsonl cannot be combined with --gold/--response/--pred");
        return run_jsonl(jsonl, &pol);
    }
    if (!gold) cli_die("verify: give --jsonl FILE, or --gold G with --response R or --pred P");
    if (!!response + !!pred != 1) cli_die("verify: give exactly one of --response and --pred");
    const char *model = response ? response : pred;
    verify_result res;
    svs_err err = {{0}};
    if (verify_compare(gold, strlen(gold), model, strlen(model), response != NULL, &pol, &res, &err))
        cli_die_err(&err);
    if (verbose)
        fprintf(stderr, "gold_extracted=%s\nextracted=%s\nreason=%s\nlimit=%s\n", res.gold_extracted,
                res.extracted, res.reason, res.limit ? res.limit : "none");
    printf("%d\n", res.correct ? 1 : 0);
    verify_result_free(&res);
    return 0;
}
