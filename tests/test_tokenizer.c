/* test_tokenizer.c — the byte-level BPE tokenizer (ref/tokenizer/tok.h) against the shared test
 * vectors (formats.md §6), the chat-template ids of formats.md §7, round trips, streaming decode,
 * added tokens, invalid UTF-8, merges stored as pairs, and tokenizer.json files that must be
 * refused with an error naming the JSON path at fault.
 *
 * Assets come from $SVS_SHARED (default ../shared); missing assets are skipped outside CI. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "tokenizer/tok.h"

/* ---------------------------------------------------------------------------------------------
 * helpers */

static tok_tokenizer *load_asset(const char *rel) {
    const char *path = svs_shared_path(rel);
    if (!path) return NULL;
    tok_tokenizer *t = NULL;
    svs_err err = {{0}};
    int rc = tok_load(path, &t, &err);
    CHECK(rc == 0, "load %s: %s", rel, err.msg);
    return t;
}

/* Parses " 1 2 3" into ids; returns the count. */
static size_t parse_ids(const char *line, int32_t *ids, size_t cap) {
    size_t n = 0;
    char *end;
    for (const char *p = line; n < cap;) {
        long v = strtol(p, &end, 10);
        if (end == p) break;
        ids[n++] = (int32_t)v;
        p = end;
    }
    return n;
}

static int ids_equal(const int32_t *a, size_t na, const int32_t *b, size_t nb) {
    return na == nb && (na == 0 || memcmp(a, b, na * sizeof *a) == 0);
}

static void print_ids(const char *what, const int32_t *ids, size_t n) {
    fprintf(stderr, "  %s:", what);
    for (size_t i = 0; i < n; i++) fprintf(stderr, " %d", (int)ids[i]);
    fprintf(stderr, "\n");
}

/* Encodes text and compares with the expected ids (given as a " 1 2 3" string). */
static void check_encode(const tok_tokenizer *t, const char *text, size_t len, unsigned flags, const char *expected,
                         const char *what) {
    int32_t want[512], *got = NULL;
    size_t nwant = parse_ids(expected, want, 512), ngot = 0;
    svs_err err = {{0}};
    int rc = tok_encode(t, text, len, flags, &got, &ngot, &err);
    int ok = rc == 0 && ids_equal(got, ngot, want, nwant);
    CHECK(ok, "encode %s: %s", what, rc ? err.msg : "ids differ");
    if (!ok && rc == 0) {
        print_ids("want", want, nwant);
        print_ids("got ", got, ngot);
    }
    free(got);
}

/* decode(ids) must equal want; streaming the ids one by one must give the same text. */
static void check_decode(const tok_tokenizer *t, const int32_t *ids, size_t n, int skip, const char *want, size_t want_len,
                         const char *what) {
    char *text = NULL;
    size_t len = 0;
    svs_err err = {{0}};
    int rc = tok_decode(t, ids, n, skip, &text, &len, &err);
    CHECK(rc == 0 && len == want_len && memcmp(text, want, len) == 0, "decode %s: %s", what, rc ? err.msg : "text differs");
    tok_stream s;
    svs_buf out = {0};
    tok_stream_init(&s, t, skip);
    rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) rc = tok_stream_push(&s, ids[i], &out, &err);
    if (rc == 0) rc = tok_stream_flush(&s, &out, &err);
    CHECK(rc == 0 && out.len == len && (len == 0 || memcmp(out.data, text, len) == 0), "stream decode %s", what);
    svs_buf_free(&out);
    free(text);
}

/* ---------------------------------------------------------------------------------------------
 * shared vectors (formats.md §6) */

