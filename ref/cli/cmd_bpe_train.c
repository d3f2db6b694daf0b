/* cmd_bpe_train.c — `svs bpe-train`: train a byte-level BPE tokenizer and write it as a Hugging
 * Face tokenizer.json (ref/tokenizer/tok_train.h; spec/formats.md §1–§4). */
#include <stdlib.h>
#include <string.h>

#include "../tokenizer/tok_train.h"
#include "cli.h"

static const char *HELP = "usage: svs bpe-train --input FILE --vocab-size N --out tokenizer.json\n"
                          "                     [--pretokenizer qwen2|llama3|gpt2] [--special TOKEN]... [--nfc]\n"
                          "                     [--min-frequency N]\n\n"
                          "Trains byte-level BPE (ids 0-255 = bytes in GPT-2 bytes_to_unicode order, then one id per\n"
                          "learned token, then the special tokens) and writes a tokenizer.json that Hugging Face\n"
                          "tokenizers loads and that encodes exactly like svs encode.\n\n"
                          "  --input FILE          .jsonl: one object per line with a \"text\" field (lines with\n"
                          "                        \"header\": true are skipped); any other name: the whole file is\n"
                          "                        one text (UTF-8)\n"
                          "  --vocab-size N        total ids including the 256 bytes and the special tokens\n"
                          "  --pretokenizer KIND   the pre-tokenizer regex of qwen2 (default), llama3 or gpt2\n"
                          "  --special TOKEN       a special (added) token; repeatable; never split, never merged\n"
                          "  --nfc                 NFC normalizer (as Qwen2)\n"
                          "  --min-frequency N     stop when the best pair occurs fewer than N times (default 2)\n"
                          "  --out FILE            where to write tokenizer.json\n\n"
                          "Prints one JSON line: {\"vocab_size\":..,\"merges\":..,\"out\":..}. Merge order: the most\n"
                          "frequent pair first; ties go to the smallest (left id, right id).\n";

#define MAX_INPUT_BYTES ((size_t)4 << 30)

static tok_pre_kind parse_pre(const char *s) {
    if (!strcmp(s, "qwen2")) return TOK_PRE_QWEN2;
    if (!strcmp(s, "llama3")) return TOK_PRE_LLAMA3;
    if (!strcmp(s, "gpt2")) return TOK_PRE_GPT2;
    cli_die("--pretokenizer: unknown kind \"%s\" (qwen2, llama3, gpt2)", s);
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void feed_jsonl(tok_trainer *tr, const char *path) {
    cli_jsonl r;
    cli_jsonl_open(&r, path);
    json_t *obj;
    while ((obj = cli_jsonl_next(&r))) {
        if (json_is_true(json_object_get(obj, "header"))) {
            json_decref(obj);
            continue;
        }
        size_t len;
        const char *text = cli_get_string(&r, obj, "text", &len);
        svs_err err = {{0}};
        if (tok_trainer_add_text(tr, text, len, &err)) cli_die("%s:%ld: field \"text\": %s", r.path, r.lineno, err.msg);
        json_decref(obj);
    }
    cli_jsonl_close(&r);
}

static void feed_text(tok_trainer *tr, const char *path) {
    svs_err err = {{0}};
    size_t len;
    char *text = svs_read_file(path, MAX_INPUT_BYTES, &len, &err);
    if (!text) cli_die_err(&err);
    if (tok_trainer_add_text(tr, text, len, &err)) cli_die("%s: %s", path, err.msg);
    free(text);
}

static void write_file(const char *path, const svs_buf *b) {
    FILE *f = fopen(path, "wb");
    if (!f) cli_die("%s: cannot open for writing", path);
    size_t w = b->len ? fwrite(b->data, 1, b->len, f) : 0;
    if (fclose(f) != 0 || w != b->len) cli_die("%s: write error", path);
}

int cmd_bpe_train(int argc, char **argv) {
    tok_train_opts o = tok_train_defaults();
    const char *input = NULL, *out = NULL;
    const char **specials = calloc((size_t)argc, sizeof *specials);
    if (!specials) cli_die("out of memory");
    int have_vocab = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(HELP, stdout);
            free(specials);
            return 0;
        } else if (!strcmp(a, "--input")) {
            input = cli_value(argc, argv, &i);
        } else if (!strcmp(a, "--out")) {
            out = cli_value(argc, argv, &i);
        } else if (!strcmp(a, "--vocab-size")) {
            o.vocab_size = (size_t)cli_int(a, cli_value(argc, argv, &i), 256, INT32_MAX);
            have_vocab = 1;
        } else if (!strcmp(a, "--pretokenizer")) {
            o.pre = parse_pre(cli_value(argc, argv, &i));
        } else if (!strcmp(a, "--special")) {
            specials[o.n_specials++] = cli_value(argc, argv, &i);
        } else if (!strcmp(a, "--nfc")) {
            o.nfc = 1;
        } else if (!strcmp(a, "--min-frequency")) {
            o.min_frequency = (size_t)cli_int(a, cli_value(argc, argv, &i), 1, (long long)1 << 62);
        } else {
            cli_die("bpe-train: unknown option \"%s\" (svs bpe-train --help)", a);
        }
    }
    if (!input || !out || !have_vocab) cli_die("bpe-train: --input, --vocab-size and --out are required");
    o.specials = specials;

    svs_err err = {{0}};
    tok_trainer *tr;
    if (tok_trainer_new(&o, &tr, &err)) cli_die_err(&err);
    if (ends_with(input, ".jsonl"))
        feed_jsonl(tr, input);
    else
        feed_text(tr, input);
    svs_buf json = {0};
    if (tok_trainer_train(tr, &err) || tok_trainer_to_json(tr, &json, &err)) cli_die_err(&err);
    write_file(out, &json);
    printf("{\"vocab_size\":%zu,\"merges\":%zu,\"out\":", tok_trainer_vocab_size(tr), tok_trainer_n_merges(tr));
    json_t *s = json_string(out);
    char *q = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
    printf("%s}\n", q ? q : "null");
    free(q);
    json_decref(s);
    svs_buf_free(&json);
    tok_trainer_free(tr);
    free(specials);
    return 0;
}
