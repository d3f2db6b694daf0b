/* jsonl.c — one JSON object per line, with errors that name the column or field (jsonl.h). */
#include "jsonl.h"

json_t *jsonl_parse_object(const char *line, size_t n, svs_err *err) {
    if (n == 0) {
        svs_errf(err, "empty line (expected one JSON object per line)");
        return NULL;
    }
    json_error_t je;
    /* JSON_ALLOW_NUL: a "\u0000" inside a string is data, not an error; lengths are kept. */
    json_t *obj = json_loadb(line, n, JSON_ALLOW_NUL, &je);
    if (!obj) {
        svs_errf(err, "invalid JSON at column %d: %s", je.column, je.text);
        return NULL;
    }
    if (!json_is_object(obj)) {
        json_decref(obj);
        svs_errf(err, "expected a JSON object");
        return NULL;
    }
    return obj;
}

int jsonl_get_string(json_t *obj, const char *field, int required, const char **s, size_t *len,
                     svs_err *err) {
    json_t *v = json_object_get(obj, field);
    if (!v) {
        if (required) return svs_errf(err, "missing field \"%s\"", field);
        return 0;
    }
    if (!json_is_string(v)) return svs_errf(err, "field \"%s\": expected a string", field);
    *s = json_string_value(v);
    if (len) *len = json_string_length(v);
    return 1;
}

int jsonl_verify_fields(json_t *obj, jsonl_verify_line *out, svs_err *err) {
    if (jsonl_get_string(obj, "gold", 1, &out->gold, &out->gold_len, err) < 0) return -1;
    int has_pred = jsonl_get_string(obj, "pred", 0, &out->model, &out->model_len, err);
    if (has_pred < 0) return -1;
    if (has_pred) {
        if (json_object_get(obj, "response"))
            return svs_errf(err, "give either field \"pred\" or field \"response\", not both");
        out->is_response = 0;
        return 0;
    }
    int has_resp = jsonl_get_string(obj, "response", 0, &out->model, &out->model_len, err);
    if (has_resp < 0) return -1;
    if (!has_resp) return svs_errf(err, "missing field \"pred\" or \"response\"");
    out->is_response = 1;
    return 0;
}
