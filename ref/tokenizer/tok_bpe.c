/* tok_bpe.c — building a tokenizer from a tok_spec, and encoding (formats.md §1, §2, §4).
 *
 * tok_build turns the vocabulary, merges and added tokens of a tok_spec (tok_load.c makes one
 * from tokenizer.json) into lookup tables: spelling -> id, (left id, right id) -> (rank, merged
 * id), byte -> single-byte token id, and a trie over the added tokens.
 *
 * tok_encode follows huggingface/tokenizers (commit 3ba8ad00):
 *   added_vocabulary.rs  added tokens are matched leftmost-longest on the raw input and split it;
 *   normalizer           NFC (utf8proc) on each segment in between, if the file asks for it;
 *   pre_tokenizers       the regex scanners of tok_pretok.c split a segment into pieces;
 *   byte_level.rs        each byte of a piece is one initial symbol (its single-byte token);
 *   models/bpe/word.rs   merge_all: repeatedly merge the adjacent pair with the lowest rank,
 *                        leftmost on ties; after a merge only the two new neighbour pairs are
 *                        new candidates. Here: for pieces up to 48 bytes an array scan over the
 *                        pair ranks; for longer ones a binary min-heap keyed (rank, position)
 *                        with lazy deletion (an entry is stale when its pair no longer exists).
 *   models/bpe/model.rs  ignore_merges: a piece that is itself a vocabulary entry is one id;
 *                        the model's cache (piece -> ids) is tok_cache here, owned by the caller.
 * Invalid UTF-8 input is an error naming the byte offset, or with TOK_LOSSY is repaired first
 * (each maximal invalid subsequence -> U+FFFD).
 *
 * The hot path allocates nothing per piece: one workspace per call (or per tok_cache) grows as
 * needed, and the output vector is grown before a piece's ids are copied in.
 *
 * Loading speed: the vocabulary and merge tables are far bigger than the CPU cache, so their
 * construction hashes a few entries ahead and prefetches the slots (build_tokens, build_merges). */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "tok_internal.h"

/* ---------------------------------------------------------------------------------------------
 * The GPT-2 byte <-> unicode map (formats.md §2) */

/* Bytes 0x21–0x7E, 0xA1–0xAC, 0xAE–0xFF map to themselves; the other 68 bytes (0x00–0x20,
 * 0x7F–0xA0, 0xAD), in increasing order, to U+0100 + n, n = 0..67. */
static const uint16_t BYTE_CP[256] = {
    0x100, 0x101, 0x102, 0x103, 0x104, 0x105, 0x106, 0x107, 0x108, 0x109, 0x10A, 0x10B,
    0x10C, 0x10D, 0x10E, 0x10F, 0x110, 0x111, 0x112, 0x113, 0x114, 0x115, 0x116, 0x117,
    0x118, 0x119, 0x11A, 0x11B, 0x11C, 0x11D, 0x11E, 0x11F, 0x120, 0x021, 0x022, 0x023,
    0x024, 0x025, 0x026, 0x027, 0x028, 0x029, 0x02A, 0x02B, 0x02C, 0x02D, 0x02E, 0x02F,
    0x030, 0x031, 0x032, 0x033, 0x034, 0x035, 0x036, 0x037, 0x038, 0x039, 0x03A, 0x03B,
    0x03C, 0x03D, 0x03E, 0x03F, 0x040, 0x041, 0x042, 0x043, 0x044, 0x045, 0x046, 0x047,
    0x048, 0x049, 0x04A, 0x04B, 0x04C, 0x04D, 0x04E, 0x04F, 0x050, 0x051, 0x052, 0x053,
    0x054, 0x055, 0x056, 0x057, 0x058, 0x059, 0x05A, 0x05B, 0x05C, 0x05D, 0x05E, 0x05F,
    0x060, 0x061, 0x062, 0x063, 0x064, 0x065, 0x066, 0x067, 0x068, 0x069, 0x06A, 0x06B,
    0x06C, 0x06D, 0x06E, 0x06F, 0x070, 0x071, 0x072, 0x073, 0x074, 0x075, 0x076, 0x077,
    0x078, 0x079, 0x07A, 0x07B, 0x07C, 0x07D, 0x07E, 0x121, 0x122, 0x123, 0x124, 0x125,
    0x126, 0x127, 0x128, 0x129, 0x12A, 0x12B, 0x12C, 0x12D, 0x12E, 0x12F, 0x130, 0x131,
    0x132, 0x133, 0x134, 0x135, 0x136, 0x137, 0x138, 0x139, 0x13A, 0x13B, 0x13C, 0x13D,
    0x13E, 0x13F, 0x140, 0x141, 0x142, 0x0A1, 0x0A2, 0x0A3, 0x0A4, 0x0A5, 0x0A6, 0x0A7,
    0x0A8, 0x0A9, 0x0AA, 0x0AB, 0x0AC, 0x143, 0x0AE, 0x0AF, 0x0B0, 0x0B1, 0x0B2, 0x0B3,
    0x0B4, 0x0B5, 0x0B6, 0x0B7, 0x0B8, 0x0B9, 0x0BA, 0x0BB, 0x0BC, 0x0BD, 0x0BE, 0x0BF,
    0x0C0, 0x0C1, 0x0C2, 0x0C3, 0x0C4, 0x0C5, 0x0C6, 0x0C7, 0x0C8, 0x0C9, 0x0CA, 0x0CB,
    0x0CC, 0x0CD, 0x0CE, 0x0CF, 0x0D0, 0x0D1, 0x0D2, 0x0D3, 0x0D4, 0x0D5, 0x0D6, 0x0D7,
    0x0D8, 0x0D9, 0x0DA, 0x0DB, 0x0DC, 0x0DD, 0x0DE, 0x0DF, 0x0E0, 0x0E1, 0x0E2, 0x0E3,
    0x0E4, 0x0E5, 0x0E6, 0x0E7, 0x0E8, 0x0E9, 0x0EA, 0x0EB, 0x0EC, 0x0ED, 0x0EE, 0x0EF,
    0x0F0, 0x0F1, 0x0F2, 0x0F3, 0x0F4, 0x0F5, 0x0F6, 0x0F7, 0x0F8, 0x0F9, 0x0FA, 0x0FB,
    0x0FC, 0x0FD, 0x0FE, 0x0FF,
};

