/* test_svs.c — unit tests of the SvS step logic (ref/svs*.c) on hand-built cases, both modes:
 * selection boundaries, metric rounding, the synthesis prompt and template loading, every
 * extraction rule and quirk (Q2, Q3, Q8, Q9, Q10), trimming, reward shaping, batch assembly
 * (Q1, Q4, Q7, Q11, Q17, r2q, uids), early exits, and a hand-built trace of one deterministic
 * step printed as REPORT lines (spec/svs-algorithm.md §2, §8). */
#include <inttypes.h>

#include "svs.h"
#include "testlib.h"

#define CHAT_OVERHEAD 20 /* the fake chat template adds this many "tokens" */

/* Token counter for tests: one token per byte plus a fixed chat overhead. */
static int ntok_bytes(void *ctx, const char *user, size_t len, size_t *ntok, svs_err *err) {
    (void)ctx;
    (void)user;
    (void)err;
    *ntok = len + CHAT_OVERHEAD;
    return 0;
}

static int ntok_fail(void *ctx, const char *user, size_t len, size_t *ntok, svs_err *err) {
    (void)ctx, (void)user, (void)len, (void)ntok;
    return svs_errf(err, "tokenizer exploded");
}

static svs_config config(int faithful) {
    svs_config c;
    svs_config_default(&c);
    c.faithful = faithful;
    return c;
}

/* Fills rewards of one problem: the rows listed in `correct` (a string of '0'/'1', n long). */
static void fill(float *r, const char *bits) {
    for (size_t j = 0; bits[j]; j++) r[j] = bits[j] == '1' ? 1.0f : 0.0f;
}

/* ---- configuration ------------------------------------------------------------------------ */
static void test_config(void) {
    svs_config c = config(0);
    svs_err err = {{0}};
    CHECK(c.n == 8 && c.under_lo == 0.125 && c.under_hi == 0.5, "selection defaults");
    CHECK(c.synth_lo == 0.125 && c.synth_hi == 0.625, "synthesis defaults");
    CHECK(c.max_prompt_len == 4096 && c.max_response_len == 8192, "LP/LR defaults");
    CHECK(c.world_size == 1 && c.r2q_ratio == 1.0 && !c.faithful, "W, r2q, mode defaults");
    CHECK(c.vps_temperature == 1.0 && c.vps_top_p == 1.0 && c.spa_temperature == 1.0, "temperatures");
    CHECK(svs_config_validate(&c, &err) == 0, "defaults valid");
    c.r2q_ratio = 1.5;
    CHECK(svs_config_validate(&c, &err) < 0 && strstr(err.msg, "r2q_ratio"), "r2q > 1 refused: %s", err.msg);
    c = config(0);
    c.under_lo = 0.6;
    CHECK(svs_config_validate(&c, &err) < 0 && strstr(err.msg, "under-performing"), "lo > hi refused");
    c = config(0);
    c.world_size = 0;
    CHECK(svs_config_validate(&c, &err) < 0, "W = 0 refused");
}

/* ---- selection (§2.2) --------------------------------------------------------------------- */
static void test_select(void) {
    svs_config c = config(0);
    svs_err err = {{0}};
    svs_selection s;
    /* problems with 0..8 correct of 8 */
    const char *bits[9] = {"00000000", "00100000", "10000001", "01010100", "11110000",
                           "11111000", "11111100", "11111110", "11111111"};
    float r[72];
    for (int i = 0; i < 9; i++) fill(r + 8 * i, bits[i]);
    CHECK(svs_select(&c, 9, r, &s, &err) == 0, "select: %s", err.msg);
    CHECK(s.group_acc[1] == 0.125 && s.group_acc[4] == 0.5 && s.group_acc[5] == 0.625, "group accuracies");
    CHECK(svs_is_under_performing(&c, 0.125) && svs_is_under_performing(&c, 0.5), "0.125 and 0.5 included");
    CHECK(!svs_is_under_performing(&c, 0.625) && !svs_is_under_performing(&c, 0.0), "0.625 and 0 excluded");
    /* seeds: every correct row of problems 1..4 (1+2+3+4 = 10), in row order */
    size_t want[10] = {8 + 2, 16 + 0, 16 + 7, 24 + 1, 24 + 3, 24 + 5, 32 + 0, 32 + 1, 32 + 2, 32 + 3};
    CHECK(s.n_seeds == 10, "10 seeds, got %zu", s.n_seeds);
    int same = s.n_seeds == 10;
    for (int k = 0; same && k < 10; k++) same = s.seeds[k] == want[k];
    CHECK(same, "seeds are the correct rows of 1..4-of-8 problems in row order");
    /* OQA rows: all 8 rows of problems 1..7 */
    CHECK(s.n_oqa_rows == 56 && s.oqa_rows[0] == 8 && s.oqa_rows[55] == 63, "OQA rows 1..7 of 8 (%zu)", s.n_oqa_rows);
    svs_selection_free(&s);
    /* non-finite reward refused */
    r[3] = NAN;
    CHECK(svs_select(&c, 9, r, &s, &err) < 0 && strstr(err.msg, "row 3"), "NaN reward refused: %s", err.msg);
    /* n = 3: acc = 1/3 is in [0.125, 0.5] */
    c.n = 3;
    float r3[3] = {0, 1, 0};
    CHECK(svs_select(&c, 1, r3, &s, &err) == 0 && s.n_seeds == 1 && s.seeds[0] == 1 && s.n_oqa_rows == 3,
          "n = 3 selection");
    svs_selection_free(&s);
}

/* ---- rounding (§2.11) --------------------------------------------------------------------- */
static void test_round(void) {
    CHECK(svs_round2(100.0 / 3.0) == 33.33, "1/3 -> 33.33");
    CHECK(svs_round2(200.0 / 3.0) == 66.67, "2/3 -> 66.67");
    CHECK(svs_round2(0.125) == 0.12, "exact tie 0.125 -> 0.12 (half even, Python)");
    CHECK(svs_round2(0.375) == 0.38, "exact tie 0.375 -> 0.38");
    CHECK(svs_round2(2.675) == 2.67, "2.675 is 2.67499.. in binary -> 2.67");
    CHECK(svs_round2(1.005) == 1.0, "1.005 -> 1.0");
    CHECK(svs_round2(100.0 * 3 / 2048) == 0.15, "3/2048 -> 0.15");
    CHECK(svs_round2(100.0 * 1 / 2048) == 0.05, "1/2048 -> 0.05");
    CHECK(svs_round2(100.0 * 10 / 19) == 52.63, "10/19 -> 52.63");
}

