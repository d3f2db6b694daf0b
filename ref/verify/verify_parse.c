/* verify_parse.c — [C] the answer parser: a normalized answer string to a typed tree (vnode).
 *
 * Implements spec/verifier.md §6.2 (grammar and its decision table) and the structural limits
 * of §6.5 (answer 4,096 bytes, 1,024 tokens, nesting depth 64, 256 elements, 16 x 16 matrices,
 * 4 +- signs). Two stages:
 *
 *   lexer   LaTeX + ASCII text -> tokens. Control words are classified by one table; a control
 *           word glued to letters is split at its longest known prefix (`\cotx` -> `\cot x`,
 *           `\quadx` -> `\quad x`; §6.1 rule 6, since rule 17 removes the separating space);
 *           `\text{...}`-like groups become one token; matrix rows split on `\\` or on a single
 *           `\` followed by a non-letter (the SvS gold format of §3.5).
 *   parser  recursive descent, lowest precedence first:
 *             answer := list | item          list := item ((","|";") item)+
 *             item := relation := setexpr (relop setexpr)*
 *             setexpr := ratio ((\cup|\cap|\setminus) ratio)*
 *             ratio := sum (":" sum)*        sum := [\pm|\mp] term (sign term)*
 *             term := factor (mulop factor | factor)*      (juxtaposition = x, left-assoc)
 *             factor := ("-"|"+") factor | power ["\%"]    power := postfix ["^" exponent]
 *             postfix := primary ["!"]*
 *
 * Every vnode lives in the arena of the verify_ctx. The parser never prints and keeps no global
 * mutable state; on failure it returns NULL (and names the limit with vctx_hit when one was
 * hit). vnode_dump renders a tree as an S-expression for the tests. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify_internal.h"

/* ---------------------------------------------------------------------------------------- */
/* Tokens                                                                                    */

typedef enum {
    TK_END,
    TK_NUM,      /* digits [. digits] */
    TK_LETTER,   /* one ASCII letter (c) */
    TK_SYMCMD,   /* a symbol written as a command: \alpha, or an unknown \zzz (s,n = name) */
    TK_CONST,    /* s = "pi" | "inf" */
    TK_FUNC,     /* known function (s = canonical name: "sin", "log", "lg", "sqrt" is TK_SQRT) */
    TK_FRAC, TK_SQRT, TK_BINOM,
    TK_BIG,      /* \sum (c = 's') / \prod (c = 'p') */
    TK_TEXT,     /* \text{...} and friends: s,n = raw content */
    TK_SETCONST, /* \mathbb{X}: c = X */
    TK_EMPTYSET,
    TK_SETOP,    /* c: 'u' \cup, 'n' \cap, '\\' \setminus */
    TK_PM,       /* c: +1 \pm, -1 \mp */
    TK_REL,      /* c = vrel_op */
    TK_MULOP,    /* c: '*' or '/' */
    TK_PERCENT,
    TK_DEGREE,   /* \circ */
    TK_ELLIPSIS,
    TK_LSET, TK_RSET,        /* \{ \} */
    TK_LFLOOR, TK_RFLOOR, TK_LCEIL, TK_RCEIL, TK_LANGLE, TK_RANGLE,
    TK_BEGIN, TK_ENDENV,     /* s,n = environment name */
    TK_ROWSEP,   /* \\ or \<non-letter> inside a matrix */
    TK_PUNCT,    /* c in + - ^ _ ( ) [ ] { } , ; : ! | & ' . */
    TK_BAD       /* something that never parses (\forall, stray bytes, ...) */
} tk_kind;

typedef struct {
    tk_kind k;
    int c;
    const char *s;
    int n;
    int space;   /* whitespace directly before the token (mixed numbers `7 3/4`) */
} vtok;

/* ---------------------------------------------------------------------------------------- */
/* Command table                                                                             */

typedef enum {
    C_SKIP,      /* spacing and sizing: removed (§6.1 rule 3) */
    C_SKIPARG,   /* \hspace{..}, \phantom{..}: removed with their group */
    C_TEXT,      /* \text-like: one text token (§6.1 rule 5) */
    C_MATHBB, C_BEGIN, C_END,
    C_TOK,       /* a fixed token: kind k, value c */
    C_CONST,     /* TK_CONST with the name in `val` */
    C_FUNC,      /* TK_FUNC with the canonical name in `val` */
    C_SYM,       /* greek letters and friends: TK_SYMCMD */
    C_BAD        /* quantifiers, implications, congruences: the answer does not parse (§7) */
} cmd_class;

typedef struct {
    const char *name;
    cmd_class cls;
    tk_kind k;
    int c;
    const char *val;
} cmd_def;

