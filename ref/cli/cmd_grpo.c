/* cmd_grpo.c — `svs grpo`: the GRPO presets of spec/grpo-conventions.md §12.2 (`--show`) and the
 * checker of another implementation's batch (`--check FILE`), docs/grpo_checker.md.
 *
 * The checker reads a JSONL dump (an optional header line, one line per response row, an
 * optional batch line with the scalars), recomputes every quantity the dump carries with
 * ref/grpo*.c under the chosen preset and switches, and prints per quantity the count compared,
 * the max abs and rel errors and the first row/token beyond tolerance. Each quantity is
 * recomputed from the dump's own inputs of that stage (their advantages feed our token loss,
 * their log-probs feed our loss), so a bug is reported where it is, not everywhere downstream.
 * Exit 0: everything agrees; 1: a difference was found; 2: bad input or usage. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../grpo.h"
#include "cli.h"

static const char *HELP =
    "usage: svs grpo --preset NAME [--set SWITCH=VALUE]... --show\n"
    "       svs grpo [--preset NAME] [--set SWITCH=VALUE]... --check FILE\n"
    "                [--tolerance-rel R] [--tolerance-abs A] [--json]\n\n"
    "GRPO / DAPO numerics under the conventions of one library (spec/grpo-conventions.md §12).\n"
    "  --preset NAME      verl-svs | verl | verl-engine | dapo | trl | openrlhf (or the header's\n"
    "                     \"preset\" with --check)\n"
    "  --set S=V          override one switch after the preset (repeatable; --show lists them)\n"
    "  --show             print every switch of the preset, one `name = value` line each\n"
    "  --check FILE       compare a dumped batch (JSONL, docs/grpo_checker.md; \"-\" = stdin)\n"
    "                     with our computation: per quantity the max abs / rel error and the\n"
    "                     first row/token beyond tolerance\n"
    "  --tolerance-rel R  relative tolerance (default 1e-5); a value agrees when\n"
    "  --tolerance-abs A  |ours - theirs| <= A + R*|ours| (default A = 1e-6)\n"
    "  --json             one JSON line per quantity and a summary line instead of the table\n\n"
    "Exit status: 0 all quantities agree, 1 a difference was found, 2 bad input or usage.\n";

#define MAX_SETS 128
#define MAX_ELEMS ((size_t)1 << 28) /* B·L·V cap: 1 GiB of float32 logits */

typedef struct opts {
    const char *preset, *check;
    const char *sets[MAX_SETS];
    size_t nsets;
    double rtol, atol;
    int json, show;
} opts;

/* Batch scalars of the final line, in output order. */
enum { S_LOSS, S_PG_LOSS, S_CLIPFRAC, S_CLIPFRAC_LOWER, S_PPO_KL, S_KL_LOSS, S_ENT_LOSS, N_SCAL };
static const char *const SCAL_NAMES[N_SCAL] = {"loss", "pg_loss", "pg_clipfrac", "pg_clipfrac_lower",
                                               "ppo_kl", "kl_loss", "entropy_loss"};

/* The dumped batch: B rows of padded width L (row-major [B][L]); optional arrays are NULL. */
typedef struct gbatch {
    const char *path;
    size_t B, L, V;
    long *line;                /* [B] input line of each row */
    int64_t *uid;              /* [B] interned group ids */
    float *reward, *mask, *logp, *old, *ref;
    float *logits;             /* [B·L·V] raw logits (before the temperature) */
    int64_t *tokens;           /* [B·L] sampled token ids (with logits) */
    float *adv_row, *adv_tok;  /* their advantages: one scalar per row, or per token */
    float *tok_loss, *entropy, *kl;
    long header_line, batch_line;
    char *preset;              /* header "preset" (owned) */
    double temperature;        /* header "temperature", NaN when absent */
    char **hdr_sets;           /* header "set" as "name=value" strings (owned) */
    size_t n_hdr_sets;
    size_t n_mb, *mb_rows, *mb_start; /* micro-batches: rows mb_rows[mb_start[j] .. mb_start[j+1]) */
    size_t mini_rows;          /* header "mini_rows", 0 = number of rows */
    double global_seqs;        /* header "global_seqs", 0 = number of rows */
    int has[N_SCAL];
    double scal[N_SCAL];
    char **keys;               /* uid intern table */
    size_t nkeys;
} gbatch;

/* ---- errors naming the file, line and field ---------------------------------------------- */

static void die_field(const gbatch *b, long line, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5), noreturn));
static void die_field(const gbatch *b, long line, const char *field, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cli_die("%s:%ld: field \"%s\": %s", b->path, line, field, msg);
}

static void *xcalloc(size_t n, size_t size) {
    svs_err err = {{0}};
    void *p = svs_calloc(n ? n : 1, size, &err);
    if (!p) cli_die_err(&err);
    return p;
}

static char *xstrdup(const char *s) {
    svs_err err = {{0}};
    char *p = svs_strndup(s, strlen(s), &err);
    if (!p) cli_die_err(&err);
    return p;
}

/* Unknown keys are errors (a misspelt optional field would silently skip a comparison); keys
 * starting with "x_" are the producer's own and are ignored. */
static void check_keys(const gbatch *b, long line, json_t *obj, const char *const *known) {
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        int ok = !strncmp(key, "x_", 2);
        for (size_t i = 0; !ok && known[i]; i++) ok = !strcmp(key, known[i]);
        if (!ok) die_field(b, line, key, "unknown field (prefix your own fields with \"x_\")");
    }
}

