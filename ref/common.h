/* common.h — shared plumbing for every module of svs.c: the error type that library code
 * returns, checked allocation helpers, and a growable byte buffer.
 *
 * Library code (everything under ref/ except ref/cli/) never prints, exits or aborts on bad
 * input. A fallible function takes a trailing `svs_err *err`, fills it with a message that
 * names the file/line/field at fault, and returns a failure value (-1 or NULL). Callers may
 * pass err = NULL when they do not want the message. The CLI prints `svs: error: <msg>` and
 * exits 2 (see ref/cli/cli.h).
 *
 * Allocation failure is the one exception to "return an error": the helpers below return NULL
 * and set err like any other failure; they never abort. */
#ifndef SVS_COMMON_H
#define SVS_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define SVS_ERR_MAX 512

typedef struct svs_err {
    char msg[SVS_ERR_MAX]; /* NUL-terminated message; empty when no error was set */
} svs_err;

/* Sets err->msg from a printf-style format (if err != NULL). Always returns -1, so library
 * code can write `return svs_errf(err, "line %d: ...", n);`. */
int svs_errf(svs_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefixes an existing message: "<prefix>: <old message>". Returns -1. */
int svs_err_prefix(svs_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Checked allocation: on failure set err ("out of memory allocating N bytes") and return
 * NULL. A request whose size computation overflowed (n * size > SIZE_MAX) fails the same way. */
void *svs_malloc(size_t size, svs_err *err);
void *svs_calloc(size_t n, size_t size, svs_err *err);
void *svs_realloc(void *p, size_t size, svs_err *err);
char *svs_strndup(const char *s, size_t n, svs_err *err);

/* Growable byte buffer, always NUL-terminated when data != NULL. */
typedef struct svs_buf {
    char *data;
    size_t len;
    size_t cap;
} svs_buf;

int svs_buf_reserve(svs_buf *b, size_t extra, svs_err *err);        /* room for len+extra+1 */
int svs_buf_append(svs_buf *b, const char *s, size_t n, svs_err *err);
int svs_buf_puts(svs_buf *b, const char *s, svs_err *err);
int svs_buf_putc(svs_buf *b, char c, svs_err *err);
int svs_buf_printf(svs_buf *b, svs_err *err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void svs_buf_free(svs_buf *b);

/* Reads a whole file into memory (NUL-terminated; *len excludes the NUL). Refuses files larger
 * than max_bytes with an error naming the file and its size. */
char *svs_read_file(const char *path, size_t max_bytes, size_t *len, svs_err *err);

/* Validates UTF-8 (RFC 3629: no overlongs, no surrogates, max U+10FFFF). Returns 1 if valid;
 * otherwise 0 and, if bad_offset != NULL, the byte offset of the first invalid sequence. */
int svs_utf8_valid(const char *s, size_t n, size_t *bad_offset);

#endif
