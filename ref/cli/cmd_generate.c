/* cmd_generate.c — `svs generate`: batched sampling with the KV cache (model_generate,
 * docs/model.md "KV-cache forward and generation" and "Sampling semantics"). JSONL in, JSONL
 * out, one output line per input line, in order.
 *
 * Reproducibility: one xoshiro256** generator seeded with --seed; the sequences of the whole
 * run (input line i, sample j -> sequence i·n + j) each take their own generator from its
 * successive outputs, so the ids depend only on the seed, the line's position and the model —
 * not on how lines are grouped into batches (exactly so with --backend ref, whose sums have a
 * fixed order; the opt backend's BLAS blocking depends on the batch shape, so its logits can
 * differ by an ulp between groupings). --temperature 0 is greedy (argmax, no draws). */
#include <stdlib.h>
#include <string.h>

#include "../model/gguf.h"
#include "../model/sample.h"
#include "../tokenizer/tok.h"
#include "cli_model.h"

static const char *GENERATE_HELP =
    "usage: svs generate --model PATH --jsonl FILE [--tokenizer tokenizer.json]\n"
    "                    [--max-new-tokens N] [--temperature T] [--top-k K] [--top-p P]\n"
    "                    [--seed S] [--n N] [--batch N]\n\n"
    "Generates continuations with a Qwen2 / Llama model (fp32, KV cache, batched).\n\n"
    "  --model PATH        an HF model folder (config.json + model.safetensors or\n"
    "                      model.safetensors.index.json) or a .gguf file\n"
    "  --tokenizer FILE    an HF tokenizer.json, or a .gguf file's tokenizer.ggml.* metadata\n"
    "                      (the default when --model is a .gguf file): allows {\"prompt\": str}\n"
    "                      input and adds \"text\"\n"
    "  --jsonl FILE        input lines {\"prompt_ids\": [int, ...]} or {\"prompt\": str} (\"-\" =\n"
    "                      stdin; the prompt is encoded as is: no BOS, no chat template)\n"
    "                      output lines {\"ids\": [new ids], \"text\": str, \"finish_reason\":\n"
    "                      \"eos\" | \"length\"} (text with --tokenizer: the new ids decoded,\n"
    "                      special tokens and ids beyond the tokenizer skipped); with --n > 1,\n"
    "                      {\"samples\": [such objects]}; \"id\" is copied when present\n"
    "  --max-new-tokens N  default 128\n"
    "  --temperature T     0 = greedy; default 1\n"
    "  --top-k K           keep the K most probable tokens (0 = off, default)\n"
    "  --top-p P           nucleus sampling (1 = off, default)\n"
    "  --seed S            default 0\n"
    "  --n N               samples per prompt; default 1\n"
    "  --batch N           input lines generated together; default 16\n"
    "  --stop S            stop a sequence when its new text contains S (repeatable, at most\n"
    "                      16; needs a tokenizer); S is cut from \"text\", finish_reason \"stop\"\n"
    CLI_BACKEND_HELP
    "Generation stops at the EOS ids of config.json / generation_config.json (GGUF:\n"
    "tokenizer.ggml.eos_token_id); the EOS id is kept as the last id.\n";

typedef struct {
    json_t *id;
    int off, len; /* prompt ids in the pool */
} gline;

typedef struct {
    model *m;
    tok_tokenizer *tok;
    model_gen_params gp;
    int n_samples;
    svs_rng rng;
    gline *lines;
    int n, cap;
    int32_t *pool;
    int pool_n, pool_cap;
    const char *stops[16]; /* --stop strings (need a tokenizer) */
    int n_stops;
} gen;

static const char *finish_name(model_finish f) {
    return f == MODEL_FINISH_EOS ? "eos" : f == MODEL_FINISH_STOP ? "stop" : "length";
}

/* The text of new ids, special tokens and ids the tokenizer does not know (the padded rows of
 * the embedding) skipped. Caller frees. */
