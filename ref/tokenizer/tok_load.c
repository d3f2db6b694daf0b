/* tok_load.c — reads a Hugging Face tokenizer.json (formats.md §1, §4, §5) into a tok_spec and
 * builds the tokenizer with tok_build (tok_bpe.c).
 *
 * Only what svs.c implements exactly is accepted; everything else is refused with an error that
 * names the JSON path at fault, so a tokenizer is never silently mis-encoded:
 *   model            type "BPE"; vocab {token: id}; merges ["a b", ...] (legacy strings, "#version"
 *                    lines skipped) or [["a", "b"], ...] (pairs, tokenizers >= 0.20); ignore_merges;
 *                    dropout null; byte_fallback false; continuing_subword_prefix and
 *                    end_of_word_suffix null or ""; unk_token ignored (every byte has a token).
 *   added_tokens     {id, content, special, normalized}; single_word/lstrip/rstrip must be false.
 *   normalizer       null, {"type": "NFC"}, or a Sequence of those.
 *   pre_tokenizer    Sequence[Split(Regex = one of the three patterns of formats.md §3, behavior
 *                    "Isolated", invert false), ByteLevel(add_prefix_space false, use_regex
 *                    false)], or ByteLevel(add_prefix_space false, use_regex true) (GPT-2), or
 *                    Sequence[Digits(individual_digits true), ByteLevel(use_regex true)] (SmolLM2). The
 *                    pattern is compared as a string and mapped to a hand-written scanner.
 *   post_processor   null, ByteLevel, TemplateProcessing, or a Sequence of those: only noted —
 *                    svs.c never adds BOS/EOS.
 *   decoder          ByteLevel.
 *   truncation, padding   null.
 * The document is parsed with tok_json.c (a strict reader without per-value allocation: the 7 MB
 * Qwen2.5 file loads in ~130–160 ms in all); malformed JSON is re-parsed with jansson only to
 * report its line and column. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tok_internal.h"
#include "tok_json.h"

#define TOK_JSON_MAX_BYTES ((size_t)1 << 30)

/* ---------------------------------------------------------------------------------------------
 * Small typed accessors: each fails with "<path>: <what was expected>". */

static const char *type_name(const tj_node *v) {
    switch (v->type) {
    case TJ_OBJECT: return "an object";
    case TJ_ARRAY: return "an array";
    case TJ_STRING: return "a string";
    case TJ_INT: return "an integer";
    case TJ_REAL: return "a number";
    case TJ_TRUE: case TJ_FALSE: return "a boolean";
    case TJ_NULL: return "null";
    }
    return "?";
}

/* Optional boolean member: absent or null -> dflt. */
static int get_bool(const tj_node *obj, const char *path, const char *key, int dflt, int *out, svs_err *err) {
    const tj_node *v = tj_get(obj, key);
    if (!v || tj_is_null(v)) { *out = dflt; return 0; }
    if (!tj_is_boolean(v)) return svs_errf(err, "%s.%s: expected a boolean, got %s", path, key, type_name(v));
    *out = tj_is_true(v);
    return 0;
}

/* Required string member "type". */
static int get_type(const tj_node *obj, const char *path, const char **type, svs_err *err) {
    if (!tj_is_object(obj)) return svs_errf(err, "%s: expected an object, got %s", path, type_name(obj));
    const tj_node *v = tj_get(obj, "type");
    if (!v) return svs_errf(err, "%s.type: missing", path);
    if (!tj_is_string(v)) return svs_errf(err, "%s.type: expected a string, got %s", path, type_name(v));
    *type = tj_string(v);
    return 0;
}

/* The member must be absent, null, or (if allow_empty) the empty string. */
static int require_unset(const tj_node *obj, const char *path, const char *key, int allow_empty, const char *why, svs_err *err) {
    const tj_node *v = tj_get(obj, key);
    if (!v || tj_is_null(v)) return 0;
    if (allow_empty && tj_is_string(v) && tj_string_length(v) == 0) return 0;
    return svs_errf(err, "%s.%s: %s", path, key, why);
}