static const cmd_def CMDS[] = {
    /* spacing and sizing (§6.1 rule 3) */
    {"quad", C_SKIP, 0, 0, 0}, {"qquad", C_SKIP, 0, 0, 0}, {"left", C_SKIP, 0, 0, 0},
    {"right", C_SKIP, 0, 0, 0}, {"mleft", C_SKIP, 0, 0, 0}, {"mright", C_SKIP, 0, 0, 0},
    {"big", C_SKIP, 0, 0, 0}, {"Big", C_SKIP, 0, 0, 0}, {"bigg", C_SKIP, 0, 0, 0},
    {"Bigg", C_SKIP, 0, 0, 0}, {"bigl", C_SKIP, 0, 0, 0}, {"bigr", C_SKIP, 0, 0, 0},
    {"Bigl", C_SKIP, 0, 0, 0}, {"Bigr", C_SKIP, 0, 0, 0}, {"biggl", C_SKIP, 0, 0, 0},
    {"biggr", C_SKIP, 0, 0, 0}, {"Biggl", C_SKIP, 0, 0, 0}, {"Biggr", C_SKIP, 0, 0, 0},
    {"displaystyle", C_SKIP, 0, 0, 0}, {"textstyle", C_SKIP, 0, 0, 0},
    {"limits", C_SKIP, 0, 0, 0}, {"nolimits", C_SKIP, 0, 0, 0}, {"hline", C_SKIP, 0, 0, 0},
    {"degree", C_SKIP, 0, 0, 0}, {"hspace", C_SKIPARG, 0, 0, 0}, {"phantom", C_SKIPARG, 0, 0, 0},
    /* text atoms (§6.1 rule 5, §6.2 "text") */
    {"text", C_TEXT, 0, 0, 0}, {"textbf", C_TEXT, 0, 0, 0}, {"textit", C_TEXT, 0, 0, 0},
    {"textrm", C_TEXT, 0, 0, 0}, {"textnormal", C_TEXT, 0, 0, 0}, {"textsf", C_TEXT, 0, 0, 0},
    {"texttt", C_TEXT, 0, 0, 0}, {"mbox", C_TEXT, 0, 0, 0}, {"hbox", C_TEXT, 0, 0, 0},
    {"mathrm", C_TEXT, 0, 0, 0}, {"mathit", C_TEXT, 0, 0, 0}, {"mathbf", C_TEXT, 0, 0, 0},
    {"mathsf", C_TEXT, 0, 0, 0}, {"mathtt", C_TEXT, 0, 0, 0}, {"operatorname", C_TEXT, 0, 0, 0},
    {"mathbb", C_MATHBB, 0, 0, 0}, {"begin", C_BEGIN, 0, 0, 0}, {"end", C_END, 0, 0, 0},
    /* fractions, roots, binomials, big operators */
    {"frac", C_TOK, TK_FRAC, 0, 0}, {"dfrac", C_TOK, TK_FRAC, 0, 0},
    {"tfrac", C_TOK, TK_FRAC, 0, 0}, {"cfrac", C_TOK, TK_FRAC, 0, 0},
    {"sqrt", C_TOK, TK_SQRT, 0, 0}, {"binom", C_TOK, TK_BINOM, 0, 0},
    {"dbinom", C_TOK, TK_BINOM, 0, 0}, {"tbinom", C_TOK, TK_BINOM, 0, 0},
    {"sum", C_TOK, TK_BIG, 's', 0}, {"prod", C_TOK, TK_BIG, 'p', 0},
    /* constants (§6.2 "constants") */
    {"pi", C_CONST, 0, 0, "pi"}, {"infty", C_CONST, 0, 0, "inf"}, {"infinity", C_CONST, 0, 0, "inf"},
    {"imath", C_TOK, TK_LETTER, 'i', 0},
    /* functions (§6.2 "functions") */
    {"sin", C_FUNC, 0, 0, "sin"}, {"cos", C_FUNC, 0, 0, "cos"}, {"tan", C_FUNC, 0, 0, "tan"},
    {"cot", C_FUNC, 0, 0, "cot"}, {"sec", C_FUNC, 0, 0, "sec"}, {"csc", C_FUNC, 0, 0, "csc"},
    {"sinh", C_FUNC, 0, 0, "sinh"}, {"cosh", C_FUNC, 0, 0, "cosh"}, {"tanh", C_FUNC, 0, 0, "tanh"},
    {"coth", C_FUNC, 0, 0, "coth"}, {"arcsin", C_FUNC, 0, 0, "arcsin"},
    {"arccos", C_FUNC, 0, 0, "arccos"}, {"arctan", C_FUNC, 0, 0, "arctan"},
    {"arccot", C_FUNC, 0, 0, "arccot"}, {"ln", C_FUNC, 0, 0, "ln"}, {"log", C_FUNC, 0, 0, "log"},
    {"lg", C_FUNC, 0, 0, "lg"}, {"exp", C_FUNC, 0, 0, "exp"}, {"max", C_FUNC, 0, 0, "max"},
    {"min", C_FUNC, 0, 0, "min"}, {"gcd", C_FUNC, 0, 0, "gcd"}, {"lcm", C_FUNC, 0, 0, "lcm"},
    {"sgn", C_FUNC, 0, 0, "sign"}, {"sign", C_FUNC, 0, 0, "sign"}, {"abs", C_FUNC, 0, 0, "abs"},
    /* sets (§6.2 "sets") */
    {"emptyset", C_TOK, TK_EMPTYSET, 0, 0}, {"varnothing", C_TOK, TK_EMPTYSET, 0, 0},
    {"cup", C_TOK, TK_SETOP, 'u', 0}, {"cap", C_TOK, TK_SETOP, 'n', 0},
    {"setminus", C_TOK, TK_SETOP, '\\', 0},
    /* signs, operators, relations (§6.2 "relop", "mulop") */
    {"pm", C_TOK, TK_PM, 1, 0}, {"mp", C_TOK, TK_PM, -1, 0},
    {"cdot", C_TOK, TK_MULOP, '*', 0}, {"times", C_TOK, TK_MULOP, '*', 0},
    {"ast", C_TOK, TK_MULOP, '*', 0}, {"div", C_TOK, TK_MULOP, '/', 0},
    {"le", C_TOK, TK_REL, VR_LE, 0}, {"leq", C_TOK, TK_REL, VR_LE, 0},
    {"leqslant", C_TOK, TK_REL, VR_LE, 0}, {"ge", C_TOK, TK_REL, VR_GE, 0},
    {"geq", C_TOK, TK_REL, VR_GE, 0}, {"geqslant", C_TOK, TK_REL, VR_GE, 0},
    {"lt", C_TOK, TK_REL, VR_LT, 0}, {"gt", C_TOK, TK_REL, VR_GT, 0},
    {"ne", C_TOK, TK_REL, VR_NE, 0}, {"neq", C_TOK, TK_REL, VR_NE, 0},
    {"approx", C_TOK, TK_REL, VR_APPROX, 0}, {"in", C_TOK, TK_REL, VR_IN, 0},
    {"circ", C_TOK, TK_DEGREE, 0, 0},
    {"ldots", C_TOK, TK_ELLIPSIS, 0, 0}, {"dots", C_TOK, TK_ELLIPSIS, 0, 0},
    {"cdots", C_TOK, TK_ELLIPSIS, 0, 0}, {"dotsc", C_TOK, TK_ELLIPSIS, 0, 0},
    {"lfloor", C_TOK, TK_LFLOOR, 0, 0}, {"rfloor", C_TOK, TK_RFLOOR, 0, 0},
    {"lceil", C_TOK, TK_LCEIL, 0, 0}, {"rceil", C_TOK, TK_RCEIL, 0, 0},
    {"langle", C_TOK, TK_LANGLE, 0, 0}, {"rangle", C_TOK, TK_RANGLE, 0, 0},
    {"lvert", C_TOK, TK_PUNCT, '|', 0}, {"rvert", C_TOK, TK_PUNCT, '|', 0},
    {"vert", C_TOK, TK_PUNCT, '|', 0}, {"mid", C_BAD, 0, 0, 0},
    /* symbols */
    {"alpha", C_SYM, 0, 0, 0}, {"beta", C_SYM, 0, 0, 0}, {"gamma", C_SYM, 0, 0, 0},
    {"delta", C_SYM, 0, 0, 0}, {"epsilon", C_SYM, 0, 0, 0}, {"varepsilon", C_SYM, 0, 0, 0},
    {"zeta", C_SYM, 0, 0, 0}, {"eta", C_SYM, 0, 0, 0}, {"theta", C_SYM, 0, 0, 0},
    {"vartheta", C_SYM, 0, 0, 0}, {"kappa", C_SYM, 0, 0, 0}, {"lambda", C_SYM, 0, 0, 0},
    {"mu", C_SYM, 0, 0, 0}, {"nu", C_SYM, 0, 0, 0}, {"xi", C_SYM, 0, 0, 0},
    {"rho", C_SYM, 0, 0, 0}, {"sigma", C_SYM, 0, 0, 0}, {"tau", C_SYM, 0, 0, 0},
    {"phi", C_SYM, 0, 0, 0}, {"varphi", C_SYM, 0, 0, 0}, {"chi", C_SYM, 0, 0, 0},
    {"psi", C_SYM, 0, 0, 0}, {"omega", C_SYM, 0, 0, 0}, {"Gamma", C_SYM, 0, 0, 0},
    {"Delta", C_SYM, 0, 0, 0}, {"Theta", C_SYM, 0, 0, 0}, {"Lambda", C_SYM, 0, 0, 0},
    {"Sigma", C_SYM, 0, 0, 0}, {"Phi", C_SYM, 0, 0, 0}, {"Psi", C_SYM, 0, 0, 0},
    {"Omega", C_SYM, 0, 0, 0},
    /* statements that are not one answer (§7: "a quantifier does not parse") */
    {"forall", C_BAD, 0, 0, 0}, {"exists", C_BAD, 0, 0, 0}, {"implies", C_BAD, 0, 0, 0},
    {"Rightarrow", C_BAD, 0, 0, 0}, {"rightarrow", C_BAD, 0, 0, 0}, {"to", C_BAD, 0, 0, 0},
    {"iff", C_BAD, 0, 0, 0}, {"Leftrightarrow", C_BAD, 0, 0, 0}, {"therefore", C_BAD, 0, 0, 0},
    {"because", C_BAD, 0, 0, 0}, {"equiv", C_BAD, 0, 0, 0}, {"pmod", C_BAD, 0, 0, 0},
    {"bmod", C_BAD, 0, 0, 0}, {"notin", C_BAD, 0, 0, 0}, {"subset", C_BAD, 0, 0, 0},
    {"subseteq", C_BAD, 0, 0, 0}, {"land", C_BAD, 0, 0, 0}, {"lor", C_BAD, 0, 0, 0},
    {"wedge", C_BAD, 0, 0, 0}, {"vee", C_BAD, 0, 0, 0}, {"neg", C_BAD, 0, 0, 0},
};
#define NCMDS ((int)(sizeof CMDS / sizeof CMDS[0]))

static const cmd_def *cmd_find(const char *s, int n) {
    for (int i = 0; i < NCMDS; i++)
        if ((int)strlen(CMDS[i].name) == n && memcmp(CMDS[i].name, s, (size_t)n) == 0) return &CMDS[i];
    return NULL;
}

/* ASCII function names written without a backslash, recognised only when a '(' follows
 * (`sqrt(2)`, `sin(x)`; §6.1 rule 6). */
static const char *const ASCII_FUNCS[] = {"sin", "cos", "tan", "cot", "sec", "csc", "sinh",
                                          "cosh", "tanh", "arcsin", "arccos", "arctan", "ln",
                                          "log", "exp", "sqrt", "abs", "max", "min", "gcd", "lcm"};

/* ---------------------------------------------------------------------------------------- */
/* Lexer                                                                                     */

typedef struct {
    const char *s;
    int n, i;
    int space;        /* whitespace seen since the last token */
    int in_matrix;    /* open matrix environments: `\\` is a row separator there */
    vtok *t;
    int nt;
    int bad;          /* a limit was hit (tokens) */
    verify_ctx *ctx;
} vlexer;

