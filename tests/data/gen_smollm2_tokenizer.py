"""gen_smollm2_tokenizer.py — test vectors for the SmolLM2 GGUF tokenizer (tok_from_gguf_vocab,
TOK_PRE_SMOLLM): tests/data/smollm2_gguf_tokenizer.jsonl, read by tests/test_tokenizer_gguf.c.

Each line: {"text": str, "transformers": [ids], "digits": [ids]}, add_special_tokens=False, for
~370 strings (hand-picked digit / whitespace / Unicode / special-token cases, 220 documents of
../shared/data, 80 random mixtures of spaces, digits and letters; seed 7):
  transformers  AutoTokenizer.from_pretrained(dir, gguf_file=...) — what transformers builds
                from the GGUF: the plain GPT-2 ByteLevel regex, since "smollm" is not in its
                GGUF_PRE_TOKENIZER_SPLITS (tok_gguf_vocab.transformers_compat = 1);
  digits        the same vocabulary with the pre-tokenizer Sequence[Digits(individual_digits),
                ByteLevel(use_regex)] of SmolLM2's own tokenizer.json, which llama.cpp's
                "smollm" pre-tokenizer reproduces (transformers_compat = 0, the default).

Usage: python3 tests/data/gen_smollm2_tokenizer.py GGUF_DIR [SHARED_DIR]
(GGUF_DIR holds SmolLM2-135M-Instruct.Q4_1.gguf; needs transformers, gguf, tokenizers.)"""
import json
import os
import random
import sys

from tokenizers import pre_tokenizers
from transformers import AutoTokenizer

GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def cases(shared):
    rng = random.Random(7)
    s = ["Hello world! 123", "What is 2+3?", "x  1", "x\n 1", "a   42 b", "\t7", "  9", "12345678901234567890", "3.14159",
         "1,000,000", "x²+y² = z²", "½ + ¼ = ¾", "٣٤٥ Arabic-Indic", "１２３ fullwidth", "Ⅻ roman", "①②③", "H₂O", "10^-3", "-5",
         "1e10", "0x1F", "I'm here, you're there, we'll see. It's 5 o'clock.", "DON'T STOP", "naïve café", "e\u0301",
         "日本語のテキスト123です", "한국어 텍스트 99", "emoji 😀👍🏽 test 7", "tab\tsep\t1\t2", "line1\r\nline2\n\n\n3",
         "   leading spaces", "trailing spaces   ", "multiple     spaces 5",
         "<|im_start|>user\nWhat is 2+3?<|im_end|>\n<|im_start|>assistant\n", "<|endoftext|>tail", "<repo_name>x<file_sep>",
         "\\frac{1}{2} + \\sqrt{3}", "$x = 5$ and $y=10$.", "def f(x):\n    return x**2 + 1\n", "if (a  <  3) {\n\treturn 0;\n}",
         "  \n  7", "word\u00a01", "\u3000２", "a\u2003\u20035", "", " ", "  ", "1", " 1", "  1", "   1", "\n1", "\n\n1", "\t\t1",
         "a 1 2 3", "a1b2c3", "v1.2.3-beta", "2024-01-01T12:00:00Z", "$1,234.56", "50%", "#1", "№5", "ǅ title case", "ᾬ greek",
         "Ω ohm sign Ω", "ﬁ ligature", "x\u200by", "zero\u200dwidth", "\u0085next line", "\x0b\x0c1", "\x1c\x1d 2", "AT&T 2 B"]
    docs = []
    for fn in ["gsm8k_test.jsonl", "math500_test.jsonl", "dapo_math_17k.jsonl"]:
        for line in open(os.path.join(shared, "data", fn), encoding="utf-8"):
            for v in json.loads(line).values():
                if isinstance(v, str) and len(v) > 20:
                    docs.append(v)
    rng.shuffle(docs)
    s += docs[:220]
    alpha = [" ", "  ", "\n", "\t", "1", "23", "a", "bc", "²", "٣", ".", "!", "'s", "é", "中", "😀", "\r\n", "   "]
    for _ in range(80):
        s.append("".join(rng.choice(alpha) for _ in range(rng.randint(1, 12))))
    return s


def main():
    gguf_dir = sys.argv[1]
    shared = sys.argv[2] if len(sys.argv) > 2 else "../shared"
    tok = AutoTokenizer.from_pretrained(gguf_dir, gguf_file=GGUF)
    texts = cases(shared)
    hf = [tok(t, add_special_tokens=False)["input_ids"] for t in texts]
    bt = tok.backend_tokenizer
    bt.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    dig = [bt.encode(t, add_special_tokens=False).ids for t in texts]
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "smollm2_gguf_tokenizer.jsonl")
    with open(out, "w", encoding="utf-8") as f:
        for t, a, d in zip(texts, hf, dig):
            f.write(json.dumps({"text": t, "transformers": a, "digits": d}) + "\n")
    print(f"{out}: {len(texts)} cases, {sum(a != d for a, d in zip(hf, dig))} where the two differ")


if __name__ == "__main__":
    main()
