/* seqlen_balance.c — verl's Karmarkar–Karp partition and token-budget micro-batches
 * (seqlen_balance.h). Source: verl 0.9.1 `verl/utils/seqlen_balancing.py` (PyPI wheel); the
 * line-by-line correspondence is given in the comments. Exactness matters more than speed here:
 * where verl's result depends on the order of equal elements (Python's stable sorts, heapq's
 * sift order), this file does the same operations in the same order.
 *
 * Largest differencing method (https://en.wikipedia.org/wiki/Largest_differencing_method):
 * every item starts as a "state" of k sets (the item in one set, the rest empty; with
 * equal_size, k items of consecutive size rank); the two states with the largest spread
 * (max set sum − min set sum) are merged by joining the largest set of one with the smallest of
 * the other, the second largest with the second smallest, ... until one state remains. */
#include "seqlen_balance.h"

#include <stdlib.h>
#include <string.h>

/* ---- sets: verl's karmarkar_karp.Set -------------------------------------------------------- */

typedef struct kk_item {
    int idx;
    int64_t val;
} kk_item;

typedef struct kk_set {
    int64_t sum;
    int n, cap;
    kk_item *items;
} kk_set;

static int set_add(kk_set *s, int idx, int64_t val) {
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 4;
        kk_item *it = realloc(s->items, (size_t)cap * sizeof *it);
        if (!it) return -1;
        s->items = it;
        s->cap = cap;
    }
    s->items[s->n++] = (kk_item){idx, val};
    s->sum += val;
    return 0;
}

/* Set.__lt__: by sum, then by item count, then by the item lists compared as Python lists of
 * (idx, val) tuples (lexicographically; the counts are equal at that point). */
static int set_lt(const kk_set *a, const kk_set *b) {
    if (a->sum != b->sum) return a->sum < b->sum;
    if (a->n != b->n) return a->n < b->n;
    for (int i = 0; i < a->n; i++) {
        if (a->items[i].idx != b->items[i].idx) return a->items[i].idx < b->items[i].idx;
        if (a->items[i].val != b->items[i].val) return a->items[i].val < b->items[i].val;
    }
    return 0;
}

/* sorted(sets, reverse=True): decreasing order, equal sets keep their order (Python's sort is
 * stable also with reverse=True). Insertion sort: k is small and it is stable by construction. */
static void sets_sort_desc(kk_set *s, int k) {
    for (int i = 1; i < k; i++) {
        kk_set x = s[i];
        int j = i;
        while (j > 0 && set_lt(&s[j - 1], &x)) { /* x strictly greater: move it up */
            s[j] = s[j - 1];
            j--;
        }
        s[j] = x;
    }
}

/* ---- states: verl's karmarkar_karp.State ------------------------------------------------- */

typedef struct kk_state {
    kk_set *sets; /* [k], always in decreasing order */
} kk_state;

static void state_free(kk_state *st, int k) {
    if (!st) return;
    for (int i = 0; i < k; i++) free(st->sets[i].items);
    free(st->sets);
    free(st);
}

/* State(items, k): items[i] goes into set i, then the sets are sorted (decreasing). */
static kk_state *state_new(const kk_item *items, int n_items, int k) {
    kk_state *st = calloc(1, sizeof *st);
    if (!st || !(st->sets = calloc((size_t)k, sizeof *st->sets))) { free(st); return NULL; }
    for (int i = 0; i < n_items; i++)
        if (set_add(&st->sets[i], items[i].idx, items[i].val)) { state_free(st, k); return NULL; }
    sets_sort_desc(st->sets, k);
    return st;
}

/* State.spread = sets[0].sum − sets[-1].sum */
static int64_t spread(const kk_state *st, int k) { return st->sets[0].sum - st->sets[k - 1].sum; }

/* State.__lt__ (a min-heap pops the "smallest"): the larger spread first; on equal spreads the
 * state whose largest set is larger (a.sets[0] > b.sets[0], i.e. b.sets[0] < a.sets[0]). */
static int state_lt(const kk_state *a, const kk_state *b, int k) {
    int64_t sa = spread(a, k), sb = spread(b, k);
    if (sa != sb) return sa > sb;
    return set_lt(&b->sets[0], &a->sets[0]);
}

