/* cmd_score.c — `svs score`: per-token log-probs and entropies of responses under a model, the
 * numbers an RL trainer computes for the old / reference policy (spec/grpo-conventions.md §3,
 * verl: logits divided by the temperature; the logits at position p predict token p+1).
 * JSONL in, JSONL out, one output line per input line, in order.
 *
 * Input lines {"prompt_ids": [int, ...], "response_ids": [int, ...]} (+ "id", copied). For
 * response token j at sequence position p = len(prompt) + j: logprobs[j] = log softmax(z/T)[id]
 * and entropy[j] = H(softmax(z/T)) of the logits z at position p − 1 (the distribution that
 * produced the token). Lines are scored in packed batches of up to --batch-tokens tokens
 * (model_forward over right-padded sequences; a batch gives the same numbers, bit for bit, as
 * each line alone). */
#include <stdlib.h>
#include <string.h>

#include "cli_model.h"

static const char *SCORE_HELP =
    "usage: svs score --model PATH --jsonl FILE [--temperature T] [--batch-tokens N]\n\n"
    "Log-probs and entropies of response tokens under a Qwen2 / Llama model (fp32).\n\n"
    "  --model PATH        an HF model folder (config.json + model.safetensors or\n"
    "                      model.safetensors.index.json) or a .gguf file (F32/F16/BF16/Q8_0/\n"
    "                      Q4_0/Q4_1, dequantized on load)\n"
    "  --jsonl FILE        input lines {\"prompt_ids\": [int, ...], \"response_ids\": [int, ...]}\n"
    "                      (\"-\" = stdin; prompt and response non-empty; ids < vocab_size)\n"
    "                      output lines {\"logprobs\": [...], \"entropy\": [...]}, one value per\n"
    "                      response token (+ \"id\" copied when present)\n"
    "  --temperature T     divide the logits by T before the softmax (verl); default 1\n"
    "  --batch-tokens N    most tokens scored in one forward pass; default 4096\n"
    CLI_BACKEND_HELP;

model *cli_load_model(const char *path) {
    svs_err err = {{0}};
    if (!path) cli_die("--model PATH is required");
    model *m = model_load(path, &err);
    if (!m) cli_die_err(&err);
    return m;
}

void cli_get_ids(cli_jsonl *r, json_t *obj, const char *field, int64_t vocab, int allow_empty,
                 int32_t **ids, int *n, int *cap) {
    json_t *arr = json_object_get(obj, field);
    if (!arr) cli_die("%s:%ld: field \"%s\": missing", r->path, r->lineno, field);
    if (!json_is_array(arr)) cli_die("%s:%ld: field \"%s\": expected an array of token ids", r->path, r->lineno, field);
    size_t k = json_array_size(arr);
    if (!k && !allow_empty) cli_die("%s:%ld: field \"%s\": empty", r->path, r->lineno, field);
    if (k > (size_t)(1 << 30) || (size_t)*n + k > (size_t)(1 << 30))
        cli_die("%s:%ld: field \"%s\": too many ids", r->path, r->lineno, field);
    if (*n + (int)k > *cap) {
        int nc = *cap ? *cap : 64;
        while (nc < *n + (int)k) nc *= 2;
        int32_t *p = realloc(*ids, (size_t)nc * sizeof **ids);
        if (!p) cli_die("out of memory");
        *ids = p;
        *cap = nc;
    }
    for (size_t i = 0; i < k; i++) {
        json_t *v = json_array_get(arr, i);
        if (!json_is_integer(v))
            cli_die("%s:%ld: field \"%s\": element %zu: expected an integer token id", r->path, r->lineno, field, i);
        json_int_t id = json_integer_value(v);
        if (id < 0 || id >= vocab)
            cli_die("%s:%ld: field \"%s\": element %zu: id %lld is out of range for the vocabulary (vocab_size %lld)",
                    r->path, r->lineno, field, i, (long long)id, (long long)vocab);
        (*ids)[(*n)++] = (int32_t)id;
    }
}

/* One pending line: its tokens in a shared pool. */
typedef struct {
    json_t *id;      /* the "id" field (a new reference) or NULL */
    int off, plen, rlen;
} pending;

typedef struct {
    model *m;
    float temperature;
    pending *lines;
    int n, cap;
    int32_t *pool;
    int pool_n, pool_cap;
    /* batch buffers */
    int32_t *ids, *targets;
    int *lens;
    float *logp, *ent;
    size_t bt_cap;
} scorer;

