/* test_tokenizer_golden.c — our tokenizer against Hugging Face goldens (golden/tokenizer/).
 *
 * 1. ids: every document of golden/tokenizer/corpus.jsonl encoded with the Qwen2.5, Llama-3 and
 *    GPT-2 tokenizer.json of ../shared/assets/tokenizers/ and with golden/tokenizer/
 *    ours_tokenizer.json (made by our trainer) must give exactly the ids that HF `tokenizers`
 *    gave (ids_<name>.jsonl, gen_ids.py); decode(encode(x)) must be NFC(x) for NFC tokenizers
 *    and x for the others.
 * 2. decode: decode.jsonl cases (prefixes cut inside a UTF-8 character, skip_special_tokens,
 *    random id sequences) equal HF's decode; streaming decode equals one-shot decode.
 * 3. chat: chat.jsonl rows (transformers apply_chat_template) equal tok_chat_render's text, and
 *    the ids of tok_chat_encode equal HF's.
 * 4. trainer: train on part of the corpus in-process for each pre-tokenizer; the tokenizer built
 *    in memory and the one reloaded from the written JSON encode identically and round-trip;
 *    training is deterministic; retraining with the options recorded in golden/tokenizer/README.md
 *    reproduces ours_tokenizer.json byte for byte.
 * Prints one REPORT line per tokenizer with the matched/total counts. Run from the repo root. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "tokenizer/tok.h"
#include "tokenizer/tok_chat.h"
#include "tokenizer/tok_train.h"

#define GOLDEN "golden/tokenizer/"
#define MAX_FILE ((size_t)64 << 20)
#define MAX_PRINT 5 /* mismatches printed per tokenizer and check */

/* ------------------------------------------------------------------------------------------- */
/* Reading JSONL goldens */

/* All non-header objects of a JSONL file (header: {"header": true}); NULL if unreadable. */
static json_t *read_jsonl(const char *path, json_t **header) {
    svs_err err = {{0}};
    size_t len;
    char *text = svs_read_file(path, MAX_FILE, &len, &err);
    if (!text) {
        CHECK(0, "%s", err.msg);
        return NULL;
    }
    json_t *rows = json_array();
    if (header) *header = NULL;
    size_t lineno = 0;
    for (char *p = text, *end; p < text + len; p = end + 1) {
        end = memchr(p, '\n', (size_t)(text + len - p));
        if (!end) end = text + len;
        lineno++;
        json_error_t je;
        json_t *o = json_loadb(p, (size_t)(end - p), JSON_ALLOW_NUL, &je);
        if (!o) {
            CHECK(0, "%s:%zu: %s", path, lineno, je.text);
            continue;
        }
        if (json_is_true(json_object_get(o, "header"))) {
            if (header && !*header) *header = json_incref(o);
            json_decref(o);
        } else {
            json_array_append_new(rows, o);
        }
    }
    free(text);
    return rows;
}

static const char *jstr(json_t *o, const char *key, size_t *len) {
    json_t *v = json_object_get(o, key);
    if (len) *len = v ? json_string_length(v) : 0;
    return v ? json_string_value(v) : NULL;
}

/* Copies a JSON array of integers into a fresh int32 array. */
static int32_t *jids(json_t *arr, size_t *n) {
    *n = json_array_size(arr);
    int32_t *ids = malloc((*n ? *n : 1) * sizeof *ids);
    for (size_t i = 0; ids && i < *n; i++) ids[i] = (int32_t)json_integer_value(json_array_get(arr, i));
    return ids;
}

static int ids_equal(const int32_t *a, size_t na, const int32_t *b, size_t nb) {
    return na == nb && (na == 0 || memcmp(a, b, na * sizeof *a) == 0);
}

/* Index of the first difference (or min length when one is a prefix of the other). */
static size_t first_diff(const int32_t *a, size_t na, const int32_t *b, size_t nb) {
    size_t i = 0;
    while (i < na && i < nb && a[i] == b[i]) i++;
    return i;
}

/* ------------------------------------------------------------------------------------------- */
/* 1. ids and round trip */

typedef struct named_tok {
    const char *name;
    const char *path; /* resolved path of tokenizer.json, NULL if missing */
    tok_tokenizer *tok;
} named_tok;

static int encode_doc(const tok_tokenizer *tok, const char *text, size_t len, int32_t **ids, size_t *n) {
    svs_err err = {{0}};
    if (tok_encode(tok, text, len, 0, ids, n, &err) == 0) return 0;
    fprintf(stderr, "MISMATCH encode error: %s\n", err.msg);
    return -1;
}

