/* tok_json.h — a small strict JSON reader used to load tokenizer.json quickly (tok_json.c).
 * Private to ref/tokenizer/. */
#ifndef SVS_TOK_JSON_H
#define SVS_TOK_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "../common.h"

enum { TJ_NULL, TJ_TRUE, TJ_FALSE, TJ_INT, TJ_REAL, TJ_STRING, TJ_ARRAY, TJ_OBJECT };

struct tj_doc;

typedef struct tj_node {
    const struct tj_doc *doc;
    uint8_t type;
    uint32_t off, len;         /* string: arena offset/length; array/object: kids offset/count */
    uint32_t key_off, key_len; /* member key (objects' children only) */
    int64_t ival;              /* TJ_INT */
} tj_node;

typedef struct tj_doc {
    tj_node *nodes; /* nodes[0] is the root */
    size_t n, cap;
    uint32_t *kids;
    size_t nkids, capkids;
    char *arena; /* unescaped strings, each NUL-terminated */
    size_t arena_len;
} tj_doc;

/* Parses text[0..n). On failure the message names the byte offset. */
int tj_parse(const char *text, size_t n, tj_doc *doc, svs_err *err);
void tj_free(tj_doc *doc);

static inline const tj_node *tj_root(const tj_doc *d) { return &d->nodes[0]; }
/* Member `key` of an object (the last one if repeated), or NULL. */
const tj_node *tj_get(const tj_node *obj, const char *key);
/* Element i of an array (or member i of an object, in file order), or NULL. */
const tj_node *tj_at(const tj_node *c, size_t i);

/* Accessors in the style of jansson's (NULL-safe predicates). */
static inline int tj_is_object(const tj_node *v) { return v && v->type == TJ_OBJECT; }
static inline int tj_is_array(const tj_node *v) { return v && v->type == TJ_ARRAY; }
static inline int tj_is_string(const tj_node *v) { return v && v->type == TJ_STRING; }
static inline int tj_is_integer(const tj_node *v) { return v && v->type == TJ_INT; }
static inline int tj_is_boolean(const tj_node *v) { return v && (v->type == TJ_TRUE || v->type == TJ_FALSE); }
static inline int tj_is_true(const tj_node *v) { return v && v->type == TJ_TRUE; }
static inline int tj_is_null(const tj_node *v) { return v && v->type == TJ_NULL; }
static inline const char *tj_string(const tj_node *v) { return v->doc->arena + v->off; }
static inline size_t tj_string_length(const tj_node *v) { return v->len; }
static inline const char *tj_key(const tj_node *v) { return v->doc->arena + v->key_off; }
static inline size_t tj_size(const tj_node *v) { return v->len; } /* array/object: number of children */

#endif
