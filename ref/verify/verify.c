/* verify.c — the verifier's public API (ref/verify.h): policies, profiles and the pipeline.
 *
 * Implements spec/verifier.md §4 (extract -> normalize -> string fast path -> parse -> compare,
 * UNDECIDED -> NOT_EQUAL), the answer-first rule of §5 (a gold or pred answer that does not
 * parse as one answer is treated as a whole text), the 1 MiB input limit of §6.5, the policy
 * switches of §6.6 and the `svs` profile of §6.7 (an approximation of the official SvS reward:
 * the extra Hendrycks/Qwen string fast path, a gold `v = E` with a short left side also read as
 * E, the last-300-characters extraction route).
 *
 * The verdict is a pure function of (gold, model text, policy): the identity-test seed is a
 * hash (FNV-1a 64) of the two normalized strings. Nothing here prints, exits or keeps state. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify_internal.h"

/* ---------------------------------------------------------------------------------------- */
/* Policies (§6.6, §6.7)                                                                     */

void verify_policy_default(verify_policy *p) {
    memset(p, 0, sizeof *p);
    p->decimal = VERIFY_DEC_SIG;
    p->decimal_sig = 6;
    p->decimal_round = 6;
    p->decimal_rel = 1e-4;
    p->percent = VERIFY_PCT_DEFAULT;
    p->units = VERIFY_UNITS_END;
    p->letters = VERIFY_LETTERS_ON;
    p->decimal_comma = 1;
}

void verify_policy_svs(verify_policy *p) {
    verify_policy_default(p);
    p->profile_svs = 1;
    p->decimal = VERIFY_DEC_ROUND;      /* Math-Verify's 6-decimal rounding (cascade step 3) */
    p->decimal_round = 6;
    p->percent = VERIFY_PCT_EITHER;     /* mv or strip (steps 1, 3) */
    p->lists_ordered = 0;
    p->letters = VERIFY_LETTERS_BOXED;
    p->decimal_comma = 0;
}

typedef struct {
    const char *name;
    const char *values;     /* for the error message */
} switch_def;

static const switch_def SWITCHES[] = {
    {"profile", "default|svs"},
    {"decimal", "sig:S|exact|round:N|rel:T"},
    {"percent", "default|mv|strip|qwen|either"},
    {"lists", "ordered|unordered"},
    {"relations", "gold|symmetric"},
    {"bases", "digits|value"},
    {"units", "end|none|anywhere"},
    {"vectors", "loose|strict"},
    {"letters", "on|boxed"},
    {"assign", "both|gold"},
    {"vars", "strict|positional"},
    {"decimal_comma", "on|off"},
};

/* value in "a|b|c": index of the match, or -1 */
static int pick(const char *v, const char *choices) {
    int idx = 0;
    size_t n = strlen(v);
    for (const char *c = choices; *c; idx++) {
        const char *e = strchr(c, '|');
        size_t len = e ? (size_t)(e - c) : strlen(c);
        if (len == n && !strncmp(c, v, n)) return idx;
        if (!e) break;
        c = e + 1;
    }
    return -1;
}

static int parse_decimal(verify_policy *p, const char *v) {
    char *end = NULL;
    if (!strcmp(v, "exact")) { p->decimal = VERIFY_DEC_EXACT; return 0; }
    if (!strncmp(v, "sig:", 4)) {
        long s = strtol(v + 4, &end, 10);
        if (end == v + 4 || *end || s < 1 || s > 40) return -1;
        p->decimal = VERIFY_DEC_SIG;
        p->decimal_sig = (int)s;
        return 0;
    }
    if (!strncmp(v, "round:", 6)) {
        long r = strtol(v + 6, &end, 10);
        if (end == v + 6 || *end || r < 0 || r > 40) return -1;
        p->decimal = VERIFY_DEC_ROUND;
        p->decimal_round = (int)r;
        return 0;
    }
    if (!strncmp(v, "rel:", 4)) {
        double t = strtod(v + 4, &end);
        if (end == v + 4 || *end || !(t > 0 && t < 1)) return -1;
        p->decimal = VERIFY_DEC_REL;
        p->decimal_rel = t;
        return 0;
    }
    if (!strcmp(v, "sig")) { p->decimal = VERIFY_DEC_SIG; return 0; }
    if (!strcmp(v, "round")) { p->decimal = VERIFY_DEC_ROUND; return 0; }
    if (!strcmp(v, "rel")) { p->decimal = VERIFY_DEC_REL; return 0; }
    return -1;
}