/* ---- synthesis prompt, template files, length filter (§2.3, §9) ---------------------------- */
static void test_prompt(void) {
    svs_err err = {{0}};
    svs_buf b = {0};
    const char *tpl = "A{REPLACE}B{REPLACE}{REPLACE}";
    CHECK(svs_synthesis_prompt(tpl, strlen(tpl), "x\\boxed{1}", 10, &b, &err) == 0, "prompt");
    CHECK(b.data && strcmp(b.data, "Ax\\boxed{1}Bx\\boxed{1}x\\boxed{1}") == 0, "every {REPLACE}, no MP: %s", b.data);
    svs_buf_free(&b);
    /* replacement is not re-scanned: a seed containing {REPLACE} stays literal */
    CHECK(svs_synthesis_prompt("<{REPLACE}>", 11, "{REPLACE}", 9, &b, &err) == 0 && strcmp(b.data, "<{REPLACE}>") == 0,
          "plain replacement");
    svs_buf_free(&b);
    CHECK(svs_spa_prompt("Find x.", 7, &b, &err) == 0 &&
              strcmp(b.data, "Find x. Please reason step by step, and put your final answer within \\boxed{}.") == 0,
          "SPA prompt = q + MP (leading space, one backslash)");
    svs_buf_free(&b);
    CHECK(svs_template_check("no placeholder", 14, "t.txt", &err) < 0 && strstr(err.msg, "t.txt") &&
              strstr(err.msg, "{REPLACE}"),
          "missing placeholder names the file: %s", err.msg);
    CHECK(svs_template_check("\xff{REPLACE}", 10, "bad.txt", &err) < 0 && strstr(err.msg, "UTF-8"), "bad UTF-8");
    char *text = NULL;
    size_t len = 0;
    CHECK(svs_template_load("/nonexistent/tpl.txt", &text, &len, &err) < 0 && strstr(err.msg, "/nonexistent/tpl.txt"),
          "missing file named");
    /* a file without the placeholder */
    char path[] = "/tmp/svs_tpl_XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) {
        CHECK(write(fd, "hello", 5) == 5, "write");
        close(fd);
        CHECK(svs_template_load(path, &text, &len, &err) < 0 && strstr(err.msg, path), "no {REPLACE}: %s", err.msg);
        unlink(path);
    }
    /* our template: one {REPLACE}, asks for a ```text block */
    const char *own = "data/prompts/synthesis_default.txt";
    if (access(own, R_OK) != 0) own = "../data/prompts/synthesis_default.txt";
    CHECK(svs_template_load(own, &text, &len, &err) == 0, "own template loads: %s", err.msg);
    if (text) {
        const char *p = strstr(text, "{REPLACE}");
        CHECK(p && !strstr(p + 1, "{REPLACE}"), "own template: exactly one {REPLACE}");
        CHECK(strstr(text, "```text\n") && strstr(text, "same form"), "own template: ```text block, same answer");
        free(text);
    }
    const char *off = svs_shared_path(SVS_TEMPLATE_OFFICIAL_REL);
    if (off) {
        CHECK(svs_template_load(off, &text, &len, &err) == 0 && len == 1078, "official template: 1078 bytes");
        CHECK(text && text[len - 1] == '`' && strstr(text, "<response>\n{REPLACE}\n</response>"), "official layout");
        free(text);
    }
    /* VPS-len filter: ntok(chat(P)) <= LP, inclusive */
    svs_config c = config(0);
    int fits = -1;
    size_t nt = 0;
    c.max_prompt_len = 30;
    CHECK(svs_prompt_fits(&c, ntok_bytes, NULL, "0123456789", 10, &fits, &nt, &err) == 0 && fits && nt == 30,
          "ntok == LP fits");
    CHECK(svs_prompt_fits(&c, ntok_bytes, NULL, "0123456789A", 11, &fits, &nt, &err) == 0 && !fits, "LP+1 dropped");
    CHECK(svs_prompt_fits(&c, ntok_fail, NULL, "x", 1, &fits, &nt, &err) < 0 && strstr(err.msg, "exploded"),
          "callback error propagates: %s", err.msg);
}

/* ---- extraction (§2.4) -------------------------------------------------------------------- */
typedef struct {
    int valid;
    svs_rule rule;
    svs_extract_why why;
    int fallthrough;
    char problem[256];
    int has_problem;
} ex_out;

static ex_out run_extract(const svs_config *c, svs_extract_state *st, const char *resp) {
    ex_out o;
    svs_extract_result r;
    svs_err err = {{0}};
    memset(&o, 0, sizeof o);
    if (svs_extract(c, st, resp, strlen(resp), ntok_bytes, NULL, &r, &err) < 0) {
        o.why = (svs_extract_why)-1;
        return o;
    }
    o.valid = r.valid;
    o.rule = r.rule;
    o.why = r.why;
    o.fallthrough = r.fallthrough;
    if (r.problem) {
        o.has_problem = 1;
        snprintf(o.problem, sizeof o.problem, "%s", r.problem);
    }
    svs_extract_result_free(&r);
    return o;
}

/* Both modes give the same valid problem. */
static void expect_both(const char *resp, svs_rule rule, const char *want) {
    for (int f = 0; f <= 1; f++) {
        svs_config c = config(f);
        svs_extract_state st;
        svs_extract_state_init(&st);
        ex_out o = run_extract(&c, &st, resp);
        CHECK(o.valid && o.rule == rule && strcmp(o.problem, want) == 0, "%s mode, rule %d: got valid=%d rule=%d [%s]",
              f ? "faithful" : "default", (int)rule, o.valid, (int)o.rule, o.problem);
        svs_extract_state_free(&st);
    }
}