static void test_vectors(const tok_tokenizer *t, const char *tests_rel, const char *expected_rel, int nfc, int want_cases) {
    const char *p = svs_shared_path(tests_rel);
    if (!p) return;
    json_error_t jerr;
    json_t *cases = json_load_file(p, 0, &jerr);
    CHECK(json_is_array(cases), "%s: %s", tests_rel, jerr.text);
    const char *pe = svs_shared_path(expected_rel);
    FILE *f = pe ? fopen(pe, "r") : NULL;
    CHECK(f != NULL, "open %s", expected_rel);
    if (!cases || !f) {
        if (f) fclose(f);
        json_decref(cases);
        return;
    }
    int matched = 0, total = (int)json_array_size(cases);
    char line[65536];
    tok_cache *caches[2] = {NULL, NULL};
    svs_err cerr = {{0}};
    CHECK(tok_cache_new(t, 0, &caches[0], &cerr) == 0 && tok_cache_new(t, 3, &caches[1], &cerr) == 0, "cache: %s", cerr.msg);
    for (size_t i = 0; i < json_array_size(cases); i++) {
        json_t *c = json_array_get(cases, i);
        const char *s = json_string_value(c);
        size_t sl = json_string_length(c);
        if (!fgets(line, sizeof line, f)) line[0] = 0;
        line[strcspn(line, "\n")] = 0;
        int32_t want[4096], *got = NULL;
        size_t nwant = parse_ids(line, want, 4096), ngot = 0;
        svs_err err = {{0}};
        int rc = tok_encode(t, s, sl, 0, &got, &ngot, &err);
        int ok = rc == 0 && ids_equal(got, ngot, want, nwant);
        matched += ok;
        CHECK(ok, "%s case %zu: %s", tests_rel, i, rc ? err.msg : "ids differ");
        /* The same through a piece cache kept across cases, and a 3-entry one (emptied
         * constantly): identical ids. */
        for (int k = 0; k < 2; k++) {
            tok_ids v = {0};
            CHECK(tok_encode_cached(t, caches[k], s, sl, 0, &v, &err) == 0 && ids_equal(v.data, v.len, want, nwant),
                  "%s case %zu with cache %d: %s", tests_rel, i, k, err.msg);
            tok_ids_free(&v);
        }
        /* decode(encode(s)) == s (NFC(s) for Qwen), whole and streaming */
        if (rc == 0) {
            char *norm = NULL;
            size_t nl = sl;
            if (nfc) CHECK(tok_nfc_normalize(s, sl, &norm, &nl, &err) == 0, "nfc: %s", err.msg);
            char what[64];
            snprintf(what, sizeof what, "%s case %zu round trip", tests_rel, i);
            check_decode(t, got, ngot, 0, norm ? norm : s, nl, what);
            free(norm);
        }
        free(got);
    }
    tok_cache_free(caches[0]);
    tok_cache_free(caches[1]);
    printf("%s: %d/%d cases match\n", tests_rel, matched, total);
    CHECK(matched == want_cases && total == want_cases, "%s: %d of %d matched (want all %d)", tests_rel, matched, total, want_cases);
    fclose(f);
    json_decref(cases);
}

/* ---------------------------------------------------------------------------------------------
 * Qwen2.5 specifics */

static const char *QWEN_SYSTEM_USER =
    "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\n";

