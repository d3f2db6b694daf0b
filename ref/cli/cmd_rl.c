/* cmd_rl.c — `svs rl --mode rlvr`: the RLVR (GRPO) training loop with exact resume
 * (docs/rl.md). One step = rl_step (ref/rl_loop.h); metrics to OUT/metrics.jsonl, a progress
 * line on stderr, a checkpoint (ref/rl_ckpt.h) every --save-every steps and at the end, and
 * the final policy as an HF folder in OUT/model. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../rl_ckpt.h"
#include "../rl_data.h"
#include "../rl_loop.h"
#include "cli.h"
#include "cli_model.h"

static const char RL_HELP[] =
    "usage: svs rl --mode rlvr (--model PATH | --init-random CONFIG.json) --tokenizer T --data FILE\n"
    "              --steps N --out DIR [options]\n\n"
    "RLVR with GRPO (docs/rl.md): each step samples --n responses for --batch-problems problems,\n"
    "rewards them with the verifier, and updates the policy (mini-/micro-batches, AdamW).\n\n"
    "  --data FILE          JSONL: {question, answer} | {question, ref_answer} | GSM8K (#### N) |\n"
    "                       verl rows {prompt: [messages], reward_model: {ground_truth}}\n"
    "  --steps N            the run ends after step N (counted from the start, also with --resume)\n"
    "  --total-steps S      steps the LR schedule spans (default --steps)\n"
    "  --batch-problems B   problems per step (default 4)\n"
    "  --n N                samples per problem (default 8)\n"
    "  --max-new-tokens L   (default 256)\n"
    "  --mini-batch-problems M  problems per optimizer step (default B)\n"
    "  --micro-batch-rows R responses per micro-batch (default 8)\n"
    "  --preset P           GRPO preset (default verl-svs): see svs grpo --show\n"
    "  --set NAME=VALUE     override one GRPO switch (repeatable), e.g. filter=none\n"
    "  --lr X               base learning rate (default: the preset's)\n"
    "  --temperature T      sampling and log-prob temperature (default 1.0)\n"
    "  --seed S             sampling seed (default 0)\n"
    "  --chat-template C    qwen2_5 (default) | llama3\n"
    "  --reward R           verify (default) | test-even (tests only: 1 when the sum of the response ids is even)\n"
    "  --out DIR            metrics.jsonl, ckpt-NNNNNN/, latest, model/\n"
    "  --resume             continue from DIR's latest checkpoint (bit-identical to an uninterrupted run)\n"
    "  --save-every K       checkpoint every K steps (default 1) and at the end\n"
    "  --init-random CFG    a random model from an HF config.json (tests); --init-seed S (default 0)\n"
    CLI_BACKEND_HELP;

static void add_stop(int32_t *stop, int *n, int32_t id) {
    if (id < 0) return;
    for (int i = 0; i < *n; i++) if (stop[i] == id) return;
    if (*n < 16) stop[(*n)++] = id;
}

int cmd_rl(int argc, char **argv) {
    const char *mode = NULL, *model_path = NULL, *init_cfg = NULL, *tokp = NULL, *data = NULL;
    const char *out = NULL, *preset = "verl-svs", *tpl_name = "qwen2_5", *reward = "verify";
    const char *sets[32];
    int n_sets = 0, resume = 0;
    long long steps = -1, total = -1, B = 4, n = 8, max_new = 256, mini = -1, micro = 8, seed = 0;
    long long init_seed = 0, save_every = 1;
    double lr = -1, temperature = 1.0;
    cli_backend_opts backend = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) { fputs(RL_HELP, stdout); return 0; }
        else if (cli_backend_option(argc, argv, &i, &backend)) continue;
        else if (!strcmp(a, "--mode")) mode = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--model")) model_path = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--init-random")) init_cfg = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--init-seed")) init_seed = cli_int(a, cli_value(argc, argv, &i), 0, INT64_MAX);
        else if (!strcmp(a, "--tokenizer")) tokp = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--data")) data = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--out")) out = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--preset")) preset = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--chat-template")) tpl_name = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--reward")) reward = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--set")) {
            if (n_sets == 32) cli_die("option --set: at most 32");
            sets[n_sets++] = cli_value(argc, argv, &i);
        } else if (!strcmp(a, "--resume")) resume = 1;
        else if (!strcmp(a, "--steps")) steps = cli_int(a, cli_value(argc, argv, &i), 1, 1 << 30);
        else if (!strcmp(a, "--total-steps")) total = cli_int(a, cli_value(argc, argv, &i), 1, 1 << 30);
        else if (!strcmp(a, "--batch-problems")) B = cli_int(a, cli_value(argc, argv, &i), 1, 1 << 20);
        else if (!strcmp(a, "--n")) n = cli_int(a, cli_value(argc, argv, &i), 1, 4096);
        else if (!strcmp(a, "--max-new-tokens")) max_new = cli_int(a, cli_value(argc, argv, &i), 1, 1 << 20);
        else if (!strcmp(a, "--mini-batch-problems")) mini = cli_int(a, cli_value(argc, argv, &i), 1, 1 << 20);
        else if (!strcmp(a, "--micro-batch-rows")) micro = cli_int(a, cli_value(argc, argv, &i), 1, 1 << 20);
        else if (!strcmp(a, "--seed")) seed = cli_int(a, cli_value(argc, argv, &i), 0, INT64_MAX);
        else if (!strcmp(a, "--save-every")) save_every = cli_int(a, cli_value(argc, argv, &i), 1, 1 << 30);
        else if (!strcmp(a, "--lr")) lr = cli_double(a, cli_value(argc, argv, &i));
        else if (!strcmp(a, "--temperature")) temperature = cli_double(a, cli_value(argc, argv, &i));
        else cli_die("rl: unknown option \"%s\" (svs rl --help)", a);
    }
    if (!mode || strcmp(mode, "rlvr")) cli_die("rl: --mode rlvr is required (the only mode so far)");
    if (!model_path == !init_cfg) cli_die("rl: give one of --model PATH and --init-random CONFIG.json");
    if (!tokp || !data || !out || steps < 0) cli_die("rl: --tokenizer, --data, --steps and --out are required (svs rl --help)");
    if (!(temperature > 0)) cli_die("option --temperature: must be > 0 for RL (got %g)", temperature);
    if (mini < 0) mini = B;
    if (total < 0) total = steps;

    svs_err err = {{0}};
    rl_opts o = {0};
    if (grpo_preset(preset, &o.cfg, &err)) cli_die("option --preset: %s", err.msg);
    for (int i = 0; i < n_sets; i++)
        if (grpo_config_set(&o.cfg, sets[i], &err)) cli_die("option --set: %s", err.msg);
    if (lr >= 0) o.cfg.lr = lr;
    o.cfg.temperature = temperature;
    if (grpo_config_validate(&o.cfg, &err)) cli_die("GRPO config: %s", err.msg);
    if (!strcmp(reward, "verify")) o.reward = RL_REWARD_VERIFY;
    else if (!strcmp(reward, "test-even")) o.reward = RL_REWARD_TEST_EVEN;
    else cli_die("option --reward: expected verify or test-even, got \"%s\"", reward);

    tok_tokenizer *tok = NULL;
    tok_chat_template tpl;
    if (tok_chat_template_parse(tpl_name, &tpl, &err)) cli_die("option --chat-template: %s", err.msg);
    if (tok_load(tokp, &tok, &err)) cli_die_err(&err);
    rl_dataset ds;
    if (rl_data_load(data, &ds, &err)) cli_die_err(&err);
    if (rl_data_encode(&ds, tok, tpl, &err)) cli_die("%s: %s", data, err.msg);

    model *m;
    if (model_path) m = cli_load_model(model_path);
    else {
        model_config mc;
        if (model_config_load(init_cfg, &mc, &err)) cli_die_err(&err);
        if (!(m = model_create(&mc, &err))) cli_die_err(&err);
        model_init_random(m, (uint64_t)init_seed, 0.02f);
    }
    cli_backend_apply(m, &backend);
    for (size_t i = 0; i < ds.n; i++)
        for (int j = 0; j < ds.p[i].n_ids; j++)
            if (ds.p[i].ids[j] >= m->V)
                cli_die("%s:%zu: the prompt has token id %d, outside the model's vocab_size %d", data, i + 1,
                        ds.p[i].ids[j], m->V);
    int32_t stop[16];
    int n_stop = 0;
    for (int i = 0; i < m->cfg.n_eos; i++) add_stop(stop, &n_stop, (int32_t)m->cfg.eos_token_ids[i]);
    add_stop(stop, &n_stop, tok_token_to_id(tok, tpl == TOK_CHAT_LLAMA3 ? "<|eot_id|>" : "<|im_end|>"));
    o.n = (int)n;
    o.max_new_tokens = (int)max_new;
    o.temperature = (float)temperature;
    o.mini_problems = (int)mini;
    o.micro_rows = (int)micro;
    o.stop_ids = stop;
    o.n_stop_ids = n_stop;
    o.total_steps = (long)total;

    if (mkdir(out, 0755) && errno != EEXIST) cli_die("%s: cannot create: %s", out, strerror(errno));
    rl_state st = {0};
    svs_rng_seed(&st.rng, (uint64_t)seed);
    char mpath[4096];
    snprintf(mpath, sizeof mpath, "%s/metrics.jsonl", out);
    int got = rl_ckpt_load(out, m, &st, &err);
    if (got < 0) cli_die_err(&err);
    if (got && !resume) cli_die("%s already holds a checkpoint: pass --resume, or use another --out", out);
    if (!got && resume) fprintf(stderr, "svs rl: no checkpoint in %s, starting from step 0\n", out);
    /* metrics.jsonl keeps exactly the lines of the steps the checkpoint holds */
    if (truncate(mpath, st.metrics_bytes) && errno != ENOENT) cli_die("%s: cannot truncate: %s", mpath, strerror(errno));
    FILE *mf = fopen(mpath, "ab");
    if (!mf) cli_die("%s: cannot open: %s", mpath, strerror(errno));

    rl_problem **batch = malloc((size_t)B * sizeof *batch);
    for (long step = st.step + 1; step <= steps; step++) {
        for (int i = 0; i < B; i++) batch[i] = &ds.p[(st.data_pos + i) % (long)ds.n];
        rl_metrics mt;
        if (rl_step(m, tok, &o, batch, (int)B, step, &st.rng, &mt, &err)) cli_die("step %ld: %s", step, err.msg);
        json_t *j = json_object();
        json_object_set_new(j, "step", json_integer(step));
        json_object_set_new(j, "critic/OQA-reward", json_real(mt.reward_mean));
        json_object_set_new(j, "acc", json_real(mt.acc));
        json_object_set_new(j, "SvS-Valid-Ratio/OQA-RL", json_real(mt.valid_ratio));
        json_object_set_new(j, "actor/entropy", json_real(mt.entropy));
        json_object_set_new(j, "actor/pg_loss", json_real(mt.pg_loss));
        json_object_set_new(j, "actor/pg_clipfrac", json_real(mt.pg_clipfrac));
        json_object_set_new(j, "actor/pg_clipfrac_lower", json_real(mt.pg_clipfrac_lower));
        json_object_set_new(j, "actor/ppo_kl", json_real(mt.ppo_kl));
        json_object_set_new(j, "actor/grad_norm", json_real(mt.grad_norm));
        json_object_set_new(j, "actor/lr", json_real(mt.lr));
        json_object_set_new(j, "optim_steps", json_integer(mt.optim_steps));
        json_object_set_new(j, "response_length/mean", json_real(mt.resp_len_mean));
        json_object_set_new(j, "response_length/max", json_real(mt.resp_len_max));
        json_object_set_new(j, "response_length/clip_ratio", json_real(mt.resp_clip_ratio));
        json_object_set_new(j, "prompt_length/mean", json_real(mt.prompt_len_mean));
        json_object_set_new(j, "perf/gen_tokens", json_integer(mt.gen_tokens));
        json_object_set_new(j, "perf/tokens_per_s", json_real(mt.t_gen > 0 ? mt.gen_tokens / mt.t_gen : 0));
        json_object_set_new(j, "timing_s/gen", json_real(mt.t_gen));
        json_object_set_new(j, "timing_s/reward", json_real(mt.t_reward));
        json_object_set_new(j, "timing_s/old_log_prob", json_real(mt.t_old));
        json_object_set_new(j, "timing_s/update_actor", json_real(mt.t_update));
        json_object_set_new(j, "timing_s/step", json_real(mt.t_step));
        char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17));
        json_decref(j);
        if (fprintf(mf, "%s\n", s) < 0 || fflush(mf) || fsync(fileno(mf))) cli_die("%s: write failed", mpath);
        free(s);
        st.metrics_bytes = ftell(mf);
        st.step = step;
        st.data_pos = (st.data_pos + B) % (long)ds.n;
        fprintf(stderr, "\rstep %ld/%lld  reward %.3f  entropy %.3f  clip %.3f  kl %.2e  gnorm %.3f  len %.1f  "
                "%.0f tok/s  gen %.2fs upd %.2fs", step, steps, mt.reward_mean, mt.entropy, mt.pg_clipfrac,
                mt.ppo_kl, mt.grad_norm, mt.resp_len_mean, mt.t_gen > 0 ? mt.gen_tokens / mt.t_gen : 0,
                mt.t_gen, mt.t_update);
        if (step % save_every == 0 || step == steps)
            if (rl_ckpt_save(out, m, &st, &err)) cli_die_err(&err);
    }
    fprintf(stderr, "\n");
    fclose(mf);
    char mdir[4096];
    snprintf(mdir, sizeof mdir, "%s/model", out);
    if (rl_export_model(mdir, m, &err)) cli_die_err(&err);
    free(batch);
    rl_data_free(&ds);
    model_free(m);
    tok_free(tok);
    return 0;
}
