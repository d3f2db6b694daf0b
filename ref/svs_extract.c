/* svs_extract.c — extraction of the synthetic problem from one synthesis response
 * (spec/svs-algorithm.md §2.4; quirks Q2, Q3, Q8, Q9, Q10 of §8).
 *
 * Official code: MasterVito/SvS@9fd8f35:verl/trainer/ppo/ray_trainer.py:1442-1462. With resp the
 * decoded response and t the text after the last "</think>" (all of resp without one), four
 * rules are tried in order, each a TEST (does the text contain a marker?) and an EXTRACTION
 * (a Python split on t):
 *   1  ```text   q = t.split("```text")[1].split("```")[0]
 *   2  ```       q = t.split("```")[1]
 *   3  "**Reconstructed Question:**\n\n"  q = t.split(M)[1].split("\n\n")[0]
 *   4  "**Reconstructed Question (in natural English):**\n\n"  as 3 with the marker of Q3
 * then q = q.strip('\n').strip(' ').strip('\n').strip(' '), and the problem is valid iff no
 * error was raised and ntok(chat(q + MP)) <= LP. A Python IndexError (marker tested on resp but
 * absent from t) and any other error land in a bare `except`, which sets q = "None".
 *
 * Faithful mode reproduces that, including the fall-through of Q2 (see svs_extract_state).
 * Default mode: tests on t (Q8), the correct rule-4 marker (Q3), no match = invalid (Q2), a
 * fence language tag dropped (Q9), an empty problem invalid (Q10). One reading of the spec made
 * explicit: in a fall-through the stale q passes through the trimming sequence again, because
 * the trim follows the if/elif chain (which is also where the run's first response fails on the
 * unassigned variable). The sequence is not idempotent ("\n \n \nX" trims to "\nX", which
 * trims to "X"), so a stale problem can differ from the one it came from. */
#include "svs.h"

#include <stdlib.h>
#include <string.h>

#define FENCE "```"
#define FENCE_TEXT "```text"
#define THINK_END "</think>"
#define MARKER3 "**Reconstructed Question:**\n\n"
#define MARKER4 "**Reconstructed Question (in natural English):**\n\n"
/* Q3: rule 4 splits on the marker with FOUR leading asterisks, so a correctly written marker
 * never matches and the split raises IndexError (MasterVito/SvS@9fd8f35:verl/trainer/ppo/ray_trainer.py:1456). */
#define MARKER4_TYPO "****Reconstructed Question (in natural English):**\n\n"
#define NOT_FOUND ((size_t)-1)

/* Offset of the first needle in s[from, end), or NOT_FOUND. */
static size_t find_in(const char *s, size_t from, size_t end, const char *needle) {
    size_t nn = strlen(needle);
    for (size_t i = from; i + nn <= end; i++)
        if (s[i] == needle[0] && memcmp(s + i, needle, nn) == 0) return i;
    return NOT_FOUND;
}

/* Offset just past the last "</think>" in s[0, n), or 0. */
static size_t after_last_think(const char *s, size_t n) {
    size_t at = 0, nn = strlen(THINK_END);
    for (size_t i = find_in(s, 0, n, THINK_END); i != NOT_FOUND; i = find_in(s, i + 1, n, THINK_END))
        at = i + nn;
    return at;
}

static int contains(const char *s, size_t from, size_t end, const char *needle) {
    return find_in(s, from, end, needle) != NOT_FOUND;
}

/* Rule 1: t.split("```text")[1].split("```")[0]. */
static svs_extract_why rule_fence_text(const char *s, size_t t0, size_t n, size_t *qs, size_t *qe) {
    size_t p = find_in(s, t0, n, FENCE_TEXT);
    if (p == NOT_FOUND) return SVS_EX_INDEX_ERROR;
    *qs = p + strlen(FENCE_TEXT);
    size_t e = find_in(s, *qs, n, FENCE); /* a closing fence or another ```text */
    *qe = e == NOT_FOUND ? n : e;
    return SVS_EX_OK;
}

/* Rule 2: t.split("```")[1], the text between the first and second fence (or to the end). */
static svs_extract_why rule_fence(const char *s, size_t t0, size_t n, size_t *qs, size_t *qe) {
    size_t p = find_in(s, t0, n, FENCE);
    if (p == NOT_FOUND) return SVS_EX_INDEX_ERROR;
    *qs = p + strlen(FENCE);
    size_t e = find_in(s, *qs, n, FENCE);
    *qe = e == NOT_FOUND ? n : e;
    return SVS_EX_OK;
}