static void test_qwen(const tok_tokenizer *t) {
    CHECK(tok_vocab_size(t) == 151665, "qwen vocab size %zu", tok_vocab_size(t));
    CHECK(tok_pre(t) == TOK_PRE_QWEN2 && tok_nfc(t) && !tok_ignore_merges(t), "qwen pre-tokenizer/normalizer");
    CHECK(tok_token_to_id(t, "<|im_end|>") == 151645, "token_to_id <|im_end|>");
    CHECK(tok_token_to_id(t, "Ġthe") == 279, "token_to_id Ġthe = %d", tok_token_to_id(t, "Ġthe"));
    CHECK(tok_token_to_id(t, "no such token") == -1, "token_to_id unknown");
    CHECK(tok_id_to_token(t, 151644) && strcmp(tok_id_to_token(t, 151644), "<|im_start|>") == 0, "id_to_token 151644");
    CHECK(tok_id_to_token(t, 151665) == NULL && tok_id_to_token(t, -1) == NULL, "id_to_token out of range");
    CHECK(tok_is_special(t, 151645) && !tok_is_special(t, 151657) && tok_is_added(t, 151657) && !tok_is_added(t, 9707),
          "special/added flags");

    /* formats.md §7.1: the fixed parts of the ChatML prompt and the SvS suffix */
    check_encode(t, QWEN_SYSTEM_USER, strlen(QWEN_SYSTEM_USER), 0,
                 "151644 8948 198 2610 525 1207 16948 11 3465 553 54364 14817 13 1446 525 264 10950 17847 13 151645 198 151644 872 198",
                 "qwen default system block + user header");
    const char *gen = "<|im_end|>\n<|im_start|>assistant\n";
    check_encode(t, gen, strlen(gen), 0, "151645 198 151644 77091 198", "qwen generation prompt");
    const char *suffix = " Please reason step by step, and put your final answer within \\boxed{}.";
    check_encode(t, suffix, strlen(suffix), 0, "5209 2874 3019 553 3019 11 323 2182 697 1590 4226 2878 1124 79075 46391",
                 "SvS suffix");

    /* added tokens: leftmost-longest on the raw text; TOK_NO_ADDED encodes them as text */
    const char *chat = "<|im_start|>user\nHi<|im_end|>";
    int32_t *ids = NULL;
    size_t n = 0;
    svs_err err = {{0}};
    CHECK(tok_encode(t, chat, strlen(chat), 0, &ids, &n, &err) == 0 && n >= 4 && ids[0] == 151644 && ids[1] == 872 &&
              ids[2] == 198 && ids[n - 1] == 151645,
          "added tokens in <|im_start|>user...");
    free(ids);
    CHECK(tok_encode(t, chat, strlen(chat), TOK_NO_ADDED, &ids, &n, &err) == 0, "no-added encode");
    int any_added = 0;
    for (size_t i = 0; i < n; i++) any_added |= ids[i] >= 151643;
    CHECK(n > 6 && !any_added, "TOK_NO_ADDED: no added-token ids");
    free(ids);
    check_encode(t, "<|im_start|><|im_end|>", 22, 0, "151644 151645", "adjacent added tokens");
    check_encode(t, "<tool_call>", 11, 0, "151657", "non-special added token");

    /* decode: skip_special drops special added tokens only */
    const int32_t dec_ids[] = {151644, 872, 198, 151657, 151645};
    check_decode(t, dec_ids, 5, 0, "<|im_start|>user\n<tool_call><|im_end|>", 38, "with specials");
    check_decode(t, dec_ids, 5, 1, "user\n<tool_call>", 16, "skip_special");
    /* a byte token alone is invalid UTF-8 -> U+FFFD (lossy), and streaming holds it back */
    const int32_t half[] = {tok_token_to_id(t, "ð"), tok_token_to_id(t, "Ł")}; /* bytes F0 9F */
    check_decode(t, half, 2, 0, "\xEF\xBF\xBD", 3, "truncated 4-byte sequence");
    int32_t bad_id = 999999;
    char *text = NULL;
    size_t len;
    CHECK(tok_decode(t, &bad_id, 1, 0, &text, &len, &err) == -1 && strstr(err.msg, "ids[0]"), "bad id: %s", err.msg);

    /* streaming: 😀 = F0 9F 98 80 spread over byte tokens emits nothing until complete */
    const char *emoji = "a\xF0\x9F\x98\x80";
    CHECK(tok_encode(t, emoji, strlen(emoji), 0, &ids, &n, &err) == 0, "encode emoji");
    tok_stream s;
    svs_buf out = {0};
    tok_stream_init(&s, t, 0);
    int ok = 1;
    for (size_t i = 0; i < n; i++) {
        size_t before = out.len;
        CHECK(tok_stream_push(&s, ids[i], &out, &err) == 0, "stream push");
        ok &= out.len == before || (out.len - before == 1 || out.len - before == 4 || out.len - before == 5);
    }
    CHECK(tok_stream_flush(&s, &out, &err) == 0 && out.len == 5 && memcmp(out.data, emoji, 5) == 0 && ok, "stream emoji");
    svs_buf_free(&out);
    free(ids);

    /* invalid UTF-8: an error naming the byte offset, or U+FFFD with TOK_LOSSY */
    CHECK(tok_encode(t, "ab\xFF" "cd", 5, 0, &ids, &n, &err) == -1 && strstr(err.msg, "byte offset 2"), "invalid utf-8: %s",
          err.msg);
    int32_t *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    CHECK(tok_encode(t, "ab\xFF" "cd", 5, TOK_LOSSY, &a, &na, &err) == 0 &&
              tok_encode(t, "ab\xEF\xBF\xBD" "cd", 7, 0, &b, &nb, &err) == 0 && ids_equal(a, na, b, nb),
          "lossy \\xFF = U+FFFD");
    free(a);
    free(b);
    CHECK(tok_encode(t, "x\xE2\x82 y\xC0", 6, TOK_LOSSY, &a, &na, &err) == 0 &&
              tok_encode(t, "x\xEF\xBF\xBD y\xEF\xBF\xBD", 9, 0, &b, &nb, &err) == 0 && ids_equal(a, na, b, nb),
          "lossy = explicit U+FFFD (maximal subparts)");
    free(a);
    free(b);

    /* NFC: e + U+0301 encodes like é */
    CHECK(tok_encode(t, "caf" "e\xCC\x81", 6, 0, &a, &na, &err) == 0 && tok_encode(t, "caf\xC3\xA9", 5, 0, &b, &nb, &err) == 0 &&
              ids_equal(a, na, b, nb),
          "NFC before BPE");
    free(a);
    free(b);
}