uint32_t tok_byte_to_cp(uint8_t b) { return BYTE_CP[b]; }

/* The inverse for U+0100 + n: the n-th byte that does not map to itself. */
static const uint8_t CP_BYTE[68] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B,
    0x0C, 0x0D, 0x0E, 0x0F, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
    0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x7F, 0x80, 0x81,
    0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8B, 0x8C, 0x8D,
    0x8E, 0x8F, 0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99,
    0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xAD,
};

int tok_cp_to_byte(uint32_t cp) {
    if (cp < 0x100) return BYTE_CP[cp] == cp ? (int)cp : -1;
    return cp < 0x100 + 68 ? CP_BYTE[cp - 0x100] : -1;
}

/* ---------------------------------------------------------------------------------------------
 * String -> id hash map */

uint64_t tok_hash_bytes(const char *s, size_t n) {
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = (h ^ w) * 0x100000001B3ULL;
        h ^= h >> 29;
    }
    uint64_t w = 0;
    memcpy(&w, s + i, n - i);
    h = (h ^ w) * 0x100000001B3ULL;
    return tok_mix64(h);
}
#define hash_bytes tok_hash_bytes

int tok_strmap_init(tok_strmap *m, size_t expected, svs_err *err) {
    memset(m, 0, sizeof *m);
    size_t slots = 16;
    while (slots * 3 < expected * 4) slots *= 2; /* load <= 3/4: small tables stay in cache */
    m->slots = svs_malloc(slots * sizeof *m->slots, err);
    if (!m->slots) return -1;
    for (size_t i = 0; i < slots; i++) m->slots[i].off = UINT32_MAX;
    m->mask = slots - 1;
    return 0;
}

static int strmap_grow_arena(tok_strmap *m, size_t keylen, svs_err *err) {
    /* m->arena != NULL: allocate on the first put even for an empty key, so that every
     * arena + offset below is computed on a real pointer (NULL + 0 is undefined behaviour;
     * found by fuzz_tok_load with an empty-string vocabulary entry) */
    if (m->arena && m->arena_len + keylen <= m->arena_cap) return 0;
    size_t cap = m->arena_cap ? m->arena_cap : 4096;
    while (cap < m->arena_len + keylen) cap *= 2;
    if (cap >= UINT32_MAX) return svs_errf(err, "token strings exceed 4 GiB");
    char *a = svs_realloc(m->arena, cap, err);
    if (!a) return -1;
    m->arena = a;
    m->arena_cap = cap;
    return 0;
}

static int strmap_rehash(tok_strmap *m, svs_err *err) {
    size_t slots = (m->mask + 1) * 2;
    tok_strmap_slot *s = svs_malloc(slots * sizeof *s, err);
    if (!s) return -1;
    for (size_t i = 0; i < slots; i++) s[i].off = UINT32_MAX;
    for (size_t k = 0; k <= m->mask; k++) {
        const tok_strmap_slot *o = &m->slots[k];
        if (o->off == UINT32_MAX) continue;
        size_t i = (size_t)hash_bytes(m->arena + o->off, o->len) & (slots - 1);
        while (s[i].off != UINT32_MAX) i = (i + 1) & (slots - 1);
        s[i] = *o;
    }
    free(m->slots);
    m->slots = s;
    m->mask = slots - 1;
    return 0;
}

/* Returns the slot of key: either the one holding it or the empty one where it would go. */
static size_t strmap_slot(const tok_strmap *m, const char *key, size_t len, uint64_t h) {
    size_t i = (size_t)h & m->mask;
    for (;; i = (i + 1) & m->mask) {
        const tok_strmap_slot *s = &m->slots[i];
        if (s->off == UINT32_MAX) return i;
        if (s->hash == (uint32_t)(h >> 32) && s->len == len && memcmp(m->arena + s->off, key, len) == 0) return i;
    }
}

int tok_strmap_put_h(tok_strmap *m, const char *key, size_t len, uint64_t h, int32_t val, svs_err *err) {
    size_t i = strmap_slot(m, key, len, h);
    if (m->slots[i].off != UINT32_MAX) {
        m->slots[i].val = val;
        return 0;
    }
    if (strmap_grow_arena(m, len, err)) return -1;
    memcpy(m->arena + m->arena_len, key, len);
    m->slots[i] = (tok_strmap_slot){.hash = (uint32_t)(h >> 32), .len = (uint32_t)len, .off = (uint32_t)m->arena_len, .val = val};
    m->arena_len += len;
    if (++m->n * 4 > (m->mask + 1) * 3) return strmap_rehash(m, err);
    return 0;
}

int tok_strmap_put(tok_strmap *m, const char *key, size_t len, int32_t val, svs_err *err) {
    return tok_strmap_put_h(m, key, len, hash_bytes(key, len), val, err);
}

int32_t tok_strmap_get_h(const tok_strmap *m, const char *key, size_t len, uint64_t h) {
    if (!m->slots) return -1;
    const tok_strmap_slot *s = &m->slots[strmap_slot(m, key, len, h)];
    return s->off != UINT32_MAX ? s->val : -1;
}

int32_t tok_strmap_get(const tok_strmap *m, const char *key, size_t len) {
    return tok_strmap_get_h(m, key, len, hash_bytes(key, len));
}

void tok_strmap_free(tok_strmap *m) {
    free(m->slots);
    free(m->arena);
    memset(m, 0, sizeof *m);
}

/* ---------------------------------------------------------------------------------------------
 * Trie over the added tokens (leftmost-longest) */

static int trie_new_node(tok_trie *t, uint8_t byte, svs_err *err) {
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        tok_trie_node *nn = svs_realloc(t->nodes, cap * sizeof *nn, err);
        if (!nn) return -1;
        t->nodes = nn;
        t->cap = cap;
    }
    t->nodes[t->n] = (tok_trie_node){.child = -1, .sibling = -1, .id = -1, .byte = byte};
    return (int)t->n++;
}