/* ---------------------------------------------------------------------------------------------
 * model */

static int load_vocab(const tj_node *model, tok_vocab_entry **out, size_t *n, svs_err *err) {
    const tj_node *vocab = tj_get(model, "vocab");
    if (!vocab) return svs_errf(err, "model.vocab: missing");
    if (!tj_is_object(vocab)) return svs_errf(err, "model.vocab: expected an object, got %s", type_name(vocab));
    size_t cap = tj_size(vocab), i = 0;
    tok_vocab_entry *v = svs_calloc(cap ? cap : 1, sizeof *v, err);
    if (!v) return -1;
    for (size_t k = 0; k < cap; k++) {
        const tj_node *val = tj_at(vocab, k);
        const char *key = tj_key(val);
        if (!tj_is_integer(val)) {
            free(v);
            return svs_errf(err, "model.vocab[\"%.64s\"]: expected an integer id, got %s", key, type_name(val));
        }
        int64_t id = val->ival;
        if (id < 0 || id > INT32_MAX) {
            free(v);
            return svs_errf(err, "model.vocab[\"%.64s\"]: id %lld out of range", key, (long long)id);
        }
        v[i++] = (tok_vocab_entry){.text = key, .len = val->key_len, .id = (int32_t)id};
    }
    *out = v;
    *n = i;
    return 0;
}

/* One merge: "a b" (split at the single space) or ["a", "b"]. Returns 1 for a "#version"
 * line to skip, 0 for a merge, -1 on error. */
static int parse_merge(const tj_node *m, size_t i, tok_merge_entry *e, svs_err *err) {
    if (tj_is_string(m)) {
        const char *s = tj_string(m);
        size_t len = tj_string_length(m);
        if (len >= 8 && memcmp(s, "#version", 8) == 0) return 1;
        const char *sp = memchr(s, ' ', len);
        if (!sp || sp == s || sp == s + len - 1 || memchr(sp + 1, ' ', (size_t)(s + len - sp - 1)))
            return svs_errf(err, "model.merges[%zu]: \"%.64s\" is not two tokens separated by one space", i, s);
        *e = (tok_merge_entry){.left = s, .left_len = (size_t)(sp - s), .right = sp + 1, .right_len = (size_t)(s + len - sp - 1)};
        return 0;
    }
    if (tj_is_array(m) && tj_size(m) == 2 && tj_is_string(tj_at(m, 0)) &&
        tj_is_string(tj_at(m, 1))) {
        const tj_node *a = tj_at(m, 0), *b = tj_at(m, 1);
        *e = (tok_merge_entry){.left = tj_string(a), .left_len = tj_string_length(a),
                               .right = tj_string(b), .right_len = tj_string_length(b)};
        return 0;
    }
    return svs_errf(err, "model.merges[%zu]: expected a string or a pair, got %s", i, type_name(m));
}

/* *src_index receives each merge's index in the JSON array ("#version" lines are not merges),
 * to name the right element in tok_build's errors. */
static int load_merges(const tj_node *model, tok_merge_entry **out, size_t **src_index, size_t *n, svs_err *err) {
    const tj_node *merges = tj_get(model, "merges");
    if (!merges) return svs_errf(err, "model.merges: missing");
    if (!tj_is_array(merges)) return svs_errf(err, "model.merges: expected an array, got %s", type_name(merges));
    size_t cap = tj_size(merges), k = 0;
    tok_merge_entry *e = svs_calloc(cap ? cap : 1, sizeof *e, err);
    size_t *src = svs_calloc(cap ? cap : 1, sizeof *src, err);
    if (!e || !src) {
        free(e);
        free(src);
        return -1;
    }
    for (size_t i = 0; i < cap; i++) {
        int r = parse_merge(tj_at(merges, i), i, &e[k], err);
        if (r < 0) {
            free(e);
            free(src);
            return -1;
        }
        if (r == 0) src[k++] = i;
    }
    *out = e;
    *src_index = src;
    *n = k;
    return 0;
}