static double get_number(const gbatch *b, long line, json_t *obj, const char *field, int required,
                         double dflt) {
    json_t *v = json_object_get(obj, field);
    if (!v) {
        if (required) cli_die("%s:%ld: missing field \"%s\"", b->path, line, field);
        return dflt;
    }
    if (!json_is_number(v)) die_field(b, line, field, "expected a number");
    double x = json_number_value(v);
    if (!isfinite(x) || !isfinite((float)x)) die_field(b, line, field, "not a finite float32 value");
    return x;
}

static size_t get_count(const gbatch *b, long line, json_t *obj, const char *field) {
    json_t *v = json_object_get(obj, field);
    if (!v) return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > (1 << 30))
        die_field(b, line, field, "expected a positive integer");
    return (size_t)json_integer_value(v);
}

/* ---- header -------------------------------------------------------------------------------- */

static void header_sets(gbatch *b, long line, json_t *sets) {
    if (!json_is_object(sets)) die_field(b, line, "set", "expected an object {\"switch\": value}");
    b->hdr_sets = xcalloc(json_object_size(sets), sizeof *b->hdr_sets);
    const char *key;
    json_t *v;
    json_object_foreach(sets, key, v) {
        char buf[320];
        if (json_is_string(v)) snprintf(buf, sizeof buf, "%s=%s", key, json_string_value(v));
        else if (json_is_boolean(v)) snprintf(buf, sizeof buf, "%s=%d", key, json_is_true(v));
        else if (json_is_number(v)) snprintf(buf, sizeof buf, "%s=%.17g", key, json_number_value(v));
        else die_field(b, line, "set", "switch %s: expected a string, number or boolean", key);
        b->hdr_sets[b->n_hdr_sets++] = xstrdup(buf);
    }
}

static void parse_header(gbatch *b, json_t *obj, long line) {
    static const char *const KNOWN[] = {"header", "preset", "temperature", "micro_batches", "mini_rows",
                                        "global_seqs", "set", "generator", "version", NULL};
    check_keys(b, line, obj, KNOWN);
    b->header_line = line;
    json_t *p = json_object_get(obj, "preset");
    if (p && !json_is_string(p)) die_field(b, line, "preset", "expected a string");
    if (p) b->preset = xstrdup(json_string_value(p));
    b->temperature = get_number(b, line, obj, "temperature", 0, NAN);
    if (!isnan(b->temperature) && !(b->temperature > 0)) die_field(b, line, "temperature", "must be > 0");
    b->mini_rows = get_count(b, line, obj, "mini_rows");
    b->global_seqs = (double)get_count(b, line, obj, "global_seqs");
    json_t *s = json_object_get(obj, "set");
    if (s) header_sets(b, line, s);
}

/* micro_batches: an array of arrays of row indices (0-based, in file order) that partition the
 * rows. Checked once the row count is known. */
static void parse_micro_batches(gbatch *b, json_t *mbs) {
    long line = b->header_line;
    if (!mbs) {
        b->n_mb = 1;
        b->mb_start = xcalloc(2, sizeof *b->mb_start);
        b->mb_rows = xcalloc(b->B, sizeof *b->mb_rows);
        for (size_t i = 0; i < b->B; i++) b->mb_rows[i] = i;
        b->mb_start[1] = b->B;
        return;
    }
    if (!json_is_array(mbs) || json_array_size(mbs) == 0)
        die_field(b, line, "micro_batches", "expected a non-empty array of arrays of row indices");
    b->n_mb = json_array_size(mbs);
    b->mb_start = xcalloc(b->n_mb + 1, sizeof *b->mb_start);
    b->mb_rows = xcalloc(b->B, sizeof *b->mb_rows);
    unsigned char *seen = xcalloc(b->B, 1);
    size_t k = 0;
    for (size_t j = 0; j < b->n_mb; j++) {
        json_t *a = json_array_get(mbs, j);
        if (!json_is_array(a) || json_array_size(a) == 0)
            die_field(b, line, "micro_batches", "micro-batch %zu: expected a non-empty array", j);
        for (size_t t = 0; t < json_array_size(a); t++) {
            json_t *v = json_array_get(a, t);
            json_int_t r = json_is_integer(v) ? json_integer_value(v) : -1;
            if (r < 0 || (size_t)r >= b->B)
                die_field(b, line, "micro_batches", "micro-batch %zu: element %zu is not a row index "
                          "in [0, %zu)", j, t, b->B);
            if (seen[r]) die_field(b, line, "micro_batches", "row %lld appears twice", (long long)r);
            seen[r] = 1;
            b->mb_rows[k++] = (size_t)r;
        }
        b->mb_start[j + 1] = k;
    }
    free(seen);
    if (k != b->B) die_field(b, line, "micro_batches", "covers %zu of the %zu rows; give every row once", k, b->B);
}

/* ---- batch scalars ------------------------------------------------------------------------ */

static void parse_batch_line(gbatch *b, json_t *obj, long line) {
    static const char *const KNOWN[] = {"batch", "loss", "pg_loss", "pg_clipfrac", "pg_clipfrac_lower",
                                        "ppo_kl", "kl_loss", "entropy_loss", NULL};
    check_keys(b, line, obj, KNOWN);
    b->batch_line = line;
    for (int s = 0; s < N_SCAL; s++) {
        json_t *v = json_object_get(obj, SCAL_NAMES[s]);
        if (!v) continue;
        if (json_is_null(v)) { b->has[s] = 1, b->scal[s] = NAN; continue; } /* their NaN */
        b->scal[s] = get_number(b, line, obj, SCAL_NAMES[s], 1, 0);
        b->has[s] = 1;
    }
}

