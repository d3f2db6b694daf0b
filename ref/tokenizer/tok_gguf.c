/* tok_gguf.c — a tokenizer from GGUF tokenizer metadata (formats.md §10.5, §11): the
 * `tokenizer.ggml.*` arrays that ref/model/gguf.h reads (gguf_tokenizer), turned into a tok_spec
 * and built by tok_build, so encoding and decoding behave exactly as for a tokenizer.json.
 *
 * What a GGUF byte-level vocabulary ("gpt2" model) holds, and how it maps:
 *   tokens      id order, byte-to-unicode spelling ("Ġthe") -> the model vocabulary. A token with
 *               a character outside the byte alphabet (llama.cpp stores control/user-defined
 *               tokens raw) gets the spelling of its UTF-8 bytes, as transformers'
 *               byte_level_tokenizer does (integrations/gguf/gguf_tokenizer_mapping.py).
 *   token_type  3 CONTROL -> added token, special (skipped by decode with skip_special);
 *               4 USER_DEFINED -> added token, not special. Both are matched whole in the raw text
 *               before pre-tokenization (llama.cpp tokenizer_st_partition; transformers
 *               add_gguf_special_tokens), normalized: false. 1/2/5/6 are plain vocabulary.
 *   merges      "left right" in rank order.
 *   pre         tokenizer.ggml.pre -> the pre-tokenizer, with llama.cpp's names (llama-vocab.cpp):
 *               "gpt-2" -> GPT-2, "llama3"/"llama-v3"/"llama-bpe"/"falcon3" -> Llama-3 (with
 *               ignore_merges, as llama.cpp sets for that type), "qwen2"/"deepseek-r1-qwen" ->
 *               Qwen2, "smollm" -> SmolLM2 (digits split one by one, then GPT-2).
 *   bos/eos     recorded (tok_bos_id / tok_eos_id); never added to encodings.
 * No normalizer: llama.cpp applies none (even for Qwen2, whose tokenizer.json has NFC).
 *
 * transformers_compat: transformers (5.x) builds its tokenizer from a GGUF with the plain GPT-2
 * ByteLevel regex for every `pre` missing from its GGUF_PRE_TOKENIZER_SPLITS table — "smollm"
 * included — and skips control tokens spelled outside the byte alphabet. With the flag set, this
 * constructor does the same, so ids match `AutoTokenizer.from_pretrained(dir, gguf_file=...)`.
 * For SmolLM2 the two differ only where a whitespace run of two or more characters directly
 * precedes a digit ("x  1": llama.cpp "x" "␣␣" "1", transformers "x" "␣" "␣1"), because the
 * vocabulary has no token joining a digit to anything. */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "tok_internal.h"

static const struct {
    const char *name;
    tok_pre_kind kind;
} PRE_NAMES[] = {
    {"gpt-2", TOK_PRE_GPT2},       {"llama3", TOK_PRE_LLAMA3}, {"llama-v3", TOK_PRE_LLAMA3},
    {"llama-bpe", TOK_PRE_LLAMA3}, {"falcon3", TOK_PRE_LLAMA3}, {"qwen2", TOK_PRE_QWEN2},
    {"deepseek-r1-qwen", TOK_PRE_QWEN2}, {"smollm", TOK_PRE_SMOLLM},
};

int tok_pre_from_gguf_name(const char *name, tok_pre_kind *kind) {
    for (size_t i = 0; name && i < sizeof PRE_NAMES / sizeof PRE_NAMES[0]; i++)
        if (strcmp(name, PRE_NAMES[i].name) == 0) {
            *kind = PRE_NAMES[i].kind;
            return 0;
        }
    return -1;
}

/* 1 if every character of s[0..n) (valid UTF-8) is in the byte-to-unicode alphabet. */
static int in_byte_alphabet(const char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t l = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
        if (l <= 0 || tok_cp_to_byte((uint32_t)cp) < 0) return 0;
        i += (size_t)l;
    }
    return 1;
}

/* Appends the byte-level spelling of raw bytes s[0..n) to out. */
static int respell(const char *s, size_t n, svs_buf *out, svs_err *err) {
    for (size_t i = 0; i < n; i++) {
        uint32_t cp = tok_byte_to_cp((uint8_t)s[i]);
        char u[2];
        size_t l = cp < 0x80 ? 1 : 2; /* the alphabet is below U+0800 */
        if (l == 1) u[0] = (char)cp;
        else u[0] = (char)(0xC0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3F));
        if (svs_buf_append(out, u, l, err)) return -1;
    }
    return 0;
}

/* Fills the spec's arrays from v; `spell` receives the re-spelled tokens (entries point into it
 * by offset until fixup, since the buffer may move while it grows). */