/* State.merge(other): set i of self takes the items of set k−1−i of other (largest with
 * smallest), in other's item order; then the sets are sorted again. */
static int state_merge(kk_state *a, const kk_state *b, int k) {
    for (int i = 0; i < k; i++) {
        const kk_set *o = &b->sets[k - 1 - i];
        for (int j = 0; j < o->n; j++)
            if (set_add(&a->sets[i], o->items[j].idx, o->items[j].val)) return -1;
    }
    sets_sort_desc(a->sets, k);
    return 0;
}

/* ---- CPython heapq (heappush / heappop with _siftdown / _siftup), on state pointers ------- */

typedef struct kk_heap {
    kk_state **h;
    int n, k;
} kk_heap;

/* _siftdown(heap, start, pos): move the new item at pos up while it is less than its parent. */
static void heap_siftdown(kk_heap *q, int start, int pos) {
    kk_state *item = q->h[pos];
    while (pos > start) {
        int parent = (pos - 1) >> 1;
        if (!state_lt(item, q->h[parent], q->k)) break;
        q->h[pos] = q->h[parent];
        pos = parent;
    }
    q->h[pos] = item;
}

/* _siftup(heap, pos): move the smaller child up until a leaf is reached (the right child is
 * taken unless the left one is strictly less), put the item there, then _siftdown it. */
static void heap_siftup(kk_heap *q, int pos) {
    int end = q->n, start = pos, child = 2 * pos + 1;
    kk_state *item = q->h[pos];
    while (child < end) {
        int right = child + 1;
        if (right < end && !state_lt(q->h[child], q->h[right], q->k)) child = right;
        q->h[pos] = q->h[child];
        pos = child;
        child = 2 * pos + 1;
    }
    q->h[pos] = item;
    heap_siftdown(q, start, pos);
}

static void heap_push(kk_heap *q, kk_state *st) {
    q->h[q->n++] = st;
    heap_siftdown(q, 0, q->n - 1);
}

static kk_state *heap_pop(kk_heap *q) {
    kk_state *last = q->h[--q->n];
    if (q->n == 0) return last;
    kk_state *top = q->h[0];
    q->h[0] = last;
    heap_siftup(q, 0);
    return top;
}

/* ---- karmarkar_karp ---------------------------------------------------------------------- */

void seqlen_parts_free(seqlen_parts *p) {
    free(p->start);
    free(p->idx);
    memset(p, 0, sizeof *p);
}

static int parts_alloc(seqlen_parts *p, int n, int k, svs_err *err) {
    p->k = k;
    p->n = n;
    p->start = calloc((size_t)k + 1, sizeof *p->start);
    p->idx = calloc((size_t)(n > 0 ? n : 1), sizeof *p->idx);
    if (!p->start || !p->idx) { seqlen_parts_free(p); return svs_errf(err, "out of memory"); }
    return 0;
}

/* sorted([(val, i) for i, val in enumerate(vals)]): by value, then by index */
static int cmp_item(const void *x, const void *y) {
    const kk_item *a = x, *b = y;
    if (a->val != b->val) return a->val < b->val ? -1 : 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

/* The final state's sets, in order, as partitions of item indices. */
static int state_to_parts(const kk_state *st, int n, int k, seqlen_parts *out, svs_err *err) {
    if (parts_alloc(out, n, k, err)) return -1;
    int w = 0;
    for (int p = 0; p < k; p++) {
        out->start[p] = w;
        for (int j = 0; j < st->sets[p].n; j++) out->idx[w++] = st->sets[p].items[j].idx;
    }
    out->start[k] = w;
    return 0;
}

int seqlen_karmarkar_karp(const int64_t *vals, int n, int k, int equal_size, seqlen_parts *out, svs_err *err) {
    memset(out, 0, sizeof *out);
    if (n < 1 || k < 1) return svs_errf(err, "karmarkar_karp: need n >= 1 and k >= 1 (n %d, k %d)", n, k);
    if (equal_size && n % k) return svs_errf(err, "karmarkar_karp: equal_size needs %d %% %d == 0", n, k);
    kk_item *sorted = malloc((size_t)n * sizeof *sorted);
    kk_heap q = {calloc((size_t)n, sizeof(kk_state *)), 0, k};
    int rc = -1;
    if (!sorted || !q.h) { svs_errf(err, "out of memory"); goto done; }
    for (int i = 0; i < n; i++) sorted[i] = (kk_item){i, vals[i]};
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_item); /* no equal keys: the order is total */
    /* one state per item, or per k consecutive items with equal_size, pushed in sorted order */
    int per = equal_size ? k : 1;
    for (int off = 0; off < n; off += per) {
        kk_state *st = state_new(sorted + off, per, k);
        if (!st) { svs_errf(err, "out of memory"); goto done; }
        heap_push(&q, st);
    }
    /* while more than one state: pop the two "smallest" (largest spreads), merge, push back */
    while (q.n > 1) {
        kk_state *s0 = heap_pop(&q), *s1 = heap_pop(&q);
        int m = state_merge(s0, s1, k);
        state_free(s1, k);
        heap_push(&q, s0);
        if (m) { svs_errf(err, "out of memory"); goto done; }
    }
    rc = state_to_parts(q.h[0], n, k, out, err);
done:
    for (int i = 0; i < q.n; i++) state_free(q.h[i], k);
    free(q.h);
    free(sorted);
    return rc;
}