/* ---- rows ---------------------------------------------------------------------------------- */

static int64_t intern_uid(gbatch *b, long line, json_t *v) {
    char key[96];
    if (json_is_string(v)) {
        if (json_string_length(v) > 80) die_field(b, line, "uid", "string longer than 80 bytes");
        snprintf(key, sizeof key, "s:%s", json_string_value(v));
    } else if (json_is_integer(v)) {
        snprintf(key, sizeof key, "i:%lld", (long long)json_integer_value(v));
    } else {
        die_field(b, line, "uid", v ? "expected a string or an integer" : "missing");
    }
    for (size_t k = 0; k < b->nkeys; k++)
        if (!strcmp(b->keys[k], key)) return (int64_t)k;
    b->keys[b->nkeys] = xstrdup(key);
    return (int64_t)b->nkeys++;
}

/* mask: L values, each 0 or 1 (0, 1, 0.0, 1.0, false or true). */
static void parse_mask(gbatch *b, long line, json_t *a, float *out) {
    if (!json_is_array(a)) die_field(b, line, "mask", a ? "expected an array of 0/1" : "missing");
    if (json_array_size(a) != b->L)
        die_field(b, line, "mask", "length %zu, expected %zu (the padded width of the first row)",
                  json_array_size(a), b->L);
    for (size_t t = 0; t < b->L; t++) {
        json_t *v = json_array_get(a, t);
        double x = json_is_boolean(v) ? json_is_true(v) : json_is_number(v) ? json_number_value(v) : -1;
        if (x != 0 && x != 1) die_field(b, line, "mask", "element %zu: expected 0 or 1", t);
        out[t] = (float)x;
    }
}

/* A per-token float array of length L: finite float32 values at valid tokens; at masked tokens
 * also null (read as NaN: their padding value, which leaks under masked=mult as in verl-svs). */
static void parse_tokens_f(gbatch *b, long line, json_t *a, const char *field, const float *mask,
                           float *out) {
    if (!json_is_array(a)) die_field(b, line, field, "expected an array of numbers");
    if (json_array_size(a) != b->L)
        die_field(b, line, field, "length %zu, expected %zu (the length of \"mask\")", json_array_size(a), b->L);
    for (size_t t = 0; t < b->L; t++) {
        json_t *v = json_array_get(a, t);
        if (json_is_null(v) && mask[t] == 0) { out[t] = NAN; continue; }
        if (!json_is_number(v))
            die_field(b, line, field, "element %zu: expected a number%s", t,
                      mask[t] == 0 ? " or null" : " (null is allowed only where mask = 0)");
        double x = json_number_value(v);
        if (!isfinite((float)x)) die_field(b, line, field, "element %zu: not a finite float32 value", t);
        out[t] = (float)x;
    }
}

/* logits: L arrays of V numbers (V fixed by the first row); tokens: L ids in [0, V). */
static void parse_logits(gbatch *b, long line, json_t *lg, json_t *tk, size_t row) {
    if (!json_is_array(lg) || json_array_size(lg) != b->L)
        die_field(b, line, "logits", "expected an array of %zu per-token arrays", b->L);
    if (!json_is_array(tk) || json_array_size(tk) != b->L)
        die_field(b, line, "tokens", tk ? "expected an array of %zu token ids" : "missing (needed with \"logits\")", b->L);
    for (size_t t = 0; t < b->L; t++) {
        json_t *z = json_array_get(lg, t), *id = json_array_get(tk, t);
        if (!json_is_array(z) || json_array_size(z) != b->V)
            die_field(b, line, "logits", "token %zu: expected %zu numbers (the vocabulary of the first row)", t, b->V);
        float *dst = b->logits + (row * b->L + t) * b->V;
        for (size_t j = 0; j < b->V; j++) {
            json_t *v = json_array_get(z, j);
            if (!json_is_number(v) || !isfinite((float)json_number_value(v)))
                die_field(b, line, "logits", "token %zu, element %zu: expected a finite number", t, j);
            dst[j] = (float)json_number_value(v);
        }
        json_int_t y = json_is_integer(id) ? json_integer_value(id) : -1;
        if (y < 0 || (size_t)y >= b->V) die_field(b, line, "tokens", "element %zu: expected an id in [0, %zu)", t, b->V);
        b->tokens[row * b->L + t] = y;
    }
}

/* Optional per-row fields must be present in every row or in none. */
static int presence(const gbatch *b, long line, json_t *obj, const char *field, const void *allocated) {
    int here = json_object_get(obj, field) != NULL;
    if (here != (allocated != NULL))
        die_field(b, line, field, "%s here but %s in the first row (give it in every row or in none)",
                  here ? "present" : "missing", here ? "absent" : "present");
    return here;
}