/* formats.md §3: pieces of the three pre-tokenizers */
static void check_pieces(tok_pre_kind k, const char *text, const char *const *want, size_t nwant) {
    size_t n = strlen(text), i = 0, p = 0, e;
    int ok = 1;
    for (; p < n; p = e, i++) {
        e = tok_pretok_next(k, text, n, p);
        ok &= e > p && i < nwant && strlen(want[i]) == e - p && memcmp(want[i], text + p, e - p) == 0;
    }
    CHECK(ok && i == nwant, "pieces of \"%s\" (kind %d)", text, (int)k);
}

static void test_pretok(void) {
    const char *q1[] = {"1", "2", "3", "4", "5", " ab"}, *l1[] = {"123", "45", " ab"}, *g1[] = {"12345", " ab"};
    check_pieces(TOK_PRE_QWEN2, "12345 ab", q1, 6);
    check_pieces(TOK_PRE_LLAMA3, "12345 ab", l1, 3);
    check_pieces(TOK_PRE_GPT2, "12345 ab", g1, 2);
    const char *q2[] = {"\\frac", "{", "1", "}{", "2", "}x"}, *g2[] = {"\\", "frac", "{", "1", "}{", "2", "}", "x"};
    check_pieces(TOK_PRE_QWEN2, "\\frac{1}{2}x", q2, 6);
    check_pieces(TOK_PRE_GPT2, "\\frac{1}{2}x", g2, 8);
    const char *q3[] = {" $", "x", "^", "2", "$.\n"}, *g3[] = {" $", "x", "^", "2", "$.", "\n"};
    check_pieces(TOK_PRE_QWEN2, " $x^2$.\n", q3, 5);
    check_pieces(TOK_PRE_GPT2, " $x^2$.\n", g3, 6);
    const char *q4[] = {"Hello", ",", " world", "!\n\n", " ", " x"}, *g4[] = {"Hello", ",", " world", "!", "\n\n ", " x"};
    check_pieces(TOK_PRE_QWEN2, "Hello, world!\n\n  x", q4, 6);
    check_pieces(TOK_PRE_GPT2, "Hello, world!\n\n  x", g4, 6);
    const char *q5[] = {"  ", " Hello"};
    check_pieces(TOK_PRE_QWEN2, "   Hello", q5, 2);
    check_pieces(TOK_PRE_GPT2, "   Hello", q5, 2);
    /* contractions: case-insensitive for Qwen/Llama-3 only */
    const char *q6[] = {"it", "'RE"}, *g6[] = {"it", "'", "RE"};
    check_pieces(TOK_PRE_QWEN2, "it'RE", q6, 2);
    check_pieces(TOK_PRE_GPT2, "it'RE", g6, 3);
    /* U+001C is not \s for Oniguruma: it is "other" and joins the following letters */
    const char *q7[] = {"a", "\x1C" "b"};
    check_pieces(TOK_PRE_QWEN2, "a\x1C" "b", q7, 2);
    CHECK(tok_byte_to_cp(' ') == 0x120 && tok_byte_to_cp(0) == 0x100 && tok_byte_to_cp(0xAD) == 0x143 &&
              tok_byte_to_cp('A') == 'A' && tok_cp_to_byte(0x10A) == '\n' && tok_cp_to_byte(0x4E00) == -1,
          "byte map");
}

/* ---------------------------------------------------------------------------------------------
 * A small tokenizer.json built in memory: the 256 byte tokens plus a few merges. */

