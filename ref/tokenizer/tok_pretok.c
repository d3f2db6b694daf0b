/* tok_pretok.c — the pre-tokenizers of formats.md §3 as hand-written scanners.
 *
 * HF runs these regexes with Oniguruma (Split behaviour "Isolated" or ByteLevel use_regex):
 * alternation is ORDERED (the first alternative that matches at a position wins, not the
 * longest), quantifiers are greedy with backtracking. Each scanner below takes valid UTF-8 and a
 * start offset and returns the end of the one match that starts there; every alternative of the
 * regex is quoted above the branch that implements it. Since every character is covered by some
 * alternative, consecutive matches tile the text (no gaps), so "Isolated" splitting is just
 * "repeat from the end of the previous piece" (tok_pretok_next).
 *
 * Character classes (formats.md §3):
 *   \p{L}  General_Category L* (Lu Ll Lt Lm Lo);  \p{N}  Nd Nl No (so ½ and ² are numbers);
 *   \s     Oniguruma's Unicode \s: U+0009–U+000D, U+0085, Zs, Zl, Zp — NOT U+001C–U+001F.
 * Categories come from utf8proc (its Unicode version may differ slightly from the one in the
 * Oniguruma that HF links; only newly assigned code points could differ). ASCII uses a table.
 *
 * Inputs: text[0..n) valid UTF-8 (callers check or repair it first). Output: byte offsets. */
#include <string.h>
#include <utf8proc.h>

#include "tok.h"

enum { C_L = 1, C_N = 2, C_S = 4, C_NL = 8 }; /* letter, number, \s, \r or \n */

/* Class of every ASCII character: letters, digits, \t\n\v\f\r and space (a table: the scanners
 * ask for the class of most characters several times). */
#define AL C_L
#define AN C_N
static const uint8_t ASCII_CLASS[128] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, C_S, C_S | C_NL, C_S, C_S, C_S | C_NL, 0, 0, /* \t \n \v \f \r */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    C_S, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* space */
    AN, AN, AN, AN, AN, AN, AN, AN, AN, AN, 0, 0, 0, 0, 0, 0, /* 0-9 */
    0, AL, AL, AL, AL, AL, AL, AL, AL, AL, AL, AL, AL, AL, AL, AL, /* A-O */
    AL, AL, AL, AL, AL, AL, AL, AL, AL, AL, AL, 0, 0, 0, 0, 0, /* P-Z */
    0, AL, AL, AL, AL, AL, AL, AL, AL, AL, AL, AL, AL, AL, AL, AL, /* a-o */
    AL, AL, AL, AL, AL, AL, AL, AL, AL, AL, AL, 0, 0, 0, 0, 0, /* p-z */
};
#undef AL
#undef AN

static inline unsigned ascii_class(uint32_t c) { return ASCII_CLASS[c]; }

static unsigned cp_class(uint32_t c) {
    if (c < 0x80) return ascii_class(c);
    /* Oniguruma Unicode \s beyond ASCII: U+0085 and the Zs/Zl/Zp code points. */
    if (c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
        c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000)
        return C_S;
    switch (utf8proc_category((utf8proc_int32_t)c)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
        return C_L;
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
        return C_N;
    default:
        return 0;
    }
}

