/* tok_train.h — a byte-level BPE trainer that writes Hugging Face tokenizer.json files
 * (spec/formats.md §1–§4; implementation in tok_train.c; CLI: `svs bpe-train`).
 *
 * Usage:
 *     tok_train_opts o = tok_train_defaults();   o.vocab_size = 2000; ...
 *     tok_trainer *tr;  tok_trainer_new(&o, &tr, &err);
 *     for each text:     tok_trainer_add_text(tr, text, len, &err);   // counts words
 *     tok_trainer_train(tr, &err);                                    // learns the merges
 *     tok_trainer_to_json(tr, &buf, &err);   or   tok_trainer_build(tr, &tok, &err);
 *     tok_trainer_free(tr);
 *
 * The result: ids 0..255 are the single bytes in GPT-2 bytes_to_unicode order (formats.md §2, as
 * in the real files), then one id per new token in the order the merges created it, then the
 * special tokens (added tokens, special: true, normalized: false). The tokenizer.json uses the
 * exact pre-tokenizer of the chosen model (Split regex + ByteLevel, or GPT-2's ByteLevel with
 * use_regex), an optional NFC normalizer, and a ByteLevel decoder; HF `tokenizers` loads it and
 * encodes exactly like tok_encode (golden/tokenizer/ids_ours.jsonl). */
#ifndef SVS_TOK_TRAIN_H
#define SVS_TOK_TRAIN_H

#include <stddef.h>

#include "../common.h"
#include "tok.h"

typedef struct tok_train_opts {
    size_t vocab_size; /* total ids: 256 bytes + learned tokens + specials (>= 256 + n_specials) */
    tok_pre_kind pre; /* pre-tokenizer of the output (and of training) */
    int nfc; /* NFC normalizer (training text is normalized the same way) */
    const char *const *specials; /* special tokens (UTF-8, distinct, non-empty), in id order */
    size_t n_specials;
    size_t min_frequency; /* stop when the best pair occurs fewer times (default 2) */
} tok_train_opts;

tok_train_opts tok_train_defaults(void); /* vocab 1000, qwen2 regex, no NFC, no specials, min 2 */

typedef struct tok_trainer tok_trainer;

int tok_trainer_new(const tok_train_opts *opts, tok_trainer **out, svs_err *err);
void tok_trainer_free(tok_trainer *tr); /* NULL is fine */

/* Counts the pre-tokenized words of one text (valid UTF-8, else an error naming the byte
 * offset). Special tokens in the text are cut out first (leftmost-longest) and never counted,
 * so no merge ever spans one. Call before tok_trainer_train. */
int tok_trainer_add_text(tok_trainer *tr, const char *text, size_t n, svs_err *err);

/* Learns merges until the vocabulary reaches opts.vocab_size or no pair occurs at least
 * min_frequency times. Each step merges the most frequent adjacent pair, counted over all
 * words weighted by word frequency; ties go to the pair (left id, right id) that is smallest
 * lexicographically (ids as above). Pair counts are updated incrementally: only the words that
 * contain the merged pair are re-counted. */
int tok_trainer_train(tok_trainer *tr, svs_err *err);

size_t tok_trainer_n_merges(const tok_trainer *tr);
size_t tok_trainer_vocab_size(const tok_trainer *tr); /* ids including specials */

/* Appends the tokenizer.json text (pretty-printed) to *out. */
int tok_trainer_to_json(const tok_trainer *tr, svs_buf *out, svs_err *err);
/* Builds the tokenizer in memory (same result as tok_load_json of tok_trainer_to_json). */
int tok_trainer_build(const tok_trainer *tr, tok_tokenizer **out, svs_err *err);

#endif