/* decode(encode(text)) == NFC(text) (nfc) or text. */
static int roundtrip_ok(const tok_tokenizer *tok, const char *text, size_t len, const int32_t *ids, size_t n) {
    svs_err err = {{0}};
    char *dec = NULL, *want = NULL;
    size_t dlen = 0, wlen = len;
    int ok = tok_decode(tok, ids, n, 0, &dec, &dlen, &err) == 0;
    if (ok && tok_nfc(tok)) {
        ok = tok_nfc_normalize(text, len, &want, &wlen, &err) == 0;
        text = want;
    }
    ok = ok && dlen == wlen && (wlen == 0 || memcmp(dec, text, wlen) == 0);
    free(dec);
    free(want);
    return ok;
}

/* Qwen NFC-normalizes segments between added tokens, not the whole text; NFC(whole) can differ
 * only when an added token sits between a base character and a combining mark, which the
 * corpus avoids. */
static void check_ids(named_tok *t, json_t *docs) {
    char path[256];
    snprintf(path, sizeof path, GOLDEN "ids_%s.jsonl", t->name);
    json_t *hdr, *gold = read_jsonl(path, &hdr);
    if (!gold) return;
    size_t total = json_array_size(docs), matched = 0, rt = 0, printed = 0;
    CHECK(json_array_size(gold) == total, "%s: %zu golden rows for %zu documents", path, json_array_size(gold), total);
    for (size_t d = 0; d < total && d < json_array_size(gold); d++) {
        json_t *doc = json_array_get(docs, d), *g = json_array_get(gold, d);
        size_t len, nw, ng = 0;
        const char *text = jstr(doc, "text", &len);
        CHECK(strcmp(jstr(doc, "id", NULL), jstr(g, "id", NULL)) == 0, "%s row %zu: id mismatch", path, d);
        int32_t *want = jids(json_object_get(g, "ids"), &nw), *got = NULL;
        if (encode_doc(t->tok, text, len, &got, &ng) == 0) {
            if (ids_equal(got, ng, want, nw)) {
                matched++;
            } else if (printed++ < MAX_PRINT) {
                size_t k = first_diff(got, ng, want, nw);
                fprintf(stderr, "MISMATCH %s %s: %zu ids vs HF %zu, first difference at id %zu (ours %d, HF %d)\n",
                        t->name, jstr(doc, "id", NULL), ng, nw, k, k < ng ? got[k] : -1, k < nw ? want[k] : -1);
            }
            rt += roundtrip_ok(t->tok, text, len, got, ng);
        }
        free(got);
        free(want);
    }
    CHECK(matched == total, "%s: ids of %zu/%zu documents equal HF", t->name, matched, total);
    CHECK(rt == total, "%s: decode(encode(x)) == %sx for %zu/%zu documents", t->name, tok_nfc(t->tok) ? "NFC " : "", rt,
          total);
    printf("REPORT tokenizer_golden %s: ids %zu/%zu documents identical to HF tokenizers %s, round trip %zu/%zu\n",
           t->name, matched, total, hdr ? jstr(hdr, "tokenizers", NULL) : "?", rt, total);
    json_decref(hdr);
    json_decref(gold);
}

/* ------------------------------------------------------------------------------------------- */
/* 2. decode */

static int stream_decode_ok(const tok_tokenizer *tok, const int32_t *ids, size_t n, int skip, const char *want,
                            size_t wlen) {
    svs_err err = {{0}};
    svs_buf out = {0};
    tok_stream s;
    tok_stream_init(&s, tok, skip);
    int ok = 1;
    for (size_t i = 0; ok && i < n; i++) ok = tok_stream_push(&s, ids[i], &out, &err) == 0;
    ok = ok && tok_stream_flush(&s, &out, &err) == 0;
    ok = ok && out.len == wlen && (wlen == 0 || memcmp(out.data, want, wlen) == 0);
    svs_buf_free(&out);
    return ok;
}