static int gguf_spec(const tok_gguf_vocab *v, tok_spec *spec, tok_vocab_entry *vocab, tok_merge_entry *merges,
                     tok_added_entry *added, svs_buf *spell, svs_err *err) {
    size_t n_added = 0;
    size_t *respelled = NULL; /* offset + 1 into spell for re-spelled tokens, 0 = as given */
    if (!(respelled = svs_calloc(v->n_tokens + 1, sizeof *respelled, err))) return -1;
    int rc = 0;
    for (size_t i = 0; i < v->n_tokens && rc == 0; i++) {
        const char *s = v->tokens[i];
        size_t n = v->token_lens ? v->token_lens[i] : (s ? strlen(s) : 0);
        int32_t type = v->token_type ? v->token_type[i] : 1;
        if (!s) { rc = svs_errf(err, "tokenizer.ggml.tokens[%zu]: missing", i); break; }
        size_t bad;
        if (!svs_utf8_valid(s, n, &bad)) { rc = svs_errf(err, "tokenizer.ggml.tokens[%zu]: invalid UTF-8 at byte offset %zu", i, bad); break; }
        int alpha = in_byte_alphabet(s, n);
        vocab[i] = (tok_vocab_entry){.text = s, .len = n, .id = (int32_t)i};
        if (!alpha) {
            respelled[i] = spell->len + 1;
            size_t before = spell->len;
            rc = respell(s, n, spell, err);
            vocab[i].len = spell->len - before;
        }
        if (rc == 0 && (type == 3 || type == 4) && n > 0) {
            if (type == 3 && v->transformers_compat && !alpha) continue; /* transformers skips these */
            added[n_added++] = (tok_added_entry){.content = s, .len = n, .id = (int32_t)i, .special = type == 3};
        }
    }
    for (size_t i = 0; i < v->n_tokens && rc == 0; i++)
        if (respelled[i]) vocab[i].text = spell->data + respelled[i] - 1;
    free(respelled);
    for (size_t i = 0; i < v->n_merges && rc == 0; i++) {
        const char *m = v->merges[i], *sp = m ? strchr(m, ' ') : NULL;
        if (!sp || sp == m || !sp[1] || strchr(sp + 1, ' '))
            rc = svs_errf(err, "tokenizer.ggml.merges[%zu]: expected \"left right\" (two tokens, one space), got \"%.64s\"", i,
                          m ? m : "(null)");
        else
            merges[i] = (tok_merge_entry){.left = m, .left_len = (size_t)(sp - m), .right = sp + 1, .right_len = strlen(sp + 1)};
    }
    spec->vocab = vocab;
    spec->n_vocab = v->n_tokens;
    spec->merges = merges;
    spec->n_merges = v->n_merges;
    spec->added = added;
    spec->n_added = n_added;
    return rc;
}

int tok_from_gguf_vocab(const tok_gguf_vocab *v, tok_tokenizer **out, svs_err *err) {
    *out = NULL;
    if (v->model && strcmp(v->model, "gpt2") != 0)
        return svs_errf(err, "tokenizer.ggml.model: unsupported tokenizer model \"%.64s\" (only \"gpt2\", byte-level BPE)", v->model);
    if (v->n_tokens == 0 || !v->tokens) return svs_errf(err, "tokenizer.ggml.tokens: missing or empty");
    if (v->n_tokens >= (1u << 24)) return svs_errf(err, "tokenizer.ggml.tokens: %zu tokens is too many", v->n_tokens);
    if (v->n_merges && !v->merges) return svs_errf(err, "tokenizer.ggml.merges: missing");
    tok_spec spec = {0};
    if (tok_pre_from_gguf_name(v->pre, &spec.pre))
        return svs_errf(err, "tokenizer.ggml.pre: unsupported pre-tokenizer \"%.64s\" (supported: gpt-2, llama3, llama-v3, "
                             "llama-bpe, falcon3, qwen2, deepseek-r1-qwen, smollm)", v->pre ? v->pre : "(absent)");
    spec.ignore_merges = spec.pre == TOK_PRE_LLAMA3;
    if (v->transformers_compat && spec.pre == TOK_PRE_SMOLLM) spec.pre = TOK_PRE_GPT2;
    for (int k = 0; k < 2; k++) {
        int64_t id = k ? v->eos_id : v->bos_id;
        if (id >= 0 && (uint64_t)id >= v->n_tokens)
            return svs_errf(err, "tokenizer.ggml.%s_token_id: %lld is not below the vocabulary size %zu", k ? "eos" : "bos",
                            (long long)id, v->n_tokens);
    }
    tok_vocab_entry *vocab = svs_malloc(v->n_tokens * sizeof *vocab, err);
    tok_merge_entry *merges = svs_malloc((v->n_merges + 1) * sizeof *merges, err);
    tok_added_entry *added = svs_malloc(v->n_tokens * sizeof *added, err);
    svs_buf spell = {0};
    int rc = vocab && merges && added ? 0 : -1;
    if (rc == 0) rc = gguf_spec(v, &spec, vocab, merges, added, &spell, err);
    if (rc == 0) {
        rc = tok_build(&spec, out, err);
        /* tok_build's messages say vocab[...] / merges[...]: name the GGUF key */
        if (rc) svs_err_prefix(err, "tokenizer.ggml");
    }
    if (rc == 0) {
        (*out)->bos_id = v->bos_id >= 0 ? (int32_t)v->bos_id : -1;
        (*out)->eos_id = v->eos_id >= 0 ? (int32_t)v->eos_id : -1;
    }
    free(vocab);
    free(merges);
    free(added);
    svs_buf_free(&spell);
    return rc;
}