static int trie_insert(tok_trie *t, const char *s, size_t len, int32_t id, svs_err *err) {
    if (t->n == 0 && trie_new_node(t, 0, err) < 0) return -1;
    int32_t node = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t b = (uint8_t)s[i];
        int32_t c = t->nodes[node].child;
        while (c >= 0 && t->nodes[c].byte != b) c = t->nodes[c].sibling;
        if (c < 0) {
            if ((c = trie_new_node(t, b, err)) < 0) return -1;
            t->nodes[c].sibling = t->nodes[node].child;
            t->nodes[node].child = c;
        }
        node = c;
    }
    t->nodes[node].id = id; /* a later duplicate content wins, like HF's map */
    t->first[(uint8_t)s[0]] = 1;
    return 0;
}

/* Longest token starting at s[0]: returns its length (0 = none) and *id. */
static size_t trie_longest_at(const tok_trie *t, const uint8_t *s, size_t n, int32_t *id) {
    size_t best = 0;
    int32_t node = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t c = t->nodes[node].child;
        while (c >= 0 && t->nodes[c].byte != s[i]) c = t->nodes[c].sibling;
        if (c < 0) break;
        node = c;
        if (t->nodes[node].id >= 0) {
            best = i + 1;
            *id = t->nodes[node].id;
        }
    }
    return best;
}