static void check_decode(named_tok *toks, size_t ntoks) {
    json_t *rows = read_jsonl(GOLDEN "decode.jsonl", NULL);
    if (!rows) return;
    for (size_t t = 0; t < ntoks; t++) {
        size_t total = 0, ok = 0, stream_ok = 0, printed = 0;
        for (size_t r = 0; r < json_array_size(rows); r++) {
            json_t *row = json_array_get(rows, r);
            if (strcmp(jstr(row, "tokenizer", NULL), toks[t].name) != 0) continue;
            size_t n, wlen, dlen = 0;
            int32_t *ids = jids(json_object_get(row, "ids"), &n);
            const char *want = jstr(row, "text", &wlen);
            int skip = json_is_true(json_object_get(row, "skip_special_tokens"));
            char *dec = NULL;
            svs_err err = {{0}};
            total++;
            int good = tok_decode(toks[t].tok, ids, n, skip, &dec, &dlen, &err) == 0 && dlen == wlen &&
                       (wlen == 0 || memcmp(dec, want, wlen) == 0);
            ok += good;
            if (!good && printed++ < MAX_PRINT)
                fprintf(stderr, "MISMATCH decode %s %s: %s\n", toks[t].name, jstr(row, "case", NULL),
                        err.msg[0] ? err.msg : "text differs");
            stream_ok += stream_decode_ok(toks[t].tok, ids, n, skip, want, wlen);
            free(dec);
            free(ids);
        }
        CHECK(ok == total, "%s: decode %zu/%zu cases equal HF", toks[t].name, ok, total);
        CHECK(stream_ok == total, "%s: streaming decode %zu/%zu cases equal HF", toks[t].name, stream_ok, total);
        printf("REPORT tokenizer_golden decode %s: %zu/%zu cases identical to HF, streaming %zu/%zu\n", toks[t].name,
               ok, total, stream_ok, total);
    }
    json_decref(rows);
}

/* ------------------------------------------------------------------------------------------- */
/* 3. chat templates */

static void check_chat_row(json_t *row, const tok_tokenizer *tok, tok_chat_template tpl, size_t *text_ok,
                           size_t *ids_ok) {
    json_t *msgs = json_object_get(row, "messages");
    size_t n = json_array_size(msgs), wlen, nw;
    tok_chat_msg *m = calloc(n ? n : 1, sizeof *m);
    for (size_t i = 0; m && i < n; i++) {
        json_t *o = json_array_get(msgs, i);
        m[i].role = jstr(o, "role", NULL);
        m[i].content = jstr(o, "content", &m[i].content_len);
    }
    int gen = json_is_true(json_object_get(row, "add_generation_prompt"));
    const char *want = jstr(row, "text", &wlen);
    int32_t *want_ids = jids(json_object_get(row, "ids"), &nw);
    svs_buf text = {0};
    tok_ids ids = {0};
    svs_err err = {{0}};
    int r1 =
        tok_chat_render(tpl, m, n, gen, &text, &err) == 0 && text.len == wlen && memcmp(text.data, want, wlen) == 0;
    int r2 = tok_chat_encode(tok, tpl, m, n, gen, &ids, &err) == 0 && ids_equal(ids.data, ids.len, want_ids, nw);
    if (!r1 || !r2)
        fprintf(stderr, "MISMATCH chat %s %s gen=%d: %s%s\n", tok_chat_template_name(tpl), jstr(row, "case", NULL), gen,
                r1 ? "" : "text differs ", r2 ? "" : "ids differ");
    *text_ok += r1;
    *ids_ok += r2;
    svs_buf_free(&text);
    tok_ids_free(&ids);
    free(want_ids);
    free(m);
}

static void check_chat(named_tok *toks, size_t ntoks) {
    json_t *hdr, *rows = read_jsonl(GOLDEN "chat.jsonl", &hdr);
    if (!rows) return;
    for (size_t t = 0; t < ntoks; t++) {
        tok_chat_template tpl;
        if (tok_chat_template_parse(toks[t].name, &tpl, NULL) != 0) continue;
        size_t total = 0, text_ok = 0, ids_ok = 0;
        for (size_t r = 0; r < json_array_size(rows); r++) {
            json_t *row = json_array_get(rows, r);
            if (strcmp(jstr(row, "template", NULL), toks[t].name) != 0) continue;
            total++;
            check_chat_row(row, toks[t].tok, tpl, &text_ok, &ids_ok);
        }
        CHECK(total > 0 && text_ok == total, "chat %s: %zu/%zu renderings equal transformers", toks[t].name, text_ok,
              total);
        CHECK(ids_ok == total, "chat %s: %zu/%zu id sequences equal HF", toks[t].name, ids_ok, total);
        printf("REPORT tokenizer_golden chat %s: text %zu/%zu identical to transformers %s, ids %zu/%zu\n",
               toks[t].name, text_ok, total, hdr ? jstr(hdr, "transformers", NULL) : "?", ids_ok, total);
    }
    json_decref(hdr);
    json_decref(rows);
}