static char *decode_new(gen *g, const int32_t *ids, int n, size_t *len) {
    int32_t *keep = malloc(((size_t)n + 1) * sizeof *keep);
    int k = 0;
    if (!keep) cli_die("out of memory");
    for (int i = 0; i < n; i++)
        if ((size_t)ids[i] < tok_vocab_size(g->tok) && tok_id_to_token(g->tok, ids[i])) keep[k++] = ids[i];
    char *text;
    svs_err err = {{0}};
    if (tok_decode(g->tok, keep, (size_t)k, 1, &text, len, &err)) cli_die_err(&err);
    free(keep);
    return text;
}

/* Earliest occurrence of any --stop string in text, or NULL. */
static char *first_stop(const gen *g, char *text) {
    char *best = NULL;
    for (int i = 0; i < g->n_stops; i++) {
        char *p = strstr(text, g->stops[i]);
        if (p && (!best || p < best)) best = p;
    }
    return best;
}

/* model_stop_fn: stop as soon as the decoded new text contains a stop string (vLLM's `stop`). */
static int stop_on_strings(void *ctx, int b, const int32_t *ids, int n) {
    (void)b;
    gen *g = ctx;
    size_t len;
    char *text = decode_new(g, ids, n, &len);
    int hit = first_stop(g, text) != NULL;
    free(text);
    return hit;
}

static json_t *sample_json(gen *g, const model_gen_out *o) {
    json_t *out = json_object(), *ids = json_array();
    for (int i = 0; i < o->n; i++) json_array_append_new(ids, json_integer(o->ids[i]));
    json_object_set_new(out, "ids", ids);
    if (g->tok) {
        size_t len;
        char *text = decode_new(g, o->ids, o->n, &len);
        /* a stop string is not part of the returned text (vLLM's default); the ids keep the
         * token that completed it */
        char *stop = o->finish == MODEL_FINISH_STOP ? first_stop(g, text) : NULL;
        if (stop) len = (size_t)(stop - text);
        json_object_set_new(out, "text", json_stringn(text, len));
        free(text);
    }
    json_object_set_new(out, "finish_reason", json_string(finish_name(o->finish)));
    return out;
}

static void flush(gen *g) {
    if (!g->n) return;
    int B = g->n * g->n_samples, T = 0;
    for (int i = 0; i < g->n; i++)
        if (g->lines[i].len > T) T = g->lines[i].len;
    int32_t *ids = calloc((size_t)B * (size_t)T, sizeof *ids);
    int *lens = malloc((size_t)B * sizeof *lens);
    model_gen_out *out = calloc((size_t)B, sizeof *out);
    if (!ids || !lens || !out) cli_die("out of memory");
    for (int i = 0; i < g->n; i++)
        for (int j = 0; j < g->n_samples; j++) {
            int b = i * g->n_samples + j;
            lens[b] = g->lines[i].len;
            memcpy(ids + (size_t)b * T, g->pool + g->lines[i].off, (size_t)lens[b] * sizeof *ids);
        }
    model_batch batch = {B, T, ids, lens};
    svs_err err = {{0}};
    if (model_generate(g->m, &batch, &g->gp, &g->rng, out, &err)) cli_die_err(&err);
    for (int i = 0; i < g->n; i++) {
        json_t *line;
        if (g->n_samples == 1) {
            line = sample_json(g, &out[i]);
        } else {
            line = json_object();
            json_t *arr = json_array();
            for (int j = 0; j < g->n_samples; j++) json_array_append_new(arr, sample_json(g, &out[i * g->n_samples + j]));
            json_object_set_new(line, "samples", arr);
        }
        if (g->lines[i].id) json_object_set_new(line, "id", g->lines[i].id);
        cli_print_json(line);
        json_decref(line);
    }
    model_gen_out_free(out, B);
    free(out);
    free(ids);
    free(lens);
    g->n = 0;
    g->pool_n = 0;
}