static void test_extract_rules(void) {
    /* rule 1: ```text with and without a closing fence; a second ```text ends the first */
    expect_both("Here it is:\n```text\nWhat is 2+3?\n```\nDone.", SVS_RULE_FENCE_TEXT, "What is 2+3?");
    expect_both("```text\nWhat is 2+3?  \n", SVS_RULE_FENCE_TEXT, "What is 2+3?");
    expect_both("```text\nA\n```text\nB\n```", SVS_RULE_FENCE_TEXT, "A");
    expect_both("```python\nx\n```\n```text\nP\n```", SVS_RULE_FENCE_TEXT, "P");
    /* rule 2: plain fences; one fence only runs to the end */
    expect_both("```\nFind x.\n```", SVS_RULE_FENCE, "Find x.");
    expect_both("Intro ```\nFind y.\n", SVS_RULE_FENCE, "Find y.");
    expect_both("```Find x with y```", SVS_RULE_FENCE, "Find x with y");
    /* rule 3: up to the first blank line, or the next marker */
    expect_both("**Reconstructed Question:**\n\nWhat is 7*6?\n\nAnswer: 42", SVS_RULE_MARKER, "What is 7*6?");
    expect_both("**Reconstructed Question:**\n\nQ1 line\nmore**Reconstructed Question:**\n\nQ2", SVS_RULE_MARKER,
                "Q1 line\nmore");
    /* rule 4 with the literal four-asterisk form: works in both modes */
    expect_both("****Reconstructed Question (in natural English):**\n\nHow many?\n\nrest", SVS_RULE_MARKER_EN,
                "How many?");
    /* marker after </think> */
    expect_both("<think>hmm</think>\n```text\nP after think\n```", SVS_RULE_FENCE_TEXT, "P after think");
    expect_both("<think>a</think>x</think>**Reconstructed Question:**\n\nLast", SVS_RULE_MARKER, "Last");
}

static void test_extract_quirks(void) {
    svs_config F = config(1), D = config(0);
    svs_extract_state st;
    ex_out o;
    svs_extract_state_init(&st);
    /* Q9: fence language tag kept (faithful) / dropped (default) */
    o = run_extract(&F, &st, "```markdown\nFind x.\n```");
    CHECK(o.valid && strcmp(o.problem, "markdown\nFind x.") == 0, "Q9 faithful keeps tag: [%s]", o.problem);
    o = run_extract(&D, NULL, "```markdown\nFind x.\n```");
    CHECK(o.valid && strcmp(o.problem, "Find x.") == 0, "Q9 default drops tag: [%s]", o.problem);
    o = run_extract(&D, NULL, "```\nFind x.\n```");
    CHECK(o.valid && strcmp(o.problem, "Find x.") == 0, "no tag: nothing dropped");
    /* Q3: the natural-English marker */
    const char *en = "**Reconstructed Question (in natural English):**\n\nHow many apples?\n\nThanks";
    o = run_extract(&F, &st, en);
    CHECK(!o.valid && o.rule == SVS_RULE_MARKER_EN && o.why == SVS_EX_INDEX_ERROR, "Q3 faithful: index error");
    CHECK(st.set && strcmp(st.last, "None") == 0, "after an error the state holds \"None\"");
    o = run_extract(&D, NULL, en);
    CHECK(o.valid && strcmp(o.problem, "How many apples?") == 0, "Q3 default: correct marker works");
    /* Q8: tested on resp, extracted after the last </think> */
    const char *q8 = "<think>draft ```text\nbad\n```</think>\n**Reconstructed Question:**\n\nGood?";
    o = run_extract(&F, &st, q8);
    CHECK(!o.valid && o.rule == SVS_RULE_FENCE_TEXT && o.why == SVS_EX_INDEX_ERROR, "Q8 faithful: index error");
    o = run_extract(&D, NULL, q8);
    CHECK(o.valid && o.rule == SVS_RULE_MARKER && strcmp(o.problem, "Good?") == 0, "Q8 default: rule 3 on t");
    o = run_extract(&D, NULL, "<think>```text\nX\n```</think>\nno marker");
    CHECK(!o.valid && o.why == SVS_EX_NO_MATCH, "Q8 default: marker only in thinking -> no match");
    const char *q8b[2] = {"<think>```\nx\n```</think>plain", "<think>**Reconstructed Question:**\n\nx</think>plain"};
    for (int i = 0; i < 2; i++) {
        o = run_extract(&F, &st, q8b[i]);
        CHECK(!o.valid && o.rule == (svs_rule)(SVS_RULE_FENCE + i) && o.why == SVS_EX_INDEX_ERROR,
              "Q8 faithful, rule %d only in thinking: index error", 2 + i);
        o = run_extract(&D, NULL, q8b[i]);
        CHECK(!o.valid && o.why == SVS_EX_NO_MATCH, "Q8 default, rule %d only in thinking: no match", 2 + i);
    }
    /* Q10: empty problem */
    o = run_extract(&F, &st, "```text\n \n```");
    CHECK(o.valid && o.has_problem && o.problem[0] == 0, "Q10 faithful: empty accepted");
    o = run_extract(&D, NULL, "```text\n \n```");
    CHECK(!o.valid && o.why == SVS_EX_EMPTY, "Q10 default: empty invalid");
    /* length check: ntok(chat(q + MP)) <= LP */
    svs_config small = config(0);
    small.max_prompt_len = CHAT_OVERHEAD + strlen(SVS_MATH_PROMPT) + 3;
    o = run_extract(&small, NULL, "```text\nabc\n```");
    CHECK(o.valid, "q + MP of exactly LP tokens is valid");
    o = run_extract(&small, NULL, "```text\nabcd\n```");
    CHECK(!o.valid && o.why == SVS_EX_TOO_LONG && strcmp(o.problem, "abcd") == 0, "one token over: too long");
    /* errors: faithful without a state; a failing token counter */
    svs_extract_result r;
    svs_err err = {{0}};
    CHECK(svs_extract(&F, NULL, "x", 1, ntok_bytes, NULL, &r, &err) < 0 && strstr(err.msg, "Q2"), "state required");
    CHECK(svs_extract(&D, NULL, "```text\nx```", 12, ntok_fail, NULL, &r, &err) < 0 && !r.problem,
          "callback failure is an error, not an invalid problem");
    svs_extract_state_free(&st);
}