static void check_trim(void) {
    const char *s = "\x1c\xe3\x80\x80 a b\xc2\x85\t\xe2\x80\xa8";
    size_t a, b;
    tok_chat_trim(s, strlen(s), &a, &b);
    CHECK(a == 5 && b == 8, "trim: [%zu, %zu) want [5, 8)", a, b);
    tok_chat_trim("   ", 3, &a, &b);
    CHECK(a == b, "trim of spaces is empty");
    tok_chat_trim("\xe2\x80\x8bx\xef\xbb\xbf", 7, &a, &b); /* U+200B and U+FEFF are not Python spaces */
    CHECK(a == 0 && b == 7, "trim keeps U+200B/U+FEFF");
    svs_buf out = {0};
    svs_err err = {{0}};
    CHECK(tok_chat_render(TOK_CHAT_QWEN2_5, NULL, 0, 1, &out, &err) == -1, "no messages is an error");
    tok_chat_msg tool = {"tool", "x", 1};
    CHECK(tok_chat_render(TOK_CHAT_QWEN2_5, &tool, 1, 1, &out, &err) == -1 && out.len == 0, "qwen refuses role tool");
    svs_buf_free(&out);
}

/* ------------------------------------------------------------------------------------------- */
/* 4. trainer */

static const char *OURS_SPECIALS[] = {"<|endoftext|>", "<|im_start|>", "<|im_end|>"};

/* Trains on the first ndocs documents; returns the trainer (NULL on failure). */
static tok_trainer *train(json_t *docs, size_t ndocs, tok_pre_kind pre, int nfc, size_t vocab) {
    tok_train_opts o = tok_train_defaults();
    o.vocab_size = vocab;
    o.pre = pre;
    o.nfc = nfc;
    o.specials = OURS_SPECIALS;
    o.n_specials = 3;
    svs_err err = {{0}};
    tok_trainer *tr = NULL;
    int rc = tok_trainer_new(&o, &tr, &err);
    for (size_t d = 0; rc == 0 && d < ndocs && d < json_array_size(docs); d++) {
        size_t len;
        const char *text = jstr(json_array_get(docs, d), "text", &len);
        rc = tok_trainer_add_text(tr, text, len, &err);
    }
    if (rc == 0) rc = tok_trainer_train(tr, &err);
    CHECK(rc == 0, "training: %s", err.msg);
    if (rc) {
        tok_trainer_free(tr);
        return NULL;
    }
    return tr;
}

/* The tokenizer from memory and the one from JSON encode every document identically. */
static void check_trained(tok_trainer *tr, json_t *docs, const char *what) {
    svs_err err = {{0}};
    svs_buf json = {0};
    tok_tokenizer *a = NULL, *b = NULL;
    CHECK(tok_trainer_to_json(tr, &json, &err) == 0, "%s: to_json: %s", what, err.msg);
    CHECK(tok_trainer_build(tr, &a, &err) == 0, "%s: build: %s", what, err.msg);
    CHECK(tok_load_json(json.data, json.len, &b, &err) == 0, "%s: reload: %s", what, err.msg);
    if (a && b) {
        CHECK(tok_vocab_size(a) == tok_trainer_vocab_size(tr) && tok_vocab_size(b) == tok_vocab_size(a),
              "%s: vocab sizes %zu %zu %zu", what, tok_vocab_size(a), tok_vocab_size(b), tok_trainer_vocab_size(tr));
        CHECK(tok_token_to_id(b, "<|im_end|>") == (int32_t)tok_vocab_size(b) - 1, "%s: <|im_end|> is the last id",
              what);
        size_t same = 0, rt = 0, total = json_array_size(docs);
        for (size_t d = 0; d < total; d++) {
            size_t len, na = 0, nb = 0;
            const char *text = jstr(json_array_get(docs, d), "text", &len);
            int32_t *ia = NULL, *ib = NULL;
            if (encode_doc(a, text, len, &ia, &na) == 0 && encode_doc(b, text, len, &ib, &nb) == 0) {
                same += ids_equal(ia, na, ib, nb);
                rt += roundtrip_ok(b, text, len, ib, nb);
            }
            free(ia);
            free(ib);
        }
        CHECK(same == total && rt == total, "%s: built == reloaded %zu/%zu, round trip %zu/%zu", what, same, total, rt,
              total);
    }
    tok_free(a);
    tok_free(b);
    svs_buf_free(&json);
}

