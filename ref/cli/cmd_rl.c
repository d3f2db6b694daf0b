/* cmd_rl.c — `svs rl --mode rlvr|svs`: the RLVR (GRPO) and SvS training loops with exact
 * resume (docs/rl.md). SvS steps are rl_svs_step (ref/rl_svs.h). One step = rl_step (ref/rl_loop.h); metrics to OUT/metrics.jsonl, a progress
 * line on stderr, a checkpoint (ref/rl_ckpt.h) every --save-every steps and at the end, and
 * the final policy as an HF folder in OUT/model. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../rl_ckpt.h"
#include "../rl_data.h"
#include "../rl_loop.h"
#include "../rl_svs.h"
#include "cli.h"
#include "cli_model.h"

static const char RL_HELP[] =
    "usage: svs rl --mode rlvr|svs (--model PATH | --init-random CONFIG.json) --tokenizer T --data FILE\n"
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
    "  --micro-batch-tokens N  verl's use_dynamic_bsz: micro-batches of at most N prompt + response tokens,\n"
    "                       by verl's Karmarkar-Karp balanced partition (ppo_max_token_len_per_gpu; 0 = off,\n"
    "                       fixed --micro-batch-rows); each micro-batch loss x rows/mini-batch rows\n"
    "  --micro-batch-balance B  verl (default: verl 0.9.1, workload-balanced, budget kept) | lengths\n"
    "                       (the SvS fork's older verl: one balanced partition of the token counts)\n"
    "  --max-gen-batches K  DAPO dynamic sampling (--mode rlvr): filter each generation batch with the\n"
    "                       preset's group filter and sample more until --batch-problems groups are kept;\n"
    "                       at most K batches (more is an error, as in verl), 0 = no limit; default off\n"
    "                       (the filter drops groups without refill)\n"
    "  --gen-batch-problems G  problems per generation batch with --max-gen-batches (default B)\n"
    "  --preset P           GRPO preset (default verl-svs): see svs grpo --show\n"
    "  --set NAME=VALUE     override one GRPO switch (repeatable), e.g. filter=none; DAPO overlong\n"
    "                       shaping: overlong=1 overlong_buffer=L overlong_factor=F (--mode rlvr;\n"
    "                       overlong_max_len defaults to --max-new-tokens)\n"
    "  --lr X               base learning rate (default: the preset's)\n"
    "  --temperature T      sampling and log-prob temperature (default 1.0)\n"
    "  --seed S             sampling seed (default 0)\n"
    "  --chat-template C    qwen2_5 (default) | llama3\n"
    "  --reward R           verify (default) | test-even (tests only: 1 when the sum of the response ids is even)\n"
    "  --out DIR            metrics.jsonl, ckpt-NNNNNN/, latest, model/\n"
    "  --resume             continue from DIR's latest checkpoint (bit-identical to an uninterrupted run)\n"
    "  --save-every K       checkpoint every K steps (default 1) and at the end\n"
    "  --init-random CFG    a random model from an HF config.json (tests); --init-seed S (default 0)\n\n"
    "SvS mode (--mode svs, spec/svs-algorithm.md §2; docs/rl.md \"SvS mode\"):\n"
    "  --faithful           reproduce the official code's quirks (Q1-Q17); skipped steps keep the counter\n"
    "  --synthesis-prompt F synthesis template with {REPLACE} (default: data/prompts/synthesis_default.txt;\n"
    "                       --faithful: $SVS_SHARED/data/official_svs_synthesis_prompt.txt)\n"
    "  --under-lower X --under-upper X   under-performing acc bounds (0.125, 0.5)\n"
    "  --synth-lower X --synth-upper X   synthesis reward bounds on the SPA count / n (0.125, 0.625)\n"
    "  --max-prompt-len LP  VPS-len and SPA length filters, ntok(chat(.)) <= LP (default 4096)\n"
    "  --oqa-temperature T --vps-temperature T --spa-temperature T  sampling (default --temperature)\n"
    "  --vps-n N --spa-n N  synthesis samples per seed, solutions per synthetic problem (default --n,\n"
    "                       as the official code; the synthesis reward band is on --spa-n)\n"
    "  --world-size W       emulated world size for the faithful tail truncation (Q11, default 1)\n"
    "  --r2q-ratio X        fraction of VPS rows kept (default 1)\n"
    "  --max-skips K        give up after K consecutive skipped steps (default 100)\n"
    "  --trace FILE         JSONL trace of every stage of each step: rewards, seeds, synthesis texts,\n"
    "                       extracted problems, solve counts, synthesis rewards, batch rows, loss\n"
    "                       (docs/rl.md \"The step trace\")\n"
    "  --svs-test-synth     TESTS ONLY: synthesis texts derived from the sampled ids (a ```text problem)\n"
    CLI_BACKEND_HELP;

static void add_stop(int32_t *stop, int *n, int32_t id) {
    if (id < 0) return;
    for (int i = 0; i < *n; i++) if (stop[i] == id) return;
    if (*n < 16) stop[(*n)++] = id;
}

/* The SvS loop (--mode svs): one attempt per batch of problems; a skipped attempt (faithful
 * early exits 1/2, an empty batch) writes its metrics line with "skipped": 1 and the unchanged
 * step, advances the data, and takes no checkpoint (a resume replays it bit-identically). */