/* Q2: the fall-through across responses and steps, starting from an unset state. */
static void test_extract_fallthrough(void) {
    svs_config F = config(1), D = config(0);
    svs_extract_state st;
    ex_out o;
    svs_extract_state_init(&st);
    o = run_extract(&F, &st, "I could not write a problem.");
    CHECK(!o.valid && o.why == SVS_EX_UNSET && strcmp(st.last, "None") == 0, "first response of the run: unset -> invalid");
    o = run_extract(&F, &st, "Still nothing.");
    CHECK(o.valid && o.fallthrough && strcmp(o.problem, "None") == 0, "fall-through after an error: valid \"None\"");
    o = run_extract(&F, &st, "```text\nWhat is 6*7?\n```");
    CHECK(o.valid && !o.fallthrough && strcmp(st.last, "What is 6*7?") == 0, "state updated");
    o = run_extract(&F, &st, "no markers");
    CHECK(o.valid && o.fallthrough && strcmp(o.problem, "What is 6*7?") == 0, "fall-through reuses previous problem");
    /* "next step": same state object, new batch */
    o = run_extract(&F, &st, "step 2, first response, no markers");
    CHECK(o.valid && strcmp(o.problem, "What is 6*7?") == 0, "fall-through across steps");
    /* a too-long problem still becomes the state (no error was raised) */
    svs_config Fs = F;
    Fs.max_prompt_len = CHAT_OVERHEAD + strlen(SVS_MATH_PROMPT) + 2;
    o = run_extract(&Fs, &st, "```text\nlong problem\n```");
    CHECK(!o.valid && o.why == SVS_EX_TOO_LONG && strcmp(st.last, "long problem") == 0, "too long keeps q");
    o = run_extract(&F, &st, "nothing");
    CHECK(o.valid && strcmp(o.problem, "long problem") == 0, "then falls through to it");
    /* the stale q is trimmed again: "\n \n \nX\n" -> "\nX" -> "X" */
    o = run_extract(&F, &st, "```text\n \n \nX\n```");
    CHECK(o.valid && strcmp(o.problem, "\nX") == 0, "one trim pass leaves \\nX: [%s]", o.problem);
    o = run_extract(&F, &st, "nothing");
    CHECK(o.valid && o.fallthrough && strcmp(o.problem, "X") == 0, "fall-through re-trims: [%s]", o.problem);
    o = run_extract(&D, &st, "nothing");
    CHECK(!o.valid && o.why == SVS_EX_NO_MATCH && !o.has_problem, "default: no match = invalid");
    CHECK(strcmp(st.last, "X") == 0, "default mode leaves the state alone");
    svs_extract_state_free(&st);
}

static void trim_case(const char *in, const char *want) {
    size_t a = 0, b = strlen(in);
    svs_trim(in, &a, &b);
    CHECK(b - a == strlen(want) && memcmp(in + a, want, b - a) == 0, "trim [%s] -> [%.*s]", in, (int)(b - a), in + a);
}

static void test_trim(void) {
    trim_case("\n  \n Y \n", "Y");
    trim_case(" \n \nX", "\nX");         /* one pass: '\n', ' ', '\n', ' ' — not a full strip */
    trim_case("\n \n\tX\r \n", "\tX\r"); /* tabs and '\r' stay */
    trim_case("\r\nX\n\r", "\r\nX\n\r");
    trim_case("\n\n  \n\n  ", "");
    trim_case("  \n  Z", "Z");
    trim_case("\n \n \nW", "\nW");
    /* the same through extraction, both modes */
    expect_both("```text\n \n\tX\r \n```", SVS_RULE_FENCE_TEXT, "\tX\r");
    size_t s = 0;
    const char *t = "markdown\nP";
    svs_drop_fence_tag(t, &s, strlen(t));
    CHECK(s == 9, "tag dropped");
    s = 0;
    t = "markdown";
    svs_drop_fence_tag(t, &s, strlen(t));
    CHECK(s == 0, "no newline: not a tag");
    s = 0;
    t = "\nP";
    svs_drop_fence_tag(t, &s, strlen(t));
    CHECK(s == 0, "empty run: not a tag");
}

/* ---- reward shaping (§2.6) ---------------------------------------------------------------- */
static void test_shape(void) {
    svs_config c = config(0);
    svs_err err = {{0}};
    int want[9] = {0, 1, 1, 1, 1, 1, 0, 0, 0};
    for (int cnt = 0; cnt <= 8; cnt++)
        CHECK(svs_synthesis_reward(&c, 1, cnt) == (float)want[cnt], "cnt %d -> %d", cnt, want[cnt]);
    CHECK(svs_synthesis_reward(&c, 0, 3) == 0.0f, "invalid -> 0");
    /* three synthesis rows: valid (cnt 5), invalid, valid (cnt 6) */
    float spa[16];
    fill(spa, "11011010");
    fill(spa + 8, "11111100");
    int valid[3] = {1, 0, 1}, cnt[3];
    float rew[3];
    CHECK(svs_shape_rewards(&c, 3, valid, spa, cnt, rew, &err) == 0, "shape");
    CHECK(cnt[0] == 5 && cnt[1] == -1 && cnt[2] == 6, "counts %d %d %d", cnt[0], cnt[1], cnt[2]);
    CHECK(rew[0] == 1.0f && rew[1] == 0.0f && rew[2] == 0.0f, "rewards");
    CHECK(svs_spa_count(8, spa) == 5, "count");
}

/* ---- batch assembly (§2.7) ---------------------------------------------------------------- */

/* A small step: problems given as bit strings; each kept seed's 8 synthesis rows described by
 * a string of per-row SPA counts ('-' = invalid, '0'..'8' = count of correct SPA answers). */
typedef struct {
    float oqa[64];
    size_t oqa_len[64];
    size_t kept[8];
    int valid[64];
    size_t vps_len[64];
    float spa[512];
    size_t spa_len[512];
    svs_step_in in;
} step_fixture;

static void build(step_fixture *f, int B, const char **bits, int n_kept, const size_t *kept, const char **groups) {
    memset(f, 0, sizeof *f);
    for (int i = 0; i < B; i++) fill(f->oqa + 8 * i, bits[i]);
    for (int r = 0; r < 8 * B; r++) f->oqa_len[r] = 100 + (size_t)r;
    size_t v = 0;
    for (int k = 0; k < n_kept; k++) {
        f->kept[k] = kept[k];
        for (int m = 0; m < 8; m++) {
            size_t r = (size_t)(8 * k + m);
            f->vps_len[r] = 10 + r;
            char ch = groups[k][m];
            f->valid[r] = ch != '-';
            if (ch == '-') continue;
            for (int j = 0; j < 8; j++) {
                f->spa[v * 8 + (size_t)j] = j < ch - '0' ? 1.0f : 0.0f;
                f->spa_len[v * 8 + (size_t)j] = 1000 + v * 8 + (size_t)j;
            }
            v++;
        }
    }
    svs_step_in in = {(size_t)B, f->oqa, f->oqa_len, (size_t)n_kept, f->kept, f->valid, f->vps_len, f->spa, f->spa_len};
    f->in = in;
}

