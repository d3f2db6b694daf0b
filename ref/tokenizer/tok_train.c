/* tok_train.c — byte-level BPE training, output as a Hugging Face tokenizer.json
 * (spec/formats.md §1–§4; API and usage in tok_train.h).
 *
 * Input: texts (UTF-8), a target vocabulary size, the pre-tokenizer of one of the known models,
 * optional NFC, special tokens. Output: vocabulary + merges, as tokenizer.json text or as an
 * in-memory tok_tokenizer (tok_build).
 *
 * Algorithm (the classic one of Sennrich et al. 2016 on bytes, as in HF BpeTrainer):
 *   1. Counting. Each text is split on the special tokens, NFC-normalized if asked, cut into
 *      pieces by the pre-tokenizer (tok_pretok_next), and each distinct piece ("word") is counted.
 *      A word starts as its sequence of byte tokens: ids 0..255 in GPT-2 bytes_to_unicode order
 *      (formats.md §2), so id 0 is "!" and id 220 is the space, exactly like the real files.
 *   2. Pair counts. count(a, b) = sum over words of (word frequency x occurrences of the adjacent
 *      pair a b). Every pair also keeps the list of words it was seen in.
 *   3. Merge loop. Take the pair with the highest count (ties: the smallest (left id, right id)),
 *      create the token bytes(a)+bytes(b) (or reuse its id if an earlier merge already made the
 *      same bytes), record the merge, and rewrite every word in the pair's list: merge
 *      left-to-right without overlap, subtract the word's old pairs, add its new pairs. Only those
 *      words are touched, so a step costs the size of the words that contain the pair.
 *      A max-heap with lazy deletion picks the best pair: an entry whose stored count is stale
 *      (higher than the current count) is re-pushed with the current count when popped; pairs
 *      whose count grew (those containing the new token) are pushed after each step.
 *   4. Stop when 256 + learned tokens + specials == vocab_size or the best count < min_frequency.
 *
 * Memory: word bytes and symbols live in two arenas; words shrink in place as they merge. */
#include "tok_train.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------- */
/* Small containers */

typedef struct i32vec {
    int32_t *d;
    size_t len, cap;
} i32vec;

static int i32vec_push(i32vec *v, int32_t x, svs_err *err) {
    if (v->len == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 4;
        int32_t *d = svs_realloc(v->d, cap * sizeof *d, err);
        if (!d) return -1;
        v->d = d;
        v->cap = cap;
    }
    v->d[v->len++] = x;
    return 0;
}

static uint64_t fnv1a(const void *p, size_t n) {
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 1099511628211ULL;
    return h;
}

