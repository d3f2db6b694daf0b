#!/usr/bin/env python3
"""gen_corpus.py — the golden tokenizer corpus (golden/tokenizer/corpus.jsonl).

Writes a deterministic corpus of varied documents that the tokenizer goldens (gen_ids.py) are
computed on and that tests/test_tokenizer_golden.c re-encodes with our C tokenizer. Output: one
JSON object per line, {"id": str, "text": str}, preceded by one header line
{"header": true, "generator": ..., "python": ..., "unicode": ..., "counts": {...}}.

Composition (id prefix: what it exercises):
  math-*     problems/solutions sampled by a fixed stride from ../shared/data (DAPO-17k prompts,
             GSM8K train, MATH-500 problems+solutions, MATH/AIME eval questions): LaTeX, digits
  code-*     hand-written C / Python / JavaScript / shell / JSON snippets, plus functions taken
             with `inspect` from Python's own standard library (PSF licence; the text depends
             on the Python version, recorded in the header)
  prose-*    short sentences written for this file in ~30 languages and scripts
  script-*   pseudo-words built from the letters of one Unicode block (unicodedata categories)
  emoji-*    emoji, ZWJ sequences, skin tones, flags, keycaps, variation selectors
  nfc-*      text that NFC changes (e + U+0301, decomposed Å, Hangul jamo, stacked marks)
  ws-*       every kind of whitespace: tabs, CR/LF/CRLF, long space runs, NBSP, U+3000, U+2028,
             U+0085, U+001C..U+001F, U+1680, U+2000..U+200A, U+202F, U+205F, U+FEFF
  contr-*    contractions in all cases ('s 'RE 'Ve 'LL 'd 'M), curly apostrophes
  digits-*   long digit runs, decimals, grouped numbers, non-ASCII digits, fractions, superscripts
  special-*  special/added tokens inside text (<|im_start|>, <|endoftext|>, <|begin_of_text|>,
             <tool_call>, near misses like <|im_start| and nested/adjacent tokens)
  fuzz-*     random code point strings from a seeded splitmix64 RNG (valid UTF-8 only: no
             surrogates; code points drawn from weighted pools of interesting ranges)

Determinism: no wall-clock, no hash-order dependence; the only RNG is the splitmix64 below with
fixed seeds. Re-running with the same Python version and shared/data gives identical bytes.
Usage: python3 golden/tokenizer/gen_corpus.py [--shared ../shared] [--out golden/tokenizer/corpus.jsonl]
"""
import argparse
import inspect
import json
import os
import sys
import unicodedata

GENERATOR = "golden/tokenizer/gen_corpus.py v1"


class SplitMix64:
    """splitmix64 (Steele, Lea, Flood 2014): tiny, portable, fully specified PRNG."""

    def __init__(self, seed):
        self.state = seed & 0xFFFFFFFFFFFFFFFF

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
        return z ^ (z >> 31)

    def below(self, n):
        """Uniform-ish integer in [0, n) (modulo bias is irrelevant here)."""
        return self.next() % n

    def choice(self, seq):
        return seq[self.below(len(seq))]


