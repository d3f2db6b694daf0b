/* tok.h — byte-level BPE tokenizer compatible with Hugging Face `tokenizer.json` (Qwen2/2.5/3,
 * Llama-3, GPT-2; spec/formats.md §1–§7).
 *
 * Encoding pipeline (formats.md §1), exactly as huggingface/tokenizers does it:
 *   1. added tokens (special or not) are matched on the RAW input, leftmost-longest, and become
 *      their ids directly; they split the text into segments;
 *   2. each segment is normalized (Qwen: NFC; Llama-3/GPT-2: none);
 *   3. the pre-tokenizer (a hand-written scanner equivalent to one of the three known regexes,
 *      formats.md §3) splits a segment into pieces;
 *   4. each piece's bytes go through byte-level BPE (lowest-rank merge first, leftmost on ties;
 *      `ignore_merges` emits a piece that is itself a vocabulary entry as one id).
 * No BOS/EOS is ever added (post-processors are only noted, never applied).
 *
 * Decoding (formats.md §1): ids -> token strings (added tokens by content), inverse byte map,
 * then lossy UTF-8 (each maximal invalid subsequence -> U+FFFD, like Rust from_utf8_lossy).
 *
 * Ownership and threads: a tok_tokenizer is immutable after loading; every function taking a
 * `const tok_tokenizer *` may be called from several threads at once (there is no global mutable
 * state). The optional encoding cache (tok_cache) is the only mutable object: one per thread. Library code never prints
 * or exits; fallible functions return 0 on success / -1 on failure with a message in *err that
 * names the JSON path, byte offset or id at fault (ref/common.h conventions).
 *
 * Ids are int32_t everywhere (the embedding row index); vocab sizes fit easily. */
#ifndef SVS_TOK_H
#define SVS_TOK_H

#include <stddef.h>
#include <stdint.h>

#include "../common.h"

typedef struct tok_tokenizer tok_tokenizer;

/* ---------------------------------------------------------------------------------------------
 * Loading */

/* Loads a HF tokenizer.json. Accepts only what svs.c implements exactly (model BPE; normalizer
 * null / NFC / Sequence of those; pre_tokenizer Sequence[Split(known regex, Isolated),
 * ByteLevel(use_regex false)] or ByteLevel(use_regex true); decoder ByteLevel; post_processor
 * null / ByteLevel / TemplateProcessing (never applied)). Anything else is refused with an error
 * naming the JSON path, e.g.
 *   `tokenizer.json: model.type: unsupported model type "WordPiece" (only BPE)`,
 *   `tokenizer.json: model.merges[12]: expected a string or a pair`,
 *   `tokenizer.json: line 3, column 7: <jansson message>` for malformed JSON.
 * The message prefix is the file name given (tok_load) or "tokenizer.json" (tok_load_json). */
int tok_load(const char *path, tok_tokenizer **out, svs_err *err);
int tok_load_json(const char *text, size_t n, tok_tokenizer **out, svs_err *err);
void tok_free(tok_tokenizer *tok); /* NULL is fine */

/* ---------------------------------------------------------------------------------------------
 * Encoding */

enum {
    TOK_LOSSY = 1u << 0,    /* invalid UTF-8 input: replace each maximal invalid subsequence by
                               U+FFFD (the llama.cpp convention) instead of failing with
                               "invalid UTF-8 at byte offset N" */
    TOK_NO_ADDED = 1u << 1, /* do not match added tokens in the text: "<|im_end|>" is encoded
                               as ordinary text (HF split_special_tokens=True) */
};

/* Encodes text[0..n) (need not be NUL-terminated) into a fresh malloc'ed array *ids of *nids
 * ids (caller frees; *ids may be NULL when *nids == 0). */
int tok_encode(const tok_tokenizer *tok, const char *text, size_t n, unsigned flags, int32_t **ids,
               size_t *nids, svs_err *err);

/* A growable id vector, for callers that build one sequence from several pieces (chat
 * templates: encode each rendered part and append). Zero-initialise; free with tok_ids_free. */
typedef struct tok_ids {
    int32_t *data;
    size_t len, cap;
} tok_ids;

/* Appends the ids of text[0..n) to *out (same semantics as tok_encode). On failure *out keeps
 * its previous length. */
int tok_encode_append(const tok_tokenizer *tok, const char *text, size_t n, unsigned flags,
                      tok_ids *out, svs_err *err);
int tok_ids_push(tok_ids *v, int32_t id, svs_err *err);
void tok_ids_free(tok_ids *v);

/* Piece cache: a bounded map from pre-tokenized piece bytes to their BPE ids, plus the BPE
 * scratch space, so that repeated words cost one hash lookup instead of a BPE run (HF keeps a
 * similar cache inside its BPE model). Text is mostly repeated words, so encoding with a cache
 * is several times faster on long or many texts; the ids are identical with or without one.
 *
 * Threads: the tok_tokenizer stays read-only and may be shared by any number of threads; a
 * tok_cache is mutable state and belongs to ONE thread at a time (give each thread its own).
 * A cache is bound to the tokenizer it was made for (using it with another is an error); free
 * it before or together with that tokenizer.
 *
 * max_entries bounds the number of cached pieces (0 = default 16384, about 1 MiB); when full
 * the cache is emptied and refills. Pieces longer than 64 bytes are never cached. Without a
 * cache, a call on a text of 256 KiB or more uses a temporary one internally. */