/* Decodes the (valid) UTF-8 character at s[p] (p < n); *len receives its byte length. */
static uint32_t cp_at(const char *text, size_t p, size_t *len) {
    const uint8_t *s = (const uint8_t *)text + p;
    if (s[0] < 0x80) { *len = 1; return s[0]; }
    if (s[0] < 0xE0) { *len = 2; return ((uint32_t)(s[0] & 0x1F) << 6) | (s[1] & 0x3F); }
    if (s[0] < 0xF0) {
        *len = 3;
        return ((uint32_t)(s[0] & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
    }
    *len = 4;
    return ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
           ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
}

/* Class of the character at p, or 0 with *len = 0 at the end of the text. */
static inline unsigned class_at(const char *s, size_t n, size_t p, size_t *len) {
    if (p >= n) { *len = 0; return 0; }
    if ((uint8_t)s[p] < 0x80) { *len = 1; return ascii_class((uint8_t)s[p]); }
    return cp_class(cp_at(s, p, len));
}

/* Is the character at p (p < n) "other", i.e. [^\s\p{L}\p{N}]? */
static int other_at(const char *s, size_t n, size_t p) {
    size_t l;
    return p < n && (class_at(s, n, p, &l) & (C_L | C_N | C_S)) == 0;
}

/* Skips characters whose class has a bit of want. */
static size_t skip_class(const char *s, size_t n, size_t p, unsigned want) {
    size_t l;
    while (p < n && (class_at(s, n, p, &l) & want)) p += l;
    return p;
}

static size_t skip_other(const char *s, size_t n, size_t p) {
    size_t l;
    while (p < n && (class_at(s, n, p, &l) & (C_L | C_N | C_S)) == 0) p += l;
    return p;
}

/* The contractions after an apostrophe at s[p-1]: 's|'t|'re|'ve|'m|'ll|'d. Returns the byte
 * length of the matched letters (0 = no match). With icase (the `(?i:...)` of Qwen/Llama-3),
 * Oniguruma compares by Unicode simple case folding, so U+017F LATIN SMALL LETTER LONG S (ſ,
 * folds to 's') also matches 's' (not covered by a test vector). */
static size_t contraction(const char *s, size_t n, size_t p, int icase) {
    if (p >= n) return 0;
    int c = (uint8_t)s[p], c2 = p + 1 < n ? (uint8_t)s[p + 1] : 0;
    if (icase) {
        if (c == 0xC5 && c2 == 0xBF) return 2; /* ſ */
        if (c >= 'A' && c <= 'Z') c += 32;
        if (c2 >= 'A' && c2 <= 'Z') c2 += 32;
    }
    switch (c) {
    case 's': case 't': case 'm': case 'd': return 1;
    case 'r': case 'v': return c2 == 'e' ? 2 : 0;
    case 'l': return c2 == 'l' ? 2 : 0;
    default: return 0;
    }
}

/* The three whitespace alternatives shared by all regexes, at p where s[p] is \s:
 *   \s+(?!\S)  the run of whitespace, minus its last character when a non-space follows and the
 *              run is longer than one character (backtracking: "   Hello" -> "  " + " Hello");
 *   \s+        otherwise the whole run (a single space before a non-space). */
static size_t whitespace_tail(const char *s, size_t n, size_t p) {
    size_t end = p, last = p, l;
    while (end < n && (class_at(s, n, end, &l) & C_S)) {
        last = end;
        end += l;
    }
    if (end == n) return end;  /* \s+(?!\S) at the end of the text */
    if (last > p) return last; /* \s+(?!\S) after giving back the last space */
    return end;                /* \s+ */
}

/* Qwen2 (max_digits = 1) and Llama-3 (max_digits = 3):
 * (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,max}| ?[^\s\p{L}\p{N}]+[\r\n]*|
 * \s*[\r\n]+|\s+(?!\S)|\s+ */
static size_t scan_cl100k(const char *s, size_t n, size_t pos, int max_digits) {
    size_t l0, l1;
    unsigned k0 = class_at(s, n, pos, &l0);

    /* (?i:'s|'t|'re|'ve|'m|'ll|'d) */
    if (s[pos] == '\'') {
        size_t m = contraction(s, n, pos + 1, 1);
        if (m) return pos + 1 + m;
    }
    /* [^\r\n\p{L}\p{N}]?\p{L}+ — a letter run, optionally led by one character that is neither
     * a letter, a digit nor CR/LF (space, tab, '\\', '$', ...). */
    if (k0 & C_L) return skip_class(s, n, pos, C_L);
    if (!(k0 & (C_N | C_NL)) && (class_at(s, n, pos + l0, &l1) & C_L))
        return skip_class(s, n, pos + l0, C_L);
    /* \p{N} (Qwen2) or \p{N}{1,3} (Llama-3) */
    if (k0 & C_N) {
        size_t p = pos;
        for (int i = 0; i < max_digits && p < n && (class_at(s, n, p, &l1) & C_N); i++) p += l1;
        return p;
    }
    /* ' ?[^\s\p{L}\p{N}]+[\r\n]*' — punctuation/symbol run, optionally after one space, then
     * any CR/LF directly after it ("$.\n" is one piece). */
    {
        size_t p = pos;
        if (s[p] == ' ') p++;
        if (other_at(s, n, p)) return skip_class(s, n, skip_other(s, n, p), C_NL);
    }
    /* Only whitespace is left (k0 & C_S). */
    /* \s*[\r\n]+ — greedy \s* gives back until [\r\n]+ matches: the match ends after the last
     * CR/LF of the whitespace run, if the run has one. */
    {
        size_t p = pos, end_nl = 0, l;
        unsigned k;
        while (p < n && ((k = class_at(s, n, p, &l)) & C_S)) {
            p += l;
            if (k & C_NL) end_nl = p;
        }
        if (end_nl) return end_nl;
    }
    /* \s+(?!\S) | \s+ */
    return whitespace_tail(s, n, pos);
}

/* GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
static size_t scan_gpt2(const char *s, size_t n, size_t pos) {
    size_t l;
    /* 's|'t|'re|'ve|'m|'ll|'d (case-sensitive) */
    if (s[pos] == '\'') {
        size_t m = contraction(s, n, pos + 1, 0);
        if (m) return pos + 1 + m;
    }
    size_t p = pos + (s[pos] == ' '); /* the optional leading space of the next three */
    unsigned k = class_at(s, n, p, &l);
    if (l) {
        /* ' ?\p{L}+' */
        if (k & C_L) return skip_class(s, n, p, C_L);
        /* ' ?\p{N}+' */
        if (k & C_N) return skip_class(s, n, p, C_N);
        /* ' ?[^\s\p{L}\p{N}]+' */
        if (!(k & C_S)) return skip_other(s, n, p);
    }
    /* \s+(?!\S) | \s+ */
    return whitespace_tail(s, n, pos);
}

/* SmolLM2: HF Sequence[Digits(individual_digits: true), ByteLevel(use_regex: true)] — first every
 * numeric character (Rust char::is_numeric: Nd, Nl, No, the same set as \p{N}) becomes its own
 * piece, then the GPT-2 regex runs on each stretch between them. llama.cpp's "smollm"
 * pre-tokenizer does the same with the regexes `\p{N}` and the GPT-2 one without its final `\s+`
 * alternative (ggml-org/llama.cpp@00ad355e src/llama-vocab.cpp); what that alternative would
 * match — one whitespace character before a non-space — is left over as an unmatched stretch and
 * becomes a piece anyway, so the pieces are the same.
 *
 * Without a second pass: the GPT-2 match at pos on the whole text equals the match on the stretch
 * (which ends at the next numeric character) unless the match contains a numeric character or
 * the scanner looked at one: it reads past the match only in a whitespace run, up to the first
 * character after the run (\s+(?!\S)). So: match on the whole text, look for a numeric
 * character in what was read, and if there is one match again with the text cut there. Each
 * call costs O(match + whitespace run), never the whole stretch. */
static size_t scan_smollm(const char *s, size_t n, size_t pos) {
    size_t l;
    unsigned k = class_at(s, n, pos, &l);
    if (k & C_N) return pos + l;
    size_t e = scan_gpt2(s, n, pos), read = e;
    if (k & C_S) {
        size_t run = skip_class(s, n, pos, C_S); /* the character at run (if any) was read too */
        if (run < n) class_at(s, n, run, &l), run += l;
        if (run > read) read = run;
    }
    for (size_t p = pos; p < read; p += l)
        if (class_at(s, n, p, &l) & C_N) return scan_gpt2(s, p, pos);
    return e;
}

size_t tok_pretok_next(tok_pre_kind kind, const char *text, size_t n, size_t pos) {
    if (pos >= n) return n;
    switch (kind) {
    case TOK_PRE_QWEN2: return scan_cl100k(text, n, pos, 1);
    case TOK_PRE_LLAMA3: return scan_cl100k(text, n, pos, 3);
    case TOK_PRE_GPT2: return scan_gpt2(text, n, pos);
    case TOK_PRE_SMOLLM: return scan_smollm(text, n, pos);
    }
    return n;
}

static const char *const REGEX[] = {
    [TOK_PRE_QWEN2] = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    [TOK_PRE_LLAMA3] = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    [TOK_PRE_GPT2] = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
    [TOK_PRE_SMOLLM] = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
};

const char *tok_pre_regex(tok_pre_kind kind) {
    return (unsigned)kind < sizeof REGEX / sizeof REGEX[0] ? REGEX[kind] : NULL;
}