static void flush(scorer *s) {
    if (!s->n) return;
    svs_err err = {{0}};
    int B = s->n, T = 0;
    for (int i = 0; i < B; i++)
        if (s->lines[i].plen + s->lines[i].rlen > T) T = s->lines[i].plen + s->lines[i].rlen;
    size_t BT = (size_t)B * (size_t)T;
    if (BT > s->bt_cap) {
        free(s->ids); free(s->targets); free(s->logp); free(s->ent);
        s->ids = malloc(BT * sizeof *s->ids);
        s->targets = malloc(BT * sizeof *s->targets);
        s->logp = malloc(BT * sizeof *s->logp);
        s->ent = malloc(BT * sizeof *s->ent);
        if (!s->ids || !s->targets || !s->logp || !s->ent) cli_die("out of memory");
        s->bt_cap = BT;
    }
    free(s->lens);
    s->lens = malloc((size_t)s->n * sizeof *s->lens);
    if (!s->lens) cli_die("out of memory");
    for (int i = 0; i < B; i++) {
        pending *p = &s->lines[i];
        s->lens[i] = p->plen + p->rlen;
        for (int t = 0; t < T; t++) s->ids[(size_t)i * T + t] = t < s->lens[i] ? s->pool[p->off + t] : 0;
    }
    model_batch batch = {B, T, s->ids, s->lens};
    /* targets only at the positions that predict response tokens */
    for (int i = 0; i < B; i++)
        for (int t = 0; t < T; t++) {
            pending *p = &s->lines[i];
            s->targets[(size_t)i * T + t] = (t >= p->plen - 1 && t < s->lens[i] - 1) ? s->ids[(size_t)i * T + t + 1] : -1;
        }
    if (model_forward(s->m, &batch, &err) || model_logprobs(s->m, s->targets, s->temperature, s->logp, s->ent, &err))
        cli_die_err(&err);
    for (int i = 0; i < B; i++) {
        pending *p = &s->lines[i];
        json_t *out = json_object(), *lp = json_array(), *en = json_array();
        if (p->id) json_object_set_new(out, "id", p->id);
        for (int j = 0; j < p->rlen; j++) {
            size_t k = (size_t)i * T + (size_t)(p->plen - 1 + j);
            json_array_append_new(lp, json_real(s->logp[k]));
            json_array_append_new(en, json_real(s->ent[k]));
        }
        json_object_set_new(out, "logprobs", lp);
        json_object_set_new(out, "entropy", en);
        cli_print_json(out);
        json_decref(out);
    }
    s->n = 0;
    s->pool_n = 0;
}

int cmd_score(int argc, char **argv) {
    const char *model_path = NULL, *jsonl = NULL;
    double temperature = 1.0;
    long long batch_tokens = 4096;
    cli_backend_opts backend = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) { fputs(SCORE_HELP, stdout); return 0; }
        else if (cli_backend_option(argc, argv, &i, &backend)) continue;
        else if (!strcmp(a, "--model")) model_path = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--jsonl")) jsonl = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--temperature")) temperature = cli_double(a, cli_value(argc, argv, &i));
        else if (!strcmp(a, "--batch-tokens")) batch_tokens = cli_int(a, cli_value(argc, argv, &i), 1, 1 << 24);
        else cli_die("score: unknown option \"%s\" (svs score --help)", a);
    }
    if (!model_path) cli_die("score: --model PATH is required (svs score --help)");
    if (!jsonl) cli_die("score: --jsonl FILE is required (svs score --help)");
    if (!(temperature > 0) || temperature > 1e6) cli_die("option --temperature: must be > 0 (got %g)", temperature);
    scorer s = {0};
    s.m = cli_load_model(model_path);
    cli_backend_apply(s.m, &backend);
    s.temperature = (float)temperature;
    cli_jsonl r;
    cli_jsonl_open(&r, jsonl);
    json_t *obj;
    while ((obj = cli_jsonl_next(&r))) {
        int before = s.pool_n;
        cli_get_ids(&r, obj, "prompt_ids", s.m->V, 0, &s.pool, &s.pool_n, &s.pool_cap);
        int plen = s.pool_n - before;
        cli_get_ids(&r, obj, "response_ids", s.m->V, 0, &s.pool, &s.pool_n, &s.pool_cap);
        int len = s.pool_n - before;
        if (s.n && s.pool_n > batch_tokens) { /* flush the earlier lines, keep this one */
            int32_t *mine = malloc((size_t)len * sizeof *mine);
            if (!mine) cli_die("out of memory");
            memcpy(mine, s.pool + before, (size_t)len * sizeof *mine);
            s.pool_n = before;
            flush(&s);
            memcpy(s.pool, mine, (size_t)len * sizeof *mine);
            s.pool_n = len;
            before = 0;
            free(mine);
        }
        if (s.n == s.cap) {
            s.cap = s.cap ? 2 * s.cap : 16;
            s.lines = realloc(s.lines, (size_t)s.cap * sizeof *s.lines);
            if (!s.lines) cli_die("out of memory");
        }
        json_t *id = json_object_get(obj, "id");
        s.lines[s.n++] = (pending){id ? json_incref(id) : NULL, before, plen, len - plen};
        json_decref(obj);
    }
    flush(&s);
    cli_jsonl_close(&r);
    free(s.lines); free(s.pool); free(s.ids); free(s.targets); free(s.lens); free(s.logp); free(s.ent);
    model_free(s.m);
    if (fflush(stdout)) cli_die("write error on stdout");
    return 0;
}