typedef struct tok_cache tok_cache;
int tok_cache_new(const tok_tokenizer *tok, size_t max_entries, tok_cache **out, svs_err *err);
void tok_cache_free(tok_cache *cache); /* NULL is fine */

/* tok_encode_append with an optional cache (NULL = none; same ids either way). */
int tok_encode_cached(const tok_tokenizer *tok, tok_cache *cache, const char *text, size_t n, unsigned flags,
                      tok_ids *out, svs_err *err);

/* ---------------------------------------------------------------------------------------------
 * Decoding */

/* Decodes ids[0..n) into a fresh malloc'ed, NUL-terminated, valid UTF-8 string (*len excludes
 * the NUL). skip_special drops added tokens marked special (non-special added tokens such as
 * <tool_call> stay). An id outside the vocabulary is an error naming its position. */
int tok_decode(const tok_tokenizer *tok, const int32_t *ids, size_t n, int skip_special, char **text,
               size_t *len, svs_err *err);

/* Streaming decoder for generation: push ids one at a time; each push appends to *out the
 * text that is final so far (complete UTF-8 characters, and U+FFFD for bytes that can no
 * longer become valid), holding back at most 3 bytes of a character not yet complete.
 * The concatenation of all pushes plus tok_stream_flush equals tok_decode of all the ids. */
typedef struct tok_stream {
    const tok_tokenizer *tok;
    int skip_special;
    unsigned char pend[4]; /* bytes of an incomplete (so far valid) UTF-8 sequence */
    size_t npend;
} tok_stream;

void tok_stream_init(tok_stream *s, const tok_tokenizer *tok, int skip_special);
int tok_stream_push(tok_stream *s, int32_t id, svs_buf *out, svs_err *err);
/* Emits whatever is held back (as U+FFFD) and resets the stream. */
int tok_stream_flush(tok_stream *s, svs_buf *out, svs_err *err);

/* ---------------------------------------------------------------------------------------------
 * Vocabulary queries */

/* Number of ids: 1 + the largest id of the vocabulary or the added tokens (Qwen2.5: 151665).
 * Ids below it that have no token (holes) are rejected by tok_decode. */
size_t tok_vocab_size(const tok_tokenizer *tok);
/* Id of a token given by its spelling in tokenizer.json: an added token's content
 * ("<|im_end|>") or a vocabulary entry in byte-level spelling ("Ġthe"). -1 if unknown.
 * Added tokens take precedence (as in HF token_to_id). */
int32_t tok_token_to_id(const tok_tokenizer *tok, const char *token);
int32_t tok_token_to_id_n(const tok_tokenizer *tok, const char *token, size_t len);
/* The token's spelling (NUL-terminated, owned by tok) or NULL for an unknown id. */
const char *tok_id_to_token(const tok_tokenizer *tok, int32_t id);
/* The raw bytes this id decodes to (inverse byte map; may be invalid UTF-8 on its own), or NULL. */
const char *tok_id_to_bytes(const tok_tokenizer *tok, int32_t id, size_t *len);
int tok_is_special(const tok_tokenizer *tok, int32_t id); /* added token with special: true */
int tok_is_added(const tok_tokenizer *tok, int32_t id);   /* any added token */

/* ---------------------------------------------------------------------------------------------
 * Pre-tokenizers and building blocks (shared with the BPE trainer) */

typedef enum tok_pre_kind {
    TOK_PRE_QWEN2 = 0,  /* Qwen2/2.5/3: contractions, [^\r\n\p{L}\p{N}]?\p{L}+, \p{N}, ... */
    TOK_PRE_LLAMA3 = 1, /* Llama-3 (tiktoken cl100k_base): same with \p{N}{1,3} */
    TOK_PRE_GPT2 = 2,   /* GPT-2 ByteLevel use_regex: 's|'t|...| ?\p{L}+| ?\p{N}+|... */
    TOK_PRE_SMOLLM = 3, /* SmolLM2: every \p{N} character its own piece (HF Digits with
                           individual_digits; llama.cpp "smollm"), the GPT-2 regex in between */
} tok_pre_kind;

tok_pre_kind tok_pre(const tok_tokenizer *tok);
int tok_nfc(const tok_tokenizer *tok);           /* 1 if the normalizer is NFC */
int tok_ignore_merges(const tok_tokenizer *tok); /* 1 if model.ignore_merges */

/* The regex string of a kind, exactly as it appears in tokenizer.json (unescaped), e.g. for a
 * trainer that writes a tokenizer.json. TOK_PRE_SMOLLM: the GPT-2 regex (applied after the
 * digit split, which is not a regex). */
const char *tok_pre_regex(tok_pre_kind kind);