/* Rules 3 and 4: t.split(marker)[1].split("\n\n")[0]: up to the next marker, then up to the
 * first blank line. */
static svs_extract_why rule_marker(const char *s, size_t t0, size_t n, const char *marker, size_t *qs,
                                   size_t *qe) {
    size_t p = find_in(s, t0, n, marker);
    if (p == NOT_FOUND) return SVS_EX_INDEX_ERROR;
    *qs = p + strlen(marker);
    size_t seg_end = find_in(s, *qs, n, marker);
    if (seg_end == NOT_FOUND) seg_end = n;
    size_t blank = find_in(s, *qs, seg_end, "\n\n");
    *qe = blank == NOT_FOUND ? seg_end : blank;
    return SVS_EX_OK;
}

svs_extract_why svs_extract_span(int faithful, const char *resp, size_t len, svs_rule *rule, size_t *q_start,
                                 size_t *q_end) {
    size_t t0 = after_last_think(resp, len);
    /* Q8: the official tests look at the whole resp while the splits use t
     * (MasterVito/SvS@9fd8f35:verl/trainer/ppo/ray_trainer.py:1442-1456); default tests t. */
    size_t test0 = faithful ? 0 : t0;
    *q_start = *q_end = t0;
    if (contains(resp, test0, len, FENCE_TEXT)) {
        *rule = SVS_RULE_FENCE_TEXT;
        return rule_fence_text(resp, t0, len, q_start, q_end);
    }
    if (contains(resp, test0, len, FENCE)) {
        *rule = SVS_RULE_FENCE;
        return rule_fence(resp, t0, len, q_start, q_end);
    }
    if (contains(resp, test0, len, MARKER3)) {
        *rule = SVS_RULE_MARKER;
        return rule_marker(resp, t0, len, MARKER3, q_start, q_end);
    }
    if (contains(resp, test0, len, MARKER4)) {
        *rule = SVS_RULE_MARKER_EN;
        return rule_marker(resp, t0, len, faithful ? MARKER4_TYPO : MARKER4, q_start, q_end);
    }
    *rule = SVS_RULE_NONE;
    return SVS_EX_NO_MATCH;
}

static void strip_char(const char *s, size_t *start, size_t *end, char c) {
    while (*start < *end && s[*start] == c) (*start)++;
    while (*end > *start && s[*end - 1] == c) (*end)--;
}

/* q.strip("\n").strip(" ").strip("\n").strip(" "): tabs and '\r' stay. */
void svs_trim(const char *s, size_t *start, size_t *end) {
    strip_char(s, start, end, '\n');
    strip_char(s, start, end, ' ');
    strip_char(s, start, end, '\n');
    strip_char(s, start, end, ' ');
}

static int is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Q9 (default mode, project choice): a run of non-whitespace characters right after the
 * opening fence that ends at a newline is a language tag ("markdown\n"): drop it and the
 * newline. The official code keeps it (MasterVito/SvS@9fd8f35:verl/trainer/ppo/ray_trainer.py:1442-1462). */
void svs_drop_fence_tag(const char *s, size_t *start, size_t end) {
    size_t i = *start;
    while (i < end && !is_space(s[i])) i++;
    if (i > *start && i < end && s[i] == '\n') *start = i + 1;
}

void svs_extract_state_init(svs_extract_state *st) {
    memset(st, 0, sizeof *st);
}

void svs_extract_state_free(svs_extract_state *st) {
    if (!st) return;
    free(st->last);
    svs_extract_state_init(st);
}

int svs_extract_state_set(svs_extract_state *st, const char *q, size_t len, svs_err *err) {
    char *copy = svs_strndup(q, len, err);
    if (!copy) return -1;
    free(st->last);
    st->last = copy;
    st->last_len = len;
    st->set = 1;
    return 0;
}

void svs_extract_result_free(svs_extract_result *r) {
    if (!r) return;
    free(r->problem);
    memset(r, 0, sizeof *r);
}

/* Sets out->problem to a copy of s[a, b). */
static int set_problem(svs_extract_result *out, const char *s, size_t a, size_t b, svs_err *err) {
    out->problem = svs_strndup(s + a, b - a, err);
    out->problem_len = b - a;
    return out->problem ? 0 : -1;
}