static int svs_loop(model *m, const tok_tokenizer *tok, const rl_opts *o, const rl_svs_opts *so,
                    const rl_dataset *ds, rl_problem **batch, int B, long long steps, long long save_every,
                    const char *out, FILE *mf, const char *mpath, rl_state *st, long long max_skips) {
    svs_err err = {{0}};
    svs_extract_state xs;
    svs_extract_state_init(&xs);
    uint64_t r2q = 0x5356535232510000ull ^ (uint64_t)st->rng.s[0]; /* fixed at the start of the run */
    if (st->extra) {
        if (rl_svs_state_unpack(st->extra, st->extra_len, &xs, &r2q, &err)) cli_die("%s: %s", out, err.msg);
        free(st->extra);
        st->extra = NULL;
    }
    long long skips = 0;
    long attempt = 0;
    while (st->step < steps) {
        for (int i = 0; i < B; i++) batch[i] = &ds->p[(st->data_pos + i) % (long)ds->n];
        rl_svs_out so_out;
        long step = st->step + 1;
        attempt++;
        if (rl_svs_step(m, tok, o, so, batch, B, step, &st->rng, &xs, &r2q, &so_out, &err))
            cli_die("step %ld: %s", step, err.msg);
        const rl_metrics *mt = &so_out.rl;
        json_t *j = json_object();
        json_object_set_new(j, "step", json_integer(so_out.trained ? step : st->step));
        json_object_set_new(j, "skipped", json_integer(!so_out.trained));
        json_object_set_new(j, "svs/exit", json_integer(so_out.exit));
        json_object_set_new(j, "acc", json_real(mt->acc));
        for (size_t i = 0; i < so_out.sm.n; i++) {
            double v = so_out.sm.items[i].value;
            if (!strncmp(so_out.sm.items[i].name, "SvS-Valid-Ratio/Num-", 20))
                json_object_set_new(j, so_out.sm.items[i].name, json_integer((json_int_t)v));
            else json_object_set_new(j, so_out.sm.items[i].name, json_real(v));
        }
        json_object_set_new(j, "svs/update_rows", json_integer((json_int_t)so_out.n_rows));
        if (so_out.trained) {
            json_object_set_new(j, "actor/entropy", json_real(mt->entropy));
            if (!isnan(so_out.entropy_oqa)) json_object_set_new(j, "actor/entropy_oqa", json_real(so_out.entropy_oqa));
            json_object_set_new(j, "actor/pg_loss", json_real(mt->pg_loss));
            json_object_set_new(j, "actor/pg_clipfrac", json_real(mt->pg_clipfrac));
            json_object_set_new(j, "actor/pg_clipfrac_lower", json_real(mt->pg_clipfrac_lower));
            json_object_set_new(j, "actor/ppo_kl", json_real(mt->ppo_kl));
            json_object_set_new(j, "actor/grad_norm", json_real(mt->grad_norm));
            json_object_set_new(j, "actor/lr", json_real(mt->lr));
            json_object_set_new(j, "optim_steps", json_integer(mt->optim_steps));
            json_object_set_new(j, "actor/micro_batches", json_integer(mt->micro_batches));
        }
        json_object_set_new(j, "response_length/mean", json_real(mt->resp_len_mean));
        json_object_set_new(j, "response_length/max", json_real(mt->resp_len_max));
        json_object_set_new(j, "response_length/clip_ratio", json_real(mt->resp_clip_ratio));
        json_object_set_new(j, "prompt_length/mean", json_real(mt->prompt_len_mean));
        json_object_set_new(j, "perf/gen_tokens", json_integer(mt->gen_tokens + so_out.vps_gen_tokens + so_out.spa_gen_tokens));
        json_object_set_new(j, "perf/tokens_per_s", json_real(mt->t_step > 0 ? (mt->gen_tokens + so_out.vps_gen_tokens + so_out.spa_gen_tokens) / mt->t_step : 0));
        json_object_set_new(j, "timing_s/gen", json_real(mt->t_gen));
        json_object_set_new(j, "timing_s/reward", json_real(mt->t_reward));
        json_object_set_new(j, "timing_s/old_log_prob", json_real(mt->t_old));
        json_object_set_new(j, "timing_s/update_actor", json_real(mt->t_update));
        json_object_set_new(j, "timing_s/step", json_real(mt->t_step));
        char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17));
        json_decref(j);
        if (fprintf(mf, "%s\n", s) < 0 || fflush(mf) || fsync(fileno(mf))) cli_die("%s: write failed", mpath);
        free(s);
        st->metrics_bytes = ftell(mf);
        st->data_pos = (st->data_pos + B) % (long)ds->n;
        if (!so_out.trained) {
            fprintf(stderr, "\rattempt %ld skipped (exit %d), step %ld/%lld", attempt, (int)so_out.exit, st->step, steps);
            if (++skips > max_skips) {
                fprintf(stderr, "\n");
                cli_die("svs: %lld consecutive skipped steps (--max-skips)", skips);
            }
            continue;
        }
        skips = 0;
        st->step = step;
        fprintf(stderr, "\rstep %ld/%lld  OQA reward %.3f  rows %zu  entropy %.3f  gnorm %.3f  %.2fs", step, steps,
                mt->reward_mean, so_out.n_rows, mt->entropy, mt->grad_norm, mt->t_step);
        if (step % save_every == 0 || step == steps) {
            if (rl_svs_state_pack(&xs, r2q, &st->extra, &st->extra_len, &err)) cli_die_err(&err);
            if (rl_ckpt_save(out, m, st, &err)) cli_die_err(&err);
            free(st->extra);
            st->extra = NULL;
        }
    }
    fprintf(stderr, "\n");
    svs_extract_state_free(&xs);
    return 0;
}