static int is_matrix_env(const char *s, int n) {
    static const char *const envs[] = {"pmatrix", "bmatrix", "Bmatrix", "matrix", "smallmatrix",
                                       "array", "vmatrix", "Vmatrix"};
    for (size_t i = 0; i < sizeof envs / sizeof envs[0]; i++)
        if ((int)strlen(envs[i]) == n && memcmp(envs[i], s, (size_t)n) == 0) return 1;
    return 0;
}

/* Appends a token; returns 0, or -1 past VLIM_TOKENS (§6.5: tokens per answer). */
static int emit(vlexer *L, tk_kind k, int c, const char *s, int n) {
    if (L->nt >= VLIM_TOKENS) {
        vctx_hit(L->ctx, "tokens");
        L->bad = 1;
        return -1;
    }
    vtok *t = &L->t[L->nt++];
    t->k = k;
    t->c = c;
    t->s = s;
    t->n = n;
    t->space = L->space;
    L->space = 0;
    return 0;
}

static void skip_ws(vlexer *L) {
    while (L->i < L->n && isspace((unsigned char)L->s[L->i])) L->i++;
}

/* Reads a balanced `{...}` group at L->i (after optional spaces); returns its content span, or
 * -1 when there is no group. */
static int read_group(vlexer *L, const char **s, int *n) {
    skip_ws(L);
    if (L->i >= L->n || L->s[L->i] != '{') return -1;
    int depth = 0, start = L->i + 1;
    for (int j = L->i; j < L->n; j++) {
        if (L->s[j] == '\\' && j + 1 < L->n) { j++; continue; }
        if (L->s[j] == '{') depth++;
        else if (L->s[j] == '}' && --depth == 0) {
            *s = L->s + start;
            *n = j - start;
            L->i = j + 1;
            return 0;
        }
    }
    return -1;
}

static int is_func_name(const char *s, int n) {
    const cmd_def *d = cmd_find(s, n);
    return d && d->cls == C_FUNC;
}

/* \text{...}-like group: `\mathrm{e}` / `\mathrm{i}` are the constants (§6.1 rule 5),
 * `\operatorname{lcm}` / `\mathrm{sin}` the function; anything else (including `\text{min}`)
 * is one text token. */
static int lex_text(vlexer *L, const cmd_def *d) {
    const char *s;
    int n;
    if (read_group(L, &s, &n)) return emit(L, TK_BAD, 0, NULL, 0);
    while (n > 0 && isspace((unsigned char)*s)) { s++; n--; }
    while (n > 0 && isspace((unsigned char)s[n - 1])) n--;
    if (n == 0) return 0;                                       /* `\text{ }`: spacing */
    int math = d->name[0] == 'm' || d->name[0] == 'o';          /* \math.., \operatorname */
    if (math && n == 1 && isalpha((unsigned char)s[0])) return emit(L, TK_LETTER, s[0], s, 1);
    if (math && is_func_name(s, n)) {
        const cmd_def *f = cmd_find(s, n);
        return emit(L, TK_FUNC, 0, f->val, (int)strlen(f->val));
    }
    return emit(L, TK_TEXT, 0, s, n);
}

static int lex_env(vlexer *L, int begin) {
    const char *s;
    int n;
    if (read_group(L, &s, &n)) return emit(L, TK_BAD, 0, NULL, 0);
    int mat = is_matrix_env(s, n);
    if (begin) {
        if (emit(L, TK_BEGIN, 0, s, n)) return -1;
        if (mat) L->in_matrix++;
        if (n == 5 && memcmp(s, "array", 5) == 0) {             /* skip the column spec {cc} */
            const char *cs;
            int cn;
            int save = L->i;
            if (read_group(L, &cs, &cn)) L->i = save;
        }
        return 0;
    }
    if (mat && L->in_matrix > 0) L->in_matrix--;
    return emit(L, TK_ENDENV, 0, s, n);
}

static int lex_cmd_def(vlexer *L, const cmd_def *d, const char *name, int nlen) {
    switch (d->cls) {
    case C_SKIP:
        if ((!strcmp(d->name, "left") || !strcmp(d->name, "right")) && L->i < L->n && L->s[L->i] == '.')
            L->i++;                                             /* \left. / \right. */
        return 0;
    case C_SKIPARG: {
        const char *s;
        int n;
        read_group(L, &s, &n);
        return 0;
    }
    case C_TEXT: return lex_text(L, d);
    case C_MATHBB: {
        const char *s;
        int n;
        if (read_group(L, &s, &n) == 0) {
            if (n == 1) return emit(L, TK_SETCONST, s[0], s, 1);
            return emit(L, TK_BAD, 0, NULL, 0);
        }
        skip_ws(L);
        if (L->i < L->n && isupper((unsigned char)L->s[L->i])) {
            L->i++;
            return emit(L, TK_SETCONST, L->s[L->i - 1], L->s + L->i - 1, 1);
        }
        return emit(L, TK_BAD, 0, NULL, 0);
    }
    case C_BEGIN: return lex_env(L, 1);
    case C_END: return lex_env(L, 0);
    case C_TOK: return emit(L, d->k, d->c, name, nlen);
    case C_CONST: return emit(L, TK_CONST, 0, d->val, (int)strlen(d->val));
    case C_FUNC: return emit(L, TK_FUNC, 0, d->val, (int)strlen(d->val));
    case C_SYM: return emit(L, TK_SYMCMD, 0, name - 1, nlen + 1);  /* keep the backslash */
    case C_BAD: return emit(L, TK_BAD, 0, NULL, 0);
    }
    return emit(L, TK_BAD, 0, NULL, 0);
}

/* A control word at L->i (just after the backslash). Unknown words glued to letters are split
 * at their longest known prefix; an unknown word with no known prefix is a symbol (`\zzz`). */
static int lex_cmd(vlexer *L) {
    const char *name = L->s + L->i;
    int nlen = 0;
    while (L->i + nlen < L->n && isalpha((unsigned char)name[nlen])) nlen++;
    const cmd_def *d = cmd_find(name, nlen);
    if (!d) {
        for (int k = nlen - 1; k >= 2 && !d; k--)
            if ((d = cmd_find(name, k))) nlen = k;
    }
    L->i += nlen;
    if (!d) return emit(L, TK_SYMCMD, 0, name - 1, nlen + 1);
    return lex_cmd_def(L, d, name, nlen);
}

/* A backslash followed by a non-letter. */
static int lex_ctrl_symbol(vlexer *L) {
    char c = L->i + 1 < L->n ? L->s[L->i + 1] : 0;
    if (c == '\\') {
        /* `\\` + letter outside a matrix is a doubled backslash (§6.1 rule 2) */
        if (!L->in_matrix && L->i + 2 < L->n && isalpha((unsigned char)L->s[L->i + 2])) {
            L->i += 1;
            return 0;
        }
        L->i += 2;
        return emit(L, TK_ROWSEP, 0, NULL, 0);
    }
    switch (c) {
    case '{': L->i += 2; return emit(L, TK_LSET, 0, NULL, 0);
    case '}': L->i += 2; return emit(L, TK_RSET, 0, NULL, 0);
    case '%': L->i += 2; return emit(L, TK_PERCENT, 0, NULL, 0);
    case '|': L->i += 2; return emit(L, TK_PUNCT, '|', NULL, 0);
    case ',': case ';': case '!': case ':': case ' ': case '>': case '$': case '\n': case '\t':
        L->i += 2;                                              /* spacing, currency (§6.1) */
        return 0;
    default: break;
    }
    /* a single `\` before a non-letter separates matrix rows (the SvS gold format, §6.2) */
    L->i += 1;
    if (L->in_matrix) return emit(L, TK_ROWSEP, 0, NULL, 0);
    return emit(L, TK_BAD, 0, NULL, 0);
}

static int lex_number(vlexer *L) {
    int st = L->i;
    while (L->i < L->n && isdigit((unsigned char)L->s[L->i])) L->i++;
    if (L->i + 1 < L->n && L->s[L->i] == '.' && isdigit((unsigned char)L->s[L->i + 1])) {
        L->i++;
        while (L->i < L->n && isdigit((unsigned char)L->s[L->i])) L->i++;
    }
    return emit(L, TK_NUM, 0, L->s + st, L->i - st);
}

/* A run of ASCII letters: `sqrt(` / `sin(` are functions, `pi` and `infty` constants;
 * otherwise each letter is its own token (juxtaposition = product, §6.2). */
