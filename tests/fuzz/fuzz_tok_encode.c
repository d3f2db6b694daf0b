/* fuzz_tok_encode.c — libFuzzer target: encode arbitrary bytes with the real Qwen2.5 tokenizer
 * (loaded once from $SVS_SHARED or ../shared), decode, and check the round trip:
 *   decode(encode(x, TOK_LOSSY)) == NFC(lossy(x))     (formats.md §1, §3)
 * where lossy(x) replaces each maximal invalid UTF-8 subsequence by U+FFFD. Streaming decode must
 * give the same text. Without TOK_LOSSY, encode must succeed iff x is valid UTF-8. The first input
 * byte also toggles TOK_NO_ADDED so added-token matching and plain text both get exercised.
 * Encoding through a piece cache (tok_encode_cached; one small cache kept across inputs, so it
 * fills, empties and serves hits) must give exactly the ids of the uncached encode.
 *
 * Build (see Makefile `fuzz`):
 *   clang -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -fsanitize=fuzzer,address,undefined -Iref \
 *     tests/fuzz/fuzz_tok_encode.c ref/common.c ref/tokenizer/tok_*.c -ljansson -lutf8proc -lm */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tok.h"

/* Loaded once in LLVMFuzzerInitialize (so the ~1 s load under sanitizers is not charged to the
 * first input's -timeout), read-only afterwards. */
static tok_tokenizer *g_tok;
static tok_cache *g_cache; /* 64 entries: emptied often */

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    const char *root = getenv("SVS_SHARED");
    char path[4096];
    snprintf(path, sizeof path, "%s/assets/tokenizers/qwen2_5/tokenizer.json", root && *root ? root : "../shared");
    svs_err err = {{0}};
    if (tok_load(path, &g_tok, &err)) {
        fprintf(stderr, "fuzz_tok_encode: %s (set SVS_SHARED)\n", err.msg);
        abort();
    }
    if (tok_cache_new(g_tok, 64, &g_cache, &err)) abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const tok_tokenizer *t = g_tok;
    unsigned flags = size && (data[0] & 1) ? TOK_NO_ADDED : 0;
    const char *text = (const char *)data;
    svs_err err = {{0}};

    /* strict mode: succeeds exactly on valid UTF-8 */
    int32_t *ids = NULL;
    size_t n = 0;
    int valid = svs_utf8_valid(text, size, NULL);
    int rc = tok_encode(t, text, size, flags, &ids, &n, &err);
    if ((rc == 0) != valid) abort();
    free(ids);

    /* lossy mode: decode(encode(x)) == NFC(lossy(x)) */
    if (tok_encode(t, text, size, flags | TOK_LOSSY, &ids, &n, &err)) abort();
    tok_ids cached = {0};
    if (tok_encode_cached(t, g_cache, text, size, flags | TOK_LOSSY, &cached, &err) || cached.len != n ||
        (n && memcmp(cached.data, ids, n * sizeof *ids) != 0))
        abort();
    tok_ids_free(&cached);
    char *dec = NULL, *want = NULL;
    size_t dec_len = 0, want_len = 0;
    if (tok_decode(t, ids, n, 0, &dec, &dec_len, &err)) abort();
    /* lossy(x): decode the raw bytes as single-byte tokens (tok_decode applies the same lossy
     * UTF-8 conversion, which test_tokenizer.c checks against explicit U+FFFD) */
    int32_t byte_id[256], *bytes = malloc((size ? size : 1) * sizeof *bytes);
    if (!bytes) abort();
    for (int b = 0; b < 256; b++) {
        char sp[2];
        uint32_t cp = tok_byte_to_cp((uint8_t)b);
        size_t l = cp < 0x80 ? (sp[0] = (char)cp, 1) : (sp[0] = (char)(0xC0 | cp >> 6), sp[1] = (char)(0x80 | (cp & 0x3F)), 2);
        byte_id[b] = tok_token_to_id_n(t, sp, l);
    }
    for (size_t i = 0; i < size; i++) bytes[i] = byte_id[data[i]];
    char *lossy = NULL;
    size_t lossy_len = 0;
    if (tok_decode(t, bytes, size, 0, &lossy, &lossy_len, &err)) abort();
    if (tok_nfc_normalize(lossy, lossy_len, &want, &want_len, &err)) abort();
    /* NFC applies to the segments between added tokens; with no added token in the text the
     * whole text is one segment. Compare only then (NFC does not compose across "<|...|>"
     * boundaries in practice, but a combining mark right after one could differ). */
    int has_added = 0;
    for (size_t i = 0; i < n; i++) has_added |= tok_is_added(t, ids[i]);
    if (!has_added && (dec_len != want_len || memcmp(dec, want, dec_len) != 0)) abort();
    if (has_added) { /* the lossy text itself must come back when it is already NFC */
        if (lossy_len == want_len && memcmp(lossy, want, want_len) == 0 &&
            (dec_len != lossy_len || memcmp(dec, lossy, dec_len) != 0))
            abort();
    }

    /* streaming decode == whole decode */
    tok_stream s;
    svs_buf out = {0};
    tok_stream_init(&s, t, 0);
    for (size_t i = 0; i < n; i++)
        if (tok_stream_push(&s, ids[i], &out, &err)) abort();
    if (tok_stream_flush(&s, &out, &err)) abort();
    if (out.len != dec_len || (dec_len && memcmp(out.data, dec, dec_len) != 0)) abort();

    svs_buf_free(&out);
    free(bytes);
    free(lossy);
    free(want);
    free(dec);
    free(ids);
    return 0;
}