static json_t *mini_tokenizer(int pairs) {
    json_t *vocab = json_object(), *merges = json_array();
    for (int b = 0; b < 256; b++) {
        char sp[8];
        uint32_t cp = tok_byte_to_cp((uint8_t)b);
        int l = cp < 0x80 ? (sp[0] = (char)cp, 1) : (sp[0] = (char)(0xC0 | cp >> 6), sp[1] = (char)(0x80 | (cp & 0x3F)), 2);
        sp[l] = 0;
        json_object_set_new(vocab, sp, json_integer(b));
    }
    static const char *const M[][2] = {{"h", "e"}, {"l", "l"}, {"he", "ll"}, {"hell", "o"}, {"Ġ", "w"}, {"o", "r"}};
    int next = 256;
    if (!pairs) json_array_append_new(merges, json_string("#version: 0.2"));
    for (size_t i = 0; i < sizeof M / sizeof M[0]; i++) {
        char cat[16], sp[16];
        snprintf(cat, sizeof cat, "%s%s", M[i][0], M[i][1]);
        json_object_set_new(vocab, cat, json_integer(next++));
        if (pairs) {
            json_array_append_new(merges, json_pack("[ss]", M[i][0], M[i][1]));
        } else {
            snprintf(sp, sizeof sp, "%s %s", M[i][0], M[i][1]);
            json_array_append_new(merges, json_string(sp));
        }
    }
    return json_pack("{s:s, s:n, s:n, s:[{s:i, s:s, s:b, s:b}], s:n, s:{s:s, s:b, s:b}, s:n, s:{s:s}, s:{s:s, s:o, s:o}}",
                     "version", "1.0", "truncation", "padding", "added_tokens", "id", next, "content", "<|end|>", "special", 1,
                     "normalized", 0, "normalizer", "pre_tokenizer", "type", "ByteLevel", "add_prefix_space", 0,
                     "use_regex", 1, "post_processor", "decoder", "type", "ByteLevel", "model", "type", "BPE", "vocab",
                     vocab, "merges", merges);
}

static int load_doc(json_t *doc, tok_tokenizer **t, svs_err *err) {
    char *s = json_dumps(doc, 0);
    int rc = tok_load_json(s, strlen(s), t, err);
    free(s);
    return rc;
}

static void test_mini(void) {
    for (int pairs = 0; pairs < 2; pairs++) {
        json_t *doc = mini_tokenizer(pairs);
        tok_tokenizer *t = NULL;
        svs_err err = {{0}};
        CHECK(load_doc(doc, &t, &err) == 0, "mini tokenizer (pairs=%d): %s", pairs, err.msg);
        if (t) {
            /* hello -> [hello]; " world" -> [Ġw, or, l, d]; <|end|> -> 262 */
            check_encode(t, "hello world<|end|>", 18, 0, "259 260 261 108 100 262", pairs ? "mini, merges as pairs" : "mini, merges as strings");
            CHECK(tok_pre(t) == TOK_PRE_GPT2 && tok_vocab_size(t) == 263, "mini kind/size");
        }
        tok_free(t);
        json_decref(doc);
    }
}

/* Each broken variant must fail with a message naming the JSON path. */
static void expect_error(json_t *doc, const char *needle, const char *what) {
    tok_tokenizer *t = NULL;
    svs_err err = {{0}};
    int rc = load_doc(doc, &t, &err);
    CHECK(rc == -1 && t == NULL && strstr(err.msg, needle), "%s: want \"%s\" in \"%s\"", what, needle, err.msg);
    tok_free(t);
    json_decref(doc);
}

static json_t *model_of(json_t *doc) { return json_object_get(doc, "model"); }

