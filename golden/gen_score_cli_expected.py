#!/usr/bin/env python3
"""Expected `svs score` output for tests/test_model_cli.sh, taken from the HF goldens.

What: for each tiny golden model named below, splits each sequence of the golden batch of
golden/model/<name>/state.bin into a prompt and a response, and writes the log-probs and
entropies that HF transformers + torch computed for the response tokens (state.bin tensors
logprobs.t<T> / entropy.t<T>: position t holds the log-prob of token t+1 and the entropy of
the distribution at t), at T = 1.0 and 0.7.
Reads: golden/model/<name>/state.bin (via golden/model/read_state.py; numpy only, no torch).
Writes: golden/model/<name>/score_cli.t<T>.in.jsonl (svs score input) and
        golden/model/<name>/score_cli.t<T>.expected.jsonl (the expected output lines).
Deterministic; rerun after regenerating the model goldens (golden/gen_model_goldens.py).
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "model"))
import read_state as rs  # noqa: E402

NAMES = ["qwen2_gqa1_tied", "llama_gqa3_rope_llama3_tied"]
PROMPT_LENS = [4, 1, 3]  # one per batch row: prompt = ids[:k], response = ids[k:len]


def main():
    for name in NAMES:
        folder = os.path.join(HERE, "model", name)
        _, meta, t = rs.read_state(os.path.join(folder, "state.bin"))
        ids, lens = t["input_ids"].data, t["lengths"].data
        for temp in meta["temperatures"]:
            lp, ent = t[f"logprobs.t{temp}"].data, t[f"entropy.t{temp}"].data
            with open(os.path.join(folder, f"score_cli.t{temp}.in.jsonl"), "w") as fin, \
                    open(os.path.join(folder, f"score_cli.t{temp}.expected.jsonl"), "w") as fexp:
                for b, n in enumerate(lens):
                    k = PROMPT_LENS[b]
                    row = [int(x) for x in ids[b, :n]]
                    fin.write(json.dumps({"prompt_ids": row[:k], "response_ids": row[k:]}) + "\n")
                    fexp.write(json.dumps({"logprobs": [float(x) for x in lp[b, k - 1:n - 1]],
                                           "entropy": [float(x) for x in ent[b, k - 1:n - 1]]}) + "\n")
            print(f"{name} T={temp}: {len(lens)} lines")


if __name__ == "__main__":
    main()
