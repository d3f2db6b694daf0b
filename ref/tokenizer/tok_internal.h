/* tok_internal.h — the private layout of tok_tokenizer, shared by tok_load.c (tokenizer.json ->
 * tok_spec), tok_bpe.c (tok_build, encoding), tok_pretok.c (pre-tokenizer scanners) and
 * tok_decode.c (decoding). Not part of the public API (ref/tokenizer/tok.h). */
#ifndef SVS_TOK_INTERNAL_H
#define SVS_TOK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tok.h"

/* String -> int32 hash map (open addressing, linear probing). Keys are copied into an arena.
 * A 16-byte slot holds 32 bits of the key's hash, the key's length and arena offset, and the
 * value, so a probe touches one slot and, when hash and length agree, the key bytes: two cache
 * misses per lookup in a table far bigger than the cache (the vocabulary while loading). Used
 * for the vocabulary (spelling -> id) and the added tokens (content -> id). */
typedef struct tok_strmap_slot {
    uint32_t hash, len;
    uint32_t off; /* UINT32_MAX = empty slot */
    int32_t val;
} tok_strmap_slot;

typedef struct tok_strmap {
    tok_strmap_slot *slots;
    size_t mask; /* number of slots - 1 (a power of two) */
    size_t n;
    char *arena;
    size_t arena_len, arena_cap;
} tok_strmap;

uint64_t tok_hash_bytes(const char *s, size_t n);
int tok_strmap_init(tok_strmap *m, size_t expected, svs_err *err);
/* Inserts or overwrites (later entries win, like a JSON object with duplicate keys). */
int tok_strmap_put(tok_strmap *m, const char *key, size_t len, int32_t val, svs_err *err);
int32_t tok_strmap_get(const tok_strmap *m, const char *key, size_t len); /* -1 if absent */
/* The same with h = tok_hash_bytes(key, len) computed ahead (to prefetch its slot). */
int tok_strmap_put_h(tok_strmap *m, const char *key, size_t len, uint64_t h, int32_t val, svs_err *err);
int32_t tok_strmap_get_h(const tok_strmap *m, const char *key, size_t len, uint64_t h);
static inline void tok_strmap_prefetch(const tok_strmap *m, uint64_t h) { __builtin_prefetch(&m->slots[h & m->mask]); }
void tok_strmap_free(tok_strmap *m);

/* Trie over added-token contents for leftmost-longest matching (HF uses Aho-Corasick with
 * MatchKind::LeftmostLongest; a trie walked from each start position gives the same result).
 * Node 0 is the root; children are a singly linked sibling list. */
typedef struct tok_trie_node {
    int32_t child, sibling; /* -1 = none */
    int32_t id;             /* token id ending here, -1 if none */
    uint8_t byte;
} tok_trie_node;

typedef struct tok_trie {
    tok_trie_node *nodes;
    size_t n, cap;
    uint8_t first[256]; /* first[b] = 1 when some token starts with byte b */
} tok_trie;

/* Finds the leftmost-longest match in s[0..n): returns 1 and its [*start, *end) and id, or 0. */
int tok_trie_find(const tok_trie *t, const uint8_t *s, size_t n, size_t *start, size_t *end, int32_t *id);

typedef struct tok_merge_slot {
    uint64_t key;   /* UINT64_MAX = empty */
    uint32_t rank;  /* index in the merges list */
    int32_t merged; /* id of the concatenation */
} tok_merge_slot;

enum { TOK_F_PRESENT = 1, TOK_F_ADDED = 2, TOK_F_SPECIAL = 4 };

struct tok_tokenizer {
    tok_pre_kind pre;
    int nfc;
    int ignore_merges;
    size_t n_ids;          /* 1 + largest id */
    int32_t bos_id, eos_id; /* from GGUF metadata (tok_gguf.c); -1 otherwise */

    /* Per id: spelling (tokenizer.json string, NUL-terminated) and decoded bytes, as offsets into
     * one arena each; flags TOK_F_*. */
    uint32_t *spell_off, *spell_len, *raw_off, *raw_len;
    char *spell, *raw;
    uint8_t *flags;

    tok_strmap vocab; /* model vocabulary: spelling -> id */
    tok_strmap added; /* added tokens: content -> id */

    /* Merge table: key (left id << 32 | right id) -> rank and merged id; open addressing with
     * linear probing. One 16-byte slot holds all three, so a lookup costs one cache line (the
     * table is 4 MiB for Qwen2.5 and most lookups miss the cache). */
    tok_merge_slot *merges;
    size_t merge_mask;

    int32_t byte_id[256]; /* id of the single-byte token of each byte */
    tok_trie trie_raw;    /* added tokens with normalized: false (matched on the raw input) */
    tok_trie trie_norm;   /* normalized: true (matched in each normalized segment) */
};

/* Looks up the merge of the pair (a, b): returns 1 and its rank / merged id, or 0. */
static inline uint64_t tok_mix64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

static inline int tok_merge_get(const tok_tokenizer *t, int32_t a, int32_t b, uint32_t *rank, int32_t *merged) {
    uint64_t key = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
    size_t i = (size_t)tok_mix64(key) & t->merge_mask;
    for (;;) {
        const tok_merge_slot *s = &t->merges[i];
        if (s->key == key) {
            *rank = s->rank;
            *merged = s->merged;
            return 1;
        }
        if (s->key == UINT64_MAX) return 0;
        i = (i + 1) & t->merge_mask;
    }
}

/* Lossy UTF-8 (tok_decode.c): appends s[0..n) to out with each maximal invalid subsequence
 * replaced by U+FFFD (Rust String::from_utf8_lossy). With hold_tail, a trailing incomplete but
 * so far valid sequence is not emitted; *consumed tells how many bytes were. */
int tok_utf8_lossy(const uint8_t *s, size_t n, int hold_tail, svs_buf *out, size_t *consumed, svs_err *err);

#endif