static int check_model(const tj_node *model, tok_spec *spec, svs_err *err) {
    const char *type;
    if (!model) return svs_errf(err, "model: missing");
    if (get_type(model, "model", &type, err)) return -1;
    if (strcmp(type, "BPE") != 0) return svs_errf(err, "model.type: unsupported model type \"%.64s\" (only BPE)", type);
    int b;
    if (require_unset(model, "model", "dropout", 0, "BPE dropout is not supported (must be null)", err) ||
        require_unset(model, "model", "continuing_subword_prefix", 1, "not supported (must be null or \"\")", err) ||
        require_unset(model, "model", "end_of_word_suffix", 1, "not supported (must be null or \"\")", err) ||
        get_bool(model, "model", "byte_fallback", 0, &b, err))
        return -1;
    if (b) return svs_errf(err, "model.byte_fallback: not supported (must be false)");
    if (get_bool(model, "model", "fuse_unk", 0, &b, err)) return -1;
    return get_bool(model, "model", "ignore_merges", 0, &spec->ignore_merges, err);
}

/* ---------------------------------------------------------------------------------------------
 * added_tokens */

static int load_added_one(const tj_node *a, size_t i, tok_added_entry *e, svs_err *err) {
    char path[48];
    snprintf(path, sizeof path, "added_tokens[%zu]", i);
    if (!tj_is_object(a)) return svs_errf(err, "%s: expected an object, got %s", path, type_name(a));
    const tj_node *id = tj_get(a, "id"), *content = tj_get(a, "content");
    if (!tj_is_integer(id)) return svs_errf(err, "%s.id: expected an integer, got %s", path, id ? type_name(id) : "nothing");
    if (!tj_is_string(content))
        return svs_errf(err, "%s.content: expected a string, got %s", path, content ? type_name(content) : "nothing");
    int64_t idv = id->ival;
    if (idv < 0 || idv > INT32_MAX) return svs_errf(err, "%s.id: %lld out of range", path, (long long)idv);
    int single_word, lstrip, rstrip;
    if (get_bool(a, path, "single_word", 0, &single_word, err) || get_bool(a, path, "lstrip", 0, &lstrip, err) ||
        get_bool(a, path, "rstrip", 0, &rstrip, err) || get_bool(a, path, "special", 0, &e->special, err) ||
        get_bool(a, path, "normalized", 0, &e->normalized, err))
        return -1;
    if (single_word || lstrip || rstrip)
        return svs_errf(err, "%s.%s: not supported (must be false)", path, single_word ? "single_word" : lstrip ? "lstrip" : "rstrip");
    e->content = tj_string(content);
    e->len = tj_string_length(content);
    e->id = (int32_t)idv;
    return 0;
}