/* Sizes and optional arrays from the first row. */
static void alloc_rows(gbatch *b, json_t *first, long line) {
    json_t *m = json_object_get(first, "mask");
    if (!json_is_array(m) || json_array_size(m) == 0)
        die_field(b, line, "mask", m ? "expected a non-empty array of 0/1" : "missing");
    b->L = json_array_size(m);
    json_t *lg = json_object_get(first, "logits");
    if (lg) {
        json_t *z0 = json_array_get(lg, 0);
        if (!json_is_array(z0) || json_array_size(z0) < 2)
            die_field(b, line, "logits", "expected per-token arrays of at least 2 logits");
        b->V = json_array_size(z0);
    }
    if (b->B * b->L > MAX_ELEMS || (b->V && b->B * b->L > MAX_ELEMS / b->V))
        cli_die("%s: batch too large (%zu rows x %zu tokens x %zu logits)", b->path, b->B, b->L, b->V);
    size_t n = b->B * b->L;
    b->line = xcalloc(b->B, sizeof *b->line);
    b->uid = xcalloc(b->B, sizeof *b->uid);
    b->keys = xcalloc(b->B, sizeof *b->keys);
    b->reward = xcalloc(b->B, sizeof *b->reward);
    b->mask = xcalloc(n, sizeof(float));
    b->logp = xcalloc(n, sizeof(float));
    b->old = xcalloc(n, sizeof(float));
    if (json_object_get(first, "ref_logp")) b->ref = xcalloc(n, sizeof(float));
    if (lg) b->logits = xcalloc(n * b->V, sizeof(float)), b->tokens = xcalloc(n, sizeof(int64_t));
    json_t *adv = json_object_get(first, "advantages");
    if (adv && json_is_array(adv)) b->adv_tok = xcalloc(n, sizeof(float));
    else if (adv) b->adv_row = xcalloc(b->B, sizeof(float));
    if (json_object_get(first, "token_loss")) b->tok_loss = xcalloc(n, sizeof(float));
    if (json_object_get(first, "entropy")) b->entropy = xcalloc(n, sizeof(float));
    if (json_object_get(first, "kl")) b->kl = xcalloc(n, sizeof(float));
}

static void parse_advantages(gbatch *b, long line, json_t *obj, size_t i) {
    json_t *a = json_object_get(obj, "advantages");
    int here = a != NULL, first_tok = b->adv_tok != NULL, first_any = first_tok || b->adv_row;
    if (here != first_any || (here && json_is_array(a) != first_tok))
        die_field(b, line, "advantages", "every row must give advantages the same way as the first row "
                  "(all per-token arrays, all scalars, or none)");
    if (!here) return;
    if (first_tok) parse_tokens_f(b, line, a, "advantages", b->mask + i * b->L, b->adv_tok + i * b->L);
    else b->adv_row[i] = (float)get_number(b, line, obj, "advantages", 1, 0);
}

static void parse_row(gbatch *b, json_t *obj, long line, size_t i) {
    static const char *const KNOWN[] = {"uid", "reward", "mask", "logp", "old_logp", "ref_logp", "logits",
                                        "tokens", "advantages", "token_loss", "entropy", "kl", NULL};
    check_keys(b, line, obj, KNOWN);
    size_t off = i * b->L;
    float *m = b->mask + off;
    b->line[i] = line;
    b->uid[i] = intern_uid(b, line, json_object_get(obj, "uid"));
    /* "reward": null = an unscored response (TRL: the reward function returned None): NaN, which
     * nan_rewards=propagate spreads through its group and nan_rewards=ignore (TRL) leaves out */
    json_t *rw = json_object_get(obj, "reward");
    b->reward[i] = json_is_null(rw) ? NAN : (float)get_number(b, line, obj, "reward", 1, 0);
    parse_mask(b, line, json_object_get(obj, "mask"), m);
    if (!json_object_get(obj, "logp")) cli_die("%s:%ld: missing field \"logp\"", b->path, line);
    if (!json_object_get(obj, "old_logp")) cli_die("%s:%ld: missing field \"old_logp\"", b->path, line);
    parse_tokens_f(b, line, json_object_get(obj, "logp"), "logp", m, b->logp + off);
    parse_tokens_f(b, line, json_object_get(obj, "old_logp"), "old_logp", m, b->old + off);
    if (presence(b, line, obj, "ref_logp", b->ref))
        parse_tokens_f(b, line, json_object_get(obj, "ref_logp"), "ref_logp", m, b->ref + off);
    if (presence(b, line, obj, "logits", b->logits))
        parse_logits(b, line, json_object_get(obj, "logits"), json_object_get(obj, "tokens"), i);
    else if (json_object_get(obj, "tokens"))
        die_field(b, line, "tokens", "given without \"logits\"");
    parse_advantages(b, line, obj, i);
    if (presence(b, line, obj, "token_loss", b->tok_loss))
        parse_tokens_f(b, line, json_object_get(obj, "token_loss"), "token_loss", m, b->tok_loss + off);
    if (presence(b, line, obj, "entropy", b->entropy))
        parse_tokens_f(b, line, json_object_get(obj, "entropy"), "entropy", m, b->entropy + off);
    if (presence(b, line, obj, "kl", b->kl))
        parse_tokens_f(b, line, json_object_get(obj, "kl"), "kl", m, b->kl + off);
}

/* ---- reading the whole file --------------------------------------------------------------- */

typedef struct jlines {
    json_t **obj;
    long *line;
    size_t n, cap;
} jlines;

static void read_lines(cli_jsonl *r, jlines *jl) {
    json_t *o;
    while ((o = cli_jsonl_next(r))) {
        if (jl->n == jl->cap) {
            jl->cap = jl->cap ? 2 * jl->cap : 64;
            jl->obj = realloc(jl->obj, jl->cap * sizeof *jl->obj);
            jl->line = realloc(jl->line, jl->cap * sizeof *jl->line);
            if (!jl->obj || !jl->line) cli_die("out of memory reading %s", r->path);
        }
        jl->obj[jl->n] = o;
        jl->line[jl->n++] = r->lineno;
    }
}