static size_t count_kind(const svs_batch *b, svs_kind k) {
    size_t n = 0;
    for (size_t i = 0; i < b->n_rows; i++) n += b->rows[i].kind == k;
    return n;
}

static void test_batch_q7_q17(void) {
    /* one problem, 2 of 8 correct (rows 1 and 5) -> two seeds.
     * seed 0: all eight synthetic problems 3/8 -> eight rewards 1 (an all-1 group);
     * seed 1: 6/8 (reward 0, SPA trained, Q17), 2/8 (reward 1), and invalid rows. */
    const char *bits[1] = {"01000100"};
    size_t kept[2] = {1, 5};
    const char *groups[2] = {"33333333", "62------"};
    step_fixture f;
    build(&f, 1, bits, 2, kept, groups);
    svs_err err = {{0}};
    for (int mode = 0; mode <= 1; mode++) {
        svs_config c = config(mode);
        svs_batch b;
        CHECK(svs_batch_assemble(&c, &f.in, NULL, &b, &err) == 0, "assemble: %s", err.msg);
        CHECK(b.n_oqa == 8 && b.n_valid == 10 && b.n_vps_all == 16, "counts");
        CHECK(b.vps_reward[0] == 1.0f && b.vps_reward[8] == 0.0f && b.vps_reward[9] == 1.0f && b.vps_cnt[10] == -1,
              "rewards of seed 1: 6/8 -> 0, 2/8 -> 1");
        /* Q7: the all-1 group is kept faithful, dropped default; seed 1 (mixed) kept in both */
        CHECK(b.n_vps == (mode ? 16u : 8u), "%s: VPS rows %zu", mode ? "faithful" : "default", b.n_vps);
        /* Q17: SPA rows of all ten synthetic problems (3/8, 6/8, 2/8) are trained */
        CHECK(b.n_spa == 80 && count_kind(&b, SVS_KIND_SPA) == 80, "SPA rows %zu", b.n_spa);
        int has62 = 0;
        for (size_t i = 0; i < b.n_rows; i++)
            if (b.rows[i].kind == SVS_KIND_SPA && b.rows[i].uid == 1 + 2 + 8) has62 = 1;
        CHECK(has62, "the 6/8 synthetic problem (valid row 8, uid B+n_kept+8) trains although its VPS reward is 0");
        CHECK(b.train && b.exit == SVS_EXIT_NONE, "trained");
        /* order: OQA ++ VPS ++ SPA */
        int ordered = 1;
        for (size_t i = 1; i < b.n_rows; i++) ordered &= b.rows[i - 1].kind <= b.rows[i].kind;
        CHECK(ordered, "OQA ++ VPS ++ SPA");
        svs_batch_free(&b);
    }
}

static void test_batch_uids_masks(void) {
    const char *bits[2] = {"11111111", "00010000"}; /* problem 0 all correct, problem 1: seed row 11 */
    size_t kept[1] = {11};
    const char *groups[1] = {"1-1-1-1-"};
    step_fixture f;
    build(&f, 2, bits, 1, kept, groups);
    svs_err err = {{0}};
    for (int mode = 0; mode <= 1; mode++) {
        svs_config c = config(mode);
        svs_batch b;
        CHECK(svs_batch_assemble(&c, &f.in, NULL, &b, &err) == 0, "assemble: %s", err.msg);
        CHECK(b.n_oqa == 8 && b.n_vps == 8 && b.n_spa == 32, "rows %zu %zu %zu", b.n_oqa, b.n_vps, b.n_spa);
        const svs_row *r = b.rows;
        CHECK(r[0].uid == 1 && r[0].index == 8 && r[0].adv_len == r[0].resp_len && r[0].resp_len == 108, "OQA row");
        CHECK(r[8].kind == SVS_KIND_VPS && r[8].uid == 2 && r[8].seed_row == 11 && r[8].resp_len == 10, "VPS row");
        CHECK(r[16].kind == SVS_KIND_SPA && r[16].uid == 3 && r[24].uid == 4 && r[40].uid == 6, "SPA uids per problem");
        /* Q1: faithful advantage mask = seed OQA length (111); default = own */
        size_t want_vps = mode ? 111 : 10, want_spa = mode ? 111 : 1000;
        CHECK(r[8].adv_len == want_vps && r[16].adv_len == want_spa && r[16].resp_len == 1000,
              "%s: stale mask lengths %zu %zu", mode ? "faithful" : "default", r[8].adv_len, r[16].adv_len);
        CHECK(r[9].reward == 0.0f && r[8].reward == 1.0f, "invalid rows stay in kept groups with reward 0");
        svs_batch_free(&b);
    }
    /* a kept seed that is not a seed is refused */
    size_t wrong[1] = {12};
    build(&f, 2, bits, 1, wrong, groups);
    svs_config c = config(0);
    svs_batch b;
    CHECK(svs_batch_assemble(&c, &f.in, NULL, &b, &err) < 0 && strstr(err.msg, "not a seed"), "bad seed: %s", err.msg);
}

/* Per-stage n (--vps-n, --spa-n): one problem with 8 OQA samples, 2 seeds; 3 synthesis samples
 * per seed, 4 SPA solutions per synthetic problem. Band on the SPA count: 4·0.125 = 0.5 <= cnt
 * <= 4·0.625 = 2.5, so counts 1 and 2 give reward 1, 0/3/4 give 0. */