static int lex_letters(vlexer *L) {
    const char *w = L->s + L->i;
    int n = 0;
    while (L->i + n < L->n && isalpha((unsigned char)w[n])) n++;
    if (n >= 2) {
        int paren = L->i + n < L->n && L->s[L->i + n] == '(';
        for (size_t k = 0; paren && k < sizeof ASCII_FUNCS / sizeof ASCII_FUNCS[0]; k++) {
            if ((int)strlen(ASCII_FUNCS[k]) != n || memcmp(ASCII_FUNCS[k], w, (size_t)n)) continue;
            L->i += n;
            if (n == 4 && !memcmp(w, "sqrt", 4)) return emit(L, TK_SQRT, 0, w, n);
            const cmd_def *d = cmd_find(w, n);
            return emit(L, TK_FUNC, 0, d->val, (int)strlen(d->val));
        }
        if ((n == 2 && !memcmp(w, "pi", 2))) { L->i += n; return emit(L, TK_CONST, 0, "pi", 2); }
        if ((n == 5 && !memcmp(w, "infty", 5)) || (n == 8 && !memcmp(w, "infinity", 8))) {
            L->i += n;
            return emit(L, TK_CONST, 0, "inf", 3);
        }
    }
    L->i++;
    return emit(L, TK_LETTER, w[0], w, 1);
}

static int lex_punct(vlexer *L) {
    const char *s = L->s;
    int i = L->i;
    char c = s[i], d = i + 1 < L->n ? s[i + 1] : 0;
    L->i++;
    switch (c) {
    case '<':
        if (d == '=') { L->i++; return emit(L, TK_REL, VR_LE, NULL, 0); }
        return emit(L, TK_REL, VR_LT, NULL, 0);
    case '>':
        if (d == '=') { L->i++; return emit(L, TK_REL, VR_GE, NULL, 0); }
        return emit(L, TK_REL, VR_GT, NULL, 0);
    case '=':
        if (d == '=') L->i++;
        return emit(L, TK_REL, VR_EQ, NULL, 0);
    case '!':
        if (d == '=') { L->i++; return emit(L, TK_REL, VR_NE, NULL, 0); }
        return emit(L, TK_PUNCT, '!', NULL, 0);
    case '*': case '/': return emit(L, TK_MULOP, c, NULL, 0);
    case '%': return emit(L, TK_PERCENT, 0, NULL, 0);
    case '~': case '$': return 0;                               /* spacing, currency */
    case '.':
        if (d == '.' && i + 2 < L->n && s[i + 2] == '.') { L->i += 2; return emit(L, TK_ELLIPSIS, 0, NULL, 0); }
        return emit(L, TK_PUNCT, '.', NULL, 0);
    default: break;
    }
    if (strchr("+-^_()[]{},;:|&'", c)) return emit(L, TK_PUNCT, c, NULL, 0);
    return emit(L, TK_BAD, 0, NULL, 0);
}

/* Tokenizes s[0..n). Returns the token count (the last token is TK_END) or -1. */
static int lex_all(verify_ctx *ctx, const char *s, int n, vtok **out) {
    vlexer L = {s, n, 0, 0, 0, NULL, 0, 0, ctx};
    L.t = vctx_alloc(ctx, sizeof(vtok) * (VLIM_TOKENS + 1));
    if (!L.t) return -1;
    while (!L.bad) {
        if (L.i < L.n && isspace((unsigned char)s[L.i])) {
            L.space = 1;
            L.i++;
            continue;
        }
        if (L.i >= L.n) break;
        unsigned char c = (unsigned char)s[L.i];
        int rc;
        if (isdigit(c) || (c == '.' && L.i + 1 < n && isdigit((unsigned char)s[L.i + 1]))) rc = lex_number(&L);
        else if (isalpha(c)) rc = lex_letters(&L);
        else if (c == '\\' && L.i + 1 < n && isalpha((unsigned char)s[L.i + 1])) { L.i++; rc = lex_cmd(&L); }
        else if (c == '\\') rc = lex_ctrl_symbol(&L);
        else rc = lex_punct(&L);
        if (rc) return -1;
    }
    if (L.bad) return -1;
    L.t[L.nt].k = TK_END;
    L.t[L.nt].space = L.space;
    *out = L.t;
    return L.nt + 1;
}

/* ---------------------------------------------------------------------------------------- */
/* Parser state and helpers                                                                  */

#define MAX_BOUND 8

typedef struct {
    verify_ctx *ctx;
    vtok *t;
    int nt, i;
    int depth;
    int abs_depth;      /* inside |...|: a '|' closes instead of starting a factor */
    int pm_signs;       /* \pm / \mp seen (§6.5: at most 4) */
    int in_script;      /* inside ^ or _: no mixed numbers, `i` is a symbol in subscripts */
    int in_sub;
    const char *bound[MAX_BOUND];   /* summation indices in scope (§6.2 "sums / products") */
    int nbound;
} vparser;

typedef struct {
    vnode **v;
    int n, cap;
} vvec;

static vtok *cur(vparser *p) { return &p->t[p->i]; }
static vtok *peek(vparser *p, int k) {
    int j = p->i + k;
    return j < p->nt ? &p->t[j] : &p->t[p->nt - 1];
}
static int is_punct(const vtok *t, int c) { return t->k == TK_PUNCT && t->c == c; }
static int accept(vparser *p, int c) {
    if (is_punct(cur(p), c)) { p->i++; return 1; }
    return 0;
}

