/* cmd_encode.c — `svs encode` and `svs decode`: the tokenizer (ref/tokenizer/tok.h,
 * formats.md §1–§6) on the command line. JSONL in, JSONL out, one output line per input line, in
 * order; an "id" field of the input is copied to the output.
 *
 * JSON strings cannot carry invalid UTF-8, so besides {"text": str} encode accepts raw bytes as
 * {"text_b64": base64 str} or {"bytes": [int 0..255, ...]}: that is how the invalid-UTF-8 error
 * (which names the byte offset) and --lossy are reachable from the command line. */
#include <stdlib.h>
#include <string.h>

#include "../tokenizer/tok.h"
#include "cli.h"

static const char *ENCODE_HELP =
    "usage: svs encode --tokenizer tokenizer.json --jsonl FILE [--lossy] [--no-added-tokens]\n\n"
    "Encodes text into token ids exactly as Hugging Face tokenizers does with\n"
    "add_special_tokens=False (no BOS/EOS is ever added). Supports byte-level BPE files of\n"
    "Qwen2/2.5/3, Llama-3 and GPT-2; other tokenizer.json files are refused with the JSON path.\n\n"
    "  --tokenizer FILE    the HF tokenizer.json\n"
    "  --jsonl FILE        input lines (\"-\" = stdin), one of:\n"
    "                        {\"text\": str}\n"
    "                        {\"text_b64\": str}      raw bytes, standard base64\n"
    "                        {\"bytes\": [int, ...]}  raw bytes, 0..255\n"
    "                      output lines {\"ids\": [int, ...]} (+ \"id\" copied when present)\n"
    "  --lossy             replace invalid UTF-8 by U+FFFD (default: error naming the byte offset)\n"
    "  --no-added-tokens   do not match added tokens such as <|im_end|> in the text: encode\n"
    "                      them as ordinary text (HF split_special_tokens=True)\n";

static const char *DECODE_HELP =
    "usage: svs decode --tokenizer tokenizer.json --jsonl FILE [--skip-special-tokens]\n\n"
    "Decodes token ids into text (HF tokenizers decode: byte-level inverse map, then invalid\n"
    "UTF-8 replaced by U+FFFD; transformers' clean_up_tokenization_spaces is not applied).\n\n"
    "  --tokenizer FILE        the HF tokenizer.json\n"
    "  --jsonl FILE            input lines {\"ids\": [int, ...]} (\"-\" = stdin); output lines\n"
    "                          {\"text\": str} (+ \"id\" copied when present)\n"
    "  --skip-special-tokens   drop added tokens marked special (<|im_end|>, ...); non-special\n"
    "                          added tokens such as <tool_call> stay\n";

/* Standard base64 (RFC 4648, '=' padding optional, no whitespace). Returns 0 / -1. */
static int base64_decode(const char *s, size_t n, svs_buf *out, svs_err *err) {
    uint32_t acc = 0;
    int bits = 0;
    while (n && s[n - 1] == '=') n--;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52
              : c == '+' ? 62 : c == '/' ? 63 : -1;
        if (v < 0) return svs_errf(err, "field \"text_b64\": invalid base64 character at offset %zu", i);
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (svs_buf_putc(out, (char)(acc >> bits & 0xFF), err)) return -1;
        }
    }
    return 0;
}

/* The input bytes of one encode line: "text", "text_b64" or "bytes" (exactly one). Returns 0, or
 * -1 with a message naming the field. */
static int line_bytes(json_t *obj, svs_buf *buf, svs_err *err) {
    json_t *text = json_object_get(obj, "text"), *b64 = json_object_get(obj, "text_b64"), *bytes = json_object_get(obj, "bytes");
    buf->len = 0;
    if (!text && !b64 && !bytes) return svs_errf(err, "missing field \"text\" (or \"text_b64\" / \"bytes\" for raw bytes)");
    if (!!text + !!b64 + !!bytes != 1) return svs_errf(err, "expected exactly one of the fields \"text\", \"text_b64\", \"bytes\"");
    if (text) {
        if (!json_is_string(text)) return svs_errf(err, "field \"text\": expected a string");
        return svs_buf_append(buf, json_string_value(text), json_string_length(text), err);
    }
    if (b64) {
        if (!json_is_string(b64)) return svs_errf(err, "field \"text_b64\": expected a string");
        return base64_decode(json_string_value(b64), json_string_length(b64), buf, err);
    }
    if (!json_is_array(bytes)) return svs_errf(err, "field \"bytes\": expected an array");
    for (size_t i = 0; i < json_array_size(bytes); i++) {
        json_t *v = json_array_get(bytes, i);
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 255)
            return svs_errf(err, "field \"bytes\"[%zu]: expected an integer 0..255", i);
        if (svs_buf_putc(buf, (char)json_integer_value(v), err)) return -1;
    }
    return 0;
}

