/* fuzz_jsonl_verify.c — libFuzzer target for the JSON input path of `svs verify --jsonl`:
 * arbitrary bytes as one JSONL line -> jsonl_parse_object -> jsonl_verify_fields ->
 * verify_compare. Errors must be returned, never crash, leak or hang. */
#include <stdint.h>

#include "jsonl.h"
#include "verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    svs_err err = {{0}};
    json_t *obj = jsonl_parse_object((const char *)data, size, &err);
    if (!obj) return 0;
    jsonl_verify_line in;
    if (jsonl_verify_fields(obj, &in, &err) == 0) {
        verify_result r;
        if (verify_compare(in.gold, in.gold_len, in.model, in.model_len, in.is_response, NULL, &r, &err) == 0)
            verify_result_free(&r);
    }
    json_decref(obj);
    return 0;
}