# ------------------------------------------------------------------------------------------------
# math


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def stride_pick(rows, count):
    """count rows spread evenly over the file (row i*len/count)."""
    return [rows[i * len(rows) // count] for i in range(count)]


def math_docs(shared):
    data = os.path.join(shared, "data")
    docs = []
    for i, r in enumerate(stride_pick(read_jsonl(os.path.join(data, "dapo_math_17k.jsonl")), 110)):
        docs.append((f"math-dapo-{i:03d}", r["prompt"][0]["content"]))
    for i, r in enumerate(stride_pick(read_jsonl(os.path.join(data, "gsm8k_train.jsonl")), 90)):
        docs.append((f"math-gsm8k-{i:03d}", r["question"] + "\n" + r["answer"]))
    for i, r in enumerate(stride_pick(read_jsonl(os.path.join(data, "math500_test.jsonl")), 90)):
        docs.append((f"math-math500-{i:03d}", "Problem: " + r["problem"] + "\n\nSolution: " + r["solution"]))
    for i, r in enumerate(stride_pick(read_jsonl(os.path.join(data, "math_aime_eval.jsonl")), 30)):
        q = r["question"] + " Please reason step by step, and put your final answer within \\boxed{}."
        docs.append((f"math-eval-{i:03d}", q))
    return docs


# ------------------------------------------------------------------------------------------------
# code

CODE_SNIPPETS = {
    "c": [
        '#include <stdio.h>\n\nint main(int argc, char **argv) {\n    for (int i = 0; i < argc; i++)\n        printf("%d: %s\\n", i, argv[i]);\n    return 0;\n}\n',
        "static inline float silu(float x) { return x / (1.0f + expf(-x)); }\n",
        "typedef struct {\n\tint n_layers;\t/* transformer blocks */\n\tint d_model;\t// width\n} Config;\n",
        "void matmul(float *out, const float *x, const float *w, int n, int d) {\n    // W (d,n) @ x (n,) -> out (d,)\n    for (int i = 0; i < d; i++) {\n        float val = 0.0f;\n        for (int j = 0; j < n; j++) val += w[i * n + j] * x[j];\n        out[i] = val;\n    }\n}\n",
        "#define MAX(a, b) ((a) > (b) ? (a) : (b))\n#if defined(__GNUC__) && !defined(__clang__)\n#  pragma GCC optimize(\"O3\")\n#endif\n",
        "if (p == NULL || n <= 0x7fffffff) { errno = EINVAL; return -1; } else if (*p != '\\0') ++p;\n",
        "char buf[256];\nsnprintf(buf, sizeof buf, \"%-10s|%08.3f|%#x\\r\\n\", name, value, flags);\n",
        "switch (c) {\ncase '\\t': case ' ': break;\ndefault: return c >= 'a' && c <= 'z';\n}\n",
        "uint64_t h = 14695981039346656037ULL; for (size_t i = 0; i < n; i++) { h ^= s[i]; h *= 1099511628211ULL; }\n",
        "/* Ünïcödé in a comment: π ≈ 3.14159, ∑ x² ≤ ∞ */\nconst char *greet = \"héllo, 世界\";\n",
    ],
    "python": [
        "def fib(n: int) -> int:\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n",
        "import numpy as np\n\nx = np.linspace(0, 2 * np.pi, 1000)\ny = np.sin(x) ** 2 + np.cos(x) ** 2\nassert np.allclose(y, 1.0), f\"max err {abs(y - 1).max():.3e}\"\n",
        "class Node:\n    __slots__ = ('key', 'left', 'right')\n\n    def __init__(self, key):\n        self.key = key\n        self.left = self.right = None\n\n    def __repr__(self):\n        return f'Node({self.key!r})'\n",
        "with open('data.jsonl', encoding='utf-8') as f:\n\trows = [json.loads(line) for line in f if line.strip()]\nprint(len(rows), 'rows')\n",
        "lambda xs: sorted(xs, key=lambda t: (-t[1], t[0]))[:10]  # top-10 by count, ties by name\n",
        "async def fetch(session, url):\n    async with session.get(url) as resp:\n        return await resp.text()\n",
        "@dataclass(frozen=True)\nclass Point:\n    x: float = 0.0\n    y: float = 0.0\n\n    def __add__(self, other: 'Point') -> 'Point':\n        return Point(self.x + other.x, self.y + other.y)\n",
        "try:\n    value = int(s)\nexcept ValueError as e:\n    raise SystemExit(f\"bad int {s!r}: {e}\") from None\n",
        "PATTERN = r\"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+\"\n",
        "print(\"{:>8}|{:<8}|{:^8}\".format('right', 'left', 'mid'))\nprint('%5.2f%%' % 99.5)\n",
    ],
    "js": [
        "const add = (a, b) => a + b;\nexport default function sum(...xs) { return xs.reduce(add, 0); }\n",
        "document.querySelectorAll('a[href^=\"http\"]').forEach(el => {\n  el.setAttribute('target', '_blank');\n});\n",
        "fetch(`/api/items?page=${page}&limit=${limit}`)\n  .then(r => r.json())\n  .then(({ items }) => console.log(items?.length ?? 0))\n  .catch(console.error);\n",
        "class Stack {\n  #items = [];\n  push(x) { this.#items.push(x); return this; }\n  pop() { return this.#items.pop(); }\n  get size() { return this.#items.length; }\n}\n",
        "const re = /^(?:\\d{3}-){2}\\d{4}$/u;\nconsole.assert(re.test('555-123-4567'), 'phone');\n",
        "let s = '';\nfor (let i = 0; i < 10; i++) s += i % 2 === 0 ? 'even ' : 'odd ';\nconsole.log(s.trimEnd());\n",
        "const obj = { 'key with spaces': 1, nested: { arr: [1, 2, 3], fn() { return this; } } };\n",
        "/** @param {string} name */\nfunction hello(name = 'мир') { return `Привет, ${name}! 👋`; }\n",
    ],
    "shell": [
        "#!/bin/sh\nset -eu\nfor f in *.jsonl; do\n  wc -l \"$f\"\ndone | sort -n | tail -5\n",
        "find . -name '*.c' -print0 | xargs -0 grep -n 'TODO' || true\n",
        "export PATH=\"$HOME/.local/bin:$PATH\"\n[ -d build ] || mkdir -p build && cd build && cmake -DCMAKE_BUILD_TYPE=Release .. && make -j\"$(nproc)\"\n",
        "cat <<'EOF' > config.ini\n[section]\nkey = value\nEOF\n",
        "awk -F'\\t' '{ s[$1] += $2 } END { for (k in s) printf \"%s\\t%d\\n\", k, s[k] }' data.tsv\n",
        "git log --oneline --graph --decorate | head -n 20\ncurl -fsSL https://example.com/install.sh | sh -s -- --prefix=/opt\n",
        "python3 -c 'import sys; print(sys.version)' 2>&1 >/dev/null | tee -a log.txt\n",
    ],
    "json": [
        '{"model": "qwen2.5-0.5b", "lr": 1e-6, "kl_coef": 0.0, "group_size": 8, "stop": ["<|im_end|>", "<|endoftext|>"]}\n',
        '[\n  {\n    "role": "user",\n    "content": "What is 2+2?"\n  },\n  {\n    "role": "assistant",\n    "content": "4"\n  }\n]\n',
        '<html>\n<head><meta charset="utf-8"><title>Test &amp; more</title></head>\n<body><p class="x">Hello&nbsp;world</p></body>\n</html>\n',
        "| col A | col B |\n|---|---:|\n| `x` | 1,234.5 |\n| **bold** | _it_ |\n",
        "SELECT name, COUNT(*) AS n FROM users WHERE created_at >= '2024-01-01' GROUP BY name HAVING n > 1 ORDER BY n DESC;\n",
    ],
}

# Standard-library functions whose source becomes code documents (PSF licence).
STDLIB_FUNCS = [
    ("textwrap", "dedent"), ("textwrap", "indent"), ("heapq", "heappush"), ("heapq", "heappop"),
    ("heapq", "nsmallest"), ("bisect", "insort_right"), ("colorsys", "rgb_to_hsv"),
    ("colorsys", "hls_to_rgb"), ("statistics", "median"), ("statistics", "mode"),
    ("string", "capwords"), ("fnmatch", "translate"), ("shlex", "quote"), ("base64", "b64encode"),
    ("calendar", "isleap"), ("calendar", "leapdays"), ("functools", "cmp_to_key"),
    ("posixpath", "normpath"), ("posixpath", "splitext"), ("posixpath", "join"),
    ("json.decoder", "py_scanstring"), ("json.encoder", "py_encode_basestring_ascii"),
    ("glob", "escape"), ("html", "escape"), ("html", "unescape"), ("quopri", "quote"),
    ("difflib", "get_close_matches"), ("random", "Random.shuffle"), ("fractions", "Fraction.limit_denominator"),
    ("keyword", "__doc__"), ("copy", "deepcopy"), ("operator", "length_hint"),
    ("decimal", "Decimal.__round__"), ("pprint", "pformat"), ("urllib.parse", "quote_from_bytes"),
    ("email.utils", "parseaddr"), ("ipaddress", "ip_address"), ("dataclasses", "astuple"),
    ("collections", "namedtuple"),
]


def stdlib_source(modname, attr):
    import importlib

    mod = importlib.import_module(modname)
    obj = mod
    for part in attr.split("."):
        obj = getattr(obj, part)
    if isinstance(obj, str):
        return obj
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        return None


def code_docs():
    docs = []
    for lang, snippets in CODE_SNIPPETS.items():
        for i, s in enumerate(snippets):
            docs.append((f"code-{lang}-{i:02d}", s))
    n = 0
    for modname, attr in STDLIB_FUNCS:
        src = stdlib_source(modname, attr)
        if not src:
            continue
        # Long functions (namedtuple) are cut at a line boundary to keep the corpus small.
        if len(src) > 6000:
            src = src[: src.rfind("\n", 0, 6000) + 1]
        docs.append((f"code-stdlib-{n:02d}", src))
        n += 1
    return docs


# ------------------------------------------------------------------------------------------------
# prose (sentences written for this corpus)

PROSE = {
    "en": ["The quick brown fox jumps over the lazy dog.", "Reinforcement learning with verifiable rewards needs an exact verifier.",
           "She said: \"It's fine,\" but he wasn't sure they'd agree.", "E-mail me at someone@example.com — or don't!"],
    "de": ["Der Führer der Expedition überquerte die Straße.", "Größere Maßnahmen wären nötig gewesen, sagte Jürgen.",
           "Über den Wolken muss die Freiheit wohl grenzenlos sein."],
    "fr": ["L'élève a répondu : « C'est évident ! »", "Où est la bibliothèque ? Je l'ai cherchée toute la journée.",
           "Les mathématiques sont l'alphabet avec lequel Dieu a écrit l'univers."],
    "es": ["¿Dónde está el niño? ¡Qué sorpresa!", "El pingüino comió una piña en Año Nuevo.", "La solución es única si el determinante no es cero."],
    "pt": ["A lição de hoje é sobre funções contínuas.", "Não há razão para pânico; ação é necessária."],
    "it": ["Perché la città è così affollata oggi?", "L'unità di misura è il metro al secondo."],
    "pl": ["Zażółć gęślą jaźń.", "Wszystkie liczby pierwsze większe od dwóch są nieparzyste."],
    "cs": ["Příliš žluťoučký kůň úpěl ďábelské ódy.", "Řešení rovnice je jednoznačné."],
    "tr": ["İstanbul'da ılık bir gün; şu çiçekler ne güzel.", "Öğrenci soruyu çözdü ve ödevini teslim etti."],
    "vi": ["Tiếng Việt có nhiều dấu thanh.", "Người Việt Nam rất hiếu khách.", "Xin chào, bạn có khỏe không?"],
    "ru": ["Съешь же ещё этих мягких французских булок, да выпей чаю.", "Найдите все целые решения уравнения x² − 2y² = 1.",
           "Москва — столица России."],
    "bg": ["Всички хора се раждат свободни и равни по достойнство и права.", "Щастието е в малките неща."],
    "uk": ["Гей, хлопці, вставаймо, ґудзики застібаймо!", "Їжак їсть яблука."],
    "el": ["Ξεσκεπάζω την ψυχοφθόρα βδελυγμία.", "Το άθροισμα των γωνιών ενός τριγώνου είναι 180°.", "Αλφα, βήτα, γάμμα, δέλτα."],
    "he": ["שלום עולם! זהו משפט בעברית.", "הפתרון של המשוואה הוא x = 3.", "אני אוהב מתמטיקה."],
    "ar": ["مرحبا بالعالم! هذه جملة باللغة العربية.", "الرياضيات هي لغة العلوم.", "حل المعادلة ٢س + ٣ = ٧ هو س = ٢."],
    "fa": ["سلام دنیا، حال شما چطور است؟", "کتاب را روی میز گذاشتم."],
    "hi": ["नमस्ते दुनिया! यह एक हिंदी वाक्य है।", "गणित विज्ञान की भाषा है।", "समीकरण का हल x = ५ है।"],
    "bn": ["আমি বাংলায় গান গাই।", "অঙ্কটি সমাধান করো।"],
    "ta": ["வணக்கம் உலகம்!", "கணிதம் அறிவியலின் அரசி."],
    "th": ["สวัสดีชาวโลก นี่คือประโยคภาษาไทย", "คณิตศาสตร์เป็นภาษาของวิทยาศาสตร์", "ฉันชอบกินข้าวผัด"],
    "km": ["សួស្តីពិភពលោក", "ភាសាខ្មែរមានអក្សរច្រើន"],
    "zh": ["你好，世界！这是一个中文句子。", "数学是科学的语言。", "求方程 x² + 2x + 1 = 0 的所有实数解。", "春眠不觉晓，处处闻啼鸟。"],
    "zh-hant": ["學而時習之，不亦說乎？", "這個問題的答案是四十二。"],
    "ja": ["こんにちは世界！これは日本語の文です。", "数学は科学の言葉である。", "カタカナとひらがなと漢字を混ぜて書きます。"],
    "ko": ["안녕하세요 세계! 이것은 한국어 문장입니다.", "수학은 과학의 언어입니다.", "방정식의 해를 구하시오."],
    "ka": ["გამარჯობა მსოფლიო!", "მათემატიკა მეცნიერების ენაა."],
    "hy": ["Բարեւ աշխարհ։", "Մաթեմատիկան գիտության լեզուն է։"],
    "am": ["ሰላም ለዓለም!", "ሂሳብ የሳይንስ ቋንቋ ነው።"],
    "my": ["မင်္ဂလာပါ ကမ္ဘာ"],
    "si": ["ආයුබෝවන් ලෝකය"],
    "mixed": ["Hello 世界 مرحبا שלום नमस्ते Привет Γειά σου こんにちは 안녕 สวัสดี", "RTL inside LTR: the word \u202bשלום\u202c means peace."],
}


def prose_docs():
    docs = []
    langs = list(PROSE)
    for lang in langs:
        sents = PROSE[lang]
        # one doc per sentence, plus one doc with all sentences joined by varied separators
        for i, s in enumerate(sents):
            docs.append((f"prose-{lang}-{i:02d}", s))
        docs.append((f"prose-{lang}-all", " ".join(sents) + "\n" + "\n\n".join(sents)))
    # A few multilingual paragraphs mixing every language, deterministic order.
    rng = SplitMix64(0x5EED0001)
    for k in range(12):
        parts = [rng.choice(PROSE[rng.choice(langs)]) for _ in range(6 + rng.below(6))]
        docs.append((f"prose-mix-{k:02d}", " ".join(parts)))
    return docs


# Unicode blocks for pseudo-words: (name, first, last).
SCRIPT_BLOCKS = [
    ("latin-ext", 0x0100, 0x024F), ("ipa", 0x0250, 0x02AF), ("greek", 0x0370, 0x03FF),
    ("cyrillic", 0x0400, 0x04FF), ("armenian", 0x0530, 0x058F), ("hebrew", 0x0590, 0x05FF),
    ("arabic", 0x0600, 0x06FF), ("syriac", 0x0700, 0x074F), ("thaana", 0x0780, 0x07BF),
    ("devanagari", 0x0900, 0x097F), ("bengali", 0x0980, 0x09FF), ("gurmukhi", 0x0A00, 0x0A7F),
    ("tamil", 0x0B80, 0x0BFF), ("telugu", 0x0C00, 0x0C7F), ("malayalam", 0x0D00, 0x0D7F),
    ("thai", 0x0E00, 0x0E7F), ("lao", 0x0E80, 0x0EFF), ("tibetan", 0x0F00, 0x0FFF),
    ("georgian", 0x10A0, 0x10FF), ("hangul-jamo", 0x1100, 0x11FF), ("ethiopic", 0x1200, 0x137F),
    ("cherokee", 0x13A0, 0x13FF), ("khmer", 0x1780, 0x17FF), ("mongolian", 0x1800, 0x18AF),
    ("hiragana", 0x3040, 0x309F), ("katakana", 0x30A0, 0x30FF), ("cjk", 0x4E00, 0x9FFF),
    ("hangul", 0xAC00, 0xD7A3), ("fullwidth", 0xFF01, 0xFF5E), ("math-alnum", 0x1D400, 0x1D7FF),
    ("cjk-ext-b", 0x20000, 0x2A6DF), ("gothic", 0x10330, 0x1034F), ("cuneiform", 0x12000, 0x123FF),
]


def script_docs():
    docs = []
    rng = SplitMix64(0x5EED0002)
    for name, lo, hi in SCRIPT_BLOCKS:
        chars = [chr(c) for c in range(lo, hi + 1) if unicodedata.category(chr(c))[0] in "LMN"]
        for k in range(3):
            words = []
            for _ in range(8 + rng.below(20)):
                words.append("".join(rng.choice(chars) for _ in range(1 + rng.below(8))))
            sep = [" ", " ", "  ", ", ", ". ", "\n"]
            text = ""
            for w in words:
                text += w + rng.choice(sep)
            docs.append((f"script-{name}-{k}", text))
    return docs


# ------------------------------------------------------------------------------------------------
# emoji, NFC, whitespace, contractions, digits, special tokens

ZWJ = "\u200d"
EMOJI = [
    "😀", "😂", "🤣", "❤️", "❤", "👍", "👍🏻", "👍🏼", "👍🏽", "👍🏾", "👍🏿", "🙏", "🔥", "✨", "🎉", "🚀", "🦀", "🐍",
    "👨‍👩‍👧‍👦", "👩‍💻", "👨🏽‍🚀", "🏳️‍🌈", "🏴‍☠️", "🧑🏿‍🤝‍🧑🏻", "👁️‍🗨️", "❤️‍🔥", "🫱🏼‍🫲🏿",
    "🇺🇸", "🇯🇵", "🇩🇪", "🇺🇦", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "1️⃣", "#️⃣", "*️⃣", "©️", "™️", "☺︎", "☺️", "♀️", "♂️", "⚕️",
    "🤌", "🥲", "🫠", "🪿", "🧌", "🫶🏽", "💯", "🆗", "🈚", "〰️", "🕴🏻‍♀️",
]


def emoji_docs():
    docs = []
    rng = SplitMix64(0x5EED0003)
    docs.append(("emoji-all", " ".join(EMOJI)))
    docs.append(("emoji-all-tight", "".join(EMOJI)))
    for k in range(40):
        parts = []
        for _ in range(3 + rng.below(12)):
            r = rng.below(4)
            if r == 0:
                parts.append(rng.choice(EMOJI))
            elif r == 1:
                parts.append(rng.choice(EMOJI) * (1 + rng.below(4)))
            elif r == 2:
                parts.append(rng.choice(["wow", "ok", " so fun", "好的", "да", "!!!", "\n", "  "]))
            else:
                parts.append(rng.choice(EMOJI) + ZWJ + rng.choice(EMOJI))
        docs.append((f"emoji-{k:02d}", rng.choice(["", " ", "I ", "\n"]).join(parts)))
    docs.append(("emoji-zwj-dangling", ZWJ + "👍" + ZWJ + ZWJ + " " + ZWJ))
    docs.append(("emoji-vs-alone", "\ufe0f\ufe0e x\ufe0f 🏻 alone skin tone 🏿"))
    return docs


def nfc_docs():
    """Strings that NFC changes; Qwen normalizes them, Llama-3/GPT-2 keep them."""
    d = [
        ("nfc-e-acute", "Cafe\u0301 cafe\u0301 caf\u00e9 — re\u0301sume\u0301 vs r\u00e9sum\u00e9"),
        ("nfc-a-ring", "A\u030angstr\u00f6m, \u212b (angstrom sign), \u00c5, a\u030a"),
        ("nfc-hangul-jamo", "\u1112\u1161\u11ab\u1100\u1173\u11af \u110b\u1165\u11ab\u110b\u1165 vs 한글 언어"),
        ("nfc-hangul-mixed", "\uac00\u11a8 \u1100\u1161\u11a8 각 \u1100\u1161"),
        ("nfc-stacked", "q\u0307\u0323 q\u0323\u0307 a\u0328\u0301 e\u0302\u0323 \u1e69 s\u0323\u0307 s\u0307\u0323"),
        ("nfc-singletons", "\u212a Kelvin \u2126 Ohm \u0340\u0341 \u0374 \u037e \u0387 \u1f71 \u2000\u2001"),
        ("nfc-vietnamese", "Vie\u0323\u0302t Nam, Tie\u0302\u0301ng Vie\u0323\u0302t, Vi\u1ec7t"),
        ("nfc-devanagari", "\u0915\u093c \u0958 \u0921\u093c\u0940 \u0928\u093c"),
        ("nfc-greek", "\u03b1\u0301 \u03ac \u1fb6 \u03b1\u0342 \u03c9\u0345\u0342 \u1ff7"),
        ("nfc-cyrillic", "\u0439 \u0438\u0306 \u0451 \u0435\u0308 \u0419 \u0418\u0306"),
        ("nfc-hebrew", "\u05e9\u05c1 \ufb2a \u05d1\u05bc \ufb31"),
        ("nfc-combining-only", "\u0301\u0301\u0301 \u0308 \u0323"),
        ("nfc-cjk-compat", "\uf900 \uf91d \ufa10 \u2f00 \u3131"),
        ("nfc-long-marks", "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e\u0349\u035a\u032f\u031e\u0320\u034da\u0360\u0357\u0364\u0312\u0351\u0310\u0315\u033e\u0336l\u0301\u0350g\u0316o"),
    ]
    # Every Latin-1 letter with a decomposition, written decomposed.
    decomposed = "".join(unicodedata.normalize("NFD", chr(c)) for c in range(0xC0, 0x250)
                         if unicodedata.normalize("NFD", chr(c)) != chr(c))
    d.append(("nfc-latin-nfd", decomposed))
    d.append(("nfc-latin-nfd-words", " ".join(decomposed[i:i + 7] for i in range(0, len(decomposed), 7))))
    ko = "한국어 문장을 자모로 분해합니다. 수학은 과학의 언어입니다."
    d.append(("nfc-korean-nfd", unicodedata.normalize("NFD", ko)))
    ja = "がぎぐげご パピプペポ ヴ"
    d.append(("nfc-japanese-nfd", unicodedata.normalize("NFD", ja)))
    for i, lang in enumerate(["fr", "vi", "el", "de", "pl", "cs", "tr", "ko"]):
        d.append((f"nfc-nfd-{lang}", unicodedata.normalize("NFD", " ".join(PROSE[lang]))))
    return d


WS_CHARS = ["\t", "\n", "\r", "\r\n", "\x0b", "\x0c", " ", "\u00a0", "\u3000", "\u2028", "\u2029",
            "\u0085", "\x1c", "\x1d", "\x1e", "\x1f", "\u1680", "\u2000", "\u2001", "\u2002", "\u2003",
            "\u2004", "\u2005", "\u2006", "\u2007", "\u2008", "\u2009", "\u200a", "\u202f", "\u205f",
            "\ufeff", "\u200b", "\u180e"]


def ws_docs():
    d = [
        ("ws-empty", ""), ("ws-space", " "), ("ws-2space", "  "), ("ws-tab", "\t"), ("ws-lf", "\n"),
        ("ws-crlf", "\r\n"), ("ws-cr", "\r"), ("ws-mix", " \t\n\r\n \t "),
        ("ws-long-spaces", "a" + " " * 100 + "b" + " " * 33 + "\n" + " " * 17),
        ("ws-indent", "def f():\n    if x:\n        return 1\n\treturn 2\n\n\n\n    \n"),
        ("ws-crlf-text", "line one\r\nline two\r\n\r\nline four  \r\n   indented\r\n"),
        ("ws-trailing", "Hello world   "), ("ws-leading", "   Hello world"),
        ("ws-newline-runs", "a\n\nb\n\n\nc\n\n\n\n\n\n\n\nd \n \n e"),
        ("ws-nbsp", "100\u00a0km\u00a0/\u00a0h, 5\u202f%, \u00a0\u00a0x"),
        ("ws-ideographic", "全角\u3000スペース\u3000\u3000です"),
        ("ws-line-sep", "first\u2028second\u2029third\u0085fourth"),
        ("ws-info-sep", "a\x1cb\x1dc\x1ed\x1fe \x1c \x1f\x1f"),
        ("ws-vt-ff", "page\x0cbreak\x0bvertical"),
        ("ws-only-odd", "\u2000\u2001\u2002\u2003 \u205f\u3000\u1680"),
        ("ws-zero-width", "zero\u200bwidth\u200cnon\u200djoiner\ufeffbom\u2060wj"),
        ("ws-tabs-code", "a\tb\t\tc\t\t\t\n\t\t\tindent"),
        ("ws-spaces-before-punct", "Hello , world ! ( a ) [ b ] 1 + 2 = 3 ."),
    ]
    rng = SplitMix64(0x5EED0004)
    words = ["x", "Hello", "42", "的", "мир", "$", "\\frac", "'s", "😀", "\u0301"]
    for k in range(50):
        text = ""
        for _ in range(5 + rng.below(20)):
            r = rng.below(3)
            if r == 0:
                text += rng.choice(words)
            else:
                text += rng.choice(WS_CHARS) * (1 + rng.below(4 if r == 1 else 12))
        d.append((f"ws-rand-{k:02d}", text))
    return d


def contraction_docs():
    base = ["I'm", "you're", "he's", "she'd", "we've", "they'll", "it't", "I'M", "YOU'RE", "HE'S", "SHE'D",
            "WE'VE", "THEY'LL", "IT'T", "You'Re", "We'Ve", "They'lL", "I'd've", "'s", "'S", "'re", "'RE",
            "'ve", "'VE", "'ll", "'LL", "'d", "'D", "'m", "'M", "'t", "'T", "''s", "'", "' s", "'ss",
            "don't", "DON'T", "can't", "won’t", "it’s", "rock 'n' roll", "'tis", "ma'am", "o'clock"]
    d = [("contr-all", " ".join(base)), ("contr-tight", "".join(base)), ("contr-lines", "\n".join(base))]
    rng = SplitMix64(0x5EED0005)
    for k in range(25):
        parts = [rng.choice(base) for _ in range(4 + rng.below(10))]
        d.append((f"contr-{k:02d}", rng.choice([" ", "", ", ", "\n", "  "]).join(parts)))
    return d


def digit_docs():
    d = [
        ("digits-runs", " ".join("3" * n for n in range(1, 21))),
        ("digits-long", "1234567890" * 12),
        ("digits-pi", "3.14159265358979323846264338327950288419716939937510582097494459230781640628620899"),
        ("digits-grouped", "1,234,567.89 1 234 567,89 1'234'567 12_345_678 0x1F 0b1010 1e-6 6.02e23 -0.0"),
        ("digits-non-ascii", "٠١٢٣٤٥٦٧٨٩ ۰۱۲۳۴۵۶۷۸۹ ०१२३४५६७८९ ০১২৩৪৫৬৭৮৯ ๐๑๒๓๔๕๖๗๘๙ ０１２３４５６７８９ 𝟎𝟏𝟐𝟑"),
        ("digits-fractions", "½ ⅓ ¼ ¾ ⅛ x² y³ 10⁻⁶ H₂O ① ② ⑳ Ⅻ ⅻ 〇 二〇二四"),
        ("digits-ied", "ied 4 ½ months"),
        ("digits-dates", "2024-01-31T23:59:59Z, 12/31/1999, 3:45pm, v1.2.3-rc.4+build.567"),
        ("digits-mixed", "abc123def4567ghi89012 a1b2c3 1a2b3c x1y22z333"),
    ]
    rng = SplitMix64(0x5EED0006)
    for k in range(25):
        n = 1 + rng.below(60)
        s = "".join(str(rng.below(10)) for _ in range(n))
        sep = rng.choice(["", " ", ".", ",", "\n", " + ", "x"])
        d.append((f"digits-rand-{k:02d}", sep.join([s, str(rng.below(10**9)), s[::-1]])))
    return d


SPECIALS = ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|begin_of_text|>", "<|end_of_text|>",
            "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", "<tool_call>", "</tool_call>",
            "<|fim_prefix|>", "<|reserved_special_token_5|>", "<|vision_pad|>", "<|file_sep|>"]


def special_docs():
    d = [
        ("special-chatml", "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n"),
        ("special-llama", "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat is 1+1?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"),
        ("special-eot-mid", "The end<|endoftext|>The beginning<|endoftext|><|endoftext|>"),
        ("special-tool", "<tool_call>\n{\"name\": \"calc\", \"arguments\": {\"x\": 1}}\n</tool_call>"),
        ("special-near-miss", "<|im_start| <im_start|> <|im_start <|IM_START|> < |im_start|> <|im_start|>> <<|im_end|>"),
        ("special-spaces", " <|im_start|> user <|im_end|> \n <|endoftext|>  "),
        ("special-nested", "<|im_<|im_end|>start|> <|<|endoftext|>|>"),
        ("special-all", "".join(SPECIALS)),
        ("special-all-spaced", " ".join(SPECIALS)),
        ("special-in-word", "abc<|endoftext|>def 123<|im_end|>456 😀<tool_call>😀"),
    ]
    rng = SplitMix64(0x5EED0007)
    fill = ["Hello", " world", "\n", "数学", " 42", "'s", "  ", "é", "<|", "|>", "<", ">"]
    for k in range(30):
        text = "".join(rng.choice(SPECIALS) if rng.below(3) == 0 else rng.choice(fill) for _ in range(6 + rng.below(12)))
        d.append((f"special-rand-{k:02d}", text))
    return d


# ------------------------------------------------------------------------------------------------
# fuzz

# (weight, first, last): weighted pools of code points. Surrogates (D800-DFFF) are never drawn.
FUZZ_POOLS = [
    (30, 0x20, 0x7E), (4, 0x00, 0x1F), (2, 0x7F, 0x9F), (6, 0xA0, 0xFF), (6, 0x100, 0x24F),
    (6, 0x300, 0x36F), (4, 0x370, 0x3FF), (4, 0x400, 0x4FF), (3, 0x590, 0x6FF), (3, 0x900, 0x97F),
    (3, 0xE00, 0xE7F), (4, 0x1100, 0x11FF), (2, 0x1E00, 0x1FFF), (4, 0x2000, 0x206F), (3, 0x2070, 0x22FF),
    (2, 0x3000, 0x30FF), (5, 0x4E00, 0x9FFF), (5, 0xAC00, 0xD7A3), (1, 0xE000, 0xF8FF), (2, 0xF900, 0xFFFD),
    (5, 0x1F300, 0x1FAFF), (1, 0x1F1E6, 0x1F1FF), (1, 0x1F3FB, 0x1F3FF), (1, 0x10000, 0x1FFFF),
    (1, 0x20000, 0x2FFFF), (1, 0xE0000, 0xE007F), (1, 0xF0000, 0x10FFFF),
]
FUZZ_SPECIAL_CHARS = ["\u200d", "\ufe0f", "'", "\r\n", "\n", " ", "  ", "\t", "'s", "'RE", "<|im_end|>", "0"]


def fuzz_char(rng, total):
    r = rng.below(total)
    for w, lo, hi in FUZZ_POOLS:
        if r < w:
            return chr(lo + rng.below(hi - lo + 1))
        r -= w
    raise AssertionError


def fuzz_docs(count):
    total = sum(w for w, _, _ in FUZZ_POOLS)
    rng = SplitMix64(0x5EED00F0)
    docs = []
    for k in range(count):
        n = 1 + rng.below(120 if k % 10 else 400)
        chars = []
        for _ in range(n):
            if rng.below(8) == 0:
                chars.append(rng.choice(FUZZ_SPECIAL_CHARS))
            else:
                chars.append(fuzz_char(rng, total))
        text = "".join(chars)
        text.encode("utf-8")  # never raises: no surrogates are drawn
        docs.append((f"fuzz-{k:04d}", text))
    return docs


# ------------------------------------------------------------------------------------------------


def build(shared):
    groups = [
        ("math", math_docs(shared)), ("code", code_docs()), ("prose", prose_docs()),
        ("script", script_docs()), ("emoji", emoji_docs()), ("nfc", nfc_docs()), ("ws", ws_docs()),
        ("contr", contraction_docs()), ("digits", digit_docs()), ("special", special_docs()),
        ("fuzz", fuzz_docs(300)),
    ]
    docs, counts, seen = [], {}, set()
    for name, g in groups:
        counts[name] = len(g)
        for doc_id, text in g:
            assert doc_id not in seen, doc_id
            seen.add(doc_id)
            docs.append({"id": doc_id, "text": text})
    return docs, counts


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=os.path.join(here, "..", "..", "..", "shared"))
    ap.add_argument("--out", default=os.path.join(here, "corpus.jsonl"))
    args = ap.parse_args()
    docs, counts = build(args.shared)
    header = {"header": True, "generator": GENERATOR, "python": sys.version.split()[0],
              "unicode": unicodedata.unidata_version, "documents": len(docs), "counts": counts}
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(header, ensure_ascii=False) + "\n")
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    size = os.path.getsize(args.out)
    print(f"wrote {args.out}: {len(docs)} documents, {size} bytes, {counts}")


if __name__ == "__main__":
    main()