static void test_bad_files(void) {
    json_t *d;
    d = mini_tokenizer(0);
    json_object_set_new(model_of(d), "type", json_string("WordPiece"));
    expect_error(d, "model.type: unsupported model type \"WordPiece\"", "WordPiece");

    d = mini_tokenizer(0);
    json_array_set_new(json_object_get(model_of(d), "merges"), 2, json_integer(5));
    expect_error(d, "model.merges[2]: expected a string or a pair", "merge of wrong type");

    d = mini_tokenizer(1);
    json_array_set_new(json_object_get(model_of(d), "merges"), 1, json_pack("[s]", "h"));
    expect_error(d, "model.merges[1]", "pair of one");

    d = mini_tokenizer(0);
    json_array_set_new(json_object_get(model_of(d), "merges"), 1, json_string("h qq"));
    expect_error(d, "model.merges[1]: token \"qq\" is not in the vocabulary", "merge of unknown token");

    d = mini_tokenizer(0);
    json_object_set_new(json_object_get(model_of(d), "vocab"), "zz", json_string("7"));
    expect_error(d, "model.vocab[\"zz\"]: expected an integer id", "vocab id of wrong type");

    d = mini_tokenizer(0);
    json_object_set_new(model_of(d), "byte_fallback", json_true());
    expect_error(d, "model.byte_fallback", "byte_fallback");

    d = mini_tokenizer(0);
    json_object_set_new(model_of(d), "dropout", json_real(0.1));
    expect_error(d, "model.dropout", "dropout");

    d = mini_tokenizer(0);
    json_object_set_new(model_of(d), "continuing_subword_prefix", json_string("##"));
    expect_error(d, "model.continuing_subword_prefix", "continuing_subword_prefix");

    d = mini_tokenizer(0);
    json_object_set_new(d, "normalizer", json_pack("{s:s}", "type", "Lowercase"));
    expect_error(d, "normalizer.type: unsupported normalizer \"Lowercase\"", "normalizer");

    d = mini_tokenizer(0);
    json_object_set_new(d, "normalizer", json_pack("{s:s, s:[{s:s}, {s:s}]}", "type", "Sequence", "normalizers", "type", "NFC", "type", "NFKC"));
    expect_error(d, "normalizer.normalizers[1].type", "normalizer in a Sequence");

    d = mini_tokenizer(0);
    json_object_set_new(d, "pre_tokenizer",
                        json_pack("{s:s, s:[{s:s, s:{s:s}, s:s, s:b}, {s:s, s:b, s:b}]}", "type", "Sequence", "pretokenizers",
                                  "type", "Split", "pattern", "Regex", "\\w+|\\s+", "behavior", "Isolated", "invert", 0,
                                  "type", "ByteLevel", "add_prefix_space", 0, "use_regex", 0));
    expect_error(d, "pre_tokenizer.pretokenizers[0].pattern.Regex: unsupported pattern \"\\w+|\\s+\"", "unknown regex");

    d = mini_tokenizer(0);
    json_object_set_new(d, "pre_tokenizer", json_pack("{s:s}", "type", "Whitespace"));
    expect_error(d, "pre_tokenizer.type", "Whitespace pre-tokenizer");

    d = mini_tokenizer(0);
    json_object_set_new(json_object_get(d, "pre_tokenizer"), "add_prefix_space", json_true());
    expect_error(d, "pre_tokenizer.add_prefix_space", "add_prefix_space");

    d = mini_tokenizer(0);
    json_object_set_new(d, "decoder", json_pack("{s:s}", "type", "WordPiece"));
    expect_error(d, "decoder.type", "decoder");

    d = mini_tokenizer(0);
    json_object_set_new(json_array_get(json_object_get(d, "added_tokens"), 0), "content", json_integer(3));
    expect_error(d, "added_tokens[0].content: expected a string", "added token content");

    d = mini_tokenizer(0);
    json_object_set_new(json_array_get(json_object_get(d, "added_tokens"), 0), "lstrip", json_true());
    expect_error(d, "added_tokens[0].lstrip", "lstrip");

    d = mini_tokenizer(0);
    json_object_set_new(d, "truncation", json_pack("{s:i}", "max_length", 5));
    expect_error(d, "truncation", "truncation");

    /* SmolLM2's pre-tokenizer: Sequence[Digits(individual_digits), ByteLevel(use_regex)] */
    d = mini_tokenizer(0);
    json_object_set_new(d, "pre_tokenizer", json_pack("{s:s, s:[{s:s, s:b}, {s:s, s:b, s:b, s:b}]}", "type", "Sequence",
                                                      "pretokenizers", "type", "Digits", "individual_digits", 1, "type",
                                                      "ByteLevel", "add_prefix_space", 0, "trim_offsets", 1, "use_regex", 1));
    {
        tok_tokenizer *t = NULL;
        svs_err err = {{0}};
        CHECK(load_doc(d, &t, &err) == 0 && tok_pre(t) == TOK_PRE_SMOLLM, "Digits + ByteLevel: %s", err.msg);
        if (t) check_encode(t, "x  12", 5, 0, "120 32 32 49 50", "Digits + ByteLevel encode"); /* ids = byte values here */
        tok_free(t);
    }
    json_object_set_new(json_array_get(json_object_get(json_object_get(d, "pre_tokenizer"), "pretokenizers"), 0),
                        "individual_digits", json_false());
    expect_error(d, "pre_tokenizer.pretokenizers[0].individual_digits: only true", "Digits not individual");

    /* A vocabulary without a byte's token loads (SmolLM2 lacks 0x04, 0xC0, ...); like HF BPE
     * without unk_token, encoding drops that byte: "!\x01!" is one piece -> "!" "!". */
    d = mini_tokenizer(0);
    json_object_del(json_object_get(model_of(d), "vocab"), "\xC4\x81"); /* U+0101 = byte 0x01 */
    {
        tok_tokenizer *t = NULL;
        svs_err err = {{0}};
        CHECK(load_doc(d, &t, &err) == 0, "missing byte token: %s", err.msg);
        if (t) {
            check_encode(t, "!\x01!", 3, 0, "33 33", "missing byte dropped");
            check_encode(t, "\x01", 1, 0, "", "lone missing byte dropped");
            tok_free(t);
        }
        json_decref(d);
    }

    /* malformed JSON: jansson's line and column */
    tok_tokenizer *t = NULL;
    svs_err err = {{0}};
    const char *trunc = "{\n  \"version\": \"1.0\",\n  \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0";
    CHECK(tok_load_json(trunc, strlen(trunc), &t, &err) == -1 && strstr(err.msg, "tokenizer.json: line 3"), "truncated: %s", err.msg);
    CHECK(tok_load_json("[1, 2,]", 7, &t, &err) == -1 && strstr(err.msg, "line 1"), "syntax error: %s", err.msg);
    CHECK(tok_load_json("[1]", 3, &t, &err) == -1 && strstr(err.msg, "top level"), "array root: %s", err.msg);
    CHECK(tok_load("/nonexistent/tokenizer.json", &t, &err) == -1 && strstr(err.msg, "/nonexistent/tokenizer.json"),
          "missing file: %s", err.msg);
}