static int flag_set(json_t *o, const char *key) { return json_is_true(json_object_get(o, key)); }

static void read_batch(const char *path, gbatch *b) {
    cli_jsonl r;
    jlines jl = {0};
    cli_jsonl_open(&r, path);
    b->path = r.path;
    b->temperature = NAN;
    read_lines(&r, &jl);
    size_t lo = 0, hi = jl.n;
    if (hi && flag_set(jl.obj[0], "header")) parse_header(b, jl.obj[lo++], jl.line[0]);
    if (hi > lo && flag_set(jl.obj[hi - 1], "batch")) hi--, parse_batch_line(b, jl.obj[hi], jl.line[hi]);
    for (size_t k = lo; k < hi; k++) {
        if (json_object_get(jl.obj[k], "header")) die_field(b, jl.line[k], "header", "the header must be the first line");
        if (json_object_get(jl.obj[k], "batch")) die_field(b, jl.line[k], "batch", "the batch line must be the last line");
    }
    if (hi == lo) cli_die("%s: no response rows (one JSON object per row: docs/grpo_checker.md)", b->path);
    b->B = hi - lo;
    alloc_rows(b, jl.obj[lo], jl.line[lo]);
    for (size_t k = lo; k < hi; k++) parse_row(b, jl.obj[k], jl.line[k], k - lo);
    parse_micro_batches(b, lo ? json_object_get(jl.obj[0], "micro_batches") : NULL);
    for (size_t k = 0; k < jl.n; k++) json_decref(jl.obj[k]);
    free(jl.obj);
    free(jl.line);
    cli_jsonl_close(&r);
}

static void gbatch_free(gbatch *b) {
    void *arrs[] = {b->line, b->uid, b->reward, b->mask, b->logp, b->old, b->ref, b->logits, b->tokens,
                    b->adv_row, b->adv_tok, b->tok_loss, b->entropy, b->kl, b->preset, b->mb_rows, b->mb_start};
    for (size_t i = 0; i < sizeof arrs / sizeof arrs[0]; i++) free(arrs[i]);
    for (size_t i = 0; i < b->n_hdr_sets; i++) free(b->hdr_sets[i]);
    for (size_t i = 0; i < b->nkeys; i++) free(b->keys[i]);
    free(b->hdr_sets);
    free(b->keys);
}

/* ---- configuration ------------------------------------------------------------------------ */

static void apply_set(grpo_config *cfg, const char *s, const char *where) {
    svs_err err = {{0}};
    if (grpo_config_set(cfg, s, &err)) cli_die("grpo: %s%s", where, err.msg);
}

/* preset (command line, else header) -> header temperature -> header "set" -> --set. */
static void make_config(const opts *o, const gbatch *b, grpo_config *cfg) {
    const char *name = o->preset ? o->preset : b ? b->preset : NULL;
    if (!name) cli_die("grpo: give --preset NAME (%s)%s", grpo_preset_names(),
                       b ? " or a \"preset\" in the header line" : "");
    svs_err err = {{0}};
    if (grpo_preset(name, cfg, &err)) cli_die("grpo: %s", err.msg);
    char where[300] = "";
    if (b && b->header_line) snprintf(where, sizeof where, "%s:%ld: field \"set\": ", b->path, b->header_line);
    if (b && !isnan(b->temperature)) cfg->temperature = b->temperature;
    for (size_t i = 0; b && i < b->n_hdr_sets; i++) apply_set(cfg, b->hdr_sets[i], where);
    for (size_t i = 0; i < o->nsets; i++) apply_set(cfg, o->sets[i], "--set: ");
    if (grpo_config_validate(cfg, &err)) cli_die("grpo: %s (use --set %s)", err.msg, "SWITCH=VALUE");
}

/* ---- comparison --------------------------------------------------------------------------- */

typedef struct cmp {
    const char *name;
    size_t n;
    double max_abs, max_rel;
    int differs, is_batch;
    size_t row, tok;
    long line;
    double ours, theirs;
} cmp;

static int agree(const opts *o, double ours, double theirs) {
    if (isnan(ours) || isnan(theirs)) return isnan(ours) && isnan(theirs);
    if (ours == theirs) return 1;
    return fabs(ours - theirs) <= o->atol + o->rtol * fabs(ours);
}

static void cmp_add(cmp *c, const opts *o, double ours, double theirs, size_t row, size_t tok, long line) {
    c->n++;
    double d = isnan(ours) != isnan(theirs) ? INFINITY : (ours == theirs ? 0 : fabs(ours - theirs));
    if (isnan(d)) d = INFINITY; /* inf − inf */
    if (d > c->max_abs) c->max_abs = d;
    if (fabs(ours) > 0 && d / fabs(ours) > c->max_rel) c->max_rel = d / fabs(ours);
    else if (ours == 0 && d > 0) c->max_rel = INFINITY;
    if (!c->differs && !agree(o, ours, theirs)) {
        c->differs = 1;
        c->row = row, c->tok = tok, c->line = line, c->ours = ours, c->theirs = theirs;
    }
}

/* Compares per-token arrays at the valid tokens (mask = 1). */
static void cmp_tokens(cmp *c, const opts *o, const gbatch *b, const float *ours, const float *theirs) {
    for (size_t i = 0; i < b->B; i++)
        for (size_t t = 0; t < b->L; t++) {
            size_t k = i * b->L + t;
            if (b->mask[k] != 0) cmp_add(c, o, ours[k], theirs[k], i, t, b->line[i]);
        }
}

