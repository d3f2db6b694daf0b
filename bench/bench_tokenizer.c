/* bench_tokenizer.c — tokenizer throughput of svs.c: load time of a tokenizer.json and encode
 * speed (MB/s, single thread) on a >= 10 MB math corpus, with the peak memory (max RSS).
 * The HF `tokenizers` figures come from bench/peers/hf_tokenizers_bench.py on the same corpus;
 * bench/bench_tokenizer.sh runs both.
 *
 * The corpus is built deterministically from ../shared/data if CORPUS does not exist yet, and
 * written there as JSONL ({"text": ...} per line; not committed): DAPO-17k prompts, then GSM8K
 * train question + "\n" + answer, then MATH-500 problem + "\n\n" + solution, the whole sequence
 * repeated until the texts total at least 10 MiB (whole documents only).
 *
 * Each repeat encodes every document once (tok_encode, flags 0); the median repeat is reported
 * (wall time, and process CPU time, which other load on a shared machine disturbs less).
 * Prints JSON lines: {"bench":"tokenizer","impl":"svs.c","op":"load"|"encode",...}. The encode
 * line carries the token count and an FNV-1a checksum of all ids, which the peer prints too.
 *
 *   build/bench/bench_tokenizer [--shared DIR] [--tokenizer FILE] [--corpus FILE] [--repeats N] */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "tokenizer/tok.h"

#define TARGET_BYTES ((size_t)10 << 20)

typedef struct doc_list {
    char **text;
    size_t *len;
    size_t n, cap, bytes;
} doc_list;

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double cpu_s(void) { /* process CPU time: robust to other load on the machine */
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static long max_rss_kb(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss; /* Linux: kilobytes */
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void die(const char *msg, const char *arg) {
    fprintf(stderr, "bench_tokenizer: %s%s\n", msg, arg ? arg : "");
    exit(2);
}

static void docs_push(doc_list *d, const char *s, size_t n) {
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 4096;
        d->text = realloc(d->text, d->cap * sizeof *d->text);
        d->len = realloc(d->len, d->cap * sizeof *d->len);
        if (!d->text || !d->len) die("out of memory", NULL);
    }
    d->text[d->n] = malloc(n + 1);
    if (!d->text[d->n]) die("out of memory", NULL);
    memcpy(d->text[d->n], s, n);
    d->text[d->n][n] = '\0';
    d->len[d->n++] = n;
    d->bytes += n;
}

static void docs_free(doc_list *d) {
    for (size_t i = 0; i < d->n; i++) free(d->text[i]);
    free(d->text);
    free(d->len);
}

/* Calls fn(obj) for each line of a JSONL file. */
static void each_jsonl(const char *path, void (*fn)(json_t *, doc_list *), doc_list *d) {
    FILE *f = fopen(path, "r");
    if (!f) die("cannot open ", path);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        json_t *o = json_loadb(line, (size_t)n, JSON_ALLOW_NUL, NULL);
        if (!o) die("bad JSON line in ", path);
        fn(o, d);
        json_decref(o);
    }
    free(line);
    fclose(f);
}

static const char *str(json_t *o, const char *k) {
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static void add_joined(doc_list *d, const char *a, const char *sep, const char *b) {
    size_t na = strlen(a), ns = strlen(sep), nb = strlen(b);
    char *t = malloc(na + ns + nb + 1);
    if (!t) die("out of memory", NULL);
    memcpy(t, a, na);
    memcpy(t + na, sep, ns);
    memcpy(t + na + ns, b, nb);
    docs_push(d, t, na + ns + nb);
    free(t);
}

static void take_dapo(json_t *o, doc_list *d) {
    const char *s = str(json_array_get(json_object_get(o, "prompt"), 0), "content");
    docs_push(d, s, strlen(s));
}
static void take_gsm8k(json_t *o, doc_list *d) { add_joined(d, str(o, "question"), "\n", str(o, "answer")); }
static void take_math500(json_t *o, doc_list *d) { add_joined(d, str(o, "problem"), "\n\n", str(o, "solution")); }
static void take_text(json_t *o, doc_list *d) {
    json_t *t = json_object_get(o, "text");
    docs_push(d, json_string_value(t), json_string_length(t));
}

/* Builds the corpus from shared/data and writes it to path. */
static void build_corpus(const char *shared, const char *path, doc_list *d) {
    char p[3][4096];
    snprintf(p[0], sizeof p[0], "%s/data/dapo_math_17k.jsonl", shared);
    snprintf(p[1], sizeof p[1], "%s/data/gsm8k_train.jsonl", shared);
    snprintf(p[2], sizeof p[2], "%s/data/math500_test.jsonl", shared);
    doc_list one = {0};
    each_jsonl(p[0], take_dapo, &one);
    each_jsonl(p[1], take_gsm8k, &one);
    each_jsonl(p[2], take_math500, &one);
    for (size_t i = 0; d->bytes < TARGET_BYTES; i = (i + 1) % one.n) docs_push(d, one.text[i], one.len[i]);
    docs_free(&one);
    FILE *f = fopen(path, "w");
    if (!f) die("cannot write ", path);
    for (size_t i = 0; i < d->n; i++) {
        json_t *o = json_pack("{s:s%}", "text", d->text[i], d->len[i]);
        char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
        fprintf(f, "%s\n", s);
        free(s);
        json_decref(o);
    }
    if (fclose(f) != 0) die("write error on ", path);
}

static uint64_t fnv_ids(uint64_t h, const int32_t *ids, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t v = (uint32_t)ids[i];
        for (int b = 0; b < 4; b++) h = (h ^ ((v >> (8 * b)) & 0xff)) * 1099511628211ULL;
    }
    return h;
}