static int load_added(const tj_node *root, tok_added_entry **out, size_t *n, svs_err *err) {
    const tj_node *added = tj_get(root, "added_tokens");
    *out = NULL;
    *n = 0;
    if (!added || tj_is_null(added)) return 0;
    if (!tj_is_array(added)) return svs_errf(err, "added_tokens: expected an array, got %s", type_name(added));
    size_t cnt = tj_size(added);
    tok_added_entry *e = svs_calloc(cnt ? cnt : 1, sizeof *e, err);
    if (!e) return -1;
    for (size_t i = 0; i < cnt; i++)
        if (load_added_one(tj_at(added, i), i, &e[i], err)) {
            free(e);
            return -1;
        }
    *out = e;
    *n = cnt;
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * normalizer, pre_tokenizer, decoder, post_processor */

static int check_normalizer(const tj_node *nz, const char *path, int *nfc, svs_err *err) {
    const char *type;
    if (!nz || tj_is_null(nz)) return 0;
    if (get_type(nz, path, &type, err)) return -1;
    if (strcmp(type, "NFC") == 0) {
        *nfc = 1;
        return 0;
    }
    if (strcmp(type, "Sequence") == 0) {
        const tj_node *list = tj_get(nz, "normalizers");
        if (!tj_is_array(list)) return svs_errf(err, "%s.normalizers: expected an array", path);
        for (size_t i = 0; i < tj_size(list); i++) {
            char sub[96];
            snprintf(sub, sizeof sub, "%s.normalizers[%zu]", path, i);
            if (check_normalizer(tj_at(list, i), sub, nfc, err)) return -1;
        }
        return 0;
    }
    return svs_errf(err, "%s.type: unsupported normalizer \"%.64s\" (only NFC or none)", path, type);
}

/* ByteLevel as a pre-tokenizer: add_prefix_space (HF default true) must be false; use_regex
 * (HF default true) must be as wanted. */
static int check_bytelevel_pre(const tj_node *bl, const char *path, int want_regex, svs_err *err) {
    int aps, use_regex;
    if (get_bool(bl, path, "add_prefix_space", 1, &aps, err) || get_bool(bl, path, "use_regex", 1, &use_regex, err)) return -1;
    if (aps) return svs_errf(err, "%s.add_prefix_space: not supported (must be false)", path);
    if (use_regex != want_regex)
        return svs_errf(err, "%s.use_regex: must be %s here", path, want_regex ? "true (GPT-2 regex)" : "false (after a Split)");
    return 0;
}

static int check_split(const tj_node *sp, const char *path, tok_pre_kind *kind, svs_err *err) {
    const tj_node *pattern = tj_get(sp, "pattern"), *behavior = tj_get(sp, "behavior");
    int invert;
    if (!tj_is_object(pattern)) return svs_errf(err, "%s.pattern: expected an object {\"Regex\": ...}", path);
    const tj_node *re = tj_get(pattern, "Regex");
    if (!re) return svs_errf(err, "%s.pattern: only {\"Regex\": ...} patterns are supported", path);
    if (!tj_is_string(re)) return svs_errf(err, "%s.pattern.Regex: expected a string, got %s", path, type_name(re));
    const char *s = tj_string(re);
    if (strcmp(s, tok_pre_regex(TOK_PRE_QWEN2)) == 0) *kind = TOK_PRE_QWEN2;
    else if (strcmp(s, tok_pre_regex(TOK_PRE_LLAMA3)) == 0) *kind = TOK_PRE_LLAMA3;
    else if (strcmp(s, tok_pre_regex(TOK_PRE_GPT2)) == 0) *kind = TOK_PRE_GPT2;
    else return svs_errf(err, "%s.pattern.Regex: unsupported pattern \"%.200s\"", path, s);
    if (!tj_is_string(behavior) || strcmp(tj_string(behavior), "Isolated") != 0)
        return svs_errf(err, "%s.behavior: only \"Isolated\" is supported", path);
    if (get_bool(sp, path, "invert", 0, &invert, err)) return -1;
    if (invert) return svs_errf(err, "%s.invert: not supported (must be false)", path);
    return 0;
}

static int check_pre_tokenizer(const tj_node *pt, tok_pre_kind *kind, svs_err *err) {
    const char *type;
    if (!pt || tj_is_null(pt)) return svs_errf(err, "pre_tokenizer: missing (a byte-level BPE needs ByteLevel)");
    if (get_type(pt, "pre_tokenizer", &type, err)) return -1;
    if (strcmp(type, "ByteLevel") == 0) {
        *kind = TOK_PRE_GPT2;
        return check_bytelevel_pre(pt, "pre_tokenizer", 1, err);
    }
    if (strcmp(type, "Sequence") != 0)
        return svs_errf(err, "pre_tokenizer.type: unsupported pre-tokenizer \"%.64s\"", type);
    const tj_node *list = tj_get(pt, "pretokenizers");
    if (!tj_is_array(list)) return svs_errf(err, "pre_tokenizer.pretokenizers: expected an array");
    size_t n = tj_size(list);
    if (n == 1) {
        const tj_node *only = tj_at(list, 0);
        if (get_type(only, "pre_tokenizer.pretokenizers[0]", &type, err)) return -1;
        if (strcmp(type, "ByteLevel") != 0)
            return svs_errf(err, "pre_tokenizer.pretokenizers[0].type: unsupported pre-tokenizer \"%.64s\"", type);
        *kind = TOK_PRE_GPT2;
        return check_bytelevel_pre(only, "pre_tokenizer.pretokenizers[0]", 1, err);
    }
    if (n != 2) return svs_errf(err, "pre_tokenizer.pretokenizers: expected [Split, ByteLevel], got %zu entries", n);
    if (get_type(tj_at(list, 0), "pre_tokenizer.pretokenizers[0]", &type, err)) return -1;
    if (strcmp(type, "Digits") == 0) { /* SmolLM2: [Digits(individual_digits), ByteLevel(use_regex)] */
        int individual;
        if (get_bool(tj_at(list, 0), "pre_tokenizer.pretokenizers[0]", "individual_digits", 0, &individual, err)) return -1;
        if (!individual) return svs_errf(err, "pre_tokenizer.pretokenizers[0].individual_digits: only true is supported");
        if (get_type(tj_at(list, 1), "pre_tokenizer.pretokenizers[1]", &type, err)) return -1;
        if (strcmp(type, "ByteLevel") != 0)
            return svs_errf(err, "pre_tokenizer.pretokenizers[1].type: unsupported pre-tokenizer \"%.64s\" (expected ByteLevel)", type);
        *kind = TOK_PRE_SMOLLM;
        return check_bytelevel_pre(tj_at(list, 1), "pre_tokenizer.pretokenizers[1]", 1, err);
    }
    if (strcmp(type, "Split") != 0)
        return svs_errf(err, "pre_tokenizer.pretokenizers[0].type: unsupported pre-tokenizer \"%.64s\" (expected Split)", type);
    if (check_split(tj_at(list, 0), "pre_tokenizer.pretokenizers[0]", kind, err)) return -1;
    if (get_type(tj_at(list, 1), "pre_tokenizer.pretokenizers[1]", &type, err)) return -1;
    if (strcmp(type, "ByteLevel") != 0)
        return svs_errf(err, "pre_tokenizer.pretokenizers[1].type: unsupported pre-tokenizer \"%.64s\" (expected ByteLevel)", type);
    return check_bytelevel_pre(tj_at(list, 1), "pre_tokenizer.pretokenizers[1]", 0, err);
}

static int check_decoder(const tj_node *d, svs_err *err) {
    const char *type;
    if (!d || tj_is_null(d)) return svs_errf(err, "decoder: missing (expected ByteLevel)");
    if (get_type(d, "decoder", &type, err)) return -1;
    if (strcmp(type, "ByteLevel") != 0) return svs_errf(err, "decoder.type: unsupported decoder \"%.64s\" (only ByteLevel)", type);
    return 0;
}

/* Post-processors only add special tokens and offsets; svs.c never adds BOS/EOS, so the known
 * ones are accepted and ignored. */
static int check_post_processor(const tj_node *pp, const char *path, svs_err *err) {
    const char *type;
    if (!pp || tj_is_null(pp)) return 0;
    if (get_type(pp, path, &type, err)) return -1;
    if (strcmp(type, "ByteLevel") == 0 || strcmp(type, "TemplateProcessing") == 0) return 0;
    if (strcmp(type, "Sequence") == 0) {
        const tj_node *list = tj_get(pp, "processors");
        if (!tj_is_array(list)) return svs_errf(err, "%s.processors: expected an array", path);
        for (size_t i = 0; i < tj_size(list); i++) {
            char sub[96];
            snprintf(sub, sizeof sub, "%s.processors[%zu]", path, i);
            if (check_post_processor(tj_at(list, i), sub, err)) return -1;
        }
        return 0;
    }
    return svs_errf(err, "%s.type: unsupported post-processor \"%.64s\"", path, type);
}

/* ---------------------------------------------------------------------------------------------
 * Entry points */

/* tok_build names vocab and merges entries without the "model." of their JSON path, and merges
 * by rank; turn those into JSON paths. */
static void prefix_model_path(svs_err *err, const size_t *merge_src) {
    size_t rank;
    int off;
    if (err && sscanf(err->msg, "merges[%zu]%n", &rank, &off) == 1) {
        char rest[SVS_ERR_MAX];
        snprintf(rest, sizeof rest, "%s", err->msg + off);
        svs_errf(err, "merges[%zu]%s", merge_src[rank], rest);
    }
    if (!err || (strncmp(err->msg, "vocab", 5) != 0 && strncmp(err->msg, "merges", 6) != 0)) return;
    size_t len = strlen(err->msg);
    if (len + 6 >= SVS_ERR_MAX) len = SVS_ERR_MAX - 7;
    memmove(err->msg + 6, err->msg, len);
    err->msg[len + 6] = 0;
    memcpy(err->msg, "model.", 6);
}

static int load_root(const tj_node *root, tok_tokenizer **out, svs_err *err) {
    tok_spec spec = {0};
    tok_vocab_entry *vocab = NULL;
    tok_merge_entry *merges = NULL;
    size_t *merge_src = NULL;
    tok_added_entry *added = NULL;
    int rc = -1;
    if (!tj_is_object(root)) return svs_errf(err, "top level: expected an object, got %s", type_name(root));
    const tj_node *model = tj_get(root, "model");
    if (require_unset(root, "", "truncation", 0, "not supported (must be null)", err) ||
        require_unset(root, "", "padding", 0, "not supported (must be null)", err) ||
        check_model(model, &spec, err) || check_normalizer(tj_get(root, "normalizer"), "normalizer", &spec.nfc, err) ||
        check_pre_tokenizer(tj_get(root, "pre_tokenizer"), &spec.pre, err) ||
        check_post_processor(tj_get(root, "post_processor"), "post_processor", err) ||
        check_decoder(tj_get(root, "decoder"), err))
        return -1;
    if (load_vocab(model, &vocab, &spec.n_vocab, err) || load_merges(model, &merges, &merge_src, &spec.n_merges, err) ||
        load_added(root, &added, &spec.n_added, err))
        goto done;
    spec.vocab = vocab;
    spec.merges = merges;
    spec.added = added;
    if (tok_build(&spec, out, err)) {
        prefix_model_path(err, merge_src);
        goto done;
    }
    rc = 0;
done:
    free(vocab);
    free(merges);
    free(merge_src);
    free(added);
    return rc;
}

/* A document tj_parse rejected: jansson's message has the line and column people expect. */
static int syntax_error(const char *name, const char *text, size_t n, svs_err *err) {
    json_error_t jerr;
    json_t *root = json_loadb(text, n, JSON_ALLOW_NUL, &jerr);
    if (!root) return svs_errf(err, "%s: line %d, column %d: %s", name, jerr.line, jerr.column, jerr.text);
    json_decref(root); /* accepted by jansson: keep our own message (with the byte offset) */
    return svs_err_prefix(err, "%s", name);
}

static int load_named(const char *name, const char *text, size_t n, tok_tokenizer **out, svs_err *err) {
    tj_doc doc;
    *out = NULL;
    if (tj_parse(text, n, &doc, err)) return syntax_error(name, text, n, err);
    int rc = load_root(tj_root(&doc), out, err);
    tj_free(&doc);
    if (rc) svs_err_prefix(err, "%s", name);
    return rc;
}

int tok_load_json(const char *text, size_t n, tok_tokenizer **out, svs_err *err) {
    return load_named("tokenizer.json", text, n, out, err);
}

int tok_load(const char *path, tok_tokenizer **out, svs_err *err) {
    size_t n;
    *out = NULL;
    char *text = svs_read_file(path, TOK_JSON_MAX_BYTES, &n, err);
    if (!text) return -1;
    int rc = load_named(path, text, n, out, err);
    free(text);
    return rc;
}
