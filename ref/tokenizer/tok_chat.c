/* tok_chat.c — Qwen2.5 (ChatML) and Llama-3 chat templates rendered without Jinja
 * (spec/formats.md §7.1, §7.2; API in tok_chat.h).
 *
 * Input: a list of {role, content} messages and add_generation_prompt. Output: the exact text
 * transformers' apply_chat_template(messages, tokenize=False, add_generation_prompt=...) gives
 * for ../shared/assets/tokenizers/{qwen2_5,llama3}/tokenizer_config.json, and optionally its ids
 * (encoded with added-token matching, no BOS added). Golden: golden/tokenizer/chat.jsonl.
 *
 * Qwen2.5, without tools (the Jinja `else` branch):
 *     first message system ? "<|im_start|>system\n" + content + "<|im_end|>\n"
 *                          : the default system block (QWEN_DEFAULT_SYSTEM below)
 *     for each message except a leading system one:
 *         "<|im_start|>" + role + "\n" + content + "<|im_end|>\n"
 *     add_generation_prompt ? "<|im_start|>assistant\n"
 * Llama-3 (Meta-Llama-Guard-2 copy of the template):
 *     for each message: [bos_token if first] + "<|start_header_id|>" + role +
 *                       "<|end_header_id|>\n\n" + (content | trim) + "<|eot_id|>"
 *     then always "<|start_header_id|>assistant<|end_header_id|>\n\n". */
#include "tok_chat.h"

#include <string.h>

#define QWEN_DEFAULT_SYSTEM                                                                                            \
    "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"

int tok_chat_template_parse(const char *name, tok_chat_template *out, svs_err *err) {
    if (!strcmp(name, "qwen2_5") || !strcmp(name, "qwen2.5") || !strcmp(name, "chatml-qwen")) {
        *out = TOK_CHAT_QWEN2_5;
        return 0;
    }
    if (!strcmp(name, "llama3") || !strcmp(name, "llama-3")) {
        *out = TOK_CHAT_LLAMA3;
        return 0;
    }
    return svs_errf(err, "unknown chat template \"%s\" (known: qwen2_5, llama3)", name);
}

const char *tok_chat_template_name(tok_chat_template tpl) { return tpl == TOK_CHAT_LLAMA3 ? "llama3" : "qwen2_5"; }

/* Python str.isspace() for one code point: category Zs or bidi class WS/B/S. Unlike Unicode
 * White_Space this includes the information separators U+001C..U+001F. */
static int py_isspace(uint32_t cp) {
    if ((cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20)) return 1;
    if (cp == 0x85 || cp == 0xA0 || cp == 0x1680) return 1;
    if (cp >= 0x2000 && cp <= 0x200A) return 1;
    return cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* Decodes the code point starting at s[i] (valid UTF-8); returns its length in bytes. */
static size_t utf8_at(const unsigned char *s, size_t i, uint32_t *cp) {
    unsigned char c = s[i];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c < 0xE0) {
        *cp = ((uint32_t)(c & 0x1F) << 6) | (s[i + 1] & 0x3F);
        return 2;
    }
    if (c < 0xF0) {
        *cp = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F);
        return 3;
    }
    *cp = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(s[i + 1] & 0x3F) << 12) | ((uint32_t)(s[i + 2] & 0x3F) << 6) |
          (s[i + 3] & 0x3F);
    return 4;
}

void tok_chat_trim(const char *s, size_t n, size_t *start, size_t *end) {
    const unsigned char *u = (const unsigned char *)s;
    size_t a = 0, b = n;
    uint32_t cp;
    while (a < b) {
        size_t len = utf8_at(u, a, &cp);
        if (!py_isspace(cp)) break;
        a += len;
    }
    while (b > a) {
        size_t p = b - 1; /* step back to the lead byte of the last code point */
        while (p > a && (u[p] & 0xC0) == 0x80) p--;
        utf8_at(u, p, &cp);
        if (!py_isspace(cp)) break;
        b = p;
    }
    *start = a;
    *end = b;
}

static int is_role(const tok_chat_msg *m, const char *role) { return strcmp(m->role, role) == 0; }

static int render_qwen(const tok_chat_msg *msgs, size_t n, int gen, svs_buf *out, svs_err *err) {
    size_t first = 0;
    if (is_role(&msgs[0], "system")) {
        if (svs_buf_puts(out, "<|im_start|>system\n", err) ||
            svs_buf_append(out, msgs[0].content, msgs[0].content_len, err) || svs_buf_puts(out, "<|im_end|>\n", err))
            return -1;
        first = 1;
    } else if (svs_buf_puts(out, QWEN_DEFAULT_SYSTEM, err)) {
        return -1;
    }
    for (size_t i = first; i < n; i++) {
        const tok_chat_msg *m = &msgs[i];
        if (!is_role(m, "user") && !is_role(m, "system") && !is_role(m, "assistant"))
            return svs_errf(err,
                            "messages[%zu]: role \"%s\" is not supported by the qwen2_5 template "
                            "(system, user, assistant)",
                            i, m->role);
        if (svs_buf_printf(out, err, "<|im_start|>%s\n", m->role) ||
            svs_buf_append(out, m->content, m->content_len, err) || svs_buf_puts(out, "<|im_end|>\n", err))
            return -1;
    }
    return gen ? svs_buf_puts(out, "<|im_start|>assistant\n", err) : 0;
}

static int render_llama3(const tok_chat_msg *msgs, size_t n, svs_buf *out, svs_err *err) {
    for (size_t i = 0; i < n; i++) {
        size_t a, b;
        if (!svs_utf8_valid(msgs[i].content, msgs[i].content_len, NULL))
            return svs_errf(err, "messages[%zu]: content is not valid UTF-8", i);
        tok_chat_trim(msgs[i].content, msgs[i].content_len, &a, &b);
        if ((i == 0 && svs_buf_puts(out, "<|begin_of_text|>", err)) ||
            svs_buf_printf(out, err, "<|start_header_id|>%s<|end_header_id|>\n\n", msgs[i].role) ||
            svs_buf_append(out, msgs[i].content + a, b - a, err) || svs_buf_puts(out, "<|eot_id|>", err))
            return -1;
    }
    return svs_buf_puts(out, "<|start_header_id|>assistant<|end_header_id|>\n\n", err);
}

int tok_chat_render(tok_chat_template tpl, const tok_chat_msg *msgs, size_t n, int add_generation_prompt, svs_buf *out,
                    svs_err *err) {
    if (n == 0) return svs_errf(err, "chat template %s: no messages", tok_chat_template_name(tpl));
    for (size_t i = 0; i < n; i++)
        if (!msgs[i].role || (!msgs[i].content && msgs[i].content_len))
            return svs_errf(err, "messages[%zu]: missing role or content", i);
    size_t old_len = out->len;
    int rc = tpl == TOK_CHAT_LLAMA3 ? render_llama3(msgs, n, out, err)
                                    : render_qwen(msgs, n, add_generation_prompt, out, err);
    if (rc != 0 && out->data) { /* leave *out as it was */
        out->len = old_len;
        out->data[old_len] = '\0';
    }
    return rc;
}

int tok_chat_encode(const tok_tokenizer *tok, tok_chat_template tpl, const tok_chat_msg *msgs, size_t n,
                    int add_generation_prompt, tok_ids *out, svs_err *err) {
    svs_buf text = {0};
    int rc = tok_chat_render(tpl, msgs, n, add_generation_prompt, &text, err);
    if (rc == 0) rc = tok_encode_append(tok, text.data, text.len, 0, out, err);
    svs_buf_free(&text);
    return rc;
}
