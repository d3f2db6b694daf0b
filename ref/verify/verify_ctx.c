/* verify_ctx.c — the per-call context of the verifier: a bump-allocated arena for tree nodes
 * and strings, the work counters and the first work limit hit (spec/verifier.md §6.5), and the
 * arena constructors of tree nodes (contract in verify_internal.h).
 *
 * The arena is a chain of blocks; vctx_alloc never frees individually, vctx_free releases the
 * whole chain. A failed allocation sets ctx->oom (the comparison then ends UNDECIDED) and
 * returns NULL; nothing aborts. */
#include "verify_internal.h"

#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK 65536 /* bytes of payload per ordinary block */

struct varena_block {
    varena_block *next;
    size_t used, cap;
    max_align_t data[]; /* payload, aligned for any type */
};

void vctx_init(verify_ctx *ctx, const verify_policy *pol) {
    memset(ctx, 0, sizeof *ctx);
    ctx->pol = pol;
}

void vctx_free(verify_ctx *ctx) {
    varena_block *b = ctx->arena;
    while (b) {
        varena_block *next = b->next;
        free(b);
        b = next;
    }
    ctx->arena = NULL;
}

void *vctx_alloc(verify_ctx *ctx, size_t n) {
    const size_t align = sizeof(max_align_t);
    if (n > SIZE_MAX / 2) {
        ctx->oom = 1;
        return NULL;
    }
    n = (n + align - 1) / align * align;
    if (n == 0) n = align;
    varena_block *b = ctx->arena;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        b = malloc(sizeof *b + cap);
        if (!b) {
            ctx->oom = 1;
            return NULL;
        }
        b->used = 0;
        b->cap = cap;
        b->next = ctx->arena;
        ctx->arena = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

char *vctx_strndup(verify_ctx *ctx, const char *s, size_t n) {
    char *p = vctx_alloc(ctx, n + 1);
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

void vctx_hit(verify_ctx *ctx, const char *limit) {
    if (!ctx->limit) ctx->limit = limit;
}

vnode *vnode_new(verify_ctx *ctx, vnode_kind kind, int nkids) {
    vnode *v = vctx_alloc(ctx, sizeof *v);
    if (!v) return NULL;
    v->kind = kind;
    v->nkids = nkids;
    if (nkids > 0) {
        v->a = vctx_alloc(ctx, (size_t)nkids * sizeof *v->a);
        if (!v->a) return NULL;
    }
    return v;
}

vnode *vnode_bin(verify_ctx *ctx, vnode_kind kind, vnode *l, vnode *r) {
    vnode *v = vnode_new(ctx, kind, 2);
    if (!v) return NULL;
    v->a[0] = l;
    v->a[1] = r;
    return v;
}
