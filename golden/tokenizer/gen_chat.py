#!/usr/bin/env python3
"""gen_chat.py — chat-template goldens from transformers' apply_chat_template.

Inputs:  ../shared/assets/tokenizers/{qwen2_5,llama3}/ (tokenizer_config.json with the Jinja
         chat template + tokenizer.json), loaded offline with AutoTokenizer.from_pretrained(dir).
Output:  golden/tokenizer/chat.jsonl: a header line {"header": true, "transformers": ...,
         "tokenizers": ..., "jinja2": ...}, then one line per (template, conversation,
         add_generation_prompt):
           {"template": "qwen2_5"|"llama3", "case": str, "messages": [{"role","content"}...],
            "add_generation_prompt": bool, "text": str, "ids": [int...]}
         text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=...)
         ids  = tokenizers.Tokenizer.from_file(tokenizer.json).encode(text,
                add_special_tokens=False).ids   (added tokens matched in the text, no BOS added;
                spec/formats.md §7). The script also checks that transformers' own
                tok(text, add_special_tokens=False) gives the same ids and fails otherwise.

The conversations cover: one question with no system message (Qwen's default system block), an
explicit system message, multi-turn dialogues, a later system message, an assistant-last
conversation, empty content, content with leading/trailing whitespace of every kind (Llama-3
trims with Jinja's `trim` = Python str.strip(), Qwen keeps it), unicode and decomposed text, and
special-token text inside a message. Deterministic: fixed list, no RNG.
Usage: HF_HUB_OFFLINE=1 python3 golden/tokenizer/gen_chat.py [--shared ../shared]
"""
import argparse
import json
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import jinja2  # noqa: E402
import tokenizers  # noqa: E402
import transformers  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402
from transformers import AutoTokenizer  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
GENERATOR = "golden/tokenizer/gen_chat.py v1"
SVS_SUFFIX = " Please reason step by step, and put your final answer within \\boxed{}."


def U(c):
    return {"role": "user", "content": c}


def A(c):
    return {"role": "assistant", "content": c}


def S(c):
    return {"role": "system", "content": c}


CONVERSATIONS = [
    ("one-question", [U("What is 1+1?")]),
    ("svs-train-prompt", [U("Find the sum of all integers $n$ such that $n^2 < 10$." + SVS_SUFFIX)]),
    ("system-user", [S("You are a careful mathematician."), U("Prove that $\\sqrt{2}$ is irrational.")]),
    ("qwen-math-system", [S("Please reason step by step, and put your final answer within \\boxed{}."), U("Compute $2^{10}$.")]),
    ("multi-turn", [U("Hi!"), A("Hello! How can I help?"), U("What is 6 times 7?"), A("42."), U("Thanks.")]),
    ("system-multi-turn", [S("Answer briefly."), U("Capital of France?"), A("Paris."), U("And of Japan?")]),
    ("assistant-last", [U("Say hi."), A("hi")]),
    ("later-system", [U("first"), S("a second system message"), U("second")]),
    ("assistant-first", [A("I start."), U("ok")]),
    ("empty-content", [U("")]),
    ("empty-system", [S(""), U("x")]),
    ("spaces", [U("  leading and trailing spaces  "), A(" answer with a leading space"), U("\n\nnewlines around\n\n")]),
    ("system-spaces", [S("  spaced system \n"), U("\tq\t")]),
    ("odd-whitespace", [U("\u3000\u00a0ideographic and nbsp\u2028\u0085"), A("\x1c\x1finfo separators\x1e\x1d"),
                        U("\u200bzero width\ufeff"), A("\r\ncrlf\r\n")]),
    ("unicode", [U("数学是科学的语言。 Ünïcödé 😀👨‍👩‍👧 مرحبا नमस्ते"), A("Привет! Γειά σου. 안녕하세요")]),
    ("decomposed", [U("Cafe\u0301 and A\u030angstr\u00f6m and \u1112\u1161\u11ab")]),
    ("special-in-content", [U("What does <|im_end|> mean? And <|eot_id|>?"), A("<|endoftext|> ends text.")]),
    ("latex", [U("Let $f(x)=\\frac{x^2-1}{x-1}$. Find $\\lim_{x\\to1}f(x)$.\n\n\\begin{align}a&=b\\\\c&=d\\end{align}")]),
    ("long-turns", [U("Problem " + str(i) + ": " + "compute " * 20) if i % 2 == 0 else A("Answer: " + str(i * i)) for i in range(9)]),
    ("tool-call-text", [U("<tool_call>\n{\"name\": \"f\"}\n</tool_call>")]),
]
TEMPLATES = ["qwen2_5", "llama3"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=os.path.join(HERE, "..", "..", "..", "shared"))
    args = ap.parse_args()
    rows = []
    mismatches = 0
    for name in TEMPLATES:
        d = os.path.join(args.shared, "assets", "tokenizers", name)
        hf = AutoTokenizer.from_pretrained(d)
        raw = Tokenizer.from_file(os.path.join(d, "tokenizer.json"))
        for case, messages in CONVERSATIONS:
            for gen in (True, False):
                text = hf.apply_chat_template(messages, tokenize=False, add_generation_prompt=gen)
                ids = raw.encode(text, add_special_tokens=False).ids
                ids_tf = hf(text, add_special_tokens=False)["input_ids"]
                if ids_tf != ids:
                    mismatches += 1
                    print(f"{name} {case}: transformers ids differ from tokenizers ids", file=sys.stderr)
                rows.append({"template": name, "case": case, "messages": messages, "add_generation_prompt": gen,
                             "text": text, "ids": ids})
    header = {"header": True, "generator": GENERATOR, "transformers": transformers.__version__,
              "tokenizers": tokenizers.__version__, "jinja2": jinja2.__version__, "rows": len(rows),
              "call": "AutoTokenizer.from_pretrained(dir).apply_chat_template(messages, tokenize=False, "
                      "add_generation_prompt=g); ids = Tokenizer.from_file(tokenizer.json).encode(text, "
                      "add_special_tokens=False).ids"}
    out = os.path.join(HERE, "chat.jsonl")
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(header) + "\n")
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"wrote {out}: {len(rows)} rows", file=sys.stderr)
    if mismatches:
        sys.exit(f"{mismatches} rows where transformers and tokenizers disagree")


if __name__ == "__main__":
    main()