/* The pre-tokenizer as an iterator: returns the end (exclusive byte offset) of the piece that
 * starts at byte offset pos < n. text must be valid UTF-8 (already normalized). Usage:
 *     for (size_t p = 0, e; p < n; p = e) { e = tok_pretok_next(kind, text, n, p); ... } */
size_t tok_pretok_next(tok_pre_kind kind, const char *text, size_t n, size_t pos);

/* GPT-2 bytes_to_unicode (formats.md §2): the code point byte b is spelled as in the vocab,
 * and the inverse (-1 for a code point outside the table). */
uint32_t tok_byte_to_cp(uint8_t b);
int tok_cp_to_byte(uint32_t cp);

/* NFC-normalizes text[0..n) (valid UTF-8) into a fresh malloc'ed string (utf8proc).
 * Returns 0 / -1. */
int tok_nfc_normalize(const char *text, size_t n, char **out, size_t *out_len, svs_err *err);

/* Building a tokenizer in memory. The BPE trainer may either write a tokenizer.json (jansson)
 * and call tok_load_json, or fill a tok_spec and call tok_build; tok_load_json itself parses
 * the JSON into a tok_spec and calls tok_build, so both paths behave identically.
 * All strings are in tokenizer.json spelling (vocab/merges: byte-level characters, "Ġthe";
 * added tokens: raw content) and are copied; the spec may be freed after the call. Errors name
 * the entry ("merges[12]: token \"x\" is not in the vocabulary"). */
typedef struct tok_vocab_entry {
    const char *text;
    size_t len;
    int32_t id;
} tok_vocab_entry;

typedef struct tok_merge_entry { /* rank = index in tok_spec.merges */
    const char *left, *right;
    size_t left_len, right_len;
} tok_merge_entry;

typedef struct tok_added_entry {
    const char *content;
    size_t len;
    int32_t id;      /* may equal a vocab id (GPT-2 <|endoftext|>) or be a new id */
    int special;     /* skipped by decode with skip_special */
    int normalized;  /* 1: matched after normalization (HF normalized: true) */
} tok_added_entry;

typedef struct tok_spec {
    tok_pre_kind pre;
    int nfc;           /* normalizer NFC */
    int ignore_merges; /* model.ignore_merges */
    const tok_vocab_entry *vocab;
    size_t n_vocab;
    const tok_merge_entry *merges;
    size_t n_merges;
    const tok_added_entry *added;
    size_t n_added;
} tok_spec;

int tok_build(const tok_spec *spec, tok_tokenizer **out, svs_err *err);

/* ---------------------------------------------------------------------------------------------
 * GGUF vocabularies (tok_gguf.c; formats.md §10.5, §11)
 *
 * The tokenizer.ggml.* metadata as plain arrays; the fields line up with ref/model/gguf.h's
 * gguf_tokenizer (tokens, token_lens, token_type, merges, pre, model, bos_id, eos_id), e.g.
 *     tok_gguf_vocab v = {.model = g.model, .pre = g.pre, .n_tokens = g.n_tokens,
 *                         .tokens = g.tokens, .token_lens = g.token_lens,
 *                         .token_type = g.token_type, .n_merges = g.n_merges,
 *                         .merges = g.merges, .bos_id = g.bos_id, .eos_id = g.eos_id};
 * Tokens are in byte-level spelling; token_type 3 (control) become special added tokens, 4
 * (user-defined) non-special added tokens; merges are "left right". Errors name the GGUF key
 * ("tokenizer.ggml.pre: unsupported pre-tokenizer \"xyz\" ..."). The arrays are copied. */
typedef struct tok_gguf_vocab {
    const char *model; /* tokenizer.ggml.model: must be "gpt2" (NULL: not checked) */
    const char *pre;   /* tokenizer.ggml.pre (llama.cpp names; see tok_pre_from_gguf_name) */
    size_t n_tokens;
    const char *const *tokens;
    const size_t *token_lens;  /* NULL: NUL-terminated */
    const int32_t *token_type; /* NULL: all normal */
    size_t n_merges;
    const char *const *merges;
    int64_t bos_id, eos_id; /* -1 = absent */
    /* 0: tokenize like llama.cpp (and SmolLM2's own tokenizer.json); 1: like transformers'
     * GGUF loader (plain GPT-2 regex for "smollm"; see tok_gguf.c for the one difference). */
    int transformers_compat;
} tok_gguf_vocab;

int tok_from_gguf_vocab(const tok_gguf_vocab *v, tok_tokenizer **out, svs_err *err);
/* llama.cpp pre-tokenizer name -> kind: "gpt-2"; "llama3", "llama-v3", "llama-bpe", "falcon3";
 * "qwen2", "deepseek-r1-qwen"; "smollm". Returns 0, or -1 for any other name (or NULL). */
int tok_pre_from_gguf_name(const char *name, tok_pre_kind *kind);
/* bos/eos ids from GGUF metadata (-1 when absent or loaded from tokenizer.json). Informational:
 * tok_encode never adds them. */
int32_t tok_bos_id(const tok_tokenizer *tok);
int32_t tok_eos_id(const tok_tokenizer *tok);

#endif