/* The length check: valid iff ntok(chat(q + MP)) <= LP (ray_trainer.py:1457-1460). */
static int check_length(const svs_config *cfg, svs_ntok_fn ntok, void *ctx, svs_extract_result *out,
                        svs_err *err) {
    svs_buf user = {0};
    int fits = 0;
    int rc = svs_spa_prompt(out->problem, out->problem_len, &user, err);
    if (rc == 0) rc = svs_prompt_fits(cfg, ntok, ctx, user.data, user.len, &fits, &out->ntok, err);
    svs_buf_free(&user);
    if (rc < 0) return -1;
    out->valid = fits;
    out->why = fits ? SVS_EX_OK : SVS_EX_TOO_LONG;
    return 0;
}

/* Faithful: the bare `except` sets q = "None" and the response is invalid (ray_trainer.py:1461-1462). */
static int faithful_error(svs_extract_state *st, svs_extract_why why, svs_extract_result *out, svs_err *err) {
    out->why = why;
    out->valid = 0;
    return svs_extract_state_set(st, "None", 4, err);
}

static int extract_faithful(const svs_config *cfg, svs_extract_state *st, const char *resp, size_t len,
                            svs_ntok_fn ntok, void *ctx, svs_extract_result *out, svs_err *err) {
    size_t qs, qe;
    svs_extract_why why = svs_extract_span(1, resp, len, &out->rule, &qs, &qe);
    if (why == SVS_EX_INDEX_ERROR) return faithful_error(st, why, out, err);
    if (why == SVS_EX_NO_MATCH) {
        /* Q2: no test held, so q is not assigned and keeps the value of the previous response
         * of the run — possibly of an earlier step; unset on the run's first response, which
         * raises (MasterVito/SvS@9fd8f35:verl/trainer/ppo/ray_trainer.py:1442-1462). */
        if (!st->set) return faithful_error(st, SVS_EX_UNSET, out, err);
        out->fallthrough = 1;
        qs = 0;
        qe = st->last_len;
        svs_trim(st->last, &qs, &qe);
        if (set_problem(out, st->last, qs, qe, err) < 0) return -1;
    } else {
        /* Q9: a language tag after a plain fence stays in q (faithful). Q10: an empty q is
         * accepted; only the length is checked (ray_trainer.py:1457-1460). */
        svs_trim(resp, &qs, &qe);
        if (set_problem(out, resp, qs, qe, err) < 0) return -1;
    }
    if (svs_extract_state_set(st, out->problem, out->problem_len, err) < 0) return -1;
    return check_length(cfg, ntok, ctx, out, err);
}

static int extract_default(const svs_config *cfg, const char *resp, size_t len, svs_ntok_fn ntok, void *ctx,
                           svs_extract_result *out, svs_err *err) {
    size_t qs, qe;
    out->why = svs_extract_span(0, resp, len, &out->rule, &qs, &qe);
    if (out->why != SVS_EX_OK) return 0; /* Q2 fixed: no match = invalid */
    if (out->rule == SVS_RULE_FENCE) svs_drop_fence_tag(resp, &qs, qe); /* Q9 fixed */
    svs_trim(resp, &qs, &qe);
    if (set_problem(out, resp, qs, qe, err) < 0) return -1;
    if (qs == qe) { /* Q10 fixed (project choice): an empty problem is invalid */
        out->why = SVS_EX_EMPTY;
        return 0;
    }
    return check_length(cfg, ntok, ctx, out, err);
}

int svs_extract(const svs_config *cfg, svs_extract_state *st, const char *resp, size_t len, svs_ntok_fn ntok,
                void *ctx, svs_extract_result *out, svs_err *err) {
    memset(out, 0, sizeof *out);
    if (!resp && len) return svs_errf(err, "svs_extract: response text missing");
    if (!resp) resp = "";
    if (cfg->faithful && !st) return svs_errf(err, "svs_extract: faithful mode needs the run's extraction state (Q2)");
    int rc = cfg->faithful ? extract_faithful(cfg, st, resp, len, ntok, ctx, out, err)
                           : extract_default(cfg, resp, len, ntok, ctx, out, err);
    if (rc < 0) svs_extract_result_free(out);
    return rc;
}