static int cmp_int(const void *x, const void *y) {
    int a = *(const int *)x, b = *(const int *)y;
    return (a > b) - (a < b);
}

/* get_seqlen_balanced_partitions: KK, then _check_and_sort_partitions (every partition
 * non-empty, every index seen once, indices sorted inside each partition). */
int seqlen_balanced_partitions(const int64_t *vals, int n, int k, int equal_size, seqlen_parts *out,
                               svs_err *err) {
    memset(out, 0, sizeof *out);
    if (n < k) return svs_errf(err, "number of items:[%d] < k_partitions:[%d]", n, k);
    if (seqlen_karmarkar_karp(vals, n, k, equal_size, out, err)) return -1;
    for (int p = 0; p < k; p++) {
        int a = out->start[p], b = out->start[p + 1];
        if (a == b) { seqlen_parts_free(out); return svs_errf(err, "the %d-th partition is empty", p); }
        qsort(out->idx + a, (size_t)(b - a), sizeof *out->idx, cmp_int);
    }
    return 0;
}

/* ---- rearrange_micro_batches -------------------------------------------------------------- */

/* ceildiv(a, b) = -(a // -b) */
static int64_t ceildiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* calculate_workload: 24576·L + L² (FLOPs of a 7B dense block ∝ 12h²L + 2hL², h = 4096) */
static int64_t workload(int64_t len) { return 24576 * len + len * len; }

static int64_t part_sum(const seqlen_parts *p, int i, const int64_t *v) {
    int64_t s = 0;
    for (int j = p->start[i]; j < p->start[i + 1]; j++) s += v[p->idx[j]];
    return s;
}

/* Common checks and k0 = min(n, ceildiv(Σ lens, budget)); lens copied to int64. */
static int micro_count(const int *lens, int n, int64_t budget, int64_t *len64, int *k0, svs_err *err) {
    if (n < 1) return svs_errf(err, "token-budget micro-batches: empty mini-batch");
    if (budget < 1) return svs_errf(err, "token-budget micro-batches: max_token_len must be >= 1");
    int64_t total = 0;
    for (int i = 0; i < n; i++) {
        len64[i] = lens[i];
        total += lens[i];
        if (lens[i] > budget) /* verl: assert max_token_len >= max_seq_len / ValueError */
            return svs_errf(err, "row of %d tokens (prompt + response) exceeds the micro-batch token budget "
                            "%lld", lens[i], (long long)budget);
    }
    int64_t c = ceildiv(total, budget);
    *k0 = c < n ? (int)c : n; /* NOTE in verl: num_microbatches <= batch_size */
    return 0;
}

/* micro_bsz_idx.sort(key=(Σ workload, partition[0]), reverse=True), then
 * micro_bsz_idx[::2][::-1] + micro_bsz_idx[1::2]: the heaviest in the middle, the lightest at
 * both ends (fewer pipeline bubbles in verl). Keys are distinct (partitions are disjoint). */
