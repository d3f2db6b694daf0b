/* cmd_eval.c — `svs eval`: n samples per problem, verified; avg@n and pass@k (k = 1, 2, 4, ...,
 * n, or --k-list) per data_source and overall (spec/svs-algorithm.md §5; docs/rl.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../passk.h"
#include "../rl_data.h"
#include "../rl_loop.h"
#include "cli.h"
#include "cli_model.h"

static const char EVAL_HELP[] =
    "usage: svs eval --model PATH --tokenizer T --data FILE --n N [options]\n\n"
    "Samples N responses per problem, verifies them, and prints one JSON line per data_source\n"
    "(in order of first appearance) and one with \"data_source\": \"all\":\n"
    "  {\"data_source\", \"problems\", \"n\", \"avg@N\", \"pass@1\", \"pass@2\", ...}\n\n"
    "  --data FILE          the formats of svs rl (docs/rl.md)\n"
    "  --k-list 1,2,4       k values (default 1, 2, 4, ... up to n, and n)\n"
    "  --max-new-tokens L   (default 512)\n"
    "  --temperature T      (default 1.0; 0 = greedy)   --top-p P (default 1)\n"
    "  --seed S             (default 0)\n"
    "  --batch-problems B   problems sampled together (default 8)\n"
    "  --chat-template C    qwen2_5 (default) | llama3\n"
    "  --svs-eval-prompt    question + \". Please reason ...\" (the SvS evaluation script's period)\n"
    CLI_BACKEND_HELP;

int cmd_eval(int argc, char **argv) {
    const char *model_path = NULL, *tokp = NULL, *data = NULL, *klist = NULL, *tpl_name = "qwen2_5";
    long long n = 1, max_new = 512, seed = 0, B = 8;
    double temperature = 1.0, top_p = 1.0;
    int svs_prompt = 0;
    cli_backend_opts backend = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) { fputs(EVAL_HELP, stdout); return 0; }
        else if (cli_backend_option(argc, argv, &i, &backend)) continue;
        else if (!strcmp(a, "--model")) model_path = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--tokenizer")) tokp = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--data")) data = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--k-list")) klist = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--chat-template")) tpl_name = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--svs-eval-prompt")) svs_prompt = 1;
        else if (!strcmp(a, "--n")) n = cli_int(a, cli_value(argc, argv, &i), 1, 1 << 16);
        else if (!strcmp(a, "--max-new-tokens")) max_new = cli_int(a, cli_value(argc, argv, &i), 1, 1 << 20);
        else if (!strcmp(a, "--seed")) seed = cli_int(a, cli_value(argc, argv, &i), 0, INT64_MAX);
        else if (!strcmp(a, "--batch-problems")) B = cli_int(a, cli_value(argc, argv, &i), 1, 1 << 20);
        else if (!strcmp(a, "--temperature")) temperature = cli_double(a, cli_value(argc, argv, &i));
        else if (!strcmp(a, "--top-p")) top_p = cli_double(a, cli_value(argc, argv, &i));
        else cli_die("eval: unknown option \"%s\" (svs eval --help)", a);
    }
    if (!model_path || !tokp || !data) cli_die("eval: --model, --tokenizer and --data are required (svs eval --help)");
    if (!(temperature >= 0)) cli_die("option --temperature: must be >= 0");
    if (!(top_p > 0) || top_p > 1) cli_die("option --top-p: must be in (0, 1]");
    long long ks[64];
    int nk = 0;
    if (klist) {
        for (const char *p = klist; *p;) {
            char *e;
            long long k = strtoll(p, &e, 10);
            if (e == p || k < 1 || k > n || nk == 64) cli_die("option --k-list: expected integers in [1, n], got \"%s\"", klist);
            ks[nk++] = k;
            p = *e == ',' ? e + 1 : e;
            if (*e && *e != ',') cli_die("option --k-list: expected integers in [1, n], got \"%s\"", klist);
        }
    } else {
        for (long long k = 1; k <= n && nk < 63; k *= 2) ks[nk++] = k;
        if (ks[nk - 1] != n) ks[nk++] = n;
    }
    svs_err err = {{0}};
    tok_tokenizer *tok = NULL;
    tok_chat_template tpl;
    if (tok_chat_template_parse(tpl_name, &tpl, &err)) cli_die("option --chat-template: %s", err.msg);
    tok = cli_load_tokenizer(tokp);
    rl_dataset ds;
    if (rl_data_load(data, &ds, &err)) cli_die_err(&err);
    if (svs_prompt) /* " Please reason" -> ". Please reason" on question rows */
        for (size_t i = 0; i < ds.n; i++) {
            char *c = ds.p[i].contents[ds.p[i].n_msgs - 1];
            size_t cl = strlen(c), ml = strlen(RL_MATH_INSTRUCTION);
            if (cl >= ml && !strcmp(c + cl - ml, RL_MATH_INSTRUCTION)) c[cl - ml] = '.';
        }
    if (rl_data_encode(&ds, tok, tpl, &err)) cli_die("%s: %s", data, err.msg);
    model *m = cli_load_model(model_path);
    cli_backend_apply(m, &backend);
    int32_t stop[16];
    int n_stop = 0;
    for (int i = 0; i < m->cfg.n_eos && n_stop < 15; i++) stop[n_stop++] = (int32_t)m->cfg.eos_token_ids[i];
    int32_t eot = tok_token_to_id(tok, tpl == TOK_CHAT_LLAMA3 ? "<|eot_id|>" : "<|im_end|>");
    if (eot >= 0) stop[n_stop++] = eot;
    model_gen_params gp = {(int)max_new, stop, n_stop, NULL, NULL, {(float)temperature, 0, (float)top_p}};
    svs_rng rng;
    svs_rng_seed(&rng, (uint64_t)seed);
    long long *cnt = calloc(ds.n, sizeof *cnt), *nn = calloc(ds.n, sizeof *nn);
    for (size_t p0 = 0; p0 < ds.n; p0 += (size_t)B) {
        int b = (int)(ds.n - p0 < (size_t)B ? ds.n - p0 : (size_t)B), R = b * (int)n, T = 1;
        for (int i = 0; i < b; i++) {
            if (ds.p[p0 + i].n_ids > T) T = ds.p[p0 + i].n_ids;
            for (int j = 0; j < ds.p[p0 + i].n_ids; j++)
                if (ds.p[p0 + i].ids[j] >= m->V) cli_die("%s:%zu: token id %d outside the model's vocab", data, p0 + i + 1, ds.p[p0 + i].ids[j]);
        }
        int32_t *ids = calloc((size_t)R * T, sizeof *ids);
        int *lens = calloc((size_t)R, sizeof *lens);
        for (int r = 0; r < R; r++) {
            const rl_problem *p = &ds.p[p0 + r / n];
            memcpy(ids + (size_t)r * T, p->ids, (size_t)p->n_ids * sizeof *ids);
            lens[r] = p->n_ids;
        }
        model_batch pb = {R, T, ids, lens};
        model_gen_out *go = calloc((size_t)R, sizeof *go);
        if (model_generate(m, &pb, &gp, &rng, go, &err)) cli_die_err(&err);
        for (int r = 0; r < R; r++) {
            char *text;
            size_t tl;
            if (tok_decode(tok, go[r].ids, (size_t)go[r].n, 1, &text, &tl, &err)) cli_die_err(&err);
            cnt[p0 + r / n] += rl_reward(RL_REWARD_VERIFY, ds.p[p0 + r / n].answer, text, go[r].ids, go[r].n) > 0;
            nn[p0 + r / n] = n;
            free(text);
        }
        model_gen_out_free(go, R);
        free(go); free(ids); free(lens);
        fprintf(stderr, "\reval %zu/%zu problems", p0 + (size_t)b, ds.n);
    }
    fprintf(stderr, "\n");
    /* groups: each distinct data_source in order of first appearance, then "all" */
    long long *gn = malloc(ds.n * sizeof *gn), *gc = malloc(ds.n * sizeof *gc);
    char *done = calloc(ds.n + 1, 1);
    for (size_t g = 0; g <= ds.n; g++) {
        const char *src = g < ds.n ? ds.p[g].data_source : "all";
        if (g < ds.n && done[g]) continue;
        size_t np = 0;
        double avg = 0;
        for (size_t i = 0; i < ds.n; i++) {
            if (g < ds.n && strcmp(ds.p[i].data_source, src)) continue;
            if (g < ds.n) done[i] = 1;
            gn[np] = nn[i];
            gc[np] = cnt[i];
            avg += (double)cnt[i] / (double)n;
            np++;
        }
        json_t *j = json_object();
        char key[64];
        json_object_set_new(j, "data_source", json_string(src));
        json_object_set_new(j, "problems", json_integer((json_int_t)np));
        json_object_set_new(j, "n", json_integer(n));
        snprintf(key, sizeof key, "avg@%lld", n);
        json_object_set_new(j, key, json_real(avg / (double)np));
        for (int k = 0; k < nk; k++) {
            double v;
            if (passk_mean(gn, gc, np, ks[k], 0, &v, &err)) cli_die_err(&err);
            snprintf(key, sizeof key, "pass@%lld", ks[k]);
            json_object_set_new(j, key, json_real(v));
        }
        cli_print_json(j);
        json_decref(j);
    }
    free(gn); free(gc); free(done); free(cnt); free(nn);
    rl_data_free(&ds);
    model_free(m);
    tok_free(tok);
    return 0;
}