int main(int argc, char **argv) {
    const char *shared = getenv("SVS_SHARED") ? getenv("SVS_SHARED") : "../shared";
    const char *tokpath = NULL, *corpus = "build/bench/tokenizer_corpus.jsonl";
    int repeats = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--shared"))
            shared = argv[i + 1];
        else if (!strcmp(argv[i], "--tokenizer"))
            tokpath = argv[i + 1];
        else if (!strcmp(argv[i], "--corpus"))
            corpus = argv[i + 1];
        else if (!strcmp(argv[i], "--repeats"))
            repeats = atoi(argv[i + 1]);
        else
            die("unknown option ", argv[i]);
    }
    if (repeats < 1) repeats = 1;
    char tbuf[4096];
    if (!tokpath) {
        snprintf(tbuf, sizeof tbuf, "%s/assets/tokenizers/qwen2_5/tokenizer.json", shared);
        tokpath = tbuf;
    }
    doc_list docs = {0};
    FILE *probe = fopen(corpus, "r");
    if (probe) {
        fclose(probe);
        each_jsonl(corpus, take_text, &docs);
    } else {
        build_corpus(shared, corpus, &docs);
    }
    long rss0 = max_rss_kb();

    double *t = malloc((size_t)repeats * sizeof *t);
    if (!t) die("out of memory", NULL);
    tok_tokenizer *tok = NULL;
    svs_err err = {{0}};
    for (int r = 0; r < repeats; r++) { /* load time */
        tok_free(tok);
        double t0 = now_s();
        if (tok_load(tokpath, &tok, &err)) die(err.msg, NULL);
        t[r] = now_s() - t0;
    }
    qsort(t, (size_t)repeats, sizeof *t, cmp_double);
    printf("{\"bench\":\"tokenizer\",\"impl\":\"svs.c\",\"op\":\"load\",\"tokenizer\":\"%s\",\"seconds\":%.4f,"
           "\"max_rss_kb\":%ld,\"rss_before_kb\":%ld}\n",
           tokpath, t[repeats / 2], max_rss_kb(), rss0);

    size_t tokens = 0;
    uint64_t h = 1469598103934665603ULL;
    double *cpu = malloc((size_t)repeats * sizeof *cpu);
    if (!cpu) die("out of memory", NULL);
    for (int r = 0; r < repeats; r++) { /* encode throughput */
        tokens = 0;
        h = 1469598103934665603ULL;
        double t0 = now_s(), c0 = cpu_s();
        for (size_t i = 0; i < docs.n; i++) {
            int32_t *ids;
            size_t n;
            if (tok_encode(tok, docs.text[i], docs.len[i], 0, &ids, &n, &err)) die(err.msg, NULL);
            tokens += n;
            h = fnv_ids(h, ids, n);
            free(ids);
        }
        t[r] = now_s() - t0;
        cpu[r] = cpu_s() - c0;
    }
    qsort(t, (size_t)repeats, sizeof *t, cmp_double);
    qsort(cpu, (size_t)repeats, sizeof *cpu, cmp_double);
    double s = t[repeats / 2];
    printf("{\"bench\":\"tokenizer\",\"impl\":\"svs.c\",\"op\":\"encode\",\"threads\":1,\"docs\":%zu,\"bytes\":%zu,"
           "\"tokens\":%zu,\"ids_fnv1a\":\"%016llx\",\"seconds\":%.4f,\"cpu_seconds\":%.4f,\"mb_per_s\":%.2f,"
           "\"tokens_per_s\":%.0f,\"max_rss_kb\":%ld}\n",
           docs.n, docs.bytes, tokens, (unsigned long long)h, s, cpu[repeats / 2], (double)docs.bytes / 1e6 / s,
           (double)tokens / s, max_rss_kb());
    /* the same with one piece cache for the whole corpus, as `svs encode` runs (tok.h:
     * tok_encode_cached; a fresh cache per repeat, so its warm-up is included) */
    for (int r = 0; r < repeats; r++) {
        tok_cache *cache;
        tok_ids v = {0};
        if (tok_cache_new(tok, 0, &cache, &err)) die(err.msg, NULL);
        uint64_t hc = 1469598103934665603ULL;
        double t0 = now_s(), c0 = cpu_s();
        for (size_t i = 0; i < docs.n; i++) {
            v.len = 0;
            if (tok_encode_cached(tok, cache, docs.text[i], docs.len[i], 0, &v, &err)) die(err.msg, NULL);
            hc = fnv_ids(hc, v.data, v.len);
        }
        t[r] = now_s() - t0;
        cpu[r] = cpu_s() - c0;
        if (hc != h) die("cached encode gave different ids", NULL);
        tok_ids_free(&v);
        tok_cache_free(cache);
    }
    qsort(t, (size_t)repeats, sizeof *t, cmp_double);
    qsort(cpu, (size_t)repeats, sizeof *cpu, cmp_double);
    s = t[repeats / 2];
    printf("{\"bench\":\"tokenizer\",\"impl\":\"svs.c\",\"op\":\"encode_cached\",\"threads\":1,\"docs\":%zu,\"bytes\":%zu,"
           "\"seconds\":%.4f,\"cpu_seconds\":%.4f,\"mb_per_s\":%.2f,\"max_rss_kb\":%ld}\n",
           docs.n, docs.bytes, s, cpu[repeats / 2], (double)docs.bytes / 1e6 / s, max_rss_kb());
    free(cpu);
    tok_free(tok);
    free(t);
    docs_free(&docs);
    return 0;
}
