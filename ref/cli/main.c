/* main.c — `svs`, the one binary of svs.c: dispatches to one subcommand per file in ref/cli/.
 * Exit status: 0 success, 1 a check reported a difference (where a command says so),
 * 2 bad input or usage (`svs: error: ...`). */
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command COMMANDS[] = {
    {"verify", cmd_verify, "decide whether a model answer equals the reference answer (0/1 reward)"},
    {"passk", cmd_passk, "unbiased pass@k estimate, for one (n, c) or a JSONL list of problems"},
    {"encode", cmd_encode, "text -> token ids with a HF tokenizer.json (byte-level BPE; no BOS/EOS added)"},
    {"decode", cmd_decode, "token ids -> text with a HF tokenizer.json"},
    {"bpe-train", cmd_bpe_train, "train a byte-level BPE tokenizer, write an HF tokenizer.json"},
    {"tinymath", cmd_tinymath, "generate the tiny-math world: problems, SFT pairs, synthesis pairs (JSONL)"},
    {"score", cmd_score, "per-token log-probs and entropies of responses under a model (HF folder or GGUF)"},
    {"convert", cmd_convert, "write any loadable checkpoint (HF folder, GGUF) as an HF folder (config.json + F32 safetensors)"},
    {"generate", cmd_generate, "sample continuations with a model (KV cache, batched, seeded; greedy with T=0)"},
    {"grpo", cmd_grpo, "GRPO presets (--show) and the checker of another implementation's batch (--check)"},
    {"train", cmd_train, "supervised fine-tuning / LM training from a checkpoint or from scratch (AdamW, fp32)"},
    {"rl", cmd_rl, "RLVR / SvS training with GRPO (--mode rlvr|svs; exact resume)"},
    {"eval", cmd_eval, "avg@n and pass@k of a model on a dataset, per data_source"},
    {"report", cmd_report, "plots (SVG) and a summary table of svs rl metrics and svs eval results"},
};

static void usage(FILE *out) {
    fprintf(out,
            "usage: svs <command> [options]    (svs <command> --help for its options)\n\n"
            "svs.c: a pure-C reference implementation of SvS (Self-play with Variational problem\n"
            "Synthesis, arXiv 2508.14029) and the RLVR pipeline around it.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        fprintf(out, "  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(out, "\nErrors print `svs: error: ...` and exit with status 2. Docs: docs/.\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        if (strcmp(argv[1], COMMANDS[i].name) == 0) return COMMANDS[i].run(argc - 1, argv + 1);
    cli_die("unknown command \"%s\" (svs --help lists the commands)", argv[1]);
}
