/* rl_data.c — the dataset readers of rl_data.h. */
#include "rl_data.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *xstrdup(const char *s) {
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d) memcpy(d, s, n + 1);
    return d;
}

static char *trim_dup(const char *s) {
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r')) n--;
    char *d = malloc(n + 1);
    if (d) { memcpy(d, s, n); d[n] = 0; }
    return d;
}

/* A gold answer may be a string or a number. */
static char *gold_text(json_t *v) {
    char buf[64];
    if (json_is_string(v)) return xstrdup(json_string_value(v));
    if (json_is_integer(v)) { snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v)); return xstrdup(buf); }
    if (json_is_real(v)) { snprintf(buf, sizeof buf, "%.17g", json_real_value(v)); return xstrdup(buf); }
    return NULL;
}

#define BAD(...) do { snprintf(err->msg, sizeof err->msg, __VA_ARGS__); goto fail; } while (0)

static int parse_row(json_t *o, rl_problem *p, const char *path, long ln, svs_err *err) {
    json_t *q = json_object_get(o, "question"), *pr = json_object_get(o, "prompt");
    json_t *ds = json_object_get(o, "data_source");
    if (ds && !json_is_string(ds)) BAD("%s:%ld: field \"data_source\": expected a string", path, ln);
    p->data_source = xstrdup(ds ? json_string_value(ds) : "unknown");
    if (q) {
        if (!json_is_string(q)) BAD("%s:%ld: field \"question\": expected a string", path, ln);
        json_t *a = json_object_get(o, "ref_answer");
        const char *field = "ref_answer";
        if (!a) { a = json_object_get(o, "answer"); field = "answer"; }
        if (!a) BAD("%s:%ld: field \"answer\": missing (or \"ref_answer\")", path, ln);
        char *g = gold_text(a);
        if (!g) BAD("%s:%ld: field \"%s\": expected a string or a number", path, ln, field);
        const char *hash = strstr(g, "####"); /* GSM8K */
        if (hash) { p->answer = trim_dup(hash + 4); free(g); } else p->answer = g;
        if (!p->answer[0]) BAD("%s:%ld: field \"%s\": empty answer", path, ln, field);
        size_t qn = strlen(json_string_value(q)), mn = strlen(RL_MATH_INSTRUCTION);
        p->n_msgs = 1;
        p->roles = calloc(1, sizeof(char *));
        p->contents = calloc(1, sizeof(char *));
        p->roles[0] = xstrdup("user");
        p->contents[0] = malloc(qn + mn + 1);
        memcpy(p->contents[0], json_string_value(q), qn);
        memcpy(p->contents[0] + qn, RL_MATH_INSTRUCTION, mn + 1);
        return 0;
    }
    if (!pr) BAD("%s:%ld: field \"question\": missing (and no verl \"prompt\")", path, ln);
    if (!json_is_array(pr) || json_array_size(pr) == 0)
        BAD("%s:%ld: field \"prompt\": expected a non-empty array of messages", path, ln);
    json_t *rm = json_object_get(o, "reward_model");
    json_t *gt = rm ? json_object_get(rm, "ground_truth") : NULL;
    if (!gt) BAD("%s:%ld: field \"reward_model.ground_truth\": missing", path, ln);
    if (!(p->answer = gold_text(gt)))
        BAD("%s:%ld: field \"reward_model.ground_truth\": expected a string or a number", path, ln);
    p->n_msgs = (int)json_array_size(pr);
    p->roles = calloc((size_t)p->n_msgs, sizeof(char *));
    p->contents = calloc((size_t)p->n_msgs, sizeof(char *));
    for (int i = 0; i < p->n_msgs; i++) {
        json_t *m = json_array_get(pr, (size_t)i);
        json_t *r = json_object_get(m, "role"), *c = json_object_get(m, "content");
        if (!json_is_string(r)) BAD("%s:%ld: field \"prompt[%d].role\": expected a string", path, ln, i);
        if (!json_is_string(c)) BAD("%s:%ld: field \"prompt[%d].content\": expected a string", path, ln, i);
        p->roles[i] = xstrdup(json_string_value(r));
        p->contents[i] = xstrdup(json_string_value(c));
    }
    return 0;
fail:
    return -1;
}

static void problem_free(rl_problem *p) {
    for (int i = 0; i < p->n_msgs; i++) {
        if (p->roles) free(p->roles[i]);
        if (p->contents) free(p->contents[i]);
    }
    free(p->roles); free(p->contents); free(p->answer); free(p->data_source); free(p->ids);
    memset(p, 0, sizeof *p);
}

int rl_data_load(const char *path, rl_dataset *ds, svs_err *err) {
    memset(ds, 0, sizeof *ds);
    FILE *f = fopen(path, "rb");
    if (!f) { snprintf(err->msg, sizeof err->msg, "%s: cannot open", path); return -1; }
    char *line = NULL;
    size_t cap = 0, capn = 0;
    ssize_t len;
    long ln = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        ln++;
        json_error_t je;
        json_t *o = json_loadb(line, (size_t)len, 0, &je);
        if (!o || !json_is_object(o)) {
            snprintf(err->msg, sizeof err->msg, "%s:%ld: %s", path, ln, o ? "expected a JSON object" : je.text);
            json_decref(o);
            goto fail;
        }
        if (ds->n == capn) {
            capn = capn ? 2 * capn : 64;
            ds->p = realloc(ds->p, capn * sizeof *ds->p);
        }
        memset(&ds->p[ds->n], 0, sizeof *ds->p);
        int rc = parse_row(o, &ds->p[ds->n], path, ln, err);
        ds->n++;
        json_decref(o);
        if (rc) goto fail;
    }
    free(line);
    fclose(f);
    if (ds->n == 0) { snprintf(err->msg, sizeof err->msg, "%s: no problems", path); rl_data_free(ds); return -1; }
    return 0;
fail:
    free(line);
    fclose(f);
    rl_data_free(ds);
    return -1;
}

int rl_data_encode(rl_dataset *ds, const tok_tokenizer *tok, tok_chat_template tpl, svs_err *err) {
    for (size_t i = 0; i < ds->n; i++) {
        rl_problem *p = &ds->p[i];
        tok_chat_msg *msgs = calloc((size_t)p->n_msgs, sizeof *msgs);
        for (int k = 0; k < p->n_msgs; k++)
            msgs[k] = (tok_chat_msg){p->roles[k], p->contents[k], strlen(p->contents[k])};
        tok_ids ids = {0};
        int rc = tok_chat_encode(tok, tpl, msgs, (size_t)p->n_msgs, 1, &ids, err);
        free(msgs);
        if (rc) return -1;
        free(p->ids);
        p->ids = ids.data;
        p->n_ids = (int)ids.len;
    }
    return 0;
}

void rl_data_free(rl_dataset *ds) {
    for (size_t i = 0; i < ds->n; i++) problem_free(&ds->p[i]);
    free(ds->p);
    memset(ds, 0, sizeof *ds);
}