static void test_batch_per_stage_n(void) {
    float oqa[8];
    size_t oqa_len[8], kept[2] = {1, 5}, vps_len[6], spa_len[20];
    fill(oqa, "01000100");
    for (int r = 0; r < 8; r++) oqa_len[r] = 100 + (size_t)r;
    /* seed 0 rows 0-2: counts 1, invalid, 3; seed 1 rows 3-5: 2, 4, 0 */
    int valid[6] = {1, 0, 1, 1, 1, 1}, counts[5] = {1, 3, 2, 4, 0};
    float spa[20];
    for (int v = 0; v < 5; v++)
        for (int j = 0; j < 4; j++) spa[v * 4 + j] = j < counts[v] ? 1.0f : 0.0f, spa_len[v * 4 + j] = 50 + (size_t)j;
    for (int r = 0; r < 6; r++) vps_len[r] = 10 + (size_t)r;
    svs_step_in in = {1, oqa, oqa_len, 2, kept, valid, vps_len, spa, spa_len};
    svs_config c = config(0);
    c.n_vps = 3;
    c.n_spa = 4;
    svs_err err = {{0}};
    svs_batch b;
    CHECK(svs_batch_assemble(&c, &in, NULL, &b, &err) == 0, "assemble: %s", err.msg);
    CHECK(b.n_vps_all == 6 && b.n_valid == 5 && b.n_spa_all == 20, "counts %zu %zu %zu", b.n_vps_all, b.n_valid, b.n_spa_all);
    float want_r[6] = {1, 0, 0, 1, 0, 0};
    int want_c[6] = {1, -1, 3, 2, 4, 0}, ok = 1;
    for (int r = 0; r < 6; r++) ok &= b.vps_reward[r] == want_r[r] && b.vps_cnt[r] == want_c[r];
    CHECK(ok, "synthesis rewards/counts with n_spa = 4");
    /* VPS groups of 3 with mixed rewards (both seeds), SPA groups of 4 with 0 < cnt < 4 (1, 3, 2) */
    CHECK(b.n_oqa == 8 && b.n_vps == 6 && b.n_spa == 12, "rows %zu %zu %zu", b.n_oqa, b.n_vps, b.n_spa);
    CHECK(b.rows[8].uid == 1 && b.rows[11].uid == 2 && b.rows[14].uid == 3 && b.rows[18].uid == 4 && b.rows[22].uid == 5,
          "uids per group: seeds B+k, synthetic problems B+n_kept+v");
    CHECK(b.rows[14].index == 0 && b.rows[18].index == 4 && b.rows[22].index == 8, "SPA row index v*n_spa+k");
    svs_batch_free(&b);
    c.n_spa = -1;
    CHECK(svs_config_validate(&c, &err) < 0 && strstr(err.msg, "n_spa"), "negative n_spa refused: %s", err.msg);
}

static void test_batch_r2q(void) {
    const char *bits[1] = {"11000000"};
    size_t kept[2] = {0, 1};
    const char *groups[2] = {"11110000", "00000011"};
    step_fixture f;
    build(&f, 1, bits, 2, kept, groups);
    svs_err err = {{0}};
    svs_config c = config(0);
    svs_batch b;
    uint64_t rng = 42;
    c.r2q_ratio = 0.5;
    CHECK(svs_batch_assemble(&c, &f.in, &rng, &b, &err) == 0, "assemble");
    CHECK(b.n_vps == 8 && count_kind(&b, SVS_KIND_VPS) == 8 && b.n_vps_kept == 16, "int(0.5*16) = 8 VPS rows");
    int seen[16] = {0}, distinct = 1, shuffled = 0;
    for (size_t i = 8; i < 16; i++) {
        size_t idx = b.rows[i].index;
        distinct &= idx < 16 && !seen[idx];
        if (idx < 16) seen[idx] = 1;
        shuffled |= i > 8 && b.rows[i].index < b.rows[i - 1].index;
    }
    CHECK(distinct && shuffled, "a random subset of individual rows, in random order");
    CHECK(rng != 42, "the RNG state advanced");
    CHECK(b.rows[16].kind == SVS_KIND_SPA && b.n_rows == 8 + 8 + b.n_spa, "SPA rows follow");
    uint64_t rng2 = 42;
    svs_batch b2;
    CHECK(svs_batch_assemble(&c, &f.in, &rng2, &b2, &err) == 0 && b2.n_rows == b.n_rows &&
              memcmp(b2.rows, b.rows, b.n_rows * sizeof *b.rows) == 0,
          "same seed, same subset");
    svs_batch_free(&b2);
    svs_batch_free(&b);
    c.r2q_ratio = 0.3; /* int(0.3 * 16) = int(4.8) = 4 */
    CHECK(svs_batch_assemble(&c, &f.in, &rng, &b, &err) == 0 && b.n_vps == 4, "truncation toward 0: %zu", b.n_vps);
    svs_batch_free(&b);
    c.r2q_ratio = 0.0;
    CHECK(svs_batch_assemble(&c, &f.in, &rng, &b, &err) == 0 && b.n_vps == 0, "ratio 0");
    svs_batch_free(&b);
    CHECK(svs_batch_assemble(&c, &f.in, NULL, &b, &err) < 0 && strstr(err.msg, "RNG"), "r2q < 1 needs an RNG");
}

static void test_batch_world_size(void) {
    /* 8 OQA + 8 VPS + 8 SPA = 24 rows; W = 17 drops 7 SPA rows, leaving a singleton group */
    const char *bits[1] = {"10000000"};
    size_t kept[1] = {0};
    const char *groups[1] = {"4-------"};
    step_fixture f;
    build(&f, 1, bits, 1, kept, groups);
    svs_err err = {{0}};
    svs_config c = config(1);
    svs_batch b;
    c.world_size = 17;
    CHECK(svs_batch_assemble(&c, &f.in, NULL, &b, &err) == 0 && b.n_total == 24, "assemble");
    CHECK(b.n_rows == 17 && b.n_truncated == 7 && b.n_spa == 8, "Q11: 24 mod 17 = 7 dropped; Num-* before");
    CHECK(b.rows[16].kind == SVS_KIND_SPA && b.rows[16].index == 0 && b.rows[15].kind == SVS_KIND_VPS,
          "one SPA row left: a singleton group");
    svs_batch_free(&b);
    c.world_size = 1;
    CHECK(svs_batch_assemble(&c, &f.in, NULL, &b, &err) == 0 && b.n_rows == 24 && b.n_truncated == 0, "W = 1 no-op");
    svs_batch_free(&b);
    c = config(0);
    c.world_size = 17;
    CHECK(svs_batch_assemble(&c, &f.in, NULL, &b, &err) == 0 && b.n_rows == 24, "default: no truncation");
    svs_batch_free(&b);
    /* exit 3: the truncation empties the batch */
    c = config(1);
    c.world_size = 100;
    CHECK(svs_batch_assemble(&c, &f.in, NULL, &b, &err) == 0 && b.n_rows == 0 && !b.train &&
              b.exit == SVS_EXIT_EMPTY_BATCH,
          "exit 3: empty after truncation -> skip");
    svs_batch_free(&b);
}

