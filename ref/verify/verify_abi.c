/* verify_abi.c — the flat C ABI of the verifier exported by libsvs for other languages
 * (docs/python/svs_reward.py loads it with ctypes). NUL-terminated strings in, an int out, no
 * structs to mirror on the other side. */
#include <stdlib.h>
#include <string.h>

#include "../verify.h"

/* Applies a comma-separated list of switches ("profile=svs,decimal=round:6"); -1 on error. */
static int apply_switches(verify_policy *pol, const char *spec, svs_err *err) {
    if (!spec || !*spec) return 0;
    char *copy = strdup(spec), *save = NULL;
    if (!copy) return svs_errf(err, "out of memory");
    int rc = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok && rc == 0; tok = strtok_r(NULL, ",", &save))
        rc = verify_policy_set(pol, tok, err);
    free(copy);
    return rc;
}

/* Returns 1 (equal), 0 (not equal) or -1 (invalid call: NULL string, bad switch, out of
 * memory; the message is copied into errbuf when errbuf_len > 0). */
int svs_verify_abi(const char *gold, const char *model, int model_is_response, const char *policy,
                   char *errbuf, size_t errbuf_len) {
    svs_err err = {{0}};
    verify_policy pol;
    verify_result res;
    int rc = -1;
    verify_policy_default(&pol);
    if (!gold || !model) {
        svs_errf(&err, "gold and model text must not be NULL");
    } else if (apply_switches(&pol, policy, &err) == 0 &&
               verify_compare(gold, strlen(gold), model, strlen(model), model_is_response, &pol,
                              &res, &err) == 0) {
        rc = res.correct ? 1 : 0;
        verify_result_free(&res);
    }
    if (rc < 0 && errbuf && errbuf_len) {
        strncpy(errbuf, err.msg, errbuf_len - 1);
        errbuf[errbuf_len - 1] = 0;
    }
    return rc;
}