/* ---- our side of each quantity ----------------------------------------------------------- */

typedef struct ours {
    float *adv_row, *adv_tok;  /* our advantages */
    const float *adv_used;     /* advantages fed to the loss: theirs when given, else ours */
    float *adv_bcast;          /* their per-row scalars broadcast (when that is what they gave) */
    float *logp, *entropy;     /* from logits (NULL without logits) */
    const float *ent_used;     /* entropy fed to entropy_loss: theirs, else ours, else NULL */
} ours;

static void die_lib(const gbatch *b, const svs_err *err) { cli_die("%s: %s", b->path, err->msg); }

static void our_advantages(const grpo_config *cfg, const gbatch *b, ours *u) {
    svs_err err = {{0}};
    size_t n = b->B * b->L;
    u->adv_row = xcalloc(b->B, sizeof(float));
    u->adv_tok = xcalloc(n, sizeof(float));
    if (grpo_advantages(cfg, b->B, b->uid, b->reward, u->adv_row, NULL, &err) ||
        grpo_advantages_tokens(cfg, b->B, b->L, b->uid, b->reward, b->mask, u->adv_tok, NULL, &err))
        die_lib(b, &err);
    u->adv_used = u->adv_tok;
    if (b->adv_tok) u->adv_used = b->adv_tok;
    if (b->adv_row) {
        u->adv_bcast = xcalloc(n, sizeof(float));
        grpo_broadcast(b->B, b->L, b->adv_row, b->mask, u->adv_bcast);
        u->adv_used = u->adv_bcast;
    }
}

/* logp and entropy from the raw logits at the configured temperature (valid tokens only). */
static void our_logits(const grpo_config *cfg, const gbatch *b, ours *u) {
    if (!b->logits) return;
    size_t n = b->B * b->L;
    u->logp = xcalloc(n, sizeof(float));
    u->entropy = xcalloc(n, sizeof(float));
    for (size_t k = 0; k < n; k++) {
        if (b->mask[k] == 0) continue;
        svs_err err = {{0}};
        const float *z = b->logits + k * b->V;
        if (grpo_logprob(cfg, z, b->V, (size_t)b->tokens[k], &u->logp[k], NULL, &err) ||
            grpo_entropy(cfg, z, b->V, &u->entropy[k], NULL, &err))
            die_lib(b, &err);
    }
}

/* The rows of micro-batch j gathered into contiguous arrays (freed by mb_free). */
typedef struct mb_buf {
    grpo_micro mb;
    float *buf;
} mb_buf;

static void gather(const float *src, const size_t *rows, size_t nb, size_t L, float *dst) {
    for (size_t r = 0; r < nb; r++) memcpy(dst + r * L, src + rows[r] * L, L * sizeof(float));
}

static void mb_make(const gbatch *b, const ours *u, size_t j, mb_buf *m) {
    const size_t *rows = b->mb_rows + b->mb_start[j];
    size_t nb = b->mb_start[j + 1] - b->mb_start[j], n = nb * b->L;
    const float *src[6] = {b->logp, b->old, b->ref, u->adv_used, b->mask, u->ent_used};
    m->buf = xcalloc(6 * n, sizeof(float));
    const float *dst[6] = {0};
    for (int s = 0; s < 6; s++) {
        if (!src[s]) continue;
        gather(src[s], rows, nb, b->L, m->buf + s * n);
        dst[s] = m->buf + s * n;
    }
    m->mb = (grpo_micro){.B = nb, .L = b->L, .logp = dst[0], .old = dst[1], .ref = dst[2],
                         .adv = dst[3], .mask = dst[4], .entropy = dst[5]};
}

/* Batch scalars over the micro-batches (docs/grpo_checker.md "Batch scalars"): loss and pg_loss
 * are sums of the scaled micro-batch losses (one optimizer step); the metrics, kl_loss and
 * entropy_loss are means over micro-batches of the unscaled micro-batch values, as verl logs
 * (kl_loss: the KL term as it enters the loss, grpo_kl_term; entropy_loss: agg(H), or the token
 * mean with entropy_agg=token-mean-micro). */
static void our_batch(const grpo_config *cfg, const gbatch *b, const ours *u, double *s) {
    grpo_scope_info sc = {.ga = b->n_mb, .mini_rows = b->mini_rows ? b->mini_rows : b->B,
                          .global_seqs = b->global_seqs > 0 ? b->global_seqs : (double)b->B};
    for (size_t k = 0; k < b->B * b->L; k++) sc.global_tokens += b->mask[k];
    double acc[N_SCAL] = {0};
    for (size_t j = 0; j < b->n_mb; j++) {
        mb_buf m;
        mb_make(b, u, j, &m);
        grpo_micro_out o;
        svs_err err = {{0}};
        if (grpo_micro_loss(cfg, &m.mb, &sc, &o, NULL, NULL, NULL, &err)) die_lib(b, &err);
        double kl = 0;
        if (m.mb.ref) {
            float *klt = xcalloc(m.mb.B * m.mb.L, sizeof(float));
            for (size_t k = 0; k < m.mb.B * m.mb.L; k++) /* the loss's KL term (× r with kl_bias_correction) */
                klt[k] = grpo_kl_term(cfg, m.mb.logp[k], m.mb.old[k], m.mb.ref[k], NULL);
            if (grpo_aggregate(cfg, klt, m.mb.mask, m.mb.B, m.mb.L, &sc, &kl, &err)) die_lib(b, &err);
            free(klt);
        }
        acc[S_LOSS] += o.total;
        acc[S_PG_LOSS] += o.scale * o.pg_loss;
        acc[S_CLIPFRAC] += o.pg_clipfrac, acc[S_CLIPFRAC_LOWER] += o.pg_clipfrac_lower;
        acc[S_PPO_KL] += o.ppo_kl, acc[S_KL_LOSS] += kl, acc[S_ENT_LOSS] += o.entropy_loss;
        free(m.buf);
    }
    for (int q = 0; q < N_SCAL; q++)
        s[q] = (double)(float)(q <= S_PG_LOSS ? acc[q] : acc[q] / (double)b->n_mb);
}

