/* cmd_train.c — `svs train`: supervised fine-tuning (chat JSONL) or language-model training
 * (text JSONL) of a Qwen2 / Llama model, from a checkpoint or from scratch (docs/train.md).
 * The library part is ref/sft.c; this file parses options, logs and writes the HF folder. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli_model.h"
#include "model/model_config.h"
#include "model/tensorset.h"
#include "sft.h"

static const char *HELP =
    "usage: svs train --tokenizer T (--model PATH | --init CONFIG.json) --data FILE --out DIR\n"
    "                 --steps N [options]\n\n"
    "Trains a Qwen2 / Llama model with next-token cross-entropy (AdamW, fp32).\n\n"
    "  --tokenizer FILE    HF tokenizer.json (copied to DIR/tokenizer.json), or a .gguf file's\n"
    "                      tokenizer metadata (no tokenizer.json is written: keep using the .gguf)\n"
    "  --model PATH        start from a checkpoint (HF folder, .safetensors, .gguf)\n"
    "  --init CONFIG.json  start from scratch: a config.json, random init N(0, 0.02²) seeded\n"
    "                      by --seed; vocab_size must cover the tokenizer. Without\n"
    "                      eos_token_id, <|im_end|> becomes the EOS id.\n"
    "  --data FILE         JSONL lines {\"prompt\": str, \"response\": str} (Qwen2.5 chat template,\n"
    "                      loss on the response and <|im_end|>) or {\"text\": str} (loss on all)\n"
    "  --eval FILE         held-out JSONL (same format): eval_loss every --eval-every steps\n"
    "                      and at the end\n"
    "  --out DIR           writes DIR/config.json, DIR/model.safetensors, DIR/tokenizer.json\n"
    "                      (tmp + rename) at the end and every --save-every steps, and\n"
    "                      DIR/train_metrics.jsonl\n"
    "  --steps N           optimizer steps\n"
    "  --batch-tokens N    token budget of a batch (sum of sequence lengths); default 4096\n"
    "  --max-len N         longest example in tokens; default max_position_embeddings\n"
    "  --lr X              peak learning rate; default 3e-3\n"
    "  --warmup N          linear warmup steps; default 0\n"
    "  --schedule S        constant | cosine | linear (HF schedules); default constant\n"
    "  --weight-decay X    AdamW decoupled weight decay (every tensor); default 0.01\n"
    "  --beta1 X --beta2 X AdamW betas; default 0.9, 0.999 (eps 1e-8)\n"
    "  --clip X            clip_grad_norm max norm (0 = off); default 1.0\n"
    "  --seed S            init and data order; default 0\n"
    "  --log-every K       a metrics line every K steps (and the last); default 1\n"
    "  --eval-every K      default 0 (only at the end)\n"
    "  --save-every K      default 0 (only at the end)\n"
    CLI_BACKEND_HELP;

static void write_text(const char *path, const char *text, size_t n) {
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) cli_die("%s: cannot create", tmp);
    if (fwrite(text, 1, n, f) != n || fclose(f) != 0) cli_die("%s: write error", tmp);
    if (rename(tmp, path) != 0) cli_die("%s: cannot rename to %s", tmp, path);
}

static void save(const model *m, const char *out, const char *tok_text, size_t tok_len) {
    svs_err err = {{0}};
    char path[4200];
    tensorset ts;
    tensorset_init(&ts);
    if (model_to_tensorset(m, &ts, &err)) cli_die_err(&err);
    snprintf(path, sizeof path, "%s/model.safetensors", out);
    const char *meta[] = {"format", "pt"};
    if (safetensors_write(path, &ts, meta, 1, SAFETENSORS_SORTED, &err)) cli_die_err(&err);
    tensorset_free(&ts);
    svs_buf cfg = {0};
    if (model_config_to_json(&m->cfg, &cfg, &err)) cli_die_err(&err);
    snprintf(path, sizeof path, "%s/config.json", out);
    write_text(path, cfg.data, cfg.len);
    svs_buf_free(&cfg);
    if (!tok_text) return; /* a .gguf tokenizer: nothing to copy */
    snprintf(path, sizeof path, "%s/tokenizer.json", out);
    write_text(path, tok_text, tok_len);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int cmd_train(int argc, char **argv) {
    const char *tokp = NULL, *modelp = NULL, *initp = NULL, *data = NULL, *evalp = NULL, *out = NULL;
    const char *sched = "constant";
    long long steps = -1, batch_tokens = 4096, warmup = 0, seed = 0, log_every = 1, save_every = 0,
              eval_every = 0, max_len = 0;
    double lr = 3e-3, wd = 0.01, clip = 1.0, beta1 = 0.9, beta2 = 0.999;
    cli_backend_opts bo = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) { fputs(HELP, stdout); return 0; }
        else if (cli_backend_option(argc, argv, &i, &bo)) continue;
        else if (!strcmp(a, "--tokenizer")) tokp = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--model")) modelp = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--init")) initp = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--data")) data = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--eval")) evalp = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--out")) out = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--steps")) steps = cli_int(a, cli_value(argc, argv, &i), 1, 1000000000);
        else if (!strcmp(a, "--batch-tokens")) batch_tokens = cli_int(a, cli_value(argc, argv, &i), 1, 1LL << 30);
        else if (!strcmp(a, "--max-len")) max_len = cli_int(a, cli_value(argc, argv, &i), 2, 1LL << 30);
        else if (!strcmp(a, "--warmup")) warmup = cli_int(a, cli_value(argc, argv, &i), 0, 1000000000);
        else if (!strcmp(a, "--seed")) seed = cli_int(a, cli_value(argc, argv, &i), 0, 9007199254740992LL);
        else if (!strcmp(a, "--log-every")) log_every = cli_int(a, cli_value(argc, argv, &i), 1, 1000000000);
        else if (!strcmp(a, "--save-every")) save_every = cli_int(a, cli_value(argc, argv, &i), 0, 1000000000);
        else if (!strcmp(a, "--eval-every")) eval_every = cli_int(a, cli_value(argc, argv, &i), 0, 1000000000);
        else if (!strcmp(a, "--lr")) lr = cli_double(a, cli_value(argc, argv, &i));
        else if (!strcmp(a, "--weight-decay")) wd = cli_double(a, cli_value(argc, argv, &i));
        else if (!strcmp(a, "--clip")) clip = cli_double(a, cli_value(argc, argv, &i));
        else if (!strcmp(a, "--beta1")) beta1 = cli_double(a, cli_value(argc, argv, &i));
        else if (!strcmp(a, "--beta2")) beta2 = cli_double(a, cli_value(argc, argv, &i));
        else if (!strcmp(a, "--schedule")) sched = cli_value(argc, argv, &i);
        else cli_die("train: unknown option \"%s\" (svs train --help)", a);
    }
    if (!tokp) cli_die("train: --tokenizer is required (svs train --help)");
    if (!data) cli_die("train: --data is required (svs train --help)");
    if (!out) cli_die("train: --out is required (svs train --help)");
    if (steps < 0) cli_die("train: --steps is required (svs train --help)");
    if (!modelp == !initp) cli_die("train: give exactly one of --model and --init");
    if (strlen(out) > 4000) cli_die("train: --out path too long");
    if (!(lr > 0) || !isfinite(lr)) cli_die("option --lr: must be > 0");
    if (!(wd >= 0) || !isfinite(wd)) cli_die("option --weight-decay: must be >= 0");
    if (!(clip >= 0) || !isfinite(clip)) cli_die("option --clip: must be >= 0");
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) cli_die("option --beta1/--beta2: must be in [0, 1)");
    model_lr_schedule sch = {.warmup_steps = warmup, .total_steps = steps, .num_cycles = 0.5};
    if (!strcmp(sched, "constant")) sch.kind = MODEL_LR_CONSTANT;
    else if (!strcmp(sched, "cosine")) sch.kind = MODEL_LR_COSINE_HF;
    else if (!strcmp(sched, "linear")) sch.kind = MODEL_LR_LINEAR;
    else cli_die("option --schedule: unknown schedule \"%s\" (constant | cosine | linear)", sched);

    svs_err err = {{0}};
    size_t tok_len = 0, pl = strlen(tokp);
    char *tok_text = NULL;
    tok_tokenizer *tok = NULL;
    if (pl >= 5 && !strcmp(tokp + pl - 5, ".gguf")) tok = cli_load_tokenizer(tokp);
    else {
        if (!(tok_text = svs_read_file(tokp, (size_t)1 << 30, &tok_len, &err))) cli_die_err(&err);
        if (tok_load_json(tok_text, tok_len, &tok, &err)) cli_die("%s: %s", tokp, err.msg);
    }
    size_t tv = tok_vocab_size(tok);

    model *m;
    if (initp) {
        model_config cfg;
        if (model_config_load(initp, &cfg, &err)) cli_die_err(&err);
        if ((size_t)cfg.vocab_size < tv)
            cli_die("%s: field \"vocab_size\": %lld is smaller than the tokenizer's %zu tokens", initp,
                    (long long)cfg.vocab_size, tv);
        if (cfg.n_eos == 0) {
            int32_t eot = tok_token_to_id(tok, "<|im_end|>");
            if (eot >= 0) { cfg.eos_token_ids[0] = eot; cfg.n_eos = 1; }
        }
        m = model_create(&cfg, &err);
        if (!m) cli_die("%s: %s", initp, err.msg);
        model_init_random(m, (uint64_t)seed, 0.02f);
    } else {
        m = cli_load_model(modelp);
        if ((size_t)m->cfg.vocab_size < tv)
            cli_die("%s: vocab_size %lld is smaller than the tokenizer's %zu tokens", modelp,
                    (long long)m->cfg.vocab_size, tv);
    }
    cli_backend_apply(m, &bo);
    if (max_len == 0) max_len = m->cfg.max_position_embeddings;

    sft_dataset ds, es = {0};
    if (sft_dataset_load(data, tok, (int)max_len, m->cfg.vocab_size, &ds, &err)) cli_die_err(&err);
    if (evalp && sft_dataset_load(evalp, tok, (int)max_len, m->cfg.vocab_size, &es, &err)) cli_die_err(&err);

    if (mkdir(out, 0755) != 0) {
        struct stat st;
        if (stat(out, &st) != 0 || !S_ISDIR(st.st_mode)) cli_die("%s: cannot create the directory", out);
    }
    char mpath[4200];
    snprintf(mpath, sizeof mpath, "%s/train_metrics.jsonl", out);
    FILE *mf = fopen(mpath, "w");
    if (!mf) cli_die("%s: cannot create", mpath);
    fprintf(stderr, "svs train: %zu examples (%zu tokens, %zu with loss), %zu params, %lld steps, backend %s\n",
            ds.n, ds.n_tokens, ds.n_targets, m->num_params, steps, m->ops->name);

    sft_hparams hp = {.adamw = {.lr = lr, .beta1 = beta1, .beta2 = beta2, .eps = 1e-8, .weight_decay = wd},
                      .schedule = sch, .clip = (float)clip};
    svs_rng rng;
    svs_rng_seed(&rng, (uint64_t)seed ^ 0x5f7d3c1b2a4e6d8fULL);
    size_t *order = malloc(ds.n * sizeof *order);
    if (!order) cli_die("out of memory");
    sft_shuffle(order, ds.n, &rng);
    size_t pos = 0, epoch = 0;
    sft_batch b = {0};
    double t_log = now_s();
    size_t tok_log = 0;
    for (long long step = 1; step <= steps; step++) {
        if (pos >= ds.n) { sft_shuffle(order, ds.n, &rng); pos = 0; epoch++; }
        if (sft_batch_fill(&b, &ds, order, &pos, (size_t)batch_tokens, &err)) cli_die_err(&err);
        sft_step_out so;
        if (sft_step(m, &b, &hp, step, &so, &err)) cli_die_err(&err);
        tok_log += b.n_tokens;
        int last = step == steps;
        double eval_loss = NAN;
        if (es.n && (last || (eval_every && step % eval_every == 0)))
            if (sft_eval(m, &es, (size_t)batch_tokens, &eval_loss, &err)) cli_die_err(&err);
        if (last || step % log_every == 0 || !isnan(eval_loss)) {
            double t = now_s(), tps = (t - t_log) > 0 ? (double)tok_log / (t - t_log) : 0;
            fprintf(mf, "{\"step\":%lld,\"epoch\":%zu,\"loss\":%.9g,", step, epoch, (double)so.loss);
            if (!isnan(eval_loss)) fprintf(mf, "\"eval_loss\":%.9g,", eval_loss);
            fprintf(mf, "\"lr\":%.9g,\"grad_norm\":%.9g,\"batch\":%d,\"tokens\":%zu,\"targets\":%zu%s,\"tokens_per_s\":%.1f}\n",
                    so.lr, (double)so.grad_norm, b.B, b.n_tokens, b.n_targets, so.skipped ? ",\"skipped\":true" : "", tps);
            fflush(mf);
            fprintf(stderr, "svs train: step %lld/%lld loss %.4f%s", step, steps, (double)so.loss, "");
            if (!isnan(eval_loss)) fprintf(stderr, " eval %.4f", eval_loss);
            fprintf(stderr, " lr %.3g gnorm %.3g %.0f tok/s\n", so.lr, (double)so.grad_norm, tps);
            t_log = now_s();
            tok_log = 0;
        }
        if (last || (save_every && step % save_every == 0)) save(m, out, tok_text, tok_len);
    }
    if (fclose(mf) != 0) cli_die("%s: write error", mpath);
    fprintf(stderr, "svs train: wrote %s/config.json, model.safetensors, tokenizer.json, train_metrics.jsonl\n", out);
    free(order);
    sft_batch_free(&b);
    sft_dataset_free(&ds);
    sft_dataset_free(&es);
    model_free(m);
    tok_free(tok);
    free(tok_text);
    return 0;
}