/* One switch `name=value` (the list in `svs verify --help`). */
static int apply_switch(verify_policy *p, int sw, const char *v) {
    int k;
    switch (sw) {
    case 0:
        if ((k = pick(v, "default|svs")) < 0) return -1;
        if (k) verify_policy_svs(p);
        else verify_policy_default(p);
        return 0;
    case 1: return parse_decimal(p, v);
    case 2:
        if ((k = pick(v, "default|mv|strip|qwen|either")) < 0) return -1;
        p->percent = (verify_percent_mode[]){VERIFY_PCT_DEFAULT, VERIFY_PCT_MV, VERIFY_PCT_STRIP,
                                             VERIFY_PCT_QWEN, VERIFY_PCT_EITHER}[k];
        return 0;
    case 3: if ((k = pick(v, "unordered|ordered")) < 0) return -1; p->lists_ordered = k; return 0;
    case 4: if ((k = pick(v, "gold|symmetric")) < 0) return -1; p->relations_symmetric = k; return 0;
    case 5: if ((k = pick(v, "digits|value")) < 0) return -1; p->bases_value = k; return 0;
    case 6:
        if ((k = pick(v, "end|none|anywhere")) < 0) return -1;
        p->units = (verify_units_mode[]){VERIFY_UNITS_END, VERIFY_UNITS_NONE, VERIFY_UNITS_ANYWHERE}[k];
        return 0;
    case 7: if ((k = pick(v, "loose|strict")) < 0) return -1; p->vectors_strict = k; return 0;
    case 8:
        if ((k = pick(v, "on|boxed")) < 0) return -1;
        p->letters = k ? VERIFY_LETTERS_BOXED : VERIFY_LETTERS_ON;
        return 0;
    case 9: if ((k = pick(v, "both|gold")) < 0) return -1; p->assign_gold_only = k; return 0;
    case 10: if ((k = pick(v, "strict|positional")) < 0) return -1; p->vars_positional = k; return 0;
    case 11: if ((k = pick(v, "off|on")) < 0) return -1; p->decimal_comma = k; return 0;
    default: return -1;
    }
}

int verify_policy_set(verify_policy *p, const char *name_eq_value, svs_err *err) {
    if (!p || !name_eq_value) return svs_errf(err, "policy: NULL argument");
    const char *eq = strchr(name_eq_value, '=');
    if (!eq) return svs_errf(err, "policy \"%s\": expected NAME=VALUE", name_eq_value);
    size_t n = (size_t)(eq - name_eq_value);
    int nsw = (int)(sizeof SWITCHES / sizeof SWITCHES[0]);
    for (int k = 0; k < nsw; k++) {
        if (strlen(SWITCHES[k].name) != n || strncmp(SWITCHES[k].name, name_eq_value, n)) continue;
        if (apply_switch(p, k, eq + 1) == 0) return 0;
        return svs_errf(err, "policy \"%s\": invalid value \"%s\" (expected %s)", SWITCHES[k].name, eq + 1,
                        SWITCHES[k].values);
    }
    return svs_errf(err,
                    "unknown policy switch \"%.*s\" (known: profile, decimal, percent, lists, relations, "
                    "bases, units, vectors, letters, assign, vars, decimal_comma)",
                    (int)(n > 64 ? 64 : n), name_eq_value);
}

/* ---------------------------------------------------------------------------------------- */
/* Pipeline helpers                                                                          */