/* ---- the check ----------------------------------------------------------------------------- */

enum { Q_ADV, Q_LOGP, Q_ENT, Q_KL, Q_TOKLOSS, N_TOKQ };
static const char *const TOKQ_NAMES[N_TOKQ] = {"advantages", "logp", "entropy", "kl", "token_loss"};

static void need(const gbatch *b, int cond, long line, const char *field, const char *what) {
    if (!cond) die_field(b, line, field, "cannot be checked: %s", what);
}

static void check_tokens(const grpo_config *cfg, const opts *o, const gbatch *b, ours *u, cmp *c) {
    if (b->adv_row)
        for (size_t i = 0; i < b->B; i++) cmp_add(&c[Q_ADV], o, u->adv_row[i], b->adv_row[i], i, (size_t)-1, b->line[i]);
    if (b->adv_tok) cmp_tokens(&c[Q_ADV], o, b, u->adv_tok, b->adv_tok);
    if (u->logp) cmp_tokens(&c[Q_LOGP], o, b, u->logp, b->logp);
    if (b->entropy && u->entropy) cmp_tokens(&c[Q_ENT], o, b, u->entropy, b->entropy);
    size_t n = b->B * b->L;
    if (b->kl) {
        need(b, b->ref != NULL, b->line[0], "kl", "the rows need \"ref_logp\"");
        float *kl = xcalloc(n, sizeof(float));
        for (size_t k = 0; k < n; k++) kl[k] = grpo_kl(cfg, b->logp[k], b->ref[k], NULL);
        cmp_tokens(&c[Q_KL], o, b, kl, b->kl);
        free(kl);
    }
    if (b->tok_loss) {
        float *l = xcalloc(n, sizeof(float));
        for (size_t k = 0; k < n; k++) l[k] = grpo_token_loss(cfg, b->logp[k], b->old[k], u->adv_used[k]).loss;
        cmp_tokens(&c[Q_TOKLOSS], o, b, l, b->tok_loss);
        free(l);
    }
}

static void check_batch(const grpo_config *cfg, const opts *o, const gbatch *b, const ours *u, cmp *c) {
    int any = 0;
    for (int s = 0; s < N_SCAL; s++) any |= b->has[s];
    if (!any) return;
    if (b->has[S_KL_LOSS]) need(b, b->ref != NULL, b->batch_line, "kl_loss", "the rows need \"ref_logp\"");
    if (b->has[S_ENT_LOSS])
        need(b, u->ent_used != NULL, b->batch_line, "entropy_loss", "the rows need \"entropy\" or \"logits\"");
    if (cfg->kl_place == GRPO_KLPLACE_LOSS && cfg->kl_coef != 0)
        need(b, b->ref != NULL, b->batch_line, "loss", "kl_place=loss needs \"ref_logp\" in the rows");
    double s[N_SCAL];
    our_batch(cfg, b, u, s);
    for (int q = 0; q < N_SCAL; q++)
        if (b->has[q]) {
            c[q].is_batch = 1;
            cmp_add(&c[q], o, s[q], b->scal[q], 0, 0, b->batch_line);
        }
}

static void describe_diff(const cmp *c, char *buf, size_t cap) {
    if (!c->differs) snprintf(buf, cap, "-");
    else if (c->is_batch) snprintf(buf, cap, "batch (line %ld): ours %.9g theirs %.9g", c->line, c->ours, c->theirs);
    else if (c->tok == (size_t)-1)
        snprintf(buf, cap, "row %zu (line %ld): ours %.9g theirs %.9g", c->row, c->line, c->ours, c->theirs);
    else snprintf(buf, cap, "row %zu token %zu (line %ld): ours %.9g theirs %.9g", c->row, c->tok, c->line,
                  c->ours, c->theirs);
}

static json_t *cmp_json(const cmp *c) {
    json_t *o = json_object();
    json_object_set_new(o, "quantity", json_string(c->name));
    json_object_set_new(o, "compared", json_integer((json_int_t)c->n));
    json_object_set_new(o, "max_abs_err", isfinite(c->max_abs) ? json_real(c->max_abs) : json_null());
    json_object_set_new(o, "max_rel_err", isfinite(c->max_rel) ? json_real(c->max_rel) : json_null());
    json_t *d = json_null();
    if (c->differs) {
        d = json_object();
        if (!c->is_batch) json_object_set_new(d, "row", json_integer((json_int_t)c->row));
        if (!c->is_batch && c->tok != (size_t)-1) json_object_set_new(d, "token", json_integer((json_int_t)c->tok));
        json_object_set_new(d, "line", json_integer(c->line));
        json_object_set_new(d, "ours", isfinite(c->ours) ? json_real(c->ours) : json_null());
        json_object_set_new(d, "theirs", isfinite(c->theirs) ? json_real(c->theirs) : json_null());
    }
    json_object_set_new(o, "first_diff", d);
    json_object_set_new(o, "verdict", json_string(c->differs ? "differs" : "ok"));
    return o;
}