static int vec_push(vparser *p, vvec *a, vnode *x) {
    if (a->n == a->cap) {
        int cap = a->cap ? 2 * a->cap : 8;
        vnode **v = vctx_alloc(p->ctx, sizeof(vnode *) * (size_t)cap);
        if (!v) return -1;
        if (a->n) memcpy(v, a->v, sizeof(vnode *) * (size_t)a->n);
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = x;
    return 0;
}

/* §6.5: nesting depth 64, counted where nesting happens: an item (inside brackets, braces,
 * arguments, cells), a factor (unary signs, function arguments) and a script (^, _). */
static int enter(vparser *p) {
    if (++p->depth > VLIM_DEPTH) {
        vctx_hit(p->ctx, "depth");
        return -1;
    }
    return 0;
}
#define ENTER(p)                        \
    do {                                \
        if (enter(p)) return NULL;      \
    } while (0)
#define LEAVE(p, x) return (p)->depth--, (x)

static vnode *mk_text(vparser *p, vnode_kind k, const char *s, size_t n) {
    vnode *v = vnode_new(p->ctx, k, 0);
    if (!v) return NULL;
    v->text = vctx_strndup(p->ctx, s, n);
    return v->text ? v : NULL;
}
static vnode *mk_un(vparser *p, vnode_kind k, vnode *x) {
    if (!x) return NULL;
    vnode *v = vnode_new(p->ctx, k, 1);
    if (v) v->a[0] = x;
    return v;
}
static vnode *mk_bin(vparser *p, vnode_kind k, vnode *l, vnode *r) {
    return l && r ? vnode_bin(p->ctx, k, l, r) : NULL;
}
static vnode *mk_list(vparser *p, vnode_kind k, const vvec *a) {
    vnode *v = vnode_new(p->ctx, k, a->n);
    if (v) memcpy(v->a, a->v, sizeof(vnode *) * (size_t)a->n);
    return v;
}

/* A number literal keeps how it was written (§6.2 last paragraph): decimal point, digits after
 * it, significant digits (leading zeros dropped; trailing zeros of a decimal count). */
static vnode *mk_num(vparser *p, const char *s, int n) {
    vnode *v = mk_text(p, VN_NUM, s, (size_t)n);
    if (!v) return NULL;
    const char *dot = memchr(s, '.', (size_t)n);
    int sig = 0, lead = 1;
    for (int k = 0; k < n; k++) {
        if (s[k] == '.') continue;
        if (lead && s[k] == '0') continue;
        lead = 0;
        sig++;
    }
    if (dot) {
        v->flags |= VF_DECIMAL;
        v->frac_digits = (int)(s + n - dot - 1);
    }
    v->sig_digits = sig ? sig : 1;
    return v;
}

static int tok_is_int(const vtok *t) { return t->k == TK_NUM && !memchr(t->s, '.', (size_t)t->n); }

/* ---------------------------------------------------------------------------------------- */
/* Grammar                                                                                   */

static vnode *parse_item(vparser *p);
static vnode *parse_sum(vparser *p);
static vnode *parse_term(vparser *p, int stop_at_func);
static vnode *parse_factor(vparser *p);
static vnode *parse_power(vparser *p);
static vnode *parse_primary(vparser *p);

/* Items separated by ',' or ';' up to a closing token. When a level mixes both separators,
 * ';' separates groups and ',' the items of a group (`p=5,q=2;p=7,q=2`). *nsemi / *ncomma
 * count the separators. Returns 0 or -1. */
static int parse_seq(vparser *p, vvec *items, int *nsemi, int *ncomma, int *groups) {
    int breaks[VLIM_ELEMS + 2];                                 /* item index after each ';' */
    *nsemi = *ncomma = 0;
    for (;;) {
        vnode *x = parse_item(p);
        if (!x || vec_push(p, items, x)) return -1;
        if (items->n > VLIM_ELEMS) {                            /* §6.5: elements */
            vctx_hit(p->ctx, "elements");
            return -1;
        }
        if (is_punct(cur(p), ',')) (*ncomma)++;
        else if (is_punct(cur(p), ';')) breaks[(*nsemi)++] = items->n;
        else break;
        p->i++;
    }
    if (!groups) return 0;
    *groups = *nsemi && *ncomma;
    if (!*groups) return 0;
    vvec out = {0};                    /* each ';'-separated run of items becomes one item */
    for (int g = 0, from = 0; g <= *nsemi; g++) {
        int to = g < *nsemi ? breaks[g] : items->n;
        vvec run = {items->v + from, to - from, to - from};
        vnode *x = run.n == 1 ? run.v[0] : mk_list(p, VN_LIST, &run);
        if (!x || vec_push(p, &out, x)) return -1;
        from = to;
    }
    *items = out;
    return 0;
}

/* item := relation := setexpr (relop setexpr)*   (§6.2 "relations") */
static vnode *parse_setexpr(vparser *p);
static vnode *parse_item(vparser *p) {
    ENTER(p);
    vnode *x = parse_setexpr(p);
    if (!x || cur(p)->k != TK_REL) LEAVE(p, x);
    vvec kids = {0};
    int nops = 0, cap = 8;
    vrel_op *ops = vctx_alloc(p->ctx, sizeof(vrel_op) * (size_t)cap);
    if (!ops || vec_push(p, &kids, x)) LEAVE(p, NULL);
    while (cur(p)->k == TK_REL) {
        vrel_op op = (vrel_op)cur(p)->c;
        p->i++;
        vnode *y = parse_setexpr(p);
        if (!y || vec_push(p, &kids, y)) LEAVE(p, NULL);
        if (nops == cap) {
            vrel_op *o2 = vctx_alloc(p->ctx, sizeof(vrel_op) * (size_t)(cap * 2));
            if (!o2) LEAVE(p, NULL);
            memcpy(o2, ops, sizeof(vrel_op) * (size_t)nops);
            ops = o2;
            cap *= 2;
        }
        ops[nops++] = op;
        if (kids.n > VLIM_ELEMS) {
            vctx_hit(p->ctx, "elements");
            LEAVE(p, NULL);
        }
    }
    vnode *r = mk_list(p, VN_REL, &kids);
    if (r) r->ops = ops;
    LEAVE(p, r);
}

/* setexpr := ratio ((\cup|\cap|\setminus) ratio)*   (§6.2 "sets") */
static vnode *parse_ratio(vparser *p);
static vnode *parse_setexpr(vparser *p) {
    vnode *x = parse_ratio(p);
    while (x && cur(p)->k == TK_SETOP) {
        int c = cur(p)->c;
        p->i++;
        vnode_kind k = c == 'u' ? VN_UNION : c == 'n' ? VN_INTERSECT : VN_SETMINUS;
        x = mk_bin(p, k, x, parse_ratio(p));
    }
    return x;
}

/* h:mm reads as a clock time when the minutes are written with a leading zero (`12:00`,
 * `1:05`): a ratio term is never written that way, so `22:42` stays a ratio (§6.3 "ratio"). */
static int is_time(const vvec *a) {
    if (a->n != 2 || a->v[0]->kind != VN_NUM || a->v[1]->kind != VN_NUM) return 0;
    const vnode *h = a->v[0], *m = a->v[1];
    if ((h->flags | m->flags) & VF_DECIMAL) return 0;
    size_t hl = strlen(h->text);
    return hl >= 1 && hl <= 2 && strlen(m->text) == 2 && m->text[0] == '0';
}

/* ratio := sum (":" sum)*   (§6.2 "ratio"; a:b, a:b:c, h:mm) */
static vnode *parse_ratio(vparser *p) {
    vnode *x = parse_sum(p);
    if (!x || !is_punct(cur(p), ':')) return x;
    vvec terms = {0};
    if (vec_push(p, &terms, x)) return NULL;
    while (accept(p, ':')) {
        vnode *y = cur(p)->k == TK_ELLIPSIS ? (p->i++, vnode_new(p->ctx, VN_ELLIPSIS, 0)) : parse_sum(p);
        if (!y || vec_push(p, &terms, y)) return NULL;
        if (terms.n > VLIM_ELEMS) {
            vctx_hit(p->ctx, "elements");
            return NULL;
        }
    }
    vnode *r = mk_list(p, VN_RATIO, &terms);
    if (r && is_time(&terms)) r->flags |= VF_TIME;
    return r;
}

/* §6.5: at most 4 +- signs per answer (16 expanded elements). */
static int count_pm(vparser *p) {
    if (++p->pm_signs > VLIM_PM_SIGNS) {
        vctx_hit(p->ctx, "pm");
        return -1;
    }
    return 0;
}

static vnode *mk_pm(vparser *p, int sign, vnode *l, vnode *r) {
    if (count_pm(p) || !r) return NULL;
    vnode *v = l ? mk_bin(p, VN_PM, l, r) : mk_un(p, VN_PM, r);
    if (v) v->op = sign;
    return v;
}

/* sum := [\pm|\mp] term (("+"|"-"|\pm|\mp) term)*   (§6.2 "\pm, \mp") */
static vnode *parse_sum(vparser *p) {
    vnode *x;
    if (cur(p)->k == TK_PM) {
        int s = cur(p)->c;
        p->i++;
        x = mk_pm(p, s, NULL, parse_term(p, 0));
    } else {
        x = parse_term(p, 0);
    }
    while (x) {
        vtok *t = cur(p);
        if (is_punct(t, '+')) { p->i++; x = mk_bin(p, VN_ADD, x, parse_term(p, 0)); }
        else if (is_punct(t, '-')) { p->i++; x = mk_bin(p, VN_SUB, x, parse_term(p, 0)); }
        else if (t->k == TK_PM) { p->i++; x = mk_pm(p, t->c, x, parse_term(p, 0)); }
        else break;
    }
    return x;
}

/* Can this token start an implicit factor (juxtaposition, §6.2)? Function names end the
 * argument of a parenthesis-free function (`\sin x\cos x` = sin(x)cos(x)). */
static int starts_factor(vparser *p, int stop_at_func) {
    vtok *t = cur(p);
    switch (t->k) {
    case TK_NUM: case TK_LETTER: case TK_SYMCMD: case TK_CONST: case TK_FRAC: case TK_SQRT:
    case TK_BINOM: case TK_BIG: case TK_TEXT: case TK_LFLOOR: case TK_LCEIL: case TK_LANGLE:
    case TK_BEGIN:
        return 1;
    case TK_FUNC: return !stop_at_func;
    case TK_PUNCT:
        if (t->c == '(' || t->c == '{') return 1;
        if (t->c == '|') return p->abs_depth == 0;
        return 0;
    default: return 0;
    }
}

/* term := factor (mulop factor | factor)*   (§6.2: juxtaposition has the precedence of
 * \times and /, left-associative: `1/2x` = x/2, `a/2b` = (a/2)b) */
static vnode *parse_term(vparser *p, int stop_at_func) {
    vnode *x = parse_factor(p);
    while (x) {
        vtok *t = cur(p);
        if (t->k == TK_MULOP) {
            p->i++;
            x = mk_bin(p, t->c == '/' ? VN_DIV : VN_MUL, x, parse_factor(p));
        } else if (starts_factor(p, stop_at_func)) {
            x = mk_bin(p, VN_MUL, x, parse_factor(p));
        } else {
            break;
        }
    }
    return x;
}

/* factor := "-" factor | "+" factor | power ["\%"]   (`-x^2` = -(x^2)) */
static vnode *parse_factor(vparser *p) {
    ENTER(p);
    vnode *x;
    if (accept(p, '-')) x = mk_un(p, VN_NEG, parse_factor(p));
    else if (accept(p, '+')) x = parse_factor(p);
    else {
        x = parse_power(p);
        while (x && cur(p)->k == TK_PERCENT) {                  /* §6.1 rule 9: percent mark */
            p->i++;
            x = mk_un(p, VN_PERCENT, x);
        }
    }
    LEAVE(p, x);
}

/* `{ item }` after a command: one item (a comma inside makes it fail). */
static vnode *parse_brace_arg(vparser *p) {
    if (!accept(p, '{')) return NULL;
    vnode *x = parse_item(p);
    if (!x || !accept(p, '}')) return NULL;
    return x;
}

/* Exponent or subscript: a group, a signed atom, or (exponents) a right-associative power. */
static vnode *parse_script(vparser *p, int exponent) {
    ENTER(p);
    p->in_script++;
    vnode *x;
    if (is_punct(cur(p), '{')) x = parse_brace_arg(p);
    else if (accept(p, '-')) x = mk_un(p, VN_NEG, exponent ? parse_power(p) : parse_primary(p));
    else if (accept(p, '+')) x = exponent ? parse_power(p) : parse_primary(p);
    else if (cur(p)->k == TK_LETTER) {
        vtok *t = cur(p);
        p->i++;
        int c = t->c;
        int sym = p->in_sub || (c != 'e' && c != 'i');
        for (int b = 0; b < p->nbound; b++)
            if (p->bound[b][0] == c && p->bound[b][1] == 0) sym = 1;
        x = sym ? mk_text(p, VN_SYM, t->s, 1) : mk_text(p, VN_CONST, c == 'e' ? "e" : "i", 1);
        if (x && exponent && is_punct(cur(p), '^')) {
            p->i++;
            x = mk_bin(p, VN_POW, x, parse_script(p, 1));
        }
    } else x = exponent ? parse_power(p) : parse_primary(p);
    p->in_script--;
    LEAVE(p, x);
}

static int is_degree_mark(vparser *p) {
    if (cur(p)->k == TK_DEGREE) { p->i++; return 1; }
    if (is_punct(cur(p), '{') && peek(p, 1)->k == TK_DEGREE && is_punct(peek(p, 2), '}')) {
        p->i += 3;
        return 1;
    }
    return 0;
}

/* power := postfix ["^" exponent]   (right-associative; `^\circ` is a degree mark, dropped) */
static vnode *parse_power(vparser *p) {
    vnode *x = parse_primary(p);
    while (x && is_punct(cur(p), '!')) {                        /* postfix `!` (§6.2) */
        p->i++;
        x = mk_un(p, VN_FACT, x);
    }
    while (x && is_punct(cur(p), '^')) {
        p->i++;
        if (is_degree_mark(p)) continue;                        /* §6.1 rule 8 */
        x = mk_bin(p, VN_POW, x, parse_script(p, 1));
        while (x && is_punct(cur(p), '!')) {
            p->i++;
            x = mk_un(p, VN_FACT, x);
        }
    }
    return x;
}

/* ---------------------------------------------------------------------------------------- */
/* Primaries                                                                                 */

/* A brace-less argument of \frac / \sqrt / \binom is one character: `\frac12` = 1/2. */
static vnode *parse_cmd_arg(vparser *p) {
    vtok *t = cur(p);
    if (is_punct(t, '{')) return parse_brace_arg(p);
    if (t->k == TK_NUM && t->n > 1 && t->s[1] != '.') {
        vnode *x = mk_num(p, t->s, 1);
        t->s++;                                                 /* leave the rest as a token */
        t->n--;
        t->space = 0;
        return x;
    }
    if (t->k == TK_LETTER) {
        p->i++;
        return t->c == 'e' || t->c == 'i' ? mk_text(p, VN_CONST, t->c == 'e' ? "e" : "i", 1)
                                          : mk_text(p, VN_SYM, t->s, 1);
    }
    return parse_primary(p);
}

/* Mixed numbers (§6.2): an integer literal followed by \frac{m}{n} with integer literals m, n
 * is int + m/n; ASCII `7 3/4` (integer, one space, integer/integer) is 31/4. */
static int frac_int_args(vparser *p, int k) {
    vtok *a = peek(p, k);
    if (a->k != TK_FRAC) return 0;
    return is_punct(peek(p, k + 1), '{') && tok_is_int(peek(p, k + 2)) && is_punct(peek(p, k + 3), '}') &&
           is_punct(peek(p, k + 4), '{') && tok_is_int(peek(p, k + 5)) && is_punct(peek(p, k + 6), '}');
}

static vnode *parse_number(vparser *p) {
    vtok *t = cur(p);
    p->i++;
    vnode *x = mk_num(p, t->s, t->n);
    if (!x) return NULL;
    int is_int = !(x->flags & VF_DECIMAL);
    /* based number digits_{b}, b in 2..36 (§6.2 "subscripts") */
    if (is_int && is_punct(cur(p), '_')) {
        vtok *b = peek(p, 1);
        int brace = is_punct(b, '{');
        if (brace) b = peek(p, 2);
        if (tok_is_int(b) && (!brace || is_punct(peek(p, 3), '}'))) {
            int base = b->n <= 2 ? atoi(b->s) : 0;
            if (b->n > 2 || base < 2 || base > 36) return NULL;
            p->i += brace ? 4 : 2;
            vnode *v = mk_text(p, VN_BASED, t->s, (size_t)t->n);
            if (v) v->base = base;
            return v;
        }
        return NULL;
    }
    if (!is_int || p->in_script) return x;
    if (frac_int_args(p, 0)) {
        vnode *m = mk_num(p, peek(p, 2)->s, peek(p, 2)->n), *n = mk_num(p, peek(p, 5)->s, peek(p, 5)->n);
        p->i += 7;
        return mk_bin(p, VN_ADD, x, mk_bin(p, VN_DIV, m, n));
    }
    vtok *b = cur(p), *sl = peek(p, 1), *c = peek(p, 2);
    if (tok_is_int(b) && b->space && sl->k == TK_MULOP && sl->c == '/' && tok_is_int(c) &&
        !is_punct(peek(p, 3), '^') && !sl->space && !c->space) {
        p->i += 3;
        return mk_bin(p, VN_ADD, x, mk_bin(p, VN_DIV, mk_num(p, b->s, b->n), mk_num(p, c->s, c->n)));
    }
    return x;
}

/* Parenthesized / bracketed / braced content: items up to one of the closers. */
typedef struct {
    vvec items;
    int closer;     /* the closing char, or TK kind for \} / \rangle */
} vgroup;

static int parse_group(vparser *p, const char *closers, int alt_kind, vgroup *g) {
    memset(g, 0, sizeof *g);
    int ns, nc;
    if (parse_seq(p, &g->items, &ns, &nc, NULL)) return -1;
    vtok *t = cur(p);
    if (t->k == TK_PUNCT && strchr(closers, t->c)) g->closer = t->c;
    else if (alt_kind && t->k == (tk_kind)alt_kind) g->closer = -1;
    else return -1;
    p->i++;
    return 0;
}

/* `(`: grouping, pair (a,b) [VF_PAIR], tuple, or half-open interval (a,b]  (§6.2) */
static vnode *parse_paren(vparser *p, int open) {
    vgroup g;
    if (parse_group(p, ")]", 0, &g)) return NULL;
    int n = g.items.n;
    if (n == 1) return g.closer == (open == '(' ? ')' : ']') ? g.items.v[0] : NULL;
    if (n == 2 && (open == '[' || g.closer == ']')) {           /* intervals */
        vnode *v = mk_list(p, VN_INTERVAL, &g.items);
        if (v) v->flags |= (open == '(' ? VF_LOPEN : 0) | (g.closer == ')' ? VF_ROPEN : 0);
        return v;
    }
    if ((open == '(' && g.closer != ')') || (open == '[' && g.closer != ']')) return NULL;
    vnode *v = mk_list(p, VN_TUPLE, &g.items);                  /* [a,b,c]: ordered list */
    if (v && n == 2 && open == '(') v->flags |= VF_PAIR;
    return v;
}

/* `{...}`: grouping, or a set when it holds a top-level comma; `\{...\}` is always a set. */
static vnode *parse_braces(vparser *p, int escaped) {
    if (escaped ? cur(p)->k == TK_RSET : is_punct(cur(p), '}')) {
        p->i++;
        return vnode_new(p->ctx, VN_EMPTYSET, 0);
    }
    vgroup g;
    if (parse_group(p, escaped ? "" : "}", escaped ? TK_RSET : 0, &g)) return NULL;
    if (!escaped && g.items.n == 1) return g.items.v[0];
    return mk_list(p, VN_SET, &g.items);
}

static vnode *parse_delimited(vparser *p, tk_kind close, const char *fname) {
    p->abs_depth += close == TK_PUNCT;
    vnode *x = parse_sum(p);
    p->abs_depth -= close == TK_PUNCT;
    vtok *t = cur(p);
    if (!x || t->k != close || (close == TK_PUNCT && t->c != '|')) return NULL;
    p->i++;
    vnode *v = mk_un(p, VN_FUNC, x);
    if (v) v->text = fname;
    return v;
}

/* \begin{pmatrix} a & b \\ c & d \end{pmatrix} (also bmatrix, Bmatrix, matrix, array) */
static vnode *parse_matrix(vparser *p) {
    vtok *b = cur(p);
    if (!is_matrix_env(b->s, b->n) || (b->n == 7 && !memcmp(b->s, "vmatrix", 7)) ||
        (b->n == 7 && !memcmp(b->s, "Vmatrix", 7)))
        return NULL;                                         /* determinants: not an answer */
    p->i++;
    vvec cells = {0};
    int rows = 0, cols = -1, inrow = 0;
    for (;;) {
        vtok *t = cur(p);
        if (t->k == TK_ENDENV || t->k == TK_ROWSEP) {
            if (inrow) {
                if (cols < 0) cols = inrow;
                if (inrow != cols) return NULL;
                rows++;
            }
            inrow = 0;
            p->i++;
            if (t->k == TK_ENDENV) break;
            continue;
        }
        if (inrow && !accept(p, '&')) return NULL;
        vnode *x = parse_item(p);
        if (!x || vec_push(p, &cells, x)) return NULL;
        inrow++;
        if (rows >= VLIM_MATRIX || inrow > VLIM_MATRIX) {       /* §6.5: matrix 16 x 16 */
            vctx_hit(p->ctx, "matrix");
            return NULL;
        }
    }
    if (rows == 0) return NULL;
    vnode *m = mk_list(p, VN_MATRIX, &cells);
    if (m) {
        m->rows = rows;
        m->cols = cols;
    }
    return m;
}

static const char *trig_arc(const char *f) {
    static const char *const pairs[][2] = {{"sin", "arcsin"}, {"cos", "arccos"}, {"tan", "arctan"},
                                           {"cot", "arccot"}, {"sec", "arcsec"}, {"csc", "arccsc"}};
    for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++)
        if (!strcmp(f, pairs[k][0])) return pairs[k][1];
    return NULL;
}