static int order_by_workload(seqlen_parts *p, const int64_t *wl, svs_err *err) {
    int k = p->k;
    int *ord = malloc((size_t)k * sizeof *ord), *fin = malloc((size_t)k * sizeof *fin);
    int64_t *key = malloc((size_t)k * sizeof *key);
    seqlen_parts q;
    if (!ord || !fin || !key || parts_alloc(&q, p->n, k, err)) {
        free(ord); free(fin); free(key);
        return svs_errf(err, "out of memory");
    }
    for (int i = 0; i < k; i++) { ord[i] = i; key[i] = part_sum(p, i, wl); }
    for (int i = 1; i < k; i++) { /* insertion sort, decreasing (key, first index) */
        int x = ord[i], j = i;
        while (j > 0 && (key[ord[j - 1]] < key[x] ||
                         (key[ord[j - 1]] == key[x] && p->idx[p->start[ord[j - 1]]] < p->idx[p->start[x]]))) {
            ord[j] = ord[j - 1];
            j--;
        }
        ord[j] = x;
    }
    int w = 0;
    for (int i = (k - 1) / 2 * 2; i >= 0; i -= 2) fin[w++] = ord[i]; /* [::2][::-1] */
    for (int i = 1; i < k; i += 2) fin[w++] = ord[i];                /* + [1::2] */
    int o = 0;
    for (int i = 0; i < k; i++) {
        q.start[i] = o;
        for (int j = p->start[fin[i]]; j < p->start[fin[i] + 1]; j++) q.idx[o++] = p->idx[j];
    }
    q.start[k] = o;
    seqlen_parts_free(p);
    *p = q;
    free(ord); free(fin); free(key);
    return 0;
}

int seqlen_rearrange(const int *lens, int n, int64_t max_token_len, int balance, seqlen_parts *out,
                     svs_err *err) {
    memset(out, 0, sizeof *out);
    int64_t *len64 = malloc((size_t)(n > 0 ? n : 1) * sizeof *len64);
    int64_t *wl = malloc((size_t)(n > 0 ? n : 1) * sizeof *wl);
    int k, rc = -1;
    if (!len64 || !wl) { svs_errf(err, "out of memory"); goto done; }
    if (micro_count(lens, n, max_token_len, len64, &k, err)) goto done;
    for (int i = 0; i < n; i++) wl[i] = workload(len64[i]);
    /* ceildiv(total, budget) is only a lower bound (rows are indivisible): partition the
     * workloads, and add one micro-batch until every micro-batch's tokens fit the budget. k <= n
     * always ends it, since every row fits alone. */
    for (;;) {
        if (seqlen_balanced_partitions(wl, n, k, 0, out, err)) goto done;
        int fits = 1;
        for (int p = 0; p < k && fits; p++) fits = part_sum(out, p, len64) <= max_token_len;
        if (fits) break;
        seqlen_parts_free(out);
        k++;
    }
    rc = balance ? order_by_workload(out, wl, err) : 0;
done:
    if (rc) seqlen_parts_free(out);
    free(len64);
    free(wl);
    return rc;
}

int seqlen_rearrange_by_length(const int *lens, int n, int64_t max_token_len, seqlen_parts *out,
                               svs_err *err) {
    memset(out, 0, sizeof *out);
    int64_t *len64 = malloc((size_t)(n > 0 ? n : 1) * sizeof *len64);
    int k, rc = -1;
    if (!len64) return svs_errf(err, "out of memory");
    if (!micro_count(lens, n, max_token_len, len64, &k, err))
        rc = seqlen_balanced_partitions(len64, n, k, 0, out, err);
    free(len64);
    return rc;
}

int seqlen_fixed_rows(int n, int rows, seqlen_parts *out, svs_err *err) {
    memset(out, 0, sizeof *out);
    if (n < 1 || rows < 1) return svs_errf(err, "fixed micro-batches: need n >= 1 and rows >= 1");
    int k = (n + rows - 1) / rows;
    if (parts_alloc(out, n, k, err)) return -1;
    for (int p = 0; p <= k; p++) out->start[p] = p * rows < n ? p * rows : n;
    for (int i = 0; i < n; i++) out->idx[i] = i;
    return 0;
}