static void print_report(const opts *o, const gbatch *b, const char *preset, cmp *c, size_t nc) {
    size_t shown = 0, bad = 0;
    char diffs[512] = "";
    for (size_t q = 0; q < nc; q++) {
        if (!c[q].n) continue;
        shown++;
        if (c[q].differs) {
            bad++;
            size_t used = strlen(diffs);
            snprintf(diffs + used, sizeof diffs - used, "%s%s", used ? ", " : "", c[q].name);
        }
    }
    if (!o->json) {
        printf("svs grpo --check %s: preset %s, %zu rows x %zu tokens, %zu micro-batch%s, rtol %g, atol %g\n",
               b->path, preset, b->B, b->L, b->n_mb, b->n_mb == 1 ? "" : "es", o->rtol, o->atol);
        printf("%-18s %9s %12s %12s  %-8s %s\n", "quantity", "compared", "max_abs_err", "max_rel_err",
               "verdict", "first difference");
    }
    for (size_t q = 0; q < nc; q++) {
        if (!c[q].n) continue;
        if (o->json) {
            json_t *j = cmp_json(&c[q]);
            cli_print_json(j);
            json_decref(j);
            continue;
        }
        char d[256];
        describe_diff(&c[q], d, sizeof d);
        printf("%-18s %9zu %12.3g %12.3g  %-8s %s\n", c[q].name, c[q].n, c[q].max_abs, c[q].max_rel,
               c[q].differs ? "DIFFERS" : "ok", d);
    }
    if (o->json) {
        json_t *s = json_pack("{s:b, s:i, s:i, s:s}", "summary", 1, "quantities", (json_int_t)shown,
                              "differing", (json_int_t)bad, "preset", preset);
        cli_print_json(s);
        json_decref(s);
    } else if (bad) {
        printf("result: DIFFERS in %zu of %zu quantities: %s\n", bad, shown, diffs);
    } else {
        printf("result: all %zu quantities agree\n", shown);
    }
}

static int run_check(const opts *o) {
    gbatch b = {0};
    read_batch(o->check, &b);
    grpo_config cfg;
    make_config(o, &b, &cfg);
    ours u = {0};
    our_advantages(&cfg, &b, &u);
    our_logits(&cfg, &b, &u);
    u.ent_used = b.entropy ? b.entropy : u.entropy;
    cmp c[N_TOKQ + N_SCAL] = {{0}};
    for (int q = 0; q < N_TOKQ; q++) c[q].name = TOKQ_NAMES[q];
    for (int q = 0; q < N_SCAL; q++) c[N_TOKQ + q].name = SCAL_NAMES[q];
    check_tokens(&cfg, o, &b, &u, c);
    check_batch(&cfg, o, &b, &u, c + N_TOKQ);
    size_t total = 0;
    int differs = 0;
    for (size_t q = 0; q < N_TOKQ + N_SCAL; q++) total += c[q].n, differs |= c[q].differs;
    if (!total)
        cli_die("%s: nothing to compare: give \"advantages\", \"token_loss\", \"kl\", \"logits\" (for logp "
                "and entropy) in the rows or a batch line with scalars", b.path);
    print_report(o, &b, o->preset ? o->preset : b.preset, c, N_TOKQ + N_SCAL);
    if (fflush(stdout)) cli_die("write error on stdout");
    free(u.adv_row), free(u.adv_tok), free(u.adv_bcast), free(u.logp), free(u.entropy);
    gbatch_free(&b);
    return differs ? 1 : 0;
}

/* ---- command line -------------------------------------------------------------------------- */

static double tolerance(const char *opt, const char *v) {
    double x = cli_double(opt, v);
    if (!(x >= 0) || !isfinite(x)) cli_die("option %s: expected a finite number >= 0, got \"%s\"", opt, v);
    return x;
}

int cmd_grpo(int argc, char **argv) {
    opts o = {.rtol = 1e-5, .atol = 1e-6};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) { fputs(HELP, stdout); return 0; }
        else if (!strcmp(a, "--preset")) o.preset = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--set")) {
            if (o.nsets == MAX_SETS) cli_die("grpo: more than %d --set options", MAX_SETS);
            o.sets[o.nsets++] = cli_value(argc, argv, &i);
        } else if (!strcmp(a, "--show")) o.show = 1;
        else if (!strcmp(a, "--check")) o.check = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--tolerance-rel")) o.rtol = tolerance(a, cli_value(argc, argv, &i));
        else if (!strcmp(a, "--tolerance-abs")) o.atol = tolerance(a, cli_value(argc, argv, &i));
        else if (!strcmp(a, "--json")) o.json = 1;
        else cli_die("grpo: unknown option \"%s\" (svs grpo --help)", a);
    }
    if (o.show == !!o.check) cli_die("grpo: give exactly one of --show and --check FILE (svs grpo --help)");
    if (o.check) return run_check(&o);
    grpo_config cfg;
    svs_err err = {{0}};
    if (!o.preset) cli_die("grpo: give --preset NAME (%s)", grpo_preset_names());
    if (grpo_preset(o.preset, &cfg, &err)) cli_die("grpo: %s", err.msg);
    for (size_t i = 0; i < o.nsets; i++) apply_set(&cfg, o.sets[i], "--set: ");
    grpo_config_print(&cfg, stdout);
    if (fflush(stdout)) cli_die("write error on stdout");
    return 0;
}