static int is_minus_one(const vnode *e) {
    return e && e->kind == VN_NEG && e->a[0]->kind == VN_NUM && !strcmp(e->a[0]->text, "1");
}

/* Functions (§6.2): `\sin 2x` = sin(2x) (argument = the implicit product up to the next +, -,
 * relation or function name), `\sin^2 x` = (sin x)^2, `\sin^{-1}` = arcsin, `\log_b x`,
 * `\lg` = log base 10, `\log` without a base is ln; multi-argument `\max(a,b)`. */
static vnode *parse_func(vparser *p) {
    const char *name = cur(p)->s;
    p->i++;
    vnode *base = NULL, *expo = NULL;
    if (!strcmp(name, "log") && accept(p, '_')) {
        if (!(base = parse_script(p, 0))) return NULL;
    }
    if (accept(p, '^')) {
        if (!(expo = parse_script(p, 1))) return NULL;
        if (is_minus_one(expo) && trig_arc(name)) {
            name = trig_arc(name);
            expo = NULL;
        }
    }
    vvec args = {0};
    if (is_punct(cur(p), '(')) {
        p->i++;
        vgroup g;
        if (parse_group(p, ")", 0, &g)) return NULL;
        args = g.items;
    } else {
        vnode *x = is_punct(cur(p), '{') ? parse_brace_arg(p) : parse_term(p, 1);
        if (!x || vec_push(p, &args, x)) return NULL;
    }
    int multi = !strcmp(name, "max") || !strcmp(name, "min") || !strcmp(name, "gcd") || !strcmp(name, "lcm");
    if (args.n != 1 && !multi) return NULL;
    if (!strcmp(name, "lg")) {
        name = "log";
        if (!(base = mk_num(p, "10", 2))) return NULL;
    }
    if (base && vec_push(p, &args, base)) return NULL;
    vnode *f = mk_list(p, VN_FUNC, &args);
    if (!f) return NULL;
    f->text = name;
    return expo ? mk_bin(p, VN_POW, f, expo) : f;
}