/* A truncated copy of the real Qwen file: an error with line and column, no crash. */
static void test_truncated_asset(void) {
    const char *p = svs_shared_path("assets/tokenizers/qwen2_5/tokenizer.json");
    if (!p) return;
    size_t n;
    svs_err err = {{0}};
    char *s = svs_read_file(p, (size_t)1 << 30, &n, &err);
    CHECK(s != NULL, "read %s", p);
    if (!s) return;
    tok_tokenizer *t = NULL;
    CHECK(tok_load_json(s, n / 2, &t, &err) == -1 && strstr(err.msg, "line") && strstr(err.msg, "column"),
          "truncated qwen: %s", err.msg);
    free(s);
}

/* Piece cache and long pieces (ids from HF tokenizers 0.23.3): pieces over 48 bytes take the
 * heap path of BPE, over 64 bytes are never cached; repeated pieces come from the cache. */
static void test_cache(const tok_tokenizer *t, const tok_tokenizer *other) {
    static const struct { const char *text, *ids; } CASES[] = {
        {" supercalifragilisticexpialidociousantidisestablishmentarianism", "2256 5416 333 4101 321 4532 4580 530 307 77187 517 84242 33400 478 8821 2142"},
        {"======================================================================\n", "8152 72929"},
        {"abababababababababababababababababababababababababababababababababababababababab", "370 370 370 370 370 370 370 370 370 370 370 370 370 370 370 370 370 370 370 370 370 370 370 370 370 370 370 370 370 370 370 370 370 370 370 370 370 370 370 370"},
        {" aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "264 69440 69440 69440 69440 69440 69440 69440 69440 64"},
        {"Hello world! Hello world! Hello world!", "9707 1879 0 21927 1879 0 21927 1879 0"},
    };
    svs_err err = {{0}};
    tok_cache *c = NULL;
    CHECK(tok_cache_new(t, 0, &c, &err) == 0, "tok_cache_new: %s", err.msg);
    if (!c) return;
    for (int pass = 0; pass < 2; pass++) /* the second pass is served from the cache */
        for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
            int32_t want[128];
            size_t nwant = parse_ids(CASES[i].ids, want, 128);
            tok_ids v = {0};
            int rc = tok_encode_cached(t, c, CASES[i].text, strlen(CASES[i].text), 0, &v, &err);
            CHECK(rc == 0 && ids_equal(v.data, v.len, want, nwant), "cache case %zu pass %d: %s", i, pass, rc ? err.msg : "ids differ");
            tok_ids_free(&v);
            check_encode(t, CASES[i].text, strlen(CASES[i].text), 0, CASES[i].ids, "long piece (no cache)");
        }
    /* tok_encode on a text of >= 256 KiB uses a temporary cache: same ids as a 1-entry cache */
    {
        svs_buf big = {0};
        const char *tail = " 3.14159 caf\xC3\xA9\n";
        int brc = 0;
        for (int i = 0; big.len < 300000 && brc == 0; i++)
            brc = svs_buf_append(&big, CASES[i % 5].text, strlen(CASES[i % 5].text), &err) || svs_buf_append(&big, tail, strlen(tail), &err);
        CHECK(brc == 0, "buf: %s", err.msg);
        int32_t *a = NULL;
        size_t na = 0;
        tok_ids b = {0};
        tok_cache *one = NULL;
        CHECK(tok_encode(t, big.data, big.len, 0, &a, &na, &err) == 0 && tok_cache_new(t, 1, &one, &err) == 0 &&
                  tok_encode_cached(t, one, big.data, big.len, 0, &b, &err) == 0 && ids_equal(a, na, b.data, b.len) && na > 50000,
              "long text: %s", err.msg);
        free(a);
        tok_ids_free(&b);
        tok_cache_free(one);
        svs_buf_free(&big);
    }
    /* a failed call leaves the output untouched, the cache still usable */
    tok_ids v = {0};
    CHECK(tok_ids_push(&v, 7, &err) == 0 && tok_encode_cached(t, c, "a\xFF", 2, 0, &v, &err) == -1 && v.len == 1 &&
              strstr(err.msg, "byte offset 1"), "cached invalid utf-8: %s", err.msg);
    if (other)
        CHECK(tok_encode_cached(other, c, "a", 1, 0, &v, &err) == -1 && strstr(err.msg, "another tokenizer") && v.len == 1,
              "cache used with another tokenizer: %s", err.msg);
    tok_ids_free(&v);
    tok_cache_free(c);
    tok_cache_free(NULL);
    CHECK(tok_cache_new(t, (size_t)1 << 30, &c, &err) == -1 && c == NULL, "oversized cache refused");
}