static void exit_case(const char *what, step_fixture *f, svs_exit want_exit, size_t default_rows) {
    svs_err err = {{0}};
    for (int mode = 0; mode <= 1; mode++) {
        svs_config c = config(mode);
        svs_batch b;
        svs_metrics m;
        CHECK(svs_batch_assemble(&c, &f->in, NULL, &b, &err) == 0, "%s: %s", what, err.msg);
        CHECK(b.exit == want_exit, "%s: exit %d", what, (int)b.exit);
        if (mode) /* Q4: faithful skips: no update, counter unchanged, OQA rows discarded */
            CHECK(!b.train && b.n_rows == 0, "%s faithful: skipped", what);
        else
            CHECK(b.train == (default_rows > 0) && b.n_rows == default_rows && b.n_oqa == default_rows,
                  "%s default: OQA only (%zu rows)", what, b.n_rows);
        CHECK(svs_step_metrics(&c, &f->in, &b, &m, &err) == 0 && svs_metrics_get(&m, "SvS-Valid-Ratio/Num-Total", NULL),
              "%s: metrics", what);
        svs_batch_free(&b);
    }
}

static void test_exits(void) {
    step_fixture f;
    const char *no_seeds[2] = {"11111100", "00000000"}; /* 6/8 and 0/8: no seed, OQA rows 8 */
    build(&f, 2, no_seeds, 0, NULL, NULL);
    exit_case("exit 1", &f, SVS_EXIT_NO_SEEDS, 8);
    const char *nothing[1] = {"00000000"};
    build(&f, 1, nothing, 0, NULL, NULL);
    exit_case("exit 1, no OQA rows", &f, SVS_EXIT_NO_SEEDS, 0);
    const char *seeded[1] = {"10000000"};
    build(&f, 1, seeded, 0, NULL, NULL); /* VPS-len removed the one seed */
    exit_case("VPS-len removed all", &f, SVS_EXIT_NO_KEPT_SEEDS, 8);
    size_t kept[1] = {0};
    const char *invalid[1] = {"--------"};
    build(&f, 1, seeded, 1, kept, invalid);
    exit_case("exit 2", &f, SVS_EXIT_NO_VALID, 8);
}

/* ---- metrics (§2.11) ---------------------------------------------------------------------- */
static void test_metrics(void) {
    const char *bits[2] = {"10000000", "11111111"};
    size_t kept[1] = {0};
    const char *groups[1] = {"3-8-----"};
    step_fixture f;
    build(&f, 2, bits, 1, kept, groups);
    svs_err err = {{0}};
    svs_config c = config(0);
    svs_batch b;
    svs_metrics m;
    CHECK(svs_batch_assemble(&c, &f.in, NULL, &b, &err) == 0, "assemble");
    CHECK(svs_step_metrics(&c, &f.in, &b, &m, &err) == 0 && m.n == 13, "13 metrics, got %zu", m.n);
    const char *names[13] = {"critic/OQA-reward",           "SvS-Valid-Ratio/OQA-input", "SvS-Valid-Ratio/OQA-RL",
                             "SvS-Valid-Ratio/VPS-len",     "SvS-Valid-Ratio/extract-VPS", "critic/VPS-reward",
                             "critic/SPA-reward",           "SvS-Valid-Ratio/VPS-RL",    "SvS-Valid-Ratio/SPA-RL",
                             "SvS-Valid-Ratio/Num-OQA",     "SvS-Valid-Ratio/Num-VPS",   "SvS-Valid-Ratio/Num-SPA",
                             "SvS-Valid-Ratio/Num-Total"};
    double want[13] = {9.0 / 16, 6.25, 50, 100, 25, 1.0 / 8, 11.0 / 16, 100, 50, 8, 8, 8, 24};
    for (int i = 0; i < 13 && i < (int)m.n; i++)
        CHECK(strcmp(m.items[i].name, names[i]) == 0 && m.items[i].value == want[i], "%s = %.17g (want %.17g)",
              m.items[i].name, m.items[i].value, want[i]);
    svs_buf js = {0};
    CHECK(svs_metrics_json(&m, &js, &err) == 0 && strncmp(js.data, "{\"critic/OQA-reward\": 0.5625, ", 30) == 0 &&
              strstr(js.data, "\"SvS-Valid-Ratio/Num-Total\": 24}"),
          "JSON: %s", js.data);
    svs_buf_free(&js);
    svs_batch_free(&b);
}

/* ---- a hand-built trace of one deterministic step (REPORT lines) --------------------------- */

/* The fake grader: a synthetic problem "… c=K …" has K of 8 correct SPA answers. */
static int fake_cnt(const char *q) {
    const char *p = q ? strstr(q, "c=") : NULL;
    return p ? p[2] - '0' : 0;
}

static const char *synthesis_response(int k, int m, char *buf, size_t cap) {
    static const char *seed1[8] = {
        "```markdown\nc=6 tagged\n```",
        "I cannot do it.",
        "**Reconstructed Question (in natural English):**\n\nc=2 english\n\n",
        "no marker",
        "**Reconstructed Question:**\n\nc=5 marker\n\nextra",
        "<think>```text\nc=1 draft\n```</think>\nfinal: c=4 no fence",
        "```text\n\n```",
        "```text\nc=8 easy\n```",
    };
    switch (k) {
    case 0: snprintf(buf, cap, "```text\nSolve c=3 v0m%d\n```", m); break;
    case 1: snprintf(buf, cap, "%s", seed1[m]); break;
    case 2: snprintf(buf, cap, "```text\nc=0 hard k2m%d\n```", m); break;
    case 3: snprintf(buf, cap, "```text\nc=%d k3\n```", m == 0 ? 7 : 0); break;
    default: snprintf(buf, cap, "```text\nc=%d k4m%d\n```", m == 7 ? 6 : 1, m); break;
    }
    return buf;
}

/* One extraction of the trace on a REPORT line, newlines escaped. */
static void print_problem(int m, const svs_extract_result *x) {
    printf(" [%d:%s", m, x->valid ? "" : "invalid ");
    if (!x->problem) printf("-");
    for (const char *p = x->problem; p && *p; p++) {
        if (*p == '\n') fputs("\\n", stdout);
        else putchar(*p);
    }
    printf("]");
}

