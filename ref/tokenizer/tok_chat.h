/* tok_chat.h — chat templates rendered in C, without a Jinja engine (spec/formats.md §7).
 *
 * Two template shapes are implemented, each exactly as transformers' apply_chat_template renders
 * the Jinja template of the corresponding tokenizer_config.json (checked by
 * tests/test_tokenizer_golden.c against golden/tokenizer/chat.jsonl):
 *
 *   TOK_CHAT_QWEN2_5  ChatML with Qwen2.5's default system block (formats.md §7.1; no tools)
 *   TOK_CHAT_LLAMA3   Llama-3: BOS + header/eot blocks, content trimmed (formats.md §7.2)
 *
 * The rendered text contains the special tokens as text ("<|im_start|>", "<|begin_of_text|>");
 * encode it with added-token matching and no BOS/EOS (tok_encode with flags 0), which is what
 * tok_chat_encode does. */
#ifndef SVS_TOK_CHAT_H
#define SVS_TOK_CHAT_H

#include <stddef.h>

#include "../common.h"
#include "tok.h"

typedef enum tok_chat_template {
    TOK_CHAT_QWEN2_5 = 0,
    TOK_CHAT_LLAMA3 = 1,
} tok_chat_template;

/* One message. role: "system", "user" or "assistant" (Llama-3 also renders any other role
 * verbatim; Qwen2.5 refuses others, since its template renders "tool" messages differently).
 * content[0..content_len) is UTF-8 and need not be NUL-terminated. */
typedef struct tok_chat_msg {
    const char *role;
    const char *content;
    size_t content_len;
} tok_chat_msg;

/* Parses "qwen2_5" / "qwen2.5" / "chatml-qwen" and "llama3" / "llama-3". Returns 0 or -1. */
int tok_chat_template_parse(const char *name, tok_chat_template *out, svs_err *err);
const char *tok_chat_template_name(tok_chat_template tpl);

/* Appends the rendered conversation to *out. add_generation_prompt appends the assistant header
 * (Qwen2.5: "<|im_start|>assistant\n"; Llama-3: its template always appends
 * "<|start_header_id|>assistant<|end_header_id|>\n\n", so the flag changes nothing there).
 * An empty message list is an error (the Jinja templates index messages[0]). */
int tok_chat_render(tok_chat_template tpl, const tok_chat_msg *msgs, size_t n, int add_generation_prompt, svs_buf *out,
                    svs_err *err);

/* Renders and appends the ids of the rendered text to *out (added tokens matched, no BOS). */
int tok_chat_encode(const tok_tokenizer *tok, tok_chat_template tpl, const tok_chat_msg *msgs, size_t n,
                    int add_generation_prompt, tok_ids *out, svs_err *err);

/* Python str.strip() as Jinja's `trim` filter applies it: narrows [*start, *end) of s past
 * leading and trailing code points for which Python's str.isspace() is true (U+0009–U+000D,
 * U+001C–U+001F, U+0020, U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F,
 * U+3000). s must be valid UTF-8. Exposed for tests. */
void tok_chat_trim(const char *s, size_t n, size_t *start, size_t *end);

#endif