/* \sum_{k=a}^{b} body, \prod likewise: the index is bound in the body (§6.2). */
static vnode *parse_bigop(vparser *p) {
    vnode_kind kind = cur(p)->c == 's' ? VN_SUM : VN_PROD;
    p->i++;
    if (!accept(p, '_') || !accept(p, '{')) return NULL;
    vtok *ix = cur(p);
    if ((ix->k != TK_LETTER && ix->k != TK_SYMCMD) || peek(p, 1)->k != TK_REL || peek(p, 1)->c != VR_EQ)
        return NULL;
    p->i += 2;
    vnode *lo = parse_sum(p);
    if (!lo || !accept(p, '}') || !accept(p, '^')) return NULL;
    vnode *hi = parse_script(p, 0);
    if (!hi || p->nbound >= MAX_BOUND) return NULL;
    const char *name = vctx_strndup(p->ctx, ix->s, (size_t)ix->n);
    if (!name) return NULL;
    p->bound[p->nbound++] = name;
    vnode *body = parse_term(p, 0);
    p->nbound--;
    if (!body) return NULL;
    vnode *v = vnode_new(p->ctx, kind, 3);
    if (!v) return NULL;
    v->text = name;
    v->a[0] = lo;
    v->a[1] = hi;
    v->a[2] = body;
    return v;
}

/* Letters that are function names when a '(' follows (`f(x)`; §6.4 uninterpreted functions).
 * Any other letter before '(' multiplies: `x(x+1)`. */
static int is_function_letter(const char *name) {
    return name[1] == 0 && strchr("fghFGH", name[0]) != NULL;
}

/* A symbol: a letter or \alpha, with primes and a subscript (§6.2 "subscripts"): an integer
 * subscript is part of the name (`a_1`, `V_{1}` -> "a_1"); any other subscript makes an
 * indexed symbol, an uninterpreted application (`F_{n-k-1}` -> (apply F (- (- n k) 1))).
 * `e` and `i` are constants unless bound, subscripted or inside a subscript. */
static vnode *parse_symbol(vparser *p) {
    vtok *t = cur(p);
    p->i++;
    char name[64];
    int n = t->n < 48 ? t->n : 48;
    memcpy(name, t->s, (size_t)n);
    while (is_punct(cur(p), '\'') && n < 60) {
        name[n++] = '\'';
        p->i++;
    }
    name[n] = 0;
    if (is_punct(cur(p), '_')) {
        p->i++;
        p->in_sub++;
        vnode *sub = parse_script(p, 0);
        p->in_sub--;
        if (!sub) return NULL;
        if (sub->kind == VN_NUM && !(sub->flags & VF_DECIMAL) && strlen(sub->text) < 12) {
            char full[80];
            snprintf(full, sizeof full, "%s_%s", name, sub->text);
            return mk_text(p, VN_SYM, full, strlen(full));
        }
        vnode *v = mk_un(p, VN_APPLY, sub);
        if (v && !(v->text = vctx_strndup(p->ctx, name, strlen(name)))) v = NULL;
        return v;
    }
    int bound = 0;
    for (int b = 0; b < p->nbound; b++) bound |= !strcmp(p->bound[b], name);
    if (!bound && !p->in_sub && (!strcmp(name, "e") || !strcmp(name, "i")))
        return mk_text(p, VN_CONST, name, 1);
    if (is_function_letter(name) && is_punct(cur(p), '(')) {
        p->i++;
        vgroup g;
        if (parse_group(p, ")", 0, &g)) return NULL;
        vnode *v = mk_list(p, VN_APPLY, &g.items);
        if (v && !(v->text = vctx_strndup(p->ctx, name, strlen(name)))) v = NULL;
        return v;
    }
    return mk_text(p, VN_SYM, name, strlen(name));
}