static uint64_t mix64(uint64_t x) { /* murmur3 finalizer */
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

/* Byte string -> int32 map. The keys live elsewhere (in the trainer's arenas): the map stores
 * only values and asks `keyof` for the key of a value when it compares or rehashes. */
typedef struct bmap {
    int32_t *slots; /* value + 1, 0 = empty */
    size_t mask, n;
} bmap;

typedef struct span { /* a byte range [off, off + len) of an arena */
    size_t off;
    uint32_t len;
} span;

typedef struct bkeys { /* key of value v: arena + spans[v * stride] */
    const char *arena;
    const span *spans;
    size_t stride; /* in spans: lets the keys sit inside a larger struct array */
} bkeys;

static const span *key_span(bkeys k, int32_t v) { return k.spans + (size_t)v * k.stride; }

static int bmap_init(bmap *m, size_t cap_pow2, svs_err *err) {
    m->slots = svs_calloc(cap_pow2, sizeof *m->slots, err);
    m->mask = cap_pow2 - 1;
    m->n = 0;
    return m->slots ? 0 : -1;
}

static int32_t bmap_get(const bmap *m, bkeys k, const char *key, size_t len) {
    for (size_t i = fnv1a(key, len) & m->mask;; i = (i + 1) & m->mask) {
        int32_t v = m->slots[i] - 1;
        if (v < 0) return -1;
        const span *sp = key_span(k, v);
        if (sp->len == len && memcmp(k.arena + sp->off, key, len) == 0) return v;
    }
}

static void bmap_place(bmap *m, bkeys k, int32_t v) {
    const span *sp = key_span(k, v);
    size_t i = fnv1a(k.arena + sp->off, sp->len) & m->mask;
    while (m->slots[i]) i = (i + 1) & m->mask;
    m->slots[i] = v + 1;
}

/* Inserts value v (whose key is already in the arena); grows at load 1/2. */
static int bmap_put(bmap *m, bkeys k, int32_t v, svs_err *err) {
    if (2 * (m->n + 1) > m->mask + 1) {
        bmap old = *m;
        if (bmap_init(m, 2 * (old.mask + 1), err)) {
            *m = old;
            return -1;
        }
        for (size_t i = 0; i <= old.mask; i++)
            if (old.slots[i]) bmap_place(m, k, old.slots[i] - 1);
        m->n = old.n;
        free(old.slots);
    }
    bmap_place(m, k, v);
    m->n++;
    return 0;
}

/* ------------------------------------------------------------------------------------------- */
/* Trainer state */

typedef struct word {
    span bytes; /* the piece, in word_bytes (used as the counting key) */
    span sym; /* its current symbols, in syms (shrinks as merges apply) */
    int64_t count; /* occurrences in the training text */
    uint32_t mark; /* step at which it was last rewritten */
} word;

typedef struct merge {
    int32_t left, right, result;
} merge;

typedef struct pair_info {
    uint64_t key; /* left id << 32 | right id */
    int64_t count; /* weighted occurrences */
    i32vec words; /* words the pair was seen in (may hold stale entries and repeats) */
    uint32_t mark; /* step at which it was last queued for a push */
} pair_info;

typedef struct heap_item {
    int64_t count;
    uint64_t key;
} heap_item;

struct tok_trainer {
    tok_train_opts opts;
    char **specials; /* copies of opts.specials */
    size_t *special_len;
    int32_t byte_id[256];

    svs_buf word_bytes;
    word *words;
    size_t n_words, cap_words;
    bmap word_map;
    int32_t *syms;
    size_t n_syms, cap_syms;

    svs_buf tok_bytes; /* bytes of every learned or byte token (specials excluded) */
    span *toks;
    size_t n_tokens, cap_tokens;
    bmap tok_map;

    merge *merges; /* in rank order */
    size_t n_merges, cap_merges;

    pair_info *pairs;
    size_t n_pairs, cap_pairs;
    int32_t *pair_slots; /* open addressing on key: pair index + 1 */
    size_t pair_mask;
    heap_item *heap;
    size_t n_heap, cap_heap;
    int32_t *touched; /* pairs that grew during the current step */
    size_t n_touched, cap_touched;
    uint32_t step;
    int trained;
};

tok_train_opts tok_train_defaults(void) {
    tok_train_opts o = {0};
    o.vocab_size = 1000;
    o.pre = TOK_PRE_QWEN2;
    o.min_frequency = 2;
    return o;
}

/* Grows an array *p of *cap elements of size `size` to hold at least `need`. */
static int grow(void **p, size_t *cap, size_t need, size_t size, svs_err *err) {
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 16;
    while (c < need) c *= 2;
    void *q = svs_realloc(*p, c * size, err);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

static bkeys word_keys(const tok_trainer *tr) {
    bkeys k = {tr->word_bytes.data, &tr->words[0].bytes, sizeof(word) / sizeof(span)};
    return k;
}

static bkeys tok_keys(const tok_trainer *tr) {
    bkeys k = {tr->tok_bytes.data, tr->toks, 1};
    return k;
}

/* Adds a token with the given bytes (known to be new); returns its id or -1. */
static int32_t add_token(tok_trainer *tr, const char *bytes, size_t len, svs_err *err) {
    size_t id = tr->n_tokens;
    if (grow((void **)&tr->toks, &tr->cap_tokens, id + 1, sizeof *tr->toks, err)) return -1;
    tr->toks[id].off = tr->tok_bytes.len;
    tr->toks[id].len = (uint32_t)len;
    if (svs_buf_append(&tr->tok_bytes, bytes, len, err)) return -1;
    tr->n_tokens++;
    if (bmap_put(&tr->tok_map, tok_keys(tr), (int32_t)id, err)) return -1;
    return (int32_t)id;
}

/* The 256 byte tokens: first the 188 bytes that map to themselves, then the other 68, each
 * group in increasing byte order (formats.md §2). */
static int add_byte_tokens(tok_trainer *tr, svs_err *err) {
    for (int pass = 0; pass < 2; pass++)
        for (int b = 0; b < 256; b++) {
            int same = tok_byte_to_cp((uint8_t)b) == (uint32_t)b;
            if (same != (pass == 0)) continue;
            char c = (char)b;
            int32_t id = add_token(tr, &c, 1, err);
            if (id < 0) return -1;
            tr->byte_id[b] = id;
        }
    return 0;
}

int tok_trainer_new(const tok_train_opts *opts, tok_trainer **out, svs_err *err) {
    *out = NULL;
    if (opts->vocab_size < 256 + opts->n_specials)
        return svs_errf(err, "vocab size %zu is smaller than 256 bytes + %zu special tokens", opts->vocab_size,
                        opts->n_specials);
    if (opts->vocab_size > INT32_MAX) return svs_errf(err, "vocab size %zu too large", opts->vocab_size);
    if (opts->pre != TOK_PRE_QWEN2 && opts->pre != TOK_PRE_LLAMA3 && opts->pre != TOK_PRE_GPT2)
        return svs_errf(err, "unknown pre-tokenizer kind %d", (int)opts->pre);
    for (size_t i = 0; i < opts->n_specials; i++) {
        const char *s = opts->specials[i];
        if (!s || !*s || !svs_utf8_valid(s, strlen(s), NULL))
            return svs_errf(err, "special token %zu: empty or not valid UTF-8", i);
        for (size_t j = 0; j < i; j++)
            if (strcmp(s, opts->specials[j]) == 0) return svs_errf(err, "special token \"%s\" given twice", s);
    }
    tok_trainer *tr = svs_calloc(1, sizeof *tr, err);
    if (!tr) return -1;
    tr->opts = *opts;
    tr->opts.specials = NULL;
    if (opts->n_specials) {
        tr->specials = svs_calloc(opts->n_specials, sizeof *tr->specials, err);
        tr->special_len = svs_calloc(opts->n_specials, sizeof *tr->special_len, err);
        if (!tr->specials || !tr->special_len) goto fail;
        for (size_t i = 0; i < opts->n_specials; i++) {
            tr->special_len[i] = strlen(opts->specials[i]);
            tr->specials[i] = svs_strndup(opts->specials[i], tr->special_len[i], err);
            if (!tr->specials[i]) goto fail;
        }
    }
    if (bmap_init(&tr->word_map, 1024, err) || bmap_init(&tr->tok_map, 1024, err) || add_byte_tokens(tr, err))
        goto fail;
    *out = tr;
    return 0;
fail:
    tok_trainer_free(tr);
    return -1;
}

void tok_trainer_free(tok_trainer *tr) {
    if (!tr) return;
    for (size_t i = 0; i < tr->opts.n_specials && tr->specials; i++) free(tr->specials[i]);
    free(tr->specials);
    free(tr->special_len);
    svs_buf_free(&tr->word_bytes);
    free(tr->words);
    free(tr->word_map.slots);
    free(tr->syms);
    svs_buf_free(&tr->tok_bytes);
    free(tr->toks);
    free(tr->tok_map.slots);
    free(tr->merges);
    for (size_t i = 0; i < tr->n_pairs; i++) free(tr->pairs[i].words.d);
    free(tr->pairs);
    free(tr->pair_slots);
    free(tr->heap);
    free(tr->touched);
    free(tr);
}

/* ------------------------------------------------------------------------------------------- */
/* Counting */

/* Counts one pre-tokenized piece. */
static int count_word(tok_trainer *tr, const char *s, size_t n, svs_err *err) {
    int32_t w = tr->n_words ? bmap_get(&tr->word_map, word_keys(tr), s, n) : -1;
    if (w >= 0) {
        tr->words[w].count++;
        return 0;
    }
    if (tr->n_words >= INT32_MAX || n > UINT32_MAX) return svs_errf(err, "too many distinct words or word too long");
    if (grow((void **)&tr->words, &tr->cap_words, tr->n_words + 1, sizeof *tr->words, err) ||
        grow((void **)&tr->syms, &tr->cap_syms, tr->n_syms + n, sizeof *tr->syms, err))
        return -1;
    word *wd = &tr->words[tr->n_words];
    wd->bytes.off = tr->word_bytes.len;
    wd->bytes.len = (uint32_t)n;
    wd->sym.off = tr->n_syms;
    wd->sym.len = (uint32_t)n;
    wd->count = 1;
    wd->mark = 0;
    if (svs_buf_append(&tr->word_bytes, s, n, err)) return -1;
    for (size_t k = 0; k < n; k++) tr->syms[tr->n_syms++] = tr->byte_id[(uint8_t)s[k]];
    tr->n_words++;
    return bmap_put(&tr->word_map, word_keys(tr), (int32_t)(tr->n_words - 1), err);
}

/* Pre-tokenizes one segment (no special tokens inside) and counts its pieces. */
static int count_segment(tok_trainer *tr, const char *s, size_t n, svs_err *err) {
    char *norm = NULL;
    size_t norm_len = n;
    if (tr->opts.nfc) {
        if (tok_nfc_normalize(s, n, &norm, &norm_len, err)) return -1;
        s = norm;
    }
    int rc = 0;
    for (size_t p = 0, e; p < norm_len && rc == 0; p = e) {
        e = tok_pretok_next(tr->opts.pre, s, norm_len, p);
        if (e <= p || e > norm_len) {
            rc = svs_errf(err, "pre-tokenizer returned bad end %zu at offset %zu", e, p);
            break;
        }
        rc = count_word(tr, s + p, e - p, err);
    }
    free(norm);
    return rc;
}

/* Leftmost-longest special token in s[0..n): returns its start (n if none) and *len. */
static size_t find_special(const tok_trainer *tr, const char *s, size_t n, size_t *len) {
    for (size_t i = 0; i < n; i++) {
        size_t best = 0;
        for (size_t k = 0; k < tr->opts.n_specials; k++) {
            size_t l = tr->special_len[k];
            if (l > best && l <= n - i && memcmp(s + i, tr->specials[k], l) == 0) best = l;
        }
        if (best) {
            *len = best;
            return i;
        }
    }
    *len = 0;
    return n;
}

int tok_trainer_add_text(tok_trainer *tr, const char *text, size_t n, svs_err *err) {
    size_t bad;
    if (tr->trained) return svs_errf(err, "tok_trainer_add_text after tok_trainer_train");
    if (!svs_utf8_valid(text, n, &bad)) return svs_errf(err, "invalid UTF-8 at byte offset %zu", bad);
    while (n > 0) {
        size_t len, at = find_special(tr, text, n, &len);
        if (at > 0 && count_segment(tr, text, at, err)) return -1;
        if (at == n) break;
        text += at + len;
        n -= at + len;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------- */
/* Pairs and the heap */

static uint64_t pair_key(int32_t a, int32_t b) { return ((uint64_t)(uint32_t)a << 32) | (uint32_t)b; }

static int32_t pair_find(const tok_trainer *tr, uint64_t key) {
    if (!tr->pair_slots) return -1;
    for (size_t i = mix64(key) & tr->pair_mask;; i = (i + 1) & tr->pair_mask) {
        int32_t p = tr->pair_slots[i] - 1;
        if (p < 0 || tr->pairs[p].key == key) return p;
    }
}

static void pair_place(tok_trainer *tr, int32_t p) {
    size_t i = mix64(tr->pairs[p].key) & tr->pair_mask;
    while (tr->pair_slots[i]) i = (i + 1) & tr->pair_mask;
    tr->pair_slots[i] = p + 1;
}

/* Returns the index of pair key, creating it (count 0) if needed; -1 on allocation failure. */
static int32_t pair_get_or_add(tok_trainer *tr, uint64_t key, svs_err *err) {
    int32_t p = pair_find(tr, key);
    if (p >= 0) return p;
    if (2 * (tr->n_pairs + 1) > (tr->pair_slots ? tr->pair_mask + 1 : 0)) { /* rehash */
        size_t cap = tr->pair_slots ? 2 * (tr->pair_mask + 1) : 4096;
        int32_t *slots = svs_calloc(cap, sizeof *slots, err);
        if (!slots) return -1;
        free(tr->pair_slots);
        tr->pair_slots = slots;
        tr->pair_mask = cap - 1;
        for (size_t i = 0; i < tr->n_pairs; i++) pair_place(tr, (int32_t)i);
    }
    if (grow((void **)&tr->pairs, &tr->cap_pairs, tr->n_pairs + 1, sizeof *tr->pairs, err)) return -1;
    p = (int32_t)tr->n_pairs++;
    memset(&tr->pairs[p], 0, sizeof tr->pairs[p]);
    tr->pairs[p].key = key;
    pair_place(tr, p);
    return p;
}

/* Heap order: higher count first, then the smaller key (= smaller (left, right) ids). */
static int heap_before(heap_item x, heap_item y) { return x.count != y.count ? x.count > y.count : x.key < y.key; }

static int heap_push(tok_trainer *tr, heap_item it, svs_err *err) {
    if (grow((void **)&tr->heap, &tr->cap_heap, tr->n_heap + 1, sizeof *tr->heap, err)) return -1;
    size_t i = tr->n_heap++;
    while (i > 0 && heap_before(it, tr->heap[(i - 1) / 2])) {
        tr->heap[i] = tr->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    tr->heap[i] = it;
    return 0;
}

static heap_item heap_pop(tok_trainer *tr) {
    heap_item top = tr->heap[0], last = tr->heap[--tr->n_heap];
    size_t i = 0, n = tr->n_heap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && heap_before(tr->heap[c + 1], tr->heap[c])) c++;
        if (!heap_before(tr->heap[c], last)) break;
        tr->heap[i] = tr->heap[c];
        i = c;
    }
    if (n > 0) tr->heap[i] = last;
    return top;
}

/* Adds delta (weighted) to the count of pair (a, b) seen in word w. `listed` marks a pair the
 * word did not contain before (one with the new token, or any pair in the initial count): w
 * joins its word list and the pair is queued for a heap push at the end of the step. The other
 * pairs of a rewritten word are removed and re-added with a net change <= 0, and a count that
 * only fell is corrected lazily when its heap entry is popped. */
static int pair_add(tok_trainer *tr, int32_t a, int32_t b, int64_t delta, int32_t w, int listed, svs_err *err) {
    int32_t p = pair_get_or_add(tr, pair_key(a, b), err);
    if (p < 0) return -1;
    pair_info *pi = &tr->pairs[p];
    pi->count += delta;
    if (delta > 0 && listed && (pi->words.len == 0 || pi->words.d[pi->words.len - 1] != w))
        if (i32vec_push(&pi->words, w, err)) return -1;
    if (delta > 0 && listed && pi->mark != tr->step) { /* only new pairs can have grown */
        pi->mark = tr->step;
        if (grow((void **)&tr->touched, &tr->cap_touched, tr->n_touched + 1, sizeof *tr->touched, err)) return -1;
        tr->touched[tr->n_touched++] = p;
    }
    return 0;
}

#define LIST_ALL (-1) /* word_pairs: add the word to the list of every pair (initial count) */

/* Adds (sign = +1) or removes (sign = -1) all adjacent pairs of word w. With sign +1 the word
 * joins the word lists of the pairs that contain new_tok (the only pairs it did not have before
 * the merge), or of all its pairs when new_tok is LIST_ALL. */
static int word_pairs(tok_trainer *tr, int32_t w, int sign, int32_t new_tok, svs_err *err) {
    const int32_t *s = tr->syms + tr->words[w].sym.off;
    int64_t delta = sign * tr->words[w].count;
    for (uint32_t i = 0; i + 1 < tr->words[w].sym.len; i++) {
        int listed = new_tok == LIST_ALL || s[i] == new_tok || s[i + 1] == new_tok;
        if (pair_add(tr, s[i], s[i + 1], delta, w, listed, err)) return -1;
    }
    return 0;
}

/* Pushes every pair touched in this step with its current count. */
static int push_touched(tok_trainer *tr, svs_err *err) {
    for (size_t i = 0; i < tr->n_touched; i++) {
        const pair_info *pi = &tr->pairs[tr->touched[i]];
        if (pi->count > 0) {
            heap_item it = {pi->count, pi->key};
            if (heap_push(tr, it, err)) return -1;
        }
    }
    tr->n_touched = 0;
    return 0;
}

/* Pops the best pair whose stored count is current; 0 when none is left. */
static int pop_best(tok_trainer *tr, heap_item *best, svs_err *err) {
    while (tr->n_heap > 0) {
        heap_item it = heap_pop(tr);
        int32_t p = pair_find(tr, it.key);
        int64_t now = p >= 0 ? tr->pairs[p].count : 0;
        if (now == it.count) {
            *best = it;
            return 1;
        }
        if (now > 0) {
            heap_item fresh = {now, it.key};
            if (heap_push(tr, fresh, err)) return -1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------- */
/* Merging */

/* Replaces every non-overlapping a b (left to right) in word w by c. Returns 1 if changed. */
static int merge_in_word(tok_trainer *tr, int32_t w, int32_t a, int32_t b, int32_t c) {
    int32_t *s = tr->syms + tr->words[w].sym.off;
    uint32_t n = tr->words[w].sym.len, o = 0;
    int changed = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (i + 1 < n && s[i] == a && s[i + 1] == b) {
            s[o++] = c;
            i++;
            changed = 1;
        } else {
            s[o++] = s[i];
        }
    }
    tr->words[w].sym.len = o;
    return changed;
}

/* Does word w currently contain the pair a b? */
static int word_has_pair(const tok_trainer *tr, int32_t w, int32_t a, int32_t b) {
    const int32_t *s = tr->syms + tr->words[w].sym.off;
    for (uint32_t i = 0; i + 1 < tr->words[w].sym.len; i++)
        if (s[i] == a && s[i + 1] == b) return 1;
    return 0;
}

/* The id of the token bytes(a) + bytes(b), created if new. */
static int32_t merged_token(tok_trainer *tr, int32_t a, int32_t b, svs_err *err) {
    size_t la = tr->toks[a].len, lb = tr->toks[b].len;
    char *tmp = svs_malloc(la + lb, err);
    if (!tmp) return -1;
    memcpy(tmp, tr->tok_bytes.data + tr->toks[a].off, la);
    memcpy(tmp + la, tr->tok_bytes.data + tr->toks[b].off, lb);
    int32_t id = bmap_get(&tr->tok_map, tok_keys(tr), tmp, la + lb);
    if (id < 0) id = add_token(tr, tmp, la + lb, err);
    free(tmp);
    return id;
}

static int record_merge(tok_trainer *tr, int32_t a, int32_t b, int32_t c, svs_err *err) {
    if (grow((void **)&tr->merges, &tr->cap_merges, tr->n_merges + 1, sizeof *tr->merges, err)) return -1;
    merge m = {a, b, c};
    tr->merges[tr->n_merges++] = m;
    return 0;
}

/* One training step: merge the pair (a, b) everywhere. */
static int apply_merge(tok_trainer *tr, int32_t a, int32_t b, svs_err *err) {
    int32_t c = merged_token(tr, a, b, err);
    if (c < 0 || record_merge(tr, a, b, c, err)) return -1;
    int32_t p = pair_find(tr, pair_key(a, b));
    i32vec words = tr->pairs[p].words; /* detach: after this step no word holds (a, b) */
    memset(&tr->pairs[p].words, 0, sizeof words);
    int rc = 0;
    for (size_t k = 0; k < words.len && rc == 0; k++) {
        int32_t w = words.d[k];
        if (tr->words[w].mark == tr->step || !word_has_pair(tr, w, a, b)) continue;
        tr->words[w].mark = tr->step;
        rc = word_pairs(tr, w, -1, c, err);
        if (rc == 0) {
            merge_in_word(tr, w, a, b, c);
            rc = word_pairs(tr, w, +1, c, err);
        }
    }
    free(words.d);
    return rc ? -1 : push_touched(tr, err);
}

static size_t total_ids(const tok_trainer *tr) { return tr->n_tokens + tr->opts.n_specials; }

int tok_trainer_train(tok_trainer *tr, svs_err *err) {
    if (tr->trained) return svs_errf(err, "tok_trainer_train called twice");
    tr->trained = 1;
    tr->step = 1;
    for (size_t w = 0; w < tr->n_words; w++) /* initial counts; every word joins its pairs' lists */
        if (word_pairs(tr, (int32_t)w, +1, LIST_ALL, err)) return -1;
    if (push_touched(tr, err)) return -1;
    while (total_ids(tr) < tr->opts.vocab_size) {
        heap_item best;
        int got = pop_best(tr, &best, err);
        if (got < 0) return -1;
        if (!got || best.count < (int64_t)tr->opts.min_frequency) break;
        tr->step++;
        if (apply_merge(tr, (int32_t)(best.key >> 32), (int32_t)(best.key & 0xffffffffu), err)) return -1;
    }
    return 0;
}

size_t tok_trainer_n_merges(const tok_trainer *tr) { return tr->n_merges; }
size_t tok_trainer_vocab_size(const tok_trainer *tr) { return total_ids(tr); }

/* ------------------------------------------------------------------------------------------- */
/* Output */

/* Appends the byte-level spelling of token id (each byte -> its bytes_to_unicode character). */
static int spell_token(const tok_trainer *tr, int32_t id, svs_buf *out, svs_err *err) {
    const unsigned char *s = (const unsigned char *)tr->tok_bytes.data + tr->toks[id].off;
    for (uint32_t i = 0; i < tr->toks[id].len; i++) {
        uint32_t cp = tok_byte_to_cp(s[i]); /* always < 0x800: one or two UTF-8 bytes */
        char u[2];
        size_t n = 1;
        if (cp < 0x80) {
            u[0] = (char)cp;
        } else {
            u[0] = (char)(0xC0 | (cp >> 6));
            u[1] = (char)(0x80 | (cp & 0x3F));
            n = 2;
        }
        if (svs_buf_append(out, u, n, err)) return -1;
    }
    return 0;
}

/* All spellings in one arena: spelling of id i is arena[off[i] .. off[i+1]). */
typedef struct spellings {
    svs_buf arena;
    size_t *off;
} spellings;

static int make_spellings(const tok_trainer *tr, spellings *sp, svs_err *err) {
    memset(sp, 0, sizeof *sp);
    sp->off = svs_malloc((tr->n_tokens + 1) * sizeof *sp->off, err);
    if (!sp->off) return -1;
    for (size_t i = 0; i < tr->n_tokens; i++) {
        sp->off[i] = sp->arena.len;
        if (spell_token(tr, (int32_t)i, &sp->arena, err)) return -1;
    }
    sp->off[tr->n_tokens] = sp->arena.len;
    return 0;
}

static void free_spellings(spellings *sp) {
    svs_buf_free(&sp->arena);
    free(sp->off);
}

static json_t *spelled(const spellings *sp, int32_t id) {
    const char *s = sp->arena.data ? sp->arena.data : "";
    return json_stringn(s + sp->off[id], sp->off[id + 1] - sp->off[id]);
}

static json_t *byte_level(int trim_offsets, int use_regex) {
    return json_pack("{s:s, s:b, s:b, s:b}", "type", "ByteLevel", "add_prefix_space", 0, "trim_offsets", trim_offsets,
                     "use_regex", use_regex);
}

static json_t *pre_tokenizer_json(tok_pre_kind pre) {
    if (pre == TOK_PRE_GPT2) return byte_level(1, 1);
    json_t *split = json_pack("{s:s, s:{s:s}, s:s, s:b}", "type", "Split", "pattern", "Regex", tok_pre_regex(pre),
                              "behavior", "Isolated", "invert", 0);
    return json_pack("{s:s, s:[o, o]}", "type", "Sequence", "pretokenizers", split, byte_level(0, 0));
}

static json_t *model_json(const tok_trainer *tr, const spellings *sp) {
    json_t *vocab = json_object(), *merges = json_array();
    if (!vocab || !merges) goto fail;
    for (size_t i = 0; i < tr->n_tokens; i++) /* insertion order is kept: ids ascending */
        if (json_object_setn_new(vocab, sp->arena.data + sp->off[i], sp->off[i + 1] - sp->off[i],
                                 json_integer((json_int_t)i)))
            goto fail;
    for (size_t m = 0; m < tr->n_merges; m++)
        if (json_array_append_new(
                merges, json_pack("[o, o]", spelled(sp, tr->merges[m].left), spelled(sp, tr->merges[m].right))))
            goto fail;
    return json_pack("{s:s, s:n, s:n, s:n, s:n, s:b, s:b, s:b, s:o, s:o}", "type", "BPE", "dropout", "unk_token",
                     "continuing_subword_prefix", "end_of_word_suffix", "fuse_unk", 0, "byte_fallback", 0,
                     "ignore_merges", 0, "vocab", vocab, "merges", merges);
fail:
    json_decref(vocab);
    json_decref(merges);
    return NULL;
}

static json_t *added_json(const tok_trainer *tr) {
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < tr->opts.n_specials; i++) {
        json_t *t = json_pack("{s:I, s:s%, s:b, s:b, s:b, s:b, s:b}", "id", (json_int_t)(tr->n_tokens + i), "content",
                              tr->specials[i], tr->special_len[i], "single_word", 0, "lstrip", 0, "rstrip", 0,
                              "normalized", 0, "special", 1);
        if (json_array_append_new(arr, t)) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

int tok_trainer_to_json(const tok_trainer *tr, svs_buf *out, svs_err *err) {
    spellings sp;
    if (make_spellings(tr, &sp, err)) {
        free_spellings(&sp);
        return -1;
    }
    json_t *normalizer = tr->opts.nfc ? json_pack("{s:s}", "type", "NFC") : json_null();
    json_t *root = json_pack("{s:s, s:n, s:n, s:o, s:o, s:o, s:o, s:o, s:o}", "version", "1.0", "truncation", "padding",
                             "added_tokens", added_json(tr), "normalizer", normalizer, "pre_tokenizer",
                             pre_tokenizer_json(tr->opts.pre), "post_processor", byte_level(0, 0), "decoder",
                             byte_level(0, 0), "model", model_json(tr, &sp));
    free_spellings(&sp);
    char *text = root ? json_dumps(root, JSON_INDENT(2)) : NULL;
    json_decref(root);
    if (!text) return svs_errf(err, "out of memory building tokenizer.json");
    int rc = svs_buf_puts(out, text, err) || svs_buf_putc(out, '\n', err) ? -1 : 0;
    free(text);
    return rc;
}

int tok_trainer_build(const tok_trainer *tr, tok_tokenizer **out, svs_err *err) {
    spellings sp;
    tok_vocab_entry *vocab = svs_calloc(tr->n_tokens, sizeof *vocab, err);
    tok_merge_entry *merges = svs_calloc(tr->n_merges ? tr->n_merges : 1, sizeof *merges, err);
    tok_added_entry *added = svs_calloc(tr->opts.n_specials ? tr->opts.n_specials : 1, sizeof *added, err);
    int rc = -1;
    *out = NULL;
    if (make_spellings(tr, &sp, err) == 0 && vocab && merges && added) {
        const char *a = sp.arena.data;
        for (size_t i = 0; i < tr->n_tokens; i++) {
            vocab[i].text = a + sp.off[i];
            vocab[i].len = sp.off[i + 1] - sp.off[i];
            vocab[i].id = (int32_t)i;
        }
        for (size_t m = 0; m < tr->n_merges; m++) {
            merges[m].left = vocab[tr->merges[m].left].text;
            merges[m].left_len = vocab[tr->merges[m].left].len;
            merges[m].right = vocab[tr->merges[m].right].text;
            merges[m].right_len = vocab[tr->merges[m].right].len;
        }
        for (size_t i = 0; i < tr->opts.n_specials; i++) {
            added[i].content = tr->specials[i];
            added[i].len = tr->special_len[i];
            added[i].id = (int32_t)(tr->n_tokens + i);
            added[i].special = 1;
        }
        tok_spec spec = {tr->opts.pre, tr->opts.nfc,       0, vocab, tr->n_tokens, merges, tr->n_merges,
                         added,        tr->opts.n_specials};
        rc = tok_build(&spec, out, err);
    }
    free_spellings(&sp);
    free(vocab);
    free(merges);
    free(added);
    return rc;
}