int cmd_rl(int argc, char **argv) {
    const char *mode = NULL, *model_path = NULL, *init_cfg = NULL, *tokp = NULL, *data = NULL;
    const char *out = NULL, *preset = "verl-svs", *tpl_name = "qwen2_5", *reward = "verify";
    const char *sets[32];
    int n_sets = 0, resume = 0;
    long long steps = -1, total = -1, B = 4, n = 8, max_new = 256, mini = -1, micro = 8, seed = 0;
    long long init_seed = 0, save_every = 1, micro_tokens = 0, max_gen = -1, gen_problems = -1;
    const char *micro_balance = "verl";
    double lr = -1, temperature = 1.0;
    cli_backend_opts backend = {0};
    const char *synth_prompt = NULL, *trace_path = NULL;
    int faithful = 0, test_synth = 0;
    long long max_prompt = 4096, world = 1, max_skips = 100;
    double under_lo = 0.125, under_hi = 0.5, synth_lo = 0.125, synth_hi = 0.625, r2q = 1.0;
    double t_oqa = -1, t_vps = -1, t_spa = -1;
    long long n_vps = 0, n_spa = 0;
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
        else if (!strcmp(a, "--micro-batch-tokens")) micro_tokens = cli_int(a, cli_value(argc, argv, &i), 0, 1 << 30);
        else if (!strcmp(a, "--micro-batch-balance")) micro_balance = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--max-gen-batches")) max_gen = cli_int(a, cli_value(argc, argv, &i), 0, 1 << 20);
        else if (!strcmp(a, "--gen-batch-problems")) gen_problems = cli_int(a, cli_value(argc, argv, &i), 1, 1 << 20);
        else if (!strcmp(a, "--seed")) seed = cli_int(a, cli_value(argc, argv, &i), 0, INT64_MAX);
        else if (!strcmp(a, "--save-every")) save_every = cli_int(a, cli_value(argc, argv, &i), 1, 1 << 30);
        else if (!strcmp(a, "--lr")) lr = cli_double(a, cli_value(argc, argv, &i));
        else if (!strcmp(a, "--temperature")) temperature = cli_double(a, cli_value(argc, argv, &i));
        else if (!strcmp(a, "--faithful")) faithful = 1;
        else if (!strcmp(a, "--svs-test-synth")) test_synth = 1;
        else if (!strcmp(a, "--trace")) trace_path = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--synthesis-prompt")) synth_prompt = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--under-lower")) under_lo = cli_double(a, cli_value(argc, argv, &i));
        else if (!strcmp(a, "--under-upper")) under_hi = cli_double(a, cli_value(argc, argv, &i));
        else if (!strcmp(a, "--synth-lower")) synth_lo = cli_double(a, cli_value(argc, argv, &i));
        else if (!strcmp(a, "--synth-upper")) synth_hi = cli_double(a, cli_value(argc, argv, &i));
        else if (!strcmp(a, "--r2q-ratio")) r2q = cli_double(a, cli_value(argc, argv, &i));
        else if (!strcmp(a, "--oqa-temperature")) t_oqa = cli_double(a, cli_value(argc, argv, &i));
        else if (!strcmp(a, "--vps-n")) n_vps = cli_int(a, cli_value(argc, argv, &i), 1, 1 << 16);
        else if (!strcmp(a, "--spa-n")) n_spa = cli_int(a, cli_value(argc, argv, &i), 1, 1 << 16);
        else if (!strcmp(a, "--vps-temperature")) t_vps = cli_double(a, cli_value(argc, argv, &i));
        else if (!strcmp(a, "--spa-temperature")) t_spa = cli_double(a, cli_value(argc, argv, &i));
        else if (!strcmp(a, "--max-prompt-len")) max_prompt = cli_int(a, cli_value(argc, argv, &i), 1, 1 << 30);
        else if (!strcmp(a, "--world-size")) world = cli_int(a, cli_value(argc, argv, &i), 1, 1 << 20);
        else if (!strcmp(a, "--max-skips")) max_skips = cli_int(a, cli_value(argc, argv, &i), 0, 1 << 30);
        else cli_die("rl: unknown option \"%s\" (svs rl --help)", a);
    }
    if (!mode || (strcmp(mode, "rlvr") && strcmp(mode, "svs")))
        cli_die("rl: --mode rlvr or --mode svs is required");
    int svs_mode = !strcmp(mode, "svs");
    if (!svs_mode && (faithful || test_synth || synth_prompt || trace_path || n_vps || n_spa))
        cli_die("rl: --faithful, --synthesis-prompt, --trace, --vps-n, --spa-n and --svs-test-synth need --mode svs");
    if (!model_path == !init_cfg) cli_die("rl: give one of --model PATH and --init-random CONFIG.json");
    rl_svs_opts so = {0};
    char *tpl_text = NULL;
    if (svs_mode) {
        svs_err e = {{0}};
        svs_config_default(&so.cfg);
        so.cfg.n = (int)n;
        so.cfg.under_lo = under_lo;
        so.cfg.under_hi = under_hi;
        so.cfg.synth_lo = synth_lo;
        so.cfg.synth_hi = synth_hi;
        so.cfg.max_prompt_len = (size_t)max_prompt;
        so.cfg.max_response_len = (size_t)max_new;
        so.cfg.faithful = faithful;
        so.cfg.world_size = (int)world;
        so.cfg.r2q_ratio = r2q;
        so.cfg.n_vps = (int)n_vps;
        so.cfg.n_spa = (int)n_spa;
        if (faithful && ((n_vps && n_vps != n) || (n_spa && n_spa != n)))
            cli_die("rl: --faithful uses one n for every stage, as the official code (drop --vps-n/--spa-n)");
        so.cfg.oqa_temperature = t_oqa >= 0 ? t_oqa : temperature;
        so.cfg.vps_temperature = t_vps >= 0 ? t_vps : temperature;
        so.cfg.spa_temperature = t_spa >= 0 ? t_spa : temperature;
        if (!(so.cfg.oqa_temperature > 0 && so.cfg.vps_temperature > 0 && so.cfg.spa_temperature > 0))
            cli_die("rl: the stage temperatures must be > 0");
        if (svs_config_validate(&so.cfg, &e)) cli_die("SvS config: %s", e.msg);
        so.test_synth = test_synth;
        if (trace_path && !(so.trace = fopen(trace_path, "w"))) cli_die("option --trace: cannot create %s", trace_path);
        char tp[4096];
        if (!synth_prompt) {
            if (faithful) {
                const char *sh = getenv("SVS_SHARED");
                snprintf(tp, sizeof tp, "%s/%s", sh && *sh ? sh : "../shared", SVS_TEMPLATE_OFFICIAL_REL);
            } else snprintf(tp, sizeof tp, "%s", SVS_TEMPLATE_DEFAULT_PATH);
            synth_prompt = tp;
        }
        if (svs_template_load(synth_prompt, &tpl_text, &so.tpl_len, &e)) cli_die("option --synthesis-prompt: %s", e.msg);
        so.tpl = tpl_text;
    }
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
    /* DAPO overlong shaping: L_max is data.max_response_length in verl (reward_manager/dapo.py
     * max_resp_len), i.e. --max-new-tokens, unless overlong_max_len is given explicitly */
    int explicit_max_len = 0;
    for (int i = 0; i < n_sets; i++) explicit_max_len |= !strncmp(sets[i], "overlong_max_len=", 17);
    if (o.cfg.overlong == 1 && !explicit_max_len) o.cfg.overlong_max_len = (double)max_new;
    if (grpo_config_validate(&o.cfg, &err)) cli_die("GRPO config: %s", err.msg);
    if (o.cfg.overlong == 1 && !(o.cfg.overlong_buffer <= o.cfg.overlong_max_len))
        cli_die("GRPO config: overlong_buffer %g exceeds the maximum response length %g: every response would be "
                "penalized (e.g. --set overlong_buffer=%lld)", o.cfg.overlong_buffer, o.cfg.overlong_max_len,
                max_new / 4 > 0 ? max_new / 4 : 1);
    if (svs_mode && (max_gen >= 0 || o.cfg.overlong == 1))
        cli_die("rl: --max-gen-batches and overlong shaping apply to --mode rlvr (SvS selects its own rows; "
                "use --set overlong=0)");
    if (gen_problems > 0 && max_gen < 0) cli_die("rl: --gen-batch-problems needs --max-gen-batches");
    if (strcmp(micro_balance, "verl") && strcmp(micro_balance, "lengths"))
        cli_die("option --micro-batch-balance: expected verl or lengths, got \"%s\"", micro_balance);
    if (!strcmp(reward, "verify")) o.reward = RL_REWARD_VERIFY;
    else if (!strcmp(reward, "test-even")) o.reward = RL_REWARD_TEST_EVEN;
    else cli_die("option --reward: expected verify or test-even, got \"%s\"", reward);

    tok_tokenizer *tok = NULL;
    tok_chat_template tpl;
    if (tok_chat_template_parse(tpl_name, &tpl, &err)) cli_die("option --chat-template: %s", err.msg);
    so.chat = tpl;
    tok = cli_load_tokenizer(tokp);
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
    o.micro_tokens = (long)micro_tokens;
    o.micro_balance = strcmp(micro_balance, "lengths") ? RL_MICRO_VERL : RL_MICRO_LENGTHS;
    o.max_gen_batches = (int)max_gen;
    o.gen_problems = (int)(gen_problems > 0 ? gen_problems : B);
    if (micro_tokens > 0) { /* verl: assert max_token_len >= max_seq_len (prompt + response width) */
        int longest = 0;
        for (size_t i = 0; i < ds.n; i++) if (ds.p[i].n_ids > longest) longest = ds.p[i].n_ids;
        if (micro_tokens < longest + max_new)
            cli_die("option --micro-batch-tokens: %lld is below the longest prompt (%d tokens) + --max-new-tokens "
                    "(%lld): a row might not fit a micro-batch", micro_tokens, longest, max_new);
    }
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
    if (svs_mode) {
        int rc = svs_loop(m, tok, &o, &so, &ds, batch, (int)B, steps, save_every, out, mf, mpath, &st, max_skips);
        fclose(mf);
        free(tpl_text);
        if (so.trace && fclose(so.trace)) cli_die("option --trace: write error on %s", trace_path);
        if (rc) return rc;
        goto finish;
    }
    for (long step = st.step + 1; step <= steps; step++) {
        rl_metrics mt;
        if (rl_step(m, tok, &o, &ds, st.data_pos, (int)B, step, &st.rng, &mt, &err))
            cli_die("step %ld: %s", step, err.msg);
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
        json_object_set_new(j, "actor/micro_batches", json_integer(mt.micro_batches));
        if (o.max_gen_batches >= 0) { /* DAPO dynamic sampling */
            json_object_set_new(j, "train/num_gen_batches", json_integer(mt.gen_batches));
            json_object_set_new(j, "train/kept_groups", json_integer(mt.kept_groups));
        }
        if (o.cfg.overlong == 1) {
            json_object_set_new(j, "dapo/overlong_penalty_mean", json_real(mt.overlong_mean));
            json_object_set_new(j, "dapo/overlong_frac", json_real(mt.overlong_frac));
        }
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
        st.data_pos = (st.data_pos + mt.problems_used) % (long)ds.n;
        fprintf(stderr, "\rstep %ld/%lld  reward %.3f  entropy %.3f  clip %.3f  kl %.2e  gnorm %.3f  len %.1f  "
                "%.0f tok/s  gen %.2fs upd %.2fs", step, steps, mt.reward_mean, mt.entropy, mt.pg_clipfrac,
                mt.ppo_kl, mt.grad_norm, mt.resp_len_mean, mt.t_gen > 0 ? mt.gen_tokens / mt.t_gen : 0,
                mt.t_gen, mt.t_update);
        if (step % save_every == 0 || step == steps)
            if (rl_ckpt_save(out, m, &st, &err)) cli_die_err(&err);
    }
    fprintf(stderr, "\n");
    fclose(mf);
finish:;
    char mdir[4096];
    snprintf(mdir, sizeof mdir, "%s/model", out);
    if (rl_export_model(mdir, m, &err)) cli_die_err(&err);
    free(batch);
    rl_data_free(&ds);
    model_free(m);
    tok_free(tok);
    return 0;
}
