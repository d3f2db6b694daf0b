/* fuzz_tok_load.c — libFuzzer target: arbitrary bytes as a tokenizer.json (tok_load_json). The
 * loader must either refuse with a non-empty error message or return a tokenizer that can encode
 * and decode a short fixed text; never crash, leak or read out of bounds.
 *
 * Build: clang -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -fsanitize=fuzzer,address,undefined \
 *   -Iref tests/fuzz/fuzz_tok_load.c ref/common.c ref/tokenizer/tok_*.c -ljansson -lutf8proc -lm
 * Seeds: a small valid tokenizer.json helps (tests/fuzz/seeds/tok_load/). */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tok.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    tok_tokenizer *t = NULL;
    svs_err err = {{0}};
    if (tok_load_json((const char *)data, size, &t, &err)) {
        if (t || err.msg[0] == 0) abort();
        return 0;
    }
    static const char text[] = "Hello, world! 123 \xC3\xA9<|endoftext|>  x\n";
    int32_t *ids = NULL;
    size_t n = 0;
    if (tok_encode(t, text, sizeof text - 1, 0, &ids, &n, &err)) abort();
    char *dec = NULL;
    size_t len = 0;
    if (tok_decode(t, ids, n, 0, &dec, &len, &err)) abort();
    free(dec);
    free(ids);
    tok_free(t);
    return 0;
}