static char *trainer_json(tok_trainer *tr) {
    svs_buf b = {0};
    svs_err err = {{0}};
    if (tok_trainer_to_json(tr, &b, &err)) svs_buf_free(&b);
    return b.data;
}

static void check_trainer(json_t *docs) {
    const struct {
        tok_pre_kind pre;
        int nfc;
        const char *name;
    } kinds[] = {{TOK_PRE_QWEN2, 1, "qwen2+nfc"}, {TOK_PRE_LLAMA3, 0, "llama3"}, {TOK_PRE_GPT2, 0, "gpt2"}};
    for (size_t k = 0; k < 3; k++) {
        tok_trainer *tr = train(docs, 400, kinds[k].pre, kinds[k].nfc, 700);
        if (!tr) continue;
        CHECK(tok_trainer_vocab_size(tr) == 700, "%s: vocab %zu", kinds[k].name, tok_trainer_vocab_size(tr));
        check_trained(tr, docs, kinds[k].name);
        tok_trainer_free(tr);
    }
    /* determinism + the committed file: ours_tokenizer.json = bpe-train on the whole corpus with
     * --vocab-size 1500 --pretokenizer qwen2 --nfc and the three ChatML specials */
    tok_trainer *t1 = train(docs, SIZE_MAX, TOK_PRE_QWEN2, 1, 1500);
    char *j1 = t1 ? trainer_json(t1) : NULL;
    svs_err err = {{0}};
    size_t len;
    char *committed = svs_read_file(GOLDEN "ours_tokenizer.json", MAX_FILE, &len, &err);
    CHECK(j1 && committed && strcmp(j1, committed) == 0, "retraining reproduces " GOLDEN "ours_tokenizer.json");
    free(committed);
    free(j1);
    tok_trainer_free(t1);

    /* errors */
    tok_train_opts o = tok_train_defaults();
    tok_trainer *tr = NULL;
    o.vocab_size = 100;
    CHECK(tok_trainer_new(&o, &tr, &err) == -1 && tr == NULL, "vocab < 256 refused");
    const char *dup[] = {"<a>", "<a>"};
    o.vocab_size = 300;
    o.specials = dup;
    o.n_specials = 2;
    CHECK(tok_trainer_new(&o, &tr, &err) == -1, "duplicate special refused");
    o.n_specials = 0;
    CHECK(tok_trainer_new(&o, &tr, &err) == 0, "new: %s", err.msg);
    CHECK(tok_trainer_add_text(tr, "ok\xff", 3, &err) == -1 && strstr(err.msg, "offset 2"), "invalid UTF-8: %s",
          err.msg);
    tok_trainer_free(tr);
}

/* ------------------------------------------------------------------------------------------- */

int main(void) {
    named_tok toks[] = {
        {"qwen2_5", NULL, NULL},
        {"llama3", NULL, NULL},
        {"gpt2", NULL, NULL},
        {"ours", GOLDEN "ours_tokenizer.json", NULL},
    };
    /* svs_shared_path returns a static buffer: copy each result before the next call */
    char paths[3][4096];
    const char *rel[3] = {"assets/tokenizers/qwen2_5/tokenizer.json", "assets/tokenizers/llama3/tokenizer.json",
                          "assets/tokenizers/gpt2/tokenizer.json"};
    for (int i = 0; i < 3; i++) {
        const char *p = svs_shared_path(rel[i]);
        toks[i].path = p ? strcpy(paths[i], p) : NULL;
    }
    json_t *docs = read_jsonl(GOLDEN "corpus.jsonl", NULL);
    CHECK(docs && json_array_size(docs) >= 1000, "corpus has >= 1000 documents");
    size_t ntoks = 0;
    named_tok loaded[4];
    for (size_t t = 0; t < 4; t++) {
        svs_err err = {{0}};
        if (!toks[t].path) continue;
        if (tok_load(toks[t].path, &toks[t].tok, &err)) {
            CHECK(0, "load %s: %s", toks[t].path, err.msg);
            continue;
        }
        loaded[ntoks++] = toks[t];
    }
    for (size_t t = 0; docs && t < ntoks; t++) check_ids(&loaded[t], docs);
    check_decode(loaded, ntoks);
    check_chat(loaded, ntoks);
    check_trim();
    if (docs) check_trainer(docs);
    for (size_t t = 0; t < ntoks; t++) tok_free(loaded[t].tok);
    json_decref(docs);
    return test_summary();
}