/* The ids of one decode line ("ids": [int, ...], each an id of the vocabulary). */
static int line_ids(const tok_tokenizer *t, json_t *obj, tok_ids *ids, svs_err *err) {
    json_t *arr = json_object_get(obj, "ids");
    if (!json_is_array(arr)) return svs_errf(err, "field \"ids\": %s", arr ? "expected an array" : "missing");
    ids->len = 0;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *v = json_array_get(arr, i);
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > INT32_MAX)
            return svs_errf(err, "field \"ids\"[%zu]: expected a non-negative integer", i);
        if (!tok_id_to_token(t, (int32_t)json_integer_value(v)))
            return svs_errf(err, "field \"ids\"[%zu]: id %lld is not in the vocabulary (size %zu)", i, (long long)json_integer_value(v),
                            tok_vocab_size(t));
        if (tok_ids_push(ids, (int32_t)json_integer_value(v), err)) return -1;
    }
    return 0;
}

/* Prints one output object: "id" copied from the input when present, then key = val (stolen). */
static void print_line(json_t *in, const char *key, json_t *val) {
    json_t *out = json_object(), *id = json_object_get(in, "id");
    if (id) json_object_set(out, "id", id);
    json_object_set_new(out, key, val);
    cli_print_json(out);
    json_decref(out);
}

/* Errors inside the line loops free everything before exiting (clean under LeakSanitizer). */
static int fail_line(const cli_jsonl *r, const svs_err *err) {
    fflush(stdout);
    fprintf(stderr, "svs: error: %s:%ld: %s\n", r->path, r->lineno, err->msg);
    return 2;
}

static tok_tokenizer *load_or_die(const char *path) {
    tok_tokenizer *t = NULL;
    svs_err err = {{0}};
    if (!path) cli_die("--tokenizer FILE is required");
    if (tok_load(path, &t, &err)) cli_die_err(&err);
    return t;
}

int cmd_encode(int argc, char **argv) {
    const char *tokenizer = NULL, *jsonl = NULL;
    unsigned flags = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) { fputs(ENCODE_HELP, stdout); return 0; }
        else if (!strcmp(a, "--tokenizer")) tokenizer = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--jsonl")) jsonl = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--lossy")) flags |= TOK_LOSSY;
        else if (!strcmp(a, "--no-added-tokens")) flags |= TOK_NO_ADDED;
        else cli_die("encode: unknown option \"%s\" (svs encode --help)", a);
    }
    if (!jsonl) cli_die("encode: --jsonl FILE is required (svs encode --help)");
    tok_tokenizer *t = load_or_die(tokenizer);
    tok_cache *cache = NULL; /* one piece cache for all lines (tok.h) */
    svs_err err = {{0}};
    if (tok_cache_new(t, 0, &cache, &err)) {
        tok_free(t);
        cli_die_err(&err);
    }
    cli_jsonl r;
    cli_jsonl_open(&r, jsonl);
    svs_buf buf = {0};
    tok_ids ids = {0};
    json_t *obj;
    int rc = 0;
    while (rc == 0 && (obj = cli_jsonl_next(&r))) {
        ids.len = 0;
        if (line_bytes(obj, &buf, &err) || tok_encode_cached(t, cache, buf.data ? buf.data : "", buf.len, flags, &ids, &err)) {
            rc = fail_line(&r, &err);
        } else {
            json_t *arr = json_array();
            for (size_t i = 0; i < ids.len; i++) json_array_append_new(arr, json_integer(ids.data[i]));
            print_line(obj, "ids", arr);
        }
        json_decref(obj);
    }
    cli_jsonl_close(&r);
    tok_ids_free(&ids);
    svs_buf_free(&buf);
    tok_cache_free(cache);
    tok_free(t);
    if (fflush(stdout)) cli_die("write error on stdout");
    return rc;
}

int cmd_decode(int argc, char **argv) {
    const char *tokenizer = NULL, *jsonl = NULL;
    int skip = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) { fputs(DECODE_HELP, stdout); return 0; }
        else if (!strcmp(a, "--tokenizer")) tokenizer = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--jsonl")) jsonl = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--skip-special-tokens")) skip = 1;
        else cli_die("decode: unknown option \"%s\" (svs decode --help)", a);
    }
    if (!jsonl) cli_die("decode: --jsonl FILE is required (svs decode --help)");
    tok_tokenizer *t = load_or_die(tokenizer);
    cli_jsonl r;
    cli_jsonl_open(&r, jsonl);
    tok_ids ids = {0};
    svs_err err = {{0}};
    json_t *obj;
    int rc = 0;
    while (rc == 0 && (obj = cli_jsonl_next(&r))) {
        char *text = NULL;
        size_t len;
        if (line_ids(t, obj, &ids, &err) || tok_decode(t, ids.data, ids.len, skip, &text, &len, &err))
            rc = fail_line(&r, &err);
        else
            print_line(obj, "text", json_stringn(text, len));
        free(text);
        json_decref(obj);
    }
    cli_jsonl_close(&r);
    tok_ids_free(&ids);
    tok_free(t);
    if (fflush(stdout)) cli_die("write error on stdout");
    return rc;
}
