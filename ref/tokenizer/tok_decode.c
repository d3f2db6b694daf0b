/* tok_decode.c — ids -> text (formats.md §1 "Decoding"), whole and streaming.
 *
 * huggingface/tokenizers (3ba8ad00) TokenizerImpl::decode maps each id to its token string (added
 * tokens by content; with skip_special_tokens the added tokens with special: true are dropped),
 * and the ByteLevel decoder (pre_tokenizers/byte_level.rs) maps the characters of each token back
 * to bytes (a token with a character outside the table contributes its own UTF-8 bytes; that
 * per-token byte string is precomputed at load, see tok_bpe.c spelling_to_bytes), concatenates
 * and converts with String::from_utf8_lossy: each maximal invalid subsequence (Unicode §3.9 /
 * WHATWG "U+FFFD substitution of maximal subparts") becomes one U+FFFD.
 *
 * The streaming decoder feeds the same bytes through the same lossy converter but holds back a
 * trailing sequence that is incomplete yet still valid so far; whether it becomes a character or
 * U+FFFD depends on bytes not seen yet. Since the lossy converter never looks further than one
 * sequence ahead, the pieces it emits concatenate to the whole-text result. */
#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"

/* Length of the valid UTF-8 prefix of the sequence starting with lead byte s[0], looking at
 * s[0..n): returns the full length `need` (1–4) if the sequence is complete and valid; otherwise
 * *valid_prefix = how many bytes form a valid but incomplete or broken start (>= 1), and 0. */
static size_t utf8_seq(const uint8_t *s, size_t n, size_t *valid_prefix) {
    uint8_t b = s[0];
    size_t need;
    uint8_t lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (b < 0x80) return 1;
    if (b >= 0xC2 && b <= 0xDF) need = 2;
    else if (b == 0xE0) need = 3, lo = 0xA0;
    else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) need = 3;
    else if (b == 0xED) need = 3, hi = 0x9F; /* no surrogates */
    else if (b == 0xF0) need = 4, lo = 0x90;
    else if (b >= 0xF1 && b <= 0xF3) need = 4;
    else if (b == 0xF4) need = 4, hi = 0x8F; /* <= U+10FFFF */
    else { *valid_prefix = 1; return 0; }  /* 80–C1, F5–FF: never valid */
    size_t i = 1;
    for (; i < need && i < n; i++) {
        uint8_t lo_i = i == 1 ? lo : 0x80, hi_i = i == 1 ? hi : 0xBF;
        if (s[i] < lo_i || s[i] > hi_i) break;
    }
    if (i == need) return need;
    *valid_prefix = i;
    return 0;
}

static const char REPLACEMENT[3] = {(char)0xEF, (char)0xBF, (char)0xBD}; /* U+FFFD */

int tok_utf8_lossy(const uint8_t *s, size_t n, int hold_tail, svs_buf *out, size_t *consumed, svs_err *err) {
    size_t i = 0, run = 0; /* s[run..i) is valid text not yet appended */
    if (svs_buf_reserve(out, n, err)) return -1;
    while (i < n) {
        size_t prefix, len = utf8_seq(s + i, n - i, &prefix);
        if (len) {
            i += len;
            continue;
        }
        /* An incomplete sequence cut by the end of the input may still complete later. */
        if (hold_tail && i + prefix == n && prefix < 4 && (s[i] >= 0xC2 && s[i] <= 0xF4)) break;
        if (svs_buf_append(out, (const char *)s + run, i - run, err) || svs_buf_append(out, REPLACEMENT, 3, err)) return -1;
        i += prefix;
        run = i;
    }
    /* i > run guard: with an empty input s may be NULL, and NULL + 0 is undefined behaviour */
    if (i > run && svs_buf_append(out, (const char *)s + run, i - run, err)) return -1;
    if (consumed) *consumed = i;
    return 0;
}

static int check_id(const tok_tokenizer *t, int32_t id, size_t pos, svs_err *err) {
    if (id < 0 || (size_t)id >= t->n_ids || !(t->flags[id] & TOK_F_PRESENT))
        return svs_errf(err, "ids[%zu]: id %d is not in the vocabulary (size %zu)", pos, (int)id, t->n_ids);
    return 0;
}

int tok_decode(const tok_tokenizer *t, const int32_t *ids, size_t n, int skip_special, char **text, size_t *len,
               svs_err *err) {
    svs_buf raw = {0}, res = {0};
    *text = NULL;
    *len = 0;
    for (size_t i = 0; i < n; i++) {
        if (check_id(t, ids[i], i, err)) goto fail;
        if (skip_special && (t->flags[ids[i]] & TOK_F_SPECIAL)) continue;
        if (svs_buf_append(&raw, t->raw + t->raw_off[ids[i]], t->raw_len[ids[i]], err)) goto fail;
    }
    if (svs_buf_reserve(&res, 0, err) || tok_utf8_lossy((const uint8_t *)raw.data, raw.len, 0, &res, NULL, err)) goto fail;
    svs_buf_free(&raw);
    *text = res.data;
    *len = res.len;
    return 0;
fail:
    svs_buf_free(&raw);
    svs_buf_free(&res);
    return -1;
}

void tok_stream_init(tok_stream *s, const tok_tokenizer *tok, int skip_special) {
    memset(s, 0, sizeof *s);
    s->tok = tok;
    s->skip_special = skip_special;
}

int tok_stream_push(tok_stream *s, int32_t id, svs_buf *out, svs_err *err) {
    const tok_tokenizer *t = s->tok;
    if (check_id(t, id, 0, err)) return -1;
    if (s->skip_special && (t->flags[id] & TOK_F_SPECIAL)) return 0;
    size_t rl = t->raw_len[id], consumed;
    const uint8_t *rb = (const uint8_t *)t->raw + t->raw_off[id];
    /* Only the held-back bytes plus the token's bytes are needed; tokens are short, but a
     * pathological one may be long, so use a heap buffer past the stack size. */
    uint8_t stack[256], *buf = stack;
    size_t n = s->npend + rl;
    if (n > sizeof stack && !(buf = svs_malloc(n, err))) return -1;
    memcpy(buf, s->pend, s->npend);
    memcpy(buf + s->npend, rb, rl);
    int rc = tok_utf8_lossy(buf, n, 1, out, &consumed, err);
    if (rc == 0) {
        s->npend = n - consumed; /* < 4 by construction */
        memcpy(s->pend, buf + consumed, s->npend);
    }
    if (buf != stack) free(buf);
    return rc;
}

int tok_stream_flush(tok_stream *s, svs_buf *out, svs_err *err) {
    int rc = tok_utf8_lossy(s->pend, s->npend, 0, out, NULL, err);
    s->npend = 0;
    return rc;
}
