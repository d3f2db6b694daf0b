/* fuzz_verify.c — libFuzzer target for the verifier: the input bytes are split at the first
 * NUL (or the middle) into a gold and a model text; both the response and the answer paths
 * run under both profiles. Any crash, leak, UB or slow input (libFuzzer -timeout) is a bug. */
#include <stdint.h>
#include <string.h>

#include "verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *s = (const char *)data;
    const char *nul = memchr(s, 0, size);
    size_t glen = nul ? (size_t)(nul - s) : size / 2;
    size_t off = nul ? glen + 1 : glen;
    verify_policy pols[2];
    verify_policy_default(&pols[0]);
    verify_policy_svs(&pols[1]);
    for (int p = 0; p < 2; p++) {
        for (int is_resp = 0; is_resp < 2; is_resp++) {
            verify_result r;
            if (verify_compare(s, glen, s + off, size - off, is_resp, &pols[p], &r, NULL) == 0) {
                if (r.correct != 0 && r.correct != 1) __builtin_trap();
                verify_result_free(&r);
            }
        }
    }
    return 0;
}
