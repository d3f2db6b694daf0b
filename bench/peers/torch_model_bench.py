#!/usr/bin/env python3
"""torch_model_bench.py — the PyTorch CPU fp32 peer of bench/bench_model.c: the same models
(shapes), the same ops, one measurement per process, the same JSON line with "impl":"pytorch".

  python3 bench/peers/torch_model_bench.py [--threads N] MODEL OP [B] [T] [NEW] [REPEATS] [WARMUP]

Models (transformers, random init with the same shapes as bench_model.c; the speed of fp32 CPU
kernels does not depend on the weights' values):
  tiny     Qwen2ForCausalLM, vocab 1024, hidden 128, 4 layers, 4 heads, 2 KV heads, FFN 384, tied
  3.4m     the same with hidden 256, FFN 768
  smollm2  LlamaForCausalLM with SmolLM2-135M's config (vocab 49152, hidden 576, 30 layers,
           9 heads, 3 KV heads, FFN 1536, tied, rope_theta 100000)
Ops:
  train   B×T random ids; a step = zero_grad, forward with labels (the model's shifted CE loss),
          backward, clip_grad_norm_(1.0), torch.optim.AdamW(lr 1e-4, wd 0.01).
          tokens_per_s = B·T / median step seconds.
  decode  B prompts of T random ids, NEW greedy tokens each: one prefill forward with a
          DynamicCache, then NEW−1 single-token steps (argmax). tokens_per_s = B·NEW / median
          seconds (prefill included); decode_tokens_per_s = B·(NEW−1) / seconds after prefill.
Threads: torch.set_num_threads(N) (default 1) and set_num_interop_threads(1).
"""
import json
import resource
import statistics
import sys
import time


def main():
    args = sys.argv[1:]
    threads = 1
    if "--threads" in args:
        i = args.index("--threads")
        threads = int(args[i + 1])
        del args[i:i + 2]
    if len(args) < 2:
        sys.exit(__doc__)
    name, op = args[0], args[1]
    B = int(args[2]) if len(args) > 2 else 1
    T = int(args[3]) if len(args) > 3 else 16
    NEW = int(args[4]) if len(args) > 4 else 32
    R = int(args[5]) if len(args) > 5 else 3
    W = int(args[6]) if len(args) > 6 else 1

    import torch
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    import transformers
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(42)
    if name in ("tiny", "3.4m"):
        d, f = (128, 384) if name == "tiny" else (256, 768)
        cfg = Qwen2Config(vocab_size=1024, hidden_size=d, intermediate_size=f,
                          num_hidden_layers=4, num_attention_heads=4, num_key_value_heads=2,
                          max_position_embeddings=1024, rms_norm_eps=1e-6, rope_theta=10000.0,
                          tie_word_embeddings=True)
        cls = Qwen2ForCausalLM
    elif name == "smollm2":
        cfg = LlamaConfig(vocab_size=49152, hidden_size=576, intermediate_size=1536,
                          num_hidden_layers=30, num_attention_heads=9, num_key_value_heads=3,
                          max_position_embeddings=8192, rms_norm_eps=1e-5, rope_theta=100000.0,
                          tie_word_embeddings=True)
        cls = LlamaForCausalLM
    else:
        sys.exit("unknown model " + name)
    model = cls(cfg).float()
    nparams = sum(p.numel() for p in model.parameters())
    V = cfg.vocab_size
    g = torch.Generator().manual_seed(1234)
    head = {"bench": "model", "impl": "pytorch", "backend": "pytorch-" + torch.__version__,
            "threads": threads, "model": name}

    def rss():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    if op == "train":
        model.train()
        ids = torch.randint(0, V, (B, T), generator=g)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.999), eps=1e-8,
                                weight_decay=0.01)

        def step():
            opt.zero_grad(set_to_none=False)
            out = model(input_ids=ids, labels=ids)
            out.loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            return out.loss.item()

        loss0 = None
        for _ in range(W):
            loss0 = step()
        times = []
        loss = None
        for _ in range(R):
            t0 = time.perf_counter()
            loss = step()
            times.append(time.perf_counter() - t0)
            if loss0 is None:
                loss0 = loss
        med = statistics.median(times)
        head.update(op="train_step", batch=B, seq=T, tokens_per_s=round(B * T / med, 1),
                    median_s=round(med, 4), repeats=R, max_rss_kb=rss(), params=nparams,
                    warmup=W, loss_first=round(loss0, 4), loss_last=round(loss, 4))
    elif op == "decode":
        model.eval()
        from transformers import DynamicCache
        prompt = torch.randint(0, V, (B, T), generator=g)

        def gen():
            with torch.inference_mode():
                t0 = time.perf_counter()
                cache = DynamicCache()
                out = model(input_ids=prompt, past_key_values=cache, use_cache=True)
                tok = out.logits[:, -1, :].argmax(-1, keepdim=True)
                t1 = time.perf_counter()
                for _ in range(NEW - 1):
                    out = model(input_ids=tok, past_key_values=out.past_key_values, use_cache=True)
                    tok = out.logits[:, -1, :].argmax(-1, keepdim=True)
                t2 = time.perf_counter()
            return t1 - t0, t2 - t1

        for _ in range(W):
            gen()
        pre, dec = [], []
        for _ in range(R):
            a, b = gen()
            pre.append(a)
            dec.append(b)
        tot = statistics.median([a + b for a, b in zip(pre, dec)])
        md = statistics.median(dec)
        head.update(op="decode", batch=B, seq=T, new=NEW, tokens_per_s=round(B * NEW / tot, 1),
                    median_s=round(tot, 4), repeats=R, max_rss_kb=rss(),
                    prefill_s=round(statistics.median(pre), 4),
                    decode_tokens_per_s=round(B * (NEW - 1) / md, 1) if NEW > 1 else 0.0,
                    params=nparams)
    else:
        sys.exit("unknown op " + op)
    head["transformers"] = transformers.__version__
    print(json.dumps(head, separators=(",", ":")))


if __name__ == "__main__":
    main()