static uint64_t fnv1a(uint64_t h, const char *s) {
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

/* Three or more consecutive words of two or more letters outside \text{...}: prose, not an
 * answer (a gold that is a whole solution, §5 "answer-first rule"). */
static int looks_like_prose(const char *s) {
    int run = 0;
    const char *p = s;
    while (*p) {
        if (*p == '\\') {                                       /* skip a command and \text{..} */
            const char *q = p + 1;
            while (isalpha((unsigned char)*q)) q++;
            if (q - p >= 5 && !strncmp(p + 1, "text", 4) && *q == '{') {
                int depth = 0;
                for (; *q; q++) {
                    if (*q == '{') depth++;
                    else if (*q == '}' && --depth == 0) { q++; break; }
                }
            }
            if (q == p + 1 && *q) q++;                          /* a control symbol */
            p = q;
            run = 0;
            continue;
        }
        if (isalpha((unsigned char)*p)) {
            const char *q = p;
            while (isalpha((unsigned char)*q)) q++;
            int word = q - p >= 2 && (*q == 0 || isspace((unsigned char)*q) || strchr(",.;:!?", *q));
            int preceded = p == s || isspace((unsigned char)p[-1]);
            run = word && preceded ? run + 1 : 0;
            if (run >= 3) return 1;
            p = q;
            continue;
        }
        if (!isspace((unsigned char)*p) && !strchr(",.;:!?", *p)) run = 0;
        p++;
    }
    return 0;
}

/* Does a text that failed to parse as one answer read like a solution, so that steps 1-6 may
 * look for its answer (§5)? Prose, a box, an answer phrase or several lines. A short formula
 * that does not parse (`\forall x>0, f(x)=0`) stays a parse failure: §7 "a quantifier does
 * not parse; only the string path could accept". */
static int looks_like_text(const char *s, size_t n) {
    static const char *const marks[] = {"boxed", "fbox", "answer", "Answer", "ANSWER"};
    if (memchr(s, '\n', n) || looks_like_prose(s)) return 1;
    for (size_t k = 0; k < sizeof marks / sizeof marks[0]; k++)
        if (strstr(s, marks[k])) return 1;
    return 0;
}

/* Normalizes and parses one answer in a scratch context: does it read as one answer? */
static int parses_as_answer(const char *s, const verify_policy *pol) {
    if (strlen(s) > VLIM_ANSWER_BYTES || looks_like_prose(s)) return 0;
    char *nrm = vnorm_normalize(s, strlen(s), pol);
    if (!nrm) return 0;
    verify_ctx ctx;
    vctx_init(&ctx, pol);
    int ok = *nrm && vparse(&ctx, nrm, strlen(nrm)) != NULL;
    vctx_free(&ctx);
    free(nrm);
    return ok;
}

/* Steps 1-6 on a whole text, then step 0 on the candidate. *out = NULL when nothing found. */
static int extract_text(const char *s, size_t n, char letter, const verify_policy *pol, char **out) {
    char *cand = NULL;
    int step = 0;
    *out = NULL;
    if (vextract_response(s, n, letter, pol, &cand, &step)) return -1;
    if (!cand) return 0;
    *out = vextract_answer_step0(cand, strlen(cand));
    free(cand);
    return *out ? 0 : -1;
}

/* An answer (gold, or pred of a {"gold","pred"} line): step 0; when that does not parse as
 * one answer, steps 1-6 on the original text (§5). Falls back to the step-0 string. */
static int extract_answer(const char *s, size_t n, char letter, const verify_policy *pol, char **out) {
    char *a = vextract_answer_step0(s, n);
    if (!a) return -1;
    if (parses_as_answer(a, pol) || !looks_like_text(s, n)) {
        *out = a;
        return 0;
    }
    char *b = NULL;
    if (extract_text(s, n, letter, pol, &b)) {
        free(a);
        return -1;
    }
    if (b && *b) {
        free(a);
        *out = b;
        return 0;
    }
    free(b);
    *out = a;
    return 0;
}

typedef struct {
    int equal;
    const char *reason;
    const char *limit;
} vverdict;

/* Normalize -> string fast path -> parse -> compare, for one (gold, pred) answer pair. */
static int compare_answers(const char *g, const char *p, const verify_policy *pol, vverdict *out) {
    out->equal = 0;
    out->reason = "parse_failure";
    out->limit = NULL;
    if (strlen(g) > VLIM_ANSWER_BYTES || strlen(p) > VLIM_ANSWER_BYTES) {
        /* §6.5: an answer over 4,096 bytes gets the string fast path only; it is compared as
         * extracted, so that no normalization pass runs over up to 1 MiB */
        out->equal = !strcmp(g, p);
        out->reason = out->equal ? "string" : "parse_failure";
        out->limit = "answer";
        return 0;
    }
    char *gn = vnorm_normalize(g, strlen(g), pol), *pn = vnorm_normalize(p, strlen(p), pol);
    if (!gn || !pn) {
        free(gn);
        free(pn);
        return -1;
    }
    if (!strcmp(gn, pn) && *gn) {                               /* §4 string fast path */
        out->equal = 1;
        out->reason = "string";
        free(gn);
        free(pn);
        return 0;
    }
    verify_ctx ctx;
    vctx_init(&ctx, pol);
    ctx.seed = fnv1a(fnv1a(1469598103934665603ULL, gn) ^ 0xff, pn);
    vnode *tg = vparse(&ctx, gn, strlen(gn));
    vnode *tp = tg ? vparse(&ctx, pn, strlen(pn)) : NULL;
    if (tg && tp) {
        const char *why = NULL;
        vcmp r = vcmp_trees(&ctx, tg, tp, &why);
        out->equal = r == VCMP_EQUAL;
        out->reason = r == VCMP_UNDECIDED ? "undecided" : why;
    }
    out->limit = ctx.limit;
    vctx_free(&ctx);
    free(gn);
    free(pn);
    return 0;
}

/* svs profile (§6.7, §3.5): the Hendrycks/Qwen strip_string forms also take the fast path, and
 * a pred is also compared with the right side of a gold assignment (§6.7 "assignments"). */
static int compare_svs_extra(const char *g, const char *p, const verify_policy *pol, vverdict *out) {
    char *hg = vnorm_strip_string_hendrycks(g, strlen(g)), *hp = vnorm_strip_string_hendrycks(p, strlen(p));
    int rc = 0;
    if (!hg || !hp) rc = -1;
    else if ((*hp && !strcmp(hg, hp)) || (*hp && !strcmp(g, hp))) {
        out->equal = 1;
        out->reason = "string";
    }
    free(hg);
    free(hp);
    if (rc || out->equal) return rc;
    /* Hendrycks/PRM800K route: exactly one `=` and a left side of at most 2 characters
     * (`7 = 11a+c` = `11a+c`, but not `a+3z = 0` vs `0`, dev set lines 100, 109) */
    const char *eq = strchr(g, '=');
    size_t lhs = 0;
    for (const char *c = g; eq && c < eq; c++) lhs += !isspace((unsigned char)*c);
    if (eq && eq == strrchr(g, '=') && lhs <= 2 && eq[1]) {
        vverdict v2;
        if (compare_answers(eq + 1, p, pol, &v2)) return -1;
        if (v2.equal) *out = v2;
    }
    return 0;
}

static char *dup0(const char *s) {
    char *d = strdup(s ? s : "");
    return d;
}

/* ---------------------------------------------------------------------------------------- */
/* Public API                                                                                */

static int finish(verify_result *out, char *g, char *p, const vverdict *v, svs_err *err) {
    out->correct = v->equal;
    out->reason = v->reason;
    out->limit = v->limit;
    out->gold_extracted = g ? g : dup0("");
    out->extracted = p ? p : dup0("");
    if (!out->gold_extracted || !out->extracted) {
        verify_result_free(out);
        return svs_errf(err, "verify: out of memory");
    }
    return 0;
}

/* The model side (§5): a response goes through steps 1-6 then step 0; an answer through the
 * answer-first rule. In the svs profile a response is also read from its last 300 characters
 * (cascade steps 3-4); *alt receives that candidate when it differs. */
static int extract_model(const char *m, size_t n, int is_response, char letter, const verify_policy *pol,
                         char **out, char **alt) {
    *alt = NULL;
    if (!is_response) return extract_answer(m, n, letter, pol, out);
    if (extract_text(m, n, letter, pol, out)) return -1;
    if (pol->profile_svs && n > 300) {
        if (extract_text(m + n - 300, 300, letter, pol, alt)) return -1;
        if (*alt && *out && !strcmp(*alt, *out)) {
            free(*alt);
            *alt = NULL;
        }
    }
    return 0;
}

static int compare_all(const char *g, const char *p, const char *alt, const verify_policy *pol, vverdict *v) {
    if (compare_answers(g, p, pol, v)) return -1;
    if (!v->equal && pol->profile_svs && compare_svs_extra(g, p, pol, v)) return -1;
    if (!v->equal && alt) {
        vverdict v2;
        if (compare_answers(g, alt, pol, &v2)) return -1;
        if (v2.equal) *v = v2;
    }
    return 0;
}

int verify_compare(const char *gold, size_t gold_len, const char *model, size_t model_len,
                   int model_is_response, const verify_policy *policy, verify_result *out,
                   svs_err *err) {
    if (!out) return svs_errf(err, "verify: NULL result");
    memset(out, 0, sizeof *out);
    if (!gold || !model) return svs_errf(err, "verify: gold and model text must not be NULL");
    verify_policy defpol;
    if (!policy) {
        verify_policy_default(&defpol);
        policy = &defpol;
    }
    vverdict v = {0, "no_answer", NULL};
    if (model_len > VLIM_INPUT_BYTES || gold_len > VLIM_INPUT_BYTES) {   /* §5, §6.5 */
        v.reason = "input";
        v.limit = "input";
        return finish(out, NULL, NULL, &v, err);
    }
    char *g = NULL, *p = NULL, *alt = NULL;
    char *gold0 = svs_strndup(gold, gold_len, NULL), *model0 = svs_strndup(model, model_len, NULL);
    if (!gold0 || !model0) goto oom;                            /* NUL-terminated copies */
    gold = gold0;
    model = model0;
    gold_len = strlen(gold0);
    model_len = strlen(model0);
    if (extract_answer(gold, gold_len, 0, policy, &g)) goto oom;
    char letter = vextract_single_letter(g, strlen(g));
    if (extract_model(model, model_len, model_is_response, letter, policy, &p, &alt)) goto oom;
    if (!p || !*p) {
        free(alt);
        free(gold0);
        free(model0);
        return finish(out, g, p, &v, err);
    }
    char pl = letter ? vextract_single_letter(p, strlen(p)) : 0;
    if (letter && pl) {                                         /* §5 step 6: letter answers */
        v.equal = letter == pl;
        v.reason = "letter";
    } else if (compare_all(g, p, alt, policy, &v)) {
        goto oom;
    }
    free(alt);
    free(gold0);
    free(model0);
    return finish(out, g, p, &v, err);
oom:
    free(gold0);
    free(model0);
    free(g);
    free(p);
    free(alt);
    return svs_errf(err, "verify: out of memory");
}

void verify_result_free(verify_result *r) {
    if (!r) return;
    free(r->extracted);
    free(r->gold_extracted);
    r->extracted = r->gold_extracted = NULL;
}

int verify_simple(const char *gold, const char *model, int model_is_response) {
    if (!gold || !model) return -1;
    verify_result r;
    if (verify_compare(gold, strlen(gold), model, strlen(model), model_is_response, NULL, &r, NULL)) return -1;
    int c = r.correct;
    verify_result_free(&r);
    return c;
}