/* The prompt ids of one line: "prompt_ids", or "prompt" encoded with the tokenizer. */
static void line_prompt(gen *g, cli_jsonl *r, json_t *obj) {
    json_t *p = json_object_get(obj, "prompt"), *pi = json_object_get(obj, "prompt_ids");
    if (p && pi) cli_die("%s:%ld: expected one of the fields \"prompt_ids\" and \"prompt\", not both", r->path, r->lineno);
    if (json_object_get(obj, "messages") && !p && !pi)
        cli_die("%s:%ld: field \"messages\": chat templates are not supported yet; give \"prompt_ids\" "
                "(rendered with svs encode) or \"prompt\"", r->path, r->lineno);
    if (!p) {
        cli_get_ids(r, obj, "prompt_ids", g->m->V, 0, &g->pool, &g->pool_n, &g->pool_cap);
        return;
    }
    if (!g->tok) cli_die("%s:%ld: field \"prompt\": needs --tokenizer (or give \"prompt_ids\")", r->path, r->lineno);
    size_t n;
    const char *s = cli_get_string(r, obj, "prompt", &n);
    tok_ids ids = {0};
    svs_err err = {{0}};
    if (tok_encode_append(g->tok, s, n, 0, &ids, &err)) cli_die("%s:%ld: field \"prompt\": %s", r->path, r->lineno, err.msg);
    if (!ids.len) cli_die("%s:%ld: field \"prompt\": encodes to no tokens", r->path, r->lineno);
    if (g->pool_n + (int64_t)ids.len > (1 << 30)) cli_die("%s:%ld: field \"prompt\": too long", r->path, r->lineno);
    if (g->pool_n + (int)ids.len > g->pool_cap) {
        int nc = g->pool_cap ? g->pool_cap : 64;
        while (nc < g->pool_n + (int)ids.len) nc *= 2;
        g->pool = realloc(g->pool, (size_t)nc * sizeof *g->pool);
        if (!g->pool) cli_die("out of memory");
        g->pool_cap = nc;
    }
    for (size_t i = 0; i < ids.len; i++) {
        if (ids.data[i] >= g->m->V)
            cli_die("%s:%ld: field \"prompt\": token id %d is out of range for the model (vocab_size %d)", r->path,
                    r->lineno, ids.data[i], g->m->V);
        g->pool[g->pool_n++] = ids.data[i];
    }
    tok_ids_free(&ids);
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* The tokenizer of a GGUF file's tokenizer.ggml.* metadata (tok_from_gguf_vocab, llama.cpp
 * pre-tokenization, which SmolLM2's own tokenizer.json shares). */
static tok_tokenizer *tokenizer_from_gguf(const char *path) {
    gguf_file *g = NULL;
    gguf_tokenizer gt;
    tok_tokenizer *t = NULL;
    svs_err err = {{0}};
    memset(&gt, 0, sizeof gt);
    if (gguf_open(path, &g, &err) || gguf_tokenizer_get(g, &gt, &err)) cli_die("%s: %s", path, err.msg);
    tok_gguf_vocab v = {.model = gt.model, .pre = gt.pre, .n_tokens = gt.n_tokens,
                        .tokens = gt.tokens, .token_lens = gt.token_lens, .token_type = gt.token_type,
                        .n_merges = gt.n_merges, .merges = gt.merges, .bos_id = gt.bos_id,
                        .eos_id = gt.eos_id, .transformers_compat = 0};
    if (tok_from_gguf_vocab(&v, &t, &err)) cli_die("%s: %s", path, err.msg);
    gguf_tokenizer_free(&gt);
    gguf_close(g);
    return t;
}

tok_tokenizer *cli_load_tokenizer(const char *path) {
    if (ends_with(path, ".gguf")) return tokenizer_from_gguf(path);
    tok_tokenizer *t = NULL;
    svs_err err = {{0}};
    if (tok_load(path, &t, &err)) cli_die_err(&err);
    return t;
}

int cmd_generate(int argc, char **argv) {
    const char *model_path = NULL, *jsonl = NULL, *tokenizer = NULL;
    long long max_new = 128, top_k = 0, seed = 0, n_samples = 1, batch = 16;
    double temperature = 1.0, top_p = 1.0;
    cli_backend_opts backend = {0};
    const char *stops[16];
    int n_stops = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) { fputs(GENERATE_HELP, stdout); return 0; }
        else if (cli_backend_option(argc, argv, &i, &backend)) continue;
        else if (!strcmp(a, "--model")) model_path = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--jsonl")) jsonl = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--tokenizer")) tokenizer = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--max-new-tokens")) max_new = cli_int(a, cli_value(argc, argv, &i), 0, 1 << 20);
        else if (!strcmp(a, "--temperature")) temperature = cli_double(a, cli_value(argc, argv, &i));
        else if (!strcmp(a, "--top-k")) top_k = cli_int(a, cli_value(argc, argv, &i), 0, 1LL << 31);
        else if (!strcmp(a, "--top-p")) top_p = cli_double(a, cli_value(argc, argv, &i));
        else if (!strcmp(a, "--seed")) seed = cli_int(a, cli_value(argc, argv, &i), 0, INT64_MAX);
        else if (!strcmp(a, "--n")) n_samples = cli_int(a, cli_value(argc, argv, &i), 1, 4096);
        else if (!strcmp(a, "--batch")) batch = cli_int(a, cli_value(argc, argv, &i), 1, 4096);
        else if (!strcmp(a, "--stop")) {
            if (n_stops == 16) cli_die("option --stop: at most 16 stop strings");
            stops[n_stops] = cli_value(argc, argv, &i);
            if (!*stops[n_stops]) cli_die("option --stop: empty string");
            n_stops++;
        } else cli_die("generate: unknown option \"%s\" (svs generate --help)", a);
    }
    if (!model_path) cli_die("generate: --model PATH is required (svs generate --help)");
    if (!jsonl) cli_die("generate: --jsonl FILE is required (svs generate --help)");
    if (!(temperature >= 0) || temperature > 1e6) cli_die("option --temperature: must be >= 0 (got %g)", temperature);
    if (!(top_p > 0) || top_p > 1) cli_die("option --top-p: must be in (0, 1] (got %g)", top_p);
    gen g = {0};
    if (tokenizer && ends_with(tokenizer, ".gguf")) {
        g.tok = tokenizer_from_gguf(tokenizer);
    } else if (tokenizer) {
        svs_err err = {{0}};
        if (tok_load(tokenizer, &g.tok, &err)) cli_die_err(&err);
    } else if (ends_with(model_path, ".gguf")) {
        g.tok = tokenizer_from_gguf(model_path);
    }
    g.m = cli_load_model(model_path);
    cli_backend_apply(g.m, &backend);
    int32_t stop[MODEL_MAX_EOS];
    for (int i = 0; i < g.m->cfg.n_eos; i++) stop[i] = (int32_t)g.m->cfg.eos_token_ids[i];
    g.gp = (model_gen_params){(int)max_new, stop, g.m->cfg.n_eos, NULL, NULL,
                              {(float)temperature, (int)top_k, (float)top_p}};
    if (n_stops) {
        if (!g.tok) cli_die("option --stop: needs a tokenizer (--tokenizer, or a .gguf model)");
        memcpy(g.stops, stops, sizeof stops);
        g.n_stops = n_stops;
        g.gp.stop_fn = stop_on_strings;
        g.gp.stop_ctx = &g;
    }
    g.n_samples = (int)n_samples;
    svs_rng_seed(&g.rng, (uint64_t)seed);
    cli_jsonl r;
    cli_jsonl_open(&r, jsonl);
    json_t *obj;
    while ((obj = cli_jsonl_next(&r))) {
        int before = g.pool_n;
        line_prompt(&g, &r, obj);
        if (g.n == g.cap) {
            g.cap = g.cap ? 2 * g.cap : 16;
            g.lines = realloc(g.lines, (size_t)g.cap * sizeof *g.lines);
            if (!g.lines) cli_die("out of memory");
        }
        json_t *id = json_object_get(obj, "id");
        g.lines[g.n++] = (gline){id ? json_incref(id) : NULL, before, g.pool_n - before};
        json_decref(obj);
        if (g.n >= batch) flush(&g);
    }
    flush(&g);
    cli_jsonl_close(&r);
    free(g.lines);
    free(g.pool);
    model_free(g.m);
    tok_free(g.tok);
    if (fflush(stdout)) cli_die("write error on stdout");
    return 0;
}