typedef struct {
    double metrics[13];
    size_t n_valid;
} trace_want;

static void trace_step(int faithful, const trace_want *want) {
    svs_config c = config(faithful);
    svs_err err = {{0}};
    const char *mode = faithful ? "faithful" : "default";
    const char *bits[4] = {"00000000", "01000100", "11110000", "11111100"};
    static float oqa[32], spa[320];
    static size_t oqa_len[32], vps_len[40], spa_len[320], kept[6];
    static int valid[40];
    for (int i = 0; i < 4; i++) fill(oqa + 8 * i, bits[i]);
    for (int r = 0; r < 32; r++) oqa_len[r] = 200 + (size_t)r;
    /* stage 1: selection */
    svs_selection sel;
    CHECK(svs_select(&c, 4, oqa, &sel, &err) == 0 && sel.n_seeds == 6, "trace: 6 seeds");
    printf("REPORT svs-trace %s acc=[%g %g %g %g] seeds=[", mode, sel.group_acc[0], sel.group_acc[1],
           sel.group_acc[2], sel.group_acc[3]);
    for (size_t k = 0; k < sel.n_seeds; k++) printf("%s%zu", k ? " " : "", sel.seeds[k]);
    printf("] oqa_rows=%zu\n", sel.n_oqa_rows);
    /* stage 2: synthesis prompts; the solution of seed row 19 is too long for LP */
    const char *tpl = "Solution:\n{REPLACE}\nWrite a problem in ```text.";
    size_t n_kept = 0;
    for (size_t k = 0; k < sel.n_seeds; k++) {
        char seed_text[64];
        svs_buf p = {0};
        int fits = 0;
        snprintf(seed_text, sizeof seed_text, "solution of row %zu \\boxed{7}", sel.seeds[k]);
        CHECK(svs_synthesis_prompt(tpl, strlen(tpl), seed_text, strlen(seed_text), &p, &err) == 0, "prompt");
        if (sel.seeds[k] == 19) { /* pad it beyond LP */
            for (int i = 0; i < 4100; i++) svs_buf_putc(&p, 'x', &err);
        }
        CHECK(svs_prompt_fits(&c, ntok_bytes, NULL, p.data, p.len, &fits, NULL, &err) == 0, "fits");
        if (fits) kept[n_kept++] = sel.seeds[k];
        svs_buf_free(&p);
    }
    printf("REPORT svs-trace %s vps_len_kept=%zu of %zu\n", mode, n_kept, sel.n_seeds);
    /* stage 3: extraction, one run-level state; stage 4: fake SPA grading */
    svs_extract_state st;
    svs_extract_state_init(&st);
    size_t v = 0;
    printf("REPORT svs-trace %s extract", mode);
    for (size_t k = 0; k < n_kept; k++)
        for (int m = 0; m < 8; m++) {
            char buf[128];
            size_t r = k * 8 + (size_t)m;
            svs_extract_result x;
            synthesis_response((int)k, m, buf, sizeof buf);
            CHECK(svs_extract(&c, &st, buf, strlen(buf), ntok_bytes, NULL, &x, &err) == 0, "extract");
            valid[r] = x.valid;
            vps_len[r] = 20 + r;
            if (x.valid) {
                int cnt = fake_cnt(x.problem);
                for (int j = 0; j < 8; j++) {
                    spa[v * 8 + (size_t)j] = j < cnt ? 1.0f : 0.0f;
                    spa_len[v * 8 + (size_t)j] = 300 + (size_t)j;
                }
                v++;
            }
            if (k == 1) print_problem(m, &x);
            svs_extract_result_free(&x);
        }
    printf(" valid=%zu\n", v);
    CHECK(v == want->n_valid, "trace %s: %zu valid", mode, v);
    svs_extract_state_free(&st);
    /* stage 5: assembly and metrics */
    svs_step_in in = {4, oqa, oqa_len, n_kept, kept, valid, vps_len, spa, spa_len};
    svs_batch b;
    svs_metrics met;
    CHECK(svs_batch_assemble(&c, &in, NULL, &b, &err) == 0, "trace assemble: %s", err.msg);
    CHECK(svs_step_metrics(&c, &in, &b, &met, &err) == 0 && met.n == 13, "trace metrics");
    printf("REPORT svs-trace %s vps_rewards=", mode);
    for (size_t r = 0; r < n_kept * 8; r++) printf("%d%s", (int)b.vps_reward[r], r % 8 == 7 ? " " : "");
    printf("\n");
    for (size_t i = 0; i < met.n; i++)
        CHECK(met.items[i].value == want->metrics[i], "trace %s: %s = %.17g, want %.17g", mode, met.items[i].name,
              met.items[i].value, want->metrics[i]);
    size_t vps_row = b.n_oqa; /* first VPS row: seed group 0 (faithful) or 1 (default) */
    CHECK(b.rows[vps_row].adv_len == (faithful ? oqa_len[b.rows[vps_row].seed_row] : b.rows[vps_row].resp_len),
          "trace: mask length of the first VPS row");
    svs_buf js = {0};
    svs_metrics_json(&met, &js, &err);
    printf("REPORT svs-trace %s metrics=%s\n", mode, js.data);
    svs_buf_free(&js);
    svs_batch_free(&b);
    svs_selection_free(&sel);
}

static void test_trace(void) {
    /* Worked by hand (docs/svs.md §"A worked step"). Seeds: rows 9, 13 (2/8) and 16..19 (4/8);
     * row 19 fails VPS-len -> 5 kept seeds, 40 synthesis rows. */
    trace_want F = {{0.375, 18.75, 75, 83.33, 95, 0.4, 69.0 / 304, 60, 52.63, 24, 24, 160, 208}, 38};
    trace_want D = {{0.375, 18.75, 75, 83.33, 90, 0.425, 65.0 / 288, 40, 55.56, 24, 16, 160, 200}, 36};
    trace_step(1, &F);
    trace_step(0, &D);
}

int main(void) {
    test_config();
    test_select();
    test_round();
    test_prompt();
    test_extract_rules();
    test_extract_quirks();
    test_extract_fallthrough();
    test_trim();
    test_shape();
    test_batch_q7_q17();
    test_batch_uids_masks();
    test_batch_per_stage_n();
    test_batch_r2q();
    test_batch_world_size();
    test_exits();
    test_metrics();
    test_trace();
    return test_summary();
}