/* Text atom (§6.2 "text"): lower-cased, whitespace-collapsed; `(X)` around one letter -> X. */
static vnode *parse_text(vparser *p) {
    vtok *t = cur(p);
    p->i++;
    char *s = vctx_alloc(p->ctx, (size_t)t->n + 1);
    if (!s) return NULL;
    int m = 0, sp = 0;
    for (int k = 0; k < t->n; k++) {
        unsigned char c = (unsigned char)t->s[k];
        if (isspace(c)) { sp = m > 0; continue; }
        if (sp) s[m++] = ' ';
        sp = 0;
        s[m++] = (char)tolower(c);
    }
    s[m] = 0;
    if (m == 3 && s[0] == '(' && s[2] == ')' && isalpha((unsigned char)s[1])) {
        s[0] = s[1];
        s[1] = 0;
    }
    vnode *v = vnode_new(p->ctx, VN_TEXT, 0);
    if (v) v->text = s;
    return v;
}

static vnode *parse_primary(vparser *p) {
    vtok *t = cur(p);
    vnode *x = NULL;
    switch (t->k) {
    case TK_NUM: x = parse_number(p); break;
    case TK_LETTER: case TK_SYMCMD: x = parse_symbol(p); break;
    case TK_CONST: p->i++; x = mk_text(p, VN_CONST, t->s, (size_t)t->n); break;
    case TK_TEXT: x = parse_text(p); break;
    case TK_FUNC: x = parse_func(p); break;
    case TK_FRAC: {
        p->i++;
        vnode *num = parse_cmd_arg(p);
        x = num ? mk_bin(p, VN_DIV, num, parse_cmd_arg(p)) : NULL;
        break;
    }
    case TK_BINOM: {
        p->i++;
        vnode *n = parse_cmd_arg(p);
        x = n ? mk_bin(p, VN_BINOM, n, parse_cmd_arg(p)) : NULL;
        break;
    }
    case TK_SQRT: {
        p->i++;
        vnode *idx = NULL;
        if (accept(p, '[')) {
            idx = parse_sum(p);
            if (!idx || !accept(p, ']')) break;
        }
        vnode *arg = is_punct(cur(p), '(') ? (p->i++, parse_paren(p, '(')) : parse_cmd_arg(p);
        x = idx ? mk_bin(p, VN_SQRT, arg, idx) : mk_un(p, VN_SQRT, arg);
        break;
    }
    case TK_BIG: x = parse_bigop(p); break;
    case TK_SETCONST: {
        char c[2] = {(char)t->c, 0};
        p->i++;
        x = strchr("RZNQC", c[0]) ? mk_text(p, VN_SETCONST, c, 1) : NULL;
        break;
    }
    case TK_EMPTYSET: p->i++; x = vnode_new(p->ctx, VN_EMPTYSET, 0); break;
    case TK_ELLIPSIS: p->i++; x = vnode_new(p->ctx, VN_ELLIPSIS, 0); break;
    case TK_LSET: p->i++; x = parse_braces(p, 1); break;
    case TK_LFLOOR: p->i++; x = parse_delimited(p, TK_RFLOOR, "floor"); break;
    case TK_LCEIL: p->i++; x = parse_delimited(p, TK_RCEIL, "ceil"); break;
    case TK_LANGLE: {
        p->i++;
        vgroup g;
        if (parse_group(p, "", TK_RANGLE, &g) == 0) x = g.items.n == 1 ? g.items.v[0] : mk_list(p, VN_TUPLE, &g.items);
        break;
    }
    case TK_BEGIN: x = parse_matrix(p); break;
    case TK_PUNCT:
        p->i++;
        if (t->c == '(' || t->c == '[') x = parse_paren(p, t->c);
        else if (t->c == '{') x = parse_braces(p, 0);
        else if (t->c == '|') x = parse_delimited(p, TK_PUNCT, "abs");
        break;
    default: break;
    }
    return x;
}

/* ---------------------------------------------------------------------------------------- */
/* Entry point                                                                               */

vnode *vparse(verify_ctx *ctx, const char *s, size_t n) {
    if (!ctx || !s) return NULL;
    if (n > VLIM_ANSWER_BYTES) {                                /* §6.5: extracted answer */
        vctx_hit(ctx, "answer");
        return NULL;
    }
    vtok *toks;
    int nt = lex_all(ctx, s, (int)n, &toks);
    if (nt <= 1) return NULL;
    for (int k = 0; k < nt; k++)
        if (toks[k].k == TK_BAD) return NULL;
    vparser p = {0};
    p.ctx = ctx;
    p.t = toks;
    p.nt = nt;
    vvec items = {0};
    int ns, nc, grouped;
    if (parse_seq(&p, &items, &ns, &nc, &grouped) || cur(&p)->k != TK_END) return NULL;
    if (items.n == 1) return items.v[0];
    return mk_list(&p, VN_LIST, &items);
}

/* ---------------------------------------------------------------------------------------- */
/* S-expression dump (tests, debugging)                                                      */

static const char *kind_op(const vnode *v) {
    switch (v->kind) {
    case VN_ADD: return "+";
    case VN_SUB: return "-";
    case VN_MUL: return "*";
    case VN_DIV: return "/";
    case VN_POW: return "^";
    case VN_NEG: return "neg";
    case VN_FACT: return "!";
    case VN_PERCENT: return "%";
    case VN_SQRT: return v->nkids == 2 ? "root" : "sqrt";
    case VN_BINOM: return "binom";
    case VN_LIST: return "list";
    case VN_TUPLE: return v->flags & VF_PAIR ? "pair" : "tuple";
    case VN_SET: return "set";
    case VN_UNION: return "cup";
    case VN_INTERSECT: return "cap";
    case VN_SETMINUS: return "setminus";
    case VN_RATIO: return v->flags & VF_TIME ? "time" : "ratio";
    default: return "?";
    }
}

static const char *rel_name(vrel_op op) {
    static const char *const names[] = {"=", "<", ">", "<=", ">=", "!=", "~", "in"};
    return (unsigned)op < 8 ? names[op] : "?";
}

static int dump_rec(svs_buf *b, const vnode *v, int depth) {
    if (!v) return svs_buf_puts(b, "NULL", NULL);
    if (depth > 4 * VLIM_DEPTH) return svs_buf_puts(b, "...", NULL);
    int rc = 0;
    switch (v->kind) {
    case VN_NUM: case VN_SYM: return svs_buf_puts(b, v->text, NULL);
    case VN_CONST: return svs_buf_printf(b, NULL, "@%s", v->text);
    case VN_TEXT: return svs_buf_printf(b, NULL, "\"%s\"", v->text);
    case VN_SETCONST: return svs_buf_printf(b, NULL, "(setconst %s)", v->text);
    case VN_EMPTYSET: return svs_buf_puts(b, "(emptyset)", NULL);
    case VN_ELLIPSIS: return svs_buf_puts(b, "...", NULL);
    case VN_BASED: return svs_buf_printf(b, NULL, "(based %d %s)", v->base, v->text);
    case VN_PM:
        rc = svs_buf_puts(b, v->op < 0 ? "(mp" : "(pm", NULL);
        break;
    case VN_FUNC: case VN_APPLY:
        rc = svs_buf_printf(b, NULL, v->kind == VN_APPLY ? "(apply %s" : "(%s", v->text);
        break;
    case VN_SUM: case VN_PROD:
        rc = svs_buf_printf(b, NULL, "(%s %s", v->kind == VN_SUM ? "sum" : "prod", v->text);
        break;
    case VN_INTERVAL:
        rc = svs_buf_printf(b, NULL, "(interval%c%c", v->flags & VF_LOPEN ? '(' : '[',
                            v->flags & VF_ROPEN ? ')' : ']');
        break;
    case VN_MATRIX:
        rc = svs_buf_printf(b, NULL, "(matrix %dx%d", v->rows, v->cols);
        break;
    case VN_REL:
        rc = svs_buf_puts(b, "(rel", NULL);
        for (int k = 0; k < v->nkids && !rc; k++) {
            if (k) rc = svs_buf_printf(b, NULL, " %s", rel_name(v->ops[k - 1]));
            if (!rc) rc = svs_buf_putc(b, ' ', NULL);
            if (!rc) rc = dump_rec(b, v->a[k], depth + 1);
        }
        return rc ? rc : svs_buf_putc(b, ')', NULL);
    default:
        rc = svs_buf_printf(b, NULL, "(%s", kind_op(v));
        break;
    }
    for (int k = 0; k < v->nkids && !rc; k++) {
        rc = svs_buf_putc(b, ' ', NULL);
        if (!rc) rc = dump_rec(b, v->a[k], depth + 1);
    }
    return rc ? rc : svs_buf_putc(b, ')', NULL);
}

char *vnode_dump(const vnode *v) {
    svs_buf b = {0};
    if (dump_rec(&b, v, 0)) {
        svs_buf_free(&b);
        return NULL;
    }
    if (!b.data) return strdup("");
    return b.data;
}
