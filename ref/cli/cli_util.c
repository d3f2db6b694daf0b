/* cli_util.c — fatal errors, option values and the JSONL reader of the `svs` command line. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../jsonl.h"
#include "cli.h"

void cli_die(const char *fmt, ...) {
    va_list ap;
    fflush(stdout);
    fputs("svs: error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

void cli_die_err(const svs_err *err) { cli_die("%s", err->msg[0] ? err->msg : "unknown error"); }

int cli_is_help(const char *arg) { return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0; }

const char *cli_value(int argc, char **argv, int *i) {
    if (*i + 1 >= argc) cli_die("option %s needs a value", argv[*i]);
    *i += 1;
    return argv[*i];
}

long long cli_int(const char *opt, const char *value, long long min, long long max) {
    char *end;
    errno = 0;
    long long v = strtoll(value, &end, 10);
    if (errno || end == value || *end) cli_die("option %s: \"%s\" is not an integer", opt, value);
    if (v < min || v > max) cli_die("option %s: %lld is outside [%lld, %lld]", opt, v, min, max);
    return v;
}

double cli_double(const char *opt, const char *value) {
    char *end;
    errno = 0;
    double v = strtod(value, &end);
    if (errno || end == value || *end) cli_die("option %s: \"%s\" is not a number", opt, value);
    return v;
}

void cli_jsonl_open(cli_jsonl *r, const char *path) {
    memset(r, 0, sizeof *r);
    r->path = path;
    if (strcmp(path, "-") == 0) {
        r->f = stdin;
        r->path = "<stdin>";
    } else {
        r->f = fopen(path, "rb");
        if (!r->f) cli_die("%s: cannot open: %s", path, strerror(errno));
        r->close_f = 1;
    }
}

json_t *cli_jsonl_next(cli_jsonl *r) {
    ssize_t n = getline(&r->line, &r->cap, r->f);
    if (n < 0) {
        if (ferror(r->f)) cli_die("%s: read error after line %ld", r->path, r->lineno);
        return NULL;
    }
    r->lineno++;
    size_t len = (size_t)n;
    while (len && (r->line[len - 1] == '\n' || r->line[len - 1] == '\r')) len--;
    svs_err err = {{0}};
    json_t *obj = jsonl_parse_object(r->line, len, &err);
    if (!obj) cli_die("%s:%ld: %s", r->path, r->lineno, err.msg);
    return obj;
}

void cli_jsonl_close(cli_jsonl *r) {
    if (r->close_f) fclose(r->f);
    free(r->line);
    memset(r, 0, sizeof *r);
}

const char *cli_opt_string(cli_jsonl *r, json_t *obj, const char *field, size_t *len) {
    const char *s = NULL;
    svs_err err = {{0}};
    if (jsonl_get_string(obj, field, 0, &s, len, &err) < 0) cli_die("%s:%ld: %s", r->path, r->lineno, err.msg);
    return s;
}

const char *cli_get_string(cli_jsonl *r, json_t *obj, const char *field, size_t *len) {
    const char *s = cli_opt_string(r, obj, field, len);
    if (!s) cli_die("%s:%ld: missing field \"%s\"", r->path, r->lineno, field);
    return s;
}

void cli_print_json(json_t *obj) {
    char *s = json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
    if (!s) cli_die("out of memory writing JSON");
    if (fputs(s, stdout) == EOF || fputc('\n', stdout) == EOF) cli_die("write error on stdout");
    free(s);
}