int main(void) {
    test_pretok();
    test_mini();
    test_bad_files();
    test_truncated_asset();

    tok_tokenizer *qwen = load_asset("assets/tokenizers/qwen2_5/tokenizer.json");
    if (qwen) {
        test_vectors(qwen, "vectors/tokenizer/qwen2_tests.json", "vectors/tokenizer/qwen2_expected.txt", 1, 43);
        test_qwen(qwen);
    }
    tok_tokenizer *llama = load_asset("assets/tokenizers/llama3/tokenizer.json");
    if (llama) {
        test_vectors(llama, "vectors/tokenizer/llama3_tests.json", "vectors/tokenizer/llama3_expected.txt", 0, 44);
        CHECK(tok_ignore_merges(llama) && tok_pre(llama) == TOK_PRE_LLAMA3, "llama3 flags");
        /* formats.md §7.2 */
        const char *chat = "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat is 1+1?<|eot_id|>"
                           "<|start_header_id|>assistant<|end_header_id|>\n\n";
        check_encode(llama, chat, strlen(chat), 0, "128000 128006 882 128007 271 3923 374 220 16 10 16 30 128009 128006 78191 128007 271",
                     "llama3 chat");
        tok_free(llama);
    }
    tok_tokenizer *gpt2 = load_asset("assets/tokenizers/gpt2/tokenizer.json");
    if (qwen) test_cache(qwen, gpt2);
    if (gpt2) {
        check_encode(gpt2, "Hello world", 11, 0, "15496 995", "gpt2 Hello world");
        CHECK(tok_pre(gpt2) == TOK_PRE_GPT2 && tok_vocab_size(gpt2) == 50257 && tok_is_special(gpt2, 50256), "gpt2 flags");
        tok_free(gpt2);
    }
    tok_free(qwen);
    return test_summary();
}