int tok_trie_find(const tok_trie *t, const uint8_t *s, size_t n, size_t *start, size_t *end, int32_t *id) {
    if (t->n == 0) return 0;
    for (size_t i = 0; i < n; i++) {
        if (!t->first[s[i]]) continue;
        size_t len = trie_longest_at(t, s + i, n - i, id);
        if (len) {
            *start = i;
            *end = i + len;
            return 1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * tok_build */

/* Appends the UTF-8 encoding of cp to buf (4 bytes room); returns the length. */
static size_t utf8_put(char *buf, uint32_t cp) {
    if (cp < 0x80) { buf[0] = (char)cp; return 1; }
    if (cp < 0x800) { buf[0] = (char)(0xC0 | cp >> 6); buf[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        buf[0] = (char)(0xE0 | cp >> 12);
        buf[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        buf[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    buf[0] = (char)(0xF0 | cp >> 18);
    buf[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    buf[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    buf[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The bytes a token spelling decodes to (byte_level.rs Decoder): every character mapped back
 * through the inverse byte map; if ANY character is outside the table, the whole token
 * contributes its own UTF-8 bytes instead (the Rust code's try_fold ... unwrap_or_else). Writes
 * at most len bytes to out; returns the count. The spelling is valid UTF-8 (JSON strings are). */
static size_t spelling_to_bytes(const char *sp, size_t len, char *out) {
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t l = utf8proc_iterate((const utf8proc_uint8_t *)sp + i, (utf8proc_ssize_t)(len - i), &cp);
        int b = l > 0 ? tok_cp_to_byte((uint32_t)cp) : -1;
        if (b < 0) {
            memcpy(out, sp, len);
            return len;
        }
        out[o++] = (char)b;
        i += (size_t)l;
    }
    return o;
}

static void spec_bounds(const tok_spec *spec, size_t *n_ids, size_t *total_len) {
    size_t max = 0, tot = 0;
    for (size_t i = 0; i < spec->n_vocab; i++) {
        if ((size_t)spec->vocab[i].id + 1 > max) max = (size_t)spec->vocab[i].id + 1;
        tot += spec->vocab[i].len + 1;
    }
    for (size_t i = 0; i < spec->n_added; i++) {
        if ((size_t)spec->added[i].id + 1 > max) max = (size_t)spec->added[i].id + 1;
        tot += spec->added[i].len + 1;
    }
    *n_ids = max;
    *total_len = tot;
}

#define TOK_MAX_IDS (1u << 24) /* ids must be below 16,777,216 (a sanity bound, not HF's) */

static int check_ids(const tok_spec *spec, svs_err *err) {
    for (size_t i = 0; i < spec->n_vocab; i++)
        if (spec->vocab[i].id < 0 || (uint32_t)spec->vocab[i].id >= TOK_MAX_IDS)
            return svs_errf(err, "vocab[\"%.*s\"]: id %d out of range [0, %u)", (int)(spec->vocab[i].len > 64 ? 64 : spec->vocab[i].len),
                            spec->vocab[i].text, (int)spec->vocab[i].id, TOK_MAX_IDS);
    for (size_t i = 0; i < spec->n_added; i++) {
        if (spec->added[i].id < 0 || (uint32_t)spec->added[i].id >= TOK_MAX_IDS)
            return svs_errf(err, "added_tokens[%zu].id: %d out of range [0, %u)", i, (int)spec->added[i].id, TOK_MAX_IDS);
        if (spec->added[i].len == 0) return svs_errf(err, "added_tokens[%zu].content: empty", i);
    }
    return 0;
}

/* Stores the spelling and decoded bytes of one id into the arenas. */
static void set_token(tok_tokenizer *t, int32_t id, const char *s, size_t len, size_t *spell_pos, size_t *raw_pos) {
    t->spell_off[id] = (uint32_t)*spell_pos;
    t->spell_len[id] = (uint32_t)len;
    memcpy(t->spell + *spell_pos, s, len);
    t->spell[*spell_pos + len] = 0;
    *spell_pos += len + 1;
    t->raw_off[id] = (uint32_t)*raw_pos;
    t->raw_len[id] = (uint32_t)spelling_to_bytes(s, len, t->raw + *raw_pos);
    *raw_pos += t->raw_len[id];
    t->flags[id] |= TOK_F_PRESENT;
}

static int build_tokens(tok_tokenizer *t, const tok_spec *spec, size_t total_len, svs_err *err) {
    size_t n = t->n_ids ? t->n_ids : 1;
    if (total_len >= UINT32_MAX) return svs_errf(err, "token strings exceed 4 GiB");
    if (!(t->spell_off = svs_calloc(n, sizeof(uint32_t), err)) || !(t->spell_len = svs_calloc(n, sizeof(uint32_t), err)) ||
        !(t->raw_off = svs_calloc(n, sizeof(uint32_t), err)) || !(t->raw_len = svs_calloc(n, sizeof(uint32_t), err)) ||
        !(t->flags = svs_calloc(n, 1, err)) || !(t->spell = svs_malloc(total_len + 1, err)) ||
        !(t->raw = svs_malloc(total_len + 1, err)))
        return -1;
    if (tok_strmap_init(&t->vocab, spec->n_vocab, err) || tok_strmap_init(&t->added, spec->n_added, err)) return -1;
    size_t sp = 0, rp = 0;
    /* The slots of a 150k-entry vocabulary do not fit in the cache: hash PF entries ahead and
     * prefetch their slots, so the misses overlap. */
    enum { PF = 8 };
    uint64_t hash[PF];
    for (size_t i = 0; i < PF && i < spec->n_vocab; i++) {
        hash[i] = hash_bytes(spec->vocab[i].text, spec->vocab[i].len);
        tok_strmap_prefetch(&t->vocab, hash[i]);
    }
    for (size_t i = 0; i < spec->n_vocab; i++) {
        const tok_vocab_entry *v = &spec->vocab[i];
        uint64_t h = hash[i % PF];
        if (i + PF < spec->n_vocab) {
            hash[i % PF] = hash_bytes(spec->vocab[i + PF].text, spec->vocab[i + PF].len);
            tok_strmap_prefetch(&t->vocab, hash[i % PF]);
        }
        if (t->flags[v->id] & TOK_F_PRESENT)
            return svs_errf(err, "vocab[\"%.*s\"]: id %d is used by another token too", (int)(v->len > 64 ? 64 : v->len), v->text, (int)v->id);
        if (tok_strmap_put_h(&t->vocab, v->text, v->len, h, v->id, err)) return -1;
        set_token(t, v->id, v->text, v->len, &sp, &rp);
    }
    /* Added tokens: HF id_to_token looks in the added vocabulary first, so their content is the
     * spelling of their id even when the id is also in the model vocabulary. */
    for (size_t i = 0; i < spec->n_added; i++) {
        const tok_added_entry *a = &spec->added[i];
        t->flags[a->id] &= (uint8_t)~TOK_F_SPECIAL;
        set_token(t, a->id, a->content, a->len, &sp, &rp);
        t->flags[a->id] |= TOK_F_ADDED | (a->special ? TOK_F_SPECIAL : 0);
        if (tok_strmap_put(&t->added, a->content, a->len, a->id, err)) return -1;
        if (trie_insert(a->normalized ? &t->trie_norm : &t->trie_raw, a->content, a->len, a->id, err)) return -1;
    }
    return 0;
}

/* The single-byte token of every byte. A vocabulary may lack some (SmolLM2 has no token for
 * 0x04, 0xC0, 0xF5–0xFF, ...): HF BPE without an unk_token then drops that byte from the word
 * before merging (models/bpe/model.rs merge_word), and so does llama.cpp; byte_id is -1 there. */
static void build_byte_ids(tok_tokenizer *t) {
    for (unsigned b = 0; b < 256; b++) {
        char sp[4];
        size_t l = utf8_put(sp, tok_byte_to_cp((uint8_t)b));
        t->byte_id[b] = tok_strmap_get(&t->vocab, sp, l);
    }
}

static int merge_put(tok_tokenizer *t, int32_t a, int32_t b, uint32_t rank, int32_t merged) {
    uint64_t key = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
    size_t i = (size_t)tok_mix64(key) & t->merge_mask;
    while (t->merges[i].key != UINT64_MAX && t->merges[i].key != key) i = (i + 1) & t->merge_mask;
    /* A repeated pair: the later rank wins, as when HF collects the merges into a HashMap. */
    t->merges[i] = (tok_merge_slot){.key = key, .rank = rank, .merged = merged};
    return 0;
}

/* Hashes of merge i's left, right and concatenated spelling, computed PF merges ahead of the
 * lookups with their vocabulary slots prefetched (the lookups are cache misses otherwise). */
enum { MERGE_PF = 8, MERGE_CAT = 256 };
typedef struct merge_ahead {
    uint64_t hl, hr, hc;
    char cat[MERGE_CAT]; /* left + right when it fits (else concatenated at lookup time) */
} merge_ahead;

static void merge_prepare(const tok_tokenizer *t, const tok_merge_entry *m, merge_ahead *a) {
    a->hl = hash_bytes(m->left, m->left_len);
    a->hr = hash_bytes(m->right, m->right_len);
    tok_strmap_prefetch(&t->vocab, a->hl);
    tok_strmap_prefetch(&t->vocab, a->hr);
    size_t cl = m->left_len + m->right_len;
    if (cl <= MERGE_CAT) {
        memcpy(a->cat, m->left, m->left_len);
        memcpy(a->cat + m->left_len, m->right, m->right_len);
        a->hc = hash_bytes(a->cat, cl);
        tok_strmap_prefetch(&t->vocab, a->hc);
    }
}

static int build_merges(tok_tokenizer *t, const tok_spec *spec, svs_err *err) {
    size_t slots = 16;
    while (slots * 3 < spec->n_merges * 4) slots *= 2; /* load <= 3/4 */
    if (!(t->merges = svs_malloc(slots * sizeof *t->merges, err))) return -1;
    for (size_t i = 0; i < slots; i++) t->merges[i].key = UINT64_MAX;
    t->merge_mask = slots - 1;
    merge_ahead *ahead = svs_malloc(MERGE_PF * sizeof *ahead, err);
    if (!ahead) return -1;
    char *big = NULL; /* a concatenation longer than MERGE_CAT */
    typedef struct { int32_t a, b, ab; uint32_t rank; } merge_pending;
    merge_pending pend[MERGE_PF];
    int rc = 0;
    for (size_t i = 0; i < MERGE_PF && i < spec->n_merges; i++) merge_prepare(t, &spec->merges[i], &ahead[i]);
    for (size_t i = 0; i < spec->n_merges && rc == 0; i++) {
        const tok_merge_entry *m = &spec->merges[i];
        merge_ahead *a = &ahead[i % MERGE_PF];
        size_t cl = m->left_len + m->right_len;
        const char *cat = a->cat;
        uint64_t hc = a->hc;
        if (cl > MERGE_CAT) {
            char *c = svs_realloc(big, cl, err);
            if (!c) { rc = -1; break; }
            big = c;
            memcpy(big, m->left, m->left_len);
            memcpy(big + m->left_len, m->right, m->right_len);
            cat = big;
            hc = hash_bytes(big, cl);
        }
        int32_t ia = tok_strmap_get_h(&t->vocab, m->left, m->left_len, a->hl);
        int32_t ib = tok_strmap_get_h(&t->vocab, m->right, m->right_len, a->hr);
        int32_t iab = tok_strmap_get_h(&t->vocab, cat, cl, hc);
        const char *missing = ia < 0 ? m->left : ib < 0 ? m->right : iab < 0 ? cat : NULL;
        size_t mlen = ia < 0 ? m->left_len : ib < 0 ? m->right_len : cl;
        if (missing)
            rc = svs_errf(err, "merges[%zu]: token \"%.*s\" is not in the vocabulary", i, (int)(mlen > 64 ? 64 : mlen), missing);
        else {
            /* The merge table is written MERGE_PF merges later, after a prefetch of the slot
             * (in order, so that a repeated pair still keeps its later rank). */
            if (i >= MERGE_PF) merge_put(t, pend[i % MERGE_PF].a, pend[i % MERGE_PF].b, pend[i % MERGE_PF].rank, pend[i % MERGE_PF].ab);
            pend[i % MERGE_PF] = (merge_pending){ia, ib, iab, (uint32_t)i};
            __builtin_prefetch(&t->merges[tok_mix64(((uint64_t)(uint32_t)ia << 32) | (uint32_t)ib) & t->merge_mask]);
        }
        if (i + MERGE_PF < spec->n_merges) merge_prepare(t, &spec->merges[i + MERGE_PF], a);
    }
    for (size_t i = spec->n_merges > MERGE_PF ? spec->n_merges - MERGE_PF : 0; rc == 0 && i < spec->n_merges; i++)
        merge_put(t, pend[i % MERGE_PF].a, pend[i % MERGE_PF].b, pend[i % MERGE_PF].rank, pend[i % MERGE_PF].ab);
    free(big);
    free(ahead);
    return rc;
}

int tok_build(const tok_spec *spec, tok_tokenizer **out, svs_err *err) {
    *out = NULL;
    if ((unsigned)spec->pre > TOK_PRE_SMOLLM) return svs_errf(err, "pre-tokenizer kind %d unknown", (int)spec->pre);
    if (check_ids(spec, err)) return -1;
    tok_tokenizer *t = svs_calloc(1, sizeof *t, err);
    if (!t) return -1;
    t->pre = spec->pre;
    t->nfc = spec->nfc != 0;
    t->ignore_merges = spec->ignore_merges != 0;
    t->bos_id = t->eos_id = -1;
    size_t total_len;
    spec_bounds(spec, &t->n_ids, &total_len);
    int rc = build_tokens(t, spec, total_len, err);
    if (rc == 0) {
        build_byte_ids(t);
        rc = build_merges(t, spec, err);
    }
    if (rc) {
        tok_free(t);
        return -1;
    }
    *out = t;
    return 0;
}

void tok_free(tok_tokenizer *t) {
    if (!t) return;
    free(t->spell_off);
    free(t->spell_len);
    free(t->raw_off);
    free(t->raw_len);
    free(t->spell);
    free(t->raw);
    free(t->flags);
    tok_strmap_free(&t->vocab);
    tok_strmap_free(&t->added);
    free(t->merges);
    free(t->trie_raw.nodes);
    free(t->trie_norm.nodes);
    free(t);
}

/* Scratch space for BPE on one piece, grown on demand and reused for every piece (per call, or
 * inside a tok_cache). */
typedef struct bpe_ws {
    int32_t *id, *prev, *next; /* symbols of the piece: a doubly linked list over positions */
    uint32_t *rank;            /* small pieces: rank of the pair (i, i+1), UINT32_MAX = none */
    int32_t *merged;           /* small pieces: the id that pair merges into */
    uint64_t *heap;            /* long pieces: candidate merges, rank << 32 | left position */
    char *spell;               /* byte-level spelling of a piece (ignore_merges lookup) */
    size_t cap;
} bpe_ws;

static int ws_reserve(bpe_ws *ws, size_t n, svs_err *err) {
    if (n <= ws->cap) return 0;
    size_t cap = ws->cap ? ws->cap : 64;
    while (cap < n) cap *= 2;
    int32_t *a;
    if (!(a = svs_realloc(ws->id, cap * sizeof *a, err))) return -1;
    ws->id = a;
    if (!(a = svs_realloc(ws->prev, cap * sizeof *a, err))) return -1;
    ws->prev = a;
    if (!(a = svs_realloc(ws->next, cap * sizeof *a, err))) return -1;
    ws->next = a;
    if (!(a = svs_realloc(ws->merged, cap * sizeof *a, err))) return -1;
    ws->merged = a;
    uint32_t *r = svs_realloc(ws->rank, cap * sizeof *r, err);
    if (!r) return -1;
    ws->rank = r;
    uint64_t *h = svs_realloc(ws->heap, cap * 3 * sizeof *h, err); /* n-1 pushes + 2 per merge */
    if (!h) return -1;
    ws->heap = h;
    char *s = svs_realloc(ws->spell, cap * 2, err); /* a byte spells as <= 2 UTF-8 bytes */
    if (!s) return -1;
    ws->spell = s;
    ws->cap = cap;
    return 0;
}

static void ws_free(bpe_ws *ws) {
    free(ws->id);
    free(ws->prev);
    free(ws->next);
    free(ws->rank);
    free(ws->merged);
    free(ws->heap);
    free(ws->spell);
    memset(ws, 0, sizeof *ws);
}

/* Makes room for extra more ids in v. */
static int ids_reserve(tok_ids *v, size_t extra, svs_err *err) {
    if (v->cap - v->len >= extra) return 0;
    size_t cap = v->cap ? v->cap : 64;
    while (cap - v->len < extra) cap *= 2;
    int32_t *d = svs_realloc(v->data, cap * sizeof *d, err);
    if (!d) return -1;
    v->data = d;
    v->cap = cap;
    return 0;
}

static void heap_push(uint64_t *h, size_t *n, uint64_t v) {
    size_t i = (*n)++;
    while (i > 0 && h[(i - 1) / 2] > v) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = v;
}

static uint64_t heap_pop(uint64_t *h, size_t *n) {
    uint64_t top = h[0], v = h[--*n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && h[c + 1] < h[c]) c++;
        if (h[c] >= v) break;
        h[i] = h[c];
        i = c;
    }
    h[i] = v;
    return top;
}

/* Pushes the merge candidate (left symbol i, its right neighbour), if that pair has a merge. */
static void push_pair(const tok_tokenizer *t, bpe_ws *ws, size_t *hn, int32_t i) {
    int32_t j = ws->next[i], merged;
    uint32_t rank;
    if (i >= 0 && j >= 0 && tok_merge_get(t, ws->id[i], ws->id[j], &rank, &merged))
        heap_push(ws->heap, hn, (uint64_t)rank << 32 | (uint32_t)i);
}

/* ignore_merges: the id of the piece as a whole vocabulary entry, or -1. */
static int32_t whole_piece_id(const tok_tokenizer *t, const uint8_t *b, size_t n, bpe_ws *ws) {
    size_t l = 0;
    for (size_t i = 0; i < n; i++) l += utf8_put(ws->spell + l, tok_byte_to_cp(b[i]));
    return tok_strmap_get(&t->vocab, ws->spell, l);
}

/* Pieces up to this many bytes use the array scan below; longer ones the heap. */
enum { BPE_SMALL = 48 };

/* merge_all for a short piece (the usual case: words are a few bytes), from its n >= 1 initial
 * symbols in ws->id: the rank of each adjacent pair is kept next to the symbols; each round
 * merges the first pair of lowest rank (word.rs orders its heap by (rank, position), so the same
 * pair wins) and re-ranks only its two new neighbour pairs. O(n^2) but n is small, and no merge
 * is looked up twice. Leaves the result in ws->id[0..m). */
static size_t bpe_small(const tok_tokenizer *t, size_t n, bpe_ws *ws) {
    int32_t *id = ws->id, *mg = ws->merged;
    uint32_t *rk = ws->rank;
    for (size_t i = 0; i + 1 < n; i++)
        if (!tok_merge_get(t, id[i], id[i + 1], &rk[i], &mg[i])) rk[i] = UINT32_MAX;
    size_t m = n; /* symbols left */
    while (m > 1) {
        size_t best = 0;
        for (size_t i = 1; i + 1 < m; i++)
            if (rk[i] < rk[best]) best = i;
        if (rk[best] == UINT32_MAX) break;
        id[best] = mg[best];
        m--;
        size_t tail = m - best - 1; /* symbols after the removed one */
        memmove(id + best + 1, id + best + 2, tail * sizeof *id);
        memmove(rk + best + 1, rk + best + 2, (tail ? tail - 1 : 0) * sizeof *rk);
        memmove(mg + best + 1, mg + best + 2, (tail ? tail - 1 : 0) * sizeof *mg);
        if (best > 0 && !tok_merge_get(t, id[best - 1], id[best], &rk[best - 1], &mg[best - 1]))
            rk[best - 1] = UINT32_MAX;
        if (best + 1 < m && !tok_merge_get(t, id[best], id[best + 1], &rk[best], &mg[best])) rk[best] = UINT32_MAX;
    }
    return m;
}

/* merge_all for a long piece: the symbols form a doubly linked list over positions, and the
 * candidate merges sit in a binary min-heap keyed (rank, position) with lazy deletion (an entry
 * is stale when its pair no longer exists), as in word.rs. Starts from the n >= 1 symbols in
 * ws->id and leaves the result in ws->id[0..m). */
static size_t bpe_long(const tok_tokenizer *t, size_t n, bpe_ws *ws) {
    for (size_t i = 0; i < n; i++) {
        ws->prev[i] = (int32_t)i - 1;
        ws->next[i] = i + 1 < n ? (int32_t)i + 1 : -1;
    }
    size_t hn = 0;
    for (size_t i = 0; i + 1 < n; i++) push_pair(t, ws, &hn, (int32_t)i);
    while (hn) {
        uint64_t top = heap_pop(ws->heap, &hn);
        int32_t i = (int32_t)(uint32_t)top, j = ws->next[i], merged;
        uint32_t rank;
        /* Stale entry: the left symbol was merged away, or the pair changed since the push. */
        if (ws->id[i] < 0 || j < 0 || !tok_merge_get(t, ws->id[i], ws->id[j], &rank, &merged) || rank != (uint32_t)(top >> 32))
            continue;
        ws->id[i] = merged;
        ws->id[j] = -1;
        ws->next[i] = ws->next[j];
        if (ws->next[j] >= 0) ws->prev[ws->next[j]] = i;
        if (ws->prev[i] >= 0) push_pair(t, ws, &hn, ws->prev[i]);
        push_pair(t, ws, &hn, i);
    }
    size_t m = 0;
    for (int32_t i = 0; i >= 0; i = ws->next[i]) ws->id[m++] = ws->id[i]; /* compact (m <= i) */
    return m;
}

/* ---------------------------------------------------------------------------------------------
 * The piece cache (tok_cache): piece bytes -> ids, bounded, per thread */

/* Pieces longer than this are not cached (long runs of digits/spaces/symbols rarely repeat). */
enum { CACHE_MAX_PIECE = 64, CACHE_DEFAULT_ENTRIES = 1u << 14, CACHE_AUTO_BYTES = 1u << 18 };

/* One slot: the piece bytes (keys + key_off, key_len) and its ids (ids + ids_off, n_ids), with
 * 32 bits of the piece's hash; a lookup reads one slot, then the key bytes and the ids. */
typedef struct cache_slot {
    uint32_t hash;
    uint32_t key_off; /* UINT32_MAX = empty */
    uint32_t ids_off;
    uint16_t key_len, n_ids; /* key_len <= CACHE_MAX_PIECE, n_ids <= key_len */
} cache_slot;

struct tok_cache {
    const tok_tokenizer *tok; /* the tokenizer these ids belong to */
    size_t max_entries, n;
    cache_slot *slots; /* load <= 1/2 */
    size_t mask;
    char *keys; /* max_entries * 12 bytes (pieces average ~5); the cache is emptied when full */
    size_t keys_len, keys_cap;
    int32_t *ids; /* max_entries * 4 ids (pieces average ~1.2 ids) */
    size_t ids_len, ids_cap;
    bpe_ws ws; /* scratch space reused across calls */
};

static void cache_clear(tok_cache *c) {
    for (size_t i = 0; i <= c->mask; i++) c->slots[i].key_off = UINT32_MAX;
    c->n = c->keys_len = c->ids_len = 0;
}

int tok_cache_new(const tok_tokenizer *tok, size_t max_entries, tok_cache **out, svs_err *err) {
    *out = NULL;
    if (max_entries == 0) max_entries = CACHE_DEFAULT_ENTRIES;
    if (max_entries > (1u << 24)) return svs_errf(err, "tok_cache_new: max_entries %zu exceeds 2^24", max_entries);
    tok_cache *c = svs_calloc(1, sizeof *c, err);
    if (!c) return -1;
    size_t slots = 16;
    while (slots < 2 * max_entries) slots *= 2;
    c->tok = tok;
    c->max_entries = max_entries;
    c->mask = slots - 1;
    c->keys_cap = max_entries * 12;
    c->ids_cap = max_entries * 4;
    if (!(c->slots = svs_malloc(slots * sizeof *c->slots, err)) || !(c->keys = svs_malloc(c->keys_cap, err)) ||
        !(c->ids = svs_malloc(c->ids_cap * sizeof *c->ids, err))) {
        tok_cache_free(c);
        return -1;
    }
    cache_clear(c);
    *out = c;
    return 0;
}

void tok_cache_free(tok_cache *c) {
    if (!c) return;
    free(c->slots);
    free(c->keys);
    free(c->ids);
    ws_free(&c->ws);
    free(c);
}

/* Pieces are at most 64 bytes: compare them without a libc call. */
static inline int piece_eq(const char *a, const uint8_t *b, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        if (x != y) return 0;
    }
    for (; i < n; i++)
        if (a[i] != (char)b[i]) return 0;
    return 1;
}

/* Looks the piece up: returns its slot or NULL; *slot receives the index it has or would get. */
static inline const cache_slot *cache_find(const tok_cache *c, const uint8_t *b, size_t n, uint64_t h, size_t *slot) {
    size_t i = (size_t)h & c->mask;
    for (;; i = (i + 1) & c->mask) {
        const cache_slot *s = &c->slots[i];
        if (s->key_off == UINT32_MAX) break;
        if (s->hash == (uint32_t)(h >> 32) && s->key_len == n && piece_eq(c->keys + s->key_off, b, n)) {
            *slot = i;
            return s;
        }
    }
    *slot = i;
    return NULL;
}

/* Remembers piece b[0..n) -> ids[0..k). When the cache is full it is emptied first (a simple
 * bound that adapts to a changing text distribution; HF's Cache instead stops inserting). */
static void cache_put(tok_cache *c, const uint8_t *b, size_t n, uint64_t h, size_t slot, const int32_t *ids, size_t k) {
    if (c->n == c->max_entries || c->keys_len + n > c->keys_cap || c->ids_len + k > c->ids_cap) {
        cache_clear(c);
        cache_find(c, b, n, h, &slot);
    }
    if (c->keys_len + n > c->keys_cap || c->ids_len + k > c->ids_cap) return; /* tiny cache */
    memcpy(c->keys + c->keys_len, b, n);
    memcpy(c->ids + c->ids_len, ids, k * sizeof *ids);
    c->slots[slot] = (cache_slot){.hash = (uint32_t)(h >> 32), .key_off = (uint32_t)c->keys_len,
                                  .ids_off = (uint32_t)c->ids_len, .key_len = (uint16_t)n, .n_ids = (uint16_t)k};
    c->keys_len += n;
    c->ids_len += k;
    c->n++;
}

/* ---------------------------------------------------------------------------------------------
 * Encoding */

int tok_ids_push(tok_ids *v, int32_t id, svs_err *err) {
    if (v->len == v->cap && ids_reserve(v, 1, err)) return -1;
    v->data[v->len++] = id;
    return 0;
}

void tok_ids_free(tok_ids *v) {
    free(v->data);
    memset(v, 0, sizeof *v);
}

/* What one encode call works with: the tokenizer, the scratch space (the cache's, or a
 * call-local one) and the optional cache. */
typedef struct enc_ctx {
    const tok_tokenizer *t;
    bpe_ws *ws;
    tok_cache *cache;
    unsigned flags;
} enc_ctx;

/* BPE on one piece b[0..n) (word.rs merge_all); appends its ids to out. */
static int bpe_piece(enc_ctx *cx, const uint8_t *b, size_t n, tok_ids *out, svs_err *err) {
    const tok_tokenizer *t = cx->t;
    if (n == 1) return t->byte_id[b[0]] >= 0 ? tok_ids_push(out, t->byte_id[b[0]], err) : 0;
    uint64_t h = 0;
    size_t slot = 0;
    tok_cache *c = cx->cache && n <= CACHE_MAX_PIECE ? cx->cache : NULL;
    if (c) {
        h = hash_bytes((const char *)b, n);
        const cache_slot *e = cache_find(c, b, n, h, &slot);
        if (e) {
            if (ids_reserve(out, e->n_ids, err)) return -1;
            memcpy(out->data + out->len, c->ids + e->ids_off, e->n_ids * sizeof *out->data);
            out->len += e->n_ids;
            return 0;
        }
    }
    bpe_ws *ws = cx->ws;
    if (ws_reserve(ws, n, err) || ids_reserve(out, n, err)) return -1;
    size_t m;
    int32_t whole = t->ignore_merges ? whole_piece_id(t, b, n, ws) : -1;
    if (whole >= 0) {
        ws->id[0] = whole;
        m = 1;
    } else {
        /* the initial symbols: one per byte, minus bytes without a token (build_byte_ids) */
        m = 0;
        for (size_t i = 0; i < n; i++)
            if ((ws->id[m] = t->byte_id[b[i]]) >= 0) m++;
        if (m) m = m <= BPE_SMALL ? bpe_small(t, m, ws) : bpe_long(t, m, ws);
    }
    memcpy(out->data + out->len, ws->id, m * sizeof *ws->id);
    out->len += m;
    if (c) cache_put(c, b, n, h, slot, ws->id, m);
    return 0;
}

/* Pre-tokenizes a normalized segment and runs BPE on every piece. */
static int encode_pieces(enc_ctx *cx, const char *s, size_t n, tok_ids *out, svs_err *err) {
    for (size_t p = 0, e; p < n; p = e) {
        e = tok_pretok_next(cx->t->pre, s, n, p);
        if (bpe_piece(cx, (const uint8_t *)s + p, e - p, out, err)) return -1;
    }
    return 0;
}

/* Splits a normalized segment by the added tokens with normalized: true, then encodes. */
static int encode_normalized(enc_ctx *cx, const char *s, size_t n, tok_ids *out, svs_err *err) {
    size_t start, end;
    int32_t id;
    while (!(cx->flags & TOK_NO_ADDED) && tok_trie_find(&cx->t->trie_norm, (const uint8_t *)s, n, &start, &end, &id)) {
        if (encode_pieces(cx, s, start, out, err) || tok_ids_push(out, id, err)) return -1;
        s += end;
        n -= end;
    }
    return encode_pieces(cx, s, n, out, err);
}

int tok_nfc_normalize(const char *text, size_t n, char **out, size_t *out_len, svs_err *err) {
    utf8proc_uint8_t *dst = NULL;
    utf8proc_ssize_t r = utf8proc_map((const utf8proc_uint8_t *)text, (utf8proc_ssize_t)n, &dst,
                                      UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    if (r < 0) return svs_errf(err, "NFC normalization failed: %s", utf8proc_errmsg(r));
    *out = (char *)dst;
    *out_len = (size_t)r;
    return 0;
}

static int is_ascii(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if ((uint8_t)s[i] >= 0x80) return 0;
    return 1;
}

/* One segment between raw-matched added tokens: normalize (NFC; ASCII is already NFC), then
 * encode. */
static int encode_segment(enc_ctx *cx, const char *s, size_t n, tok_ids *out, svs_err *err) {
    if (n == 0) return 0;
    if (!cx->t->nfc || is_ascii(s, n)) return encode_normalized(cx, s, n, out, err);
    char *norm = NULL;
    size_t nl = 0;
    if (tok_nfc_normalize(s, n, &norm, &nl, err)) return -1;
    int rc = encode_normalized(cx, norm, nl, out, err);
    free(norm);
    return rc;
}

static int encode_valid(enc_ctx *cx, const char *s, size_t n, tok_ids *out, svs_err *err) {
    size_t start, end;
    int32_t id;
    int rc = 0;
    while (rc == 0 && !(cx->flags & TOK_NO_ADDED) && tok_trie_find(&cx->t->trie_raw, (const uint8_t *)s, n, &start, &end, &id)) {
        rc = encode_segment(cx, s, start, out, err);
        if (rc == 0) rc = tok_ids_push(out, id, err);
        s += end;
        n -= end;
    }
    if (rc == 0) rc = encode_segment(cx, s, n, out, err);
    return rc;
}

int tok_encode_cached(const tok_tokenizer *t, tok_cache *cache, const char *text, size_t n, unsigned flags, tok_ids *out,
                      svs_err *err) {
    if (cache && cache->tok != t) return svs_errf(err, "tok_encode_cached: the cache was made for another tokenizer");
    tok_cache *temp = NULL;
    if (!cache && n >= CACHE_AUTO_BYTES && tok_cache_new(t, 0, &temp, err) == 0) cache = temp; /* long text */
    bpe_ws local = {0};
    enc_ctx cx = {.t = t, .ws = cache ? &cache->ws : &local, .cache = cache, .flags = flags};
    size_t old_len = out->len, bad;
    int rc;
    if (svs_utf8_valid(text, n, &bad)) {
        rc = encode_valid(&cx, text, n, out, err);
    } else if (!(flags & TOK_LOSSY)) {
        rc = svs_errf(err, "invalid UTF-8 at byte offset %zu (use lossy mode to replace it with U+FFFD)", bad);
    } else {
        svs_buf fixed = {0};
        rc = tok_utf8_lossy((const uint8_t *)text, n, 0, &fixed, NULL, err);
        if (rc == 0) rc = encode_valid(&cx, fixed.data ? fixed.data : "", fixed.len, out, err);
        svs_buf_free(&fixed);
    }
    ws_free(&local);
    tok_cache_free(temp);
    if (rc) out->len = old_len;
    return rc;
}

int tok_encode_append(const tok_tokenizer *t, const char *text, size_t n, unsigned flags, tok_ids *out, svs_err *err) {
    return tok_encode_cached(t, NULL, text, n, flags, out, err);
}
int tok_encode(const tok_tokenizer *t, const char *text, size_t n, unsigned flags, int32_t **ids, size_t *nids, svs_err *err) {
    tok_ids v = {0};
    *ids = NULL;
    *nids = 0;
    if (tok_encode_append(t, text, n, flags, &v, err)) {
        tok_ids_free(&v);
        return -1;
    }
    *ids = v.data;
    *nids = v.len;
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Queries */

size_t tok_vocab_size(const tok_tokenizer *t) { return t->n_ids; }
tok_pre_kind tok_pre(const tok_tokenizer *t) { return t->pre; }
int tok_nfc(const tok_tokenizer *t) { return t->nfc; }
int tok_ignore_merges(const tok_tokenizer *t) { return t->ignore_merges; }
int32_t tok_bos_id(const tok_tokenizer *t) { return t->bos_id; }
int32_t tok_eos_id(const tok_tokenizer *t) { return t->eos_id; }

int32_t tok_token_to_id_n(const tok_tokenizer *t, const char *token, size_t len) {
    int32_t id = tok_strmap_get(&t->added, token, len);
    return id >= 0 ? id : tok_strmap_get(&t->vocab, token, len);
}

int32_t tok_token_to_id(const tok_tokenizer *t, const char *token) { return tok_token_to_id_n(t, token, strlen(token)); }

static int id_present(const tok_tokenizer *t, int32_t id) {
    return id >= 0 && (size_t)id < t->n_ids && (t->flags[id] & TOK_F_PRESENT);
}

const char *tok_id_to_token(const tok_tokenizer *t, int32_t id) {
    return id_present(t, id) ? t->spell + t->spell_off[id] : NULL;
}

const char *tok_id_to_bytes(const tok_tokenizer *t, int32_t id, size_t *len) {
    if (!id_present(t, id)) return NULL;
    *len = t->raw_len[id];
    return t->raw + t->raw_off[id];
}

int tok_is_special(const tok_tokenizer *t, int32_t id) { return id_present(t, id) && (t->flags[id] & TOK_F_SPECIAL); }
int tok_is_added(const tok_tokenizer *t, int32_t id) { return id_present(t, id) && (t->flags[id] & TOK_F_ADDED); }
