#!/usr/bin/env python3
"""GRPO goldens from TRL's own GRPOTrainer code (PyPI trl, pinned in golden/requirements-grpo-trl.txt).

Pinned (golden/requirements-grpo-trl.txt): trl==1.16.0 (latest on PyPI when written), with its
dependencies datasets==5.2.0, pandas==3.1.1, pyarrow==26.0.1, dill==0.4.1, multiprocess==0.70.19,
xxhash==4.1.0, and the system torch==2.15.0, transformers==5.23.0, accelerate==1.15.0, numpy==2.4.6 (Python 3.11.7).
Install into a virtual environment that sees the system torch/transformers (do not upgrade them):
    python3 -m venv --system-site-packages /tmp/venv-trl
    /tmp/venv-trl/bin/pip install -r golden/requirements-grpo-trl.txt
    /tmp/venv-trl/bin/python golden/gen_grpo_trl.py          (about 20 s, CPU only)

How TRL is called (nothing of TRL is copied; two methods are replaced, the model forward and generation):
  * A real `trl.GRPOTrainer` is built for every batch from a real `trl.GRPOConfig` (loss_type,
    scale_rewards, epsilon, epsilon_high, beta, delta, num_iterations, steps_per_generation,
    max_completion_length, entropy_coef, mask_truncated_completions, ...), so every attribute
    `_compute_loss` reads is set by TRL's own __init__ (use_bias_correction_kl and
    entropy_coef included: TRL's defaults are what the `trl` preset reproduces). The model is a tiny randomly initialised
    Llama saved to a temporary directory (TRL reloads the reference model from that path); the
    tokenizer is a WordLevel tokenizer built in memory. No network, no generation.
  * Replaced (as instance attributes; the class is untouched):
    `_get_per_token_logps_and_entropies` (the model forward) returns our
    prepared float32 per-token log-probs: the current policy (a leaf tensor with requires_grad, so
    autograd gives d loss / d logp), the old policy (when TRL asks for it: num_iterations = 2) and
    the reference (beta > 0), plus prepared entropies. `_generate` returns our prepared token ids
    (row r's prompt is the single id 1000 + r, so the replaced forward knows which rows it is given;
    a row that must be fully masked does not end in EOS and is masked by TRL's own
    `mask_truncated_completions`).
  * Called unmodified: `_prepare_inputs` (which calls `_generate_and_score_completions`: rewards via
    `_calculate_rewards` from a plain reward function returning our scores, the group mean and
    `nanstd`, scale_rewards group/batch/none, the 1e-4, `num_items_in_batch`; then TRL's shuffle
    and split of the generation batch into `steps_per_generation` micro-batches) and
    `_compute_loss` on each micro-batch (grpo_trainer.py:3020-3292 in trl 1.16.0), whose return
    value is the micro-batch loss as back-propagated; its clip metrics and KL mean are read from
    `trainer._metrics`. Singleton groups exist in TRL only at evaluation (num_generations_eval=1,
    grpo_trainer.py:2769-2773), so those batches run with the model in eval mode.
  * use_bias_correction_kl: TRL 1.16 defaults it to True (KL term × coef_1, grpo_trainer.py:3102-3105;
    our switch kl_bias_correction); batches with beta > 0 use the default in two of three cases and
    False otherwise. entropy_coef is 0, 0.01 or 0.1 over every loss type (TRL 1.16's entropy mean /
    GA, grpo_trainer.py:3186-3211; our entropy_agg=token-mean-micro).
  * Unscorable responses: in about a quarter of the batches the reward function returns None for
    some rows (TRL turns them into NaN, leaves them out of nanmean / nanstd and gives them
    advantage 0, grpo_trainer.py:2759-2810; our nan_rewards=ignore), including whole groups and
    groups left with a single scored row. They are written as null in "scores".
  * `trl.trainer.utils.selective_log_softmax_and_entropy(logits, labels, temperature=T)` for the
    log-prob / entropy forms.

Not covered (not in our switches): importance_sampling_level='sequence', loss types cispo, sapo,
vespo, luspo, vLLM importance sampling, top_entropy_quantile, the off-policy mask, the adaptive
entropy controller, several reward functions and normalize_then_sum.

Writes golden/grpo_trl.jsonl: line 1 = header (versions, seed, count), then one batch per line.
Float32 values are written with 9 significant digits (they read back exactly).
tests/test_grpo_trl.c compares ref/grpo*.c (preset `trl` plus switches) to them.

Usage: python3 golden/gen_grpo_trl.py [--out PATH] [--count N] [--seed S]
"""

import argparse
import contextlib
import io
import json
import logging
import os
import platform
import tempfile
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
warnings.filterwarnings("ignore")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TQDM_DISABLE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
import trl  # noqa: E402
from datasets import Dataset  # noqa: E402
from tokenizers import Tokenizer, models, pre_tokenizers  # noqa: E402
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast  # noqa: E402
from trl import GRPOConfig, GRPOTrainer  # noqa: E402
from trl.trainer.utils import selective_log_softmax_and_entropy  # noqa: E402

logging.disable(logging.WARNING)
transformers.logging.set_verbosity_error()

LOSS_TYPES = ["grpo", "bnpo", "dr_grpo", "dapo"]
SCALES = ["group", "batch", "none"]
EOS, PAD, ROW_BASE = 1, 0, 1000


def g9(x):
    x = float(x)
    return float("%.9g" % x) if np.isfinite(x) else None


def f9(t):
    if isinstance(t, torch.Tensor):
        t = t.detach().cpu().numpy()
    return [g9(v) for v in np.asarray(t, dtype=np.float32).reshape(-1)]


# ---------------------------------------------------------------- the tiny model and tokenizer

def make_assets():
    vocab = {"<pad>": PAD, "<eos>": EOS}
    vocab.update({"t%d" % i: i + 2 for i in range(30)})
    tk = Tokenizer(models.WordLevel(vocab, unk_token="<pad>"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, pad_token="<pad>", eos_token="<eos>")
    cfg = LlamaConfig(vocab_size=32, hidden_size=8, intermediate_size=16, num_hidden_layers=1,
                      num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=64,
                      pad_token_id=PAD, eos_token_id=EOS)
    torch.manual_seed(0)
    d = tempfile.mkdtemp(prefix="gen_grpo_trl_")
    with contextlib.redirect_stderr(io.StringIO()):
        LlamaForCausalLM(cfg).save_pretrained(d)
    return d, tok


# ---------------------------------------------------------------- random batches

def draw_scores(rng, P, G):
    kind = rng.integers(4)
    out = []
    for _ in range(P):
        if kind == 0:
            s = rng.integers(0, 2, G).astype(np.float64)
        elif kind == 1:
            s = rng.normal(0, 1, G)
        elif kind == 2:  # close scores: R - mean cancels
            s = 0.5 + rng.integers(0, 8, G) * 2.0 ** -12
        else:
            s = rng.choice([-1.0, 1.0, 0.5, 0.0], G)
        if rng.random() < 0.2:
            s[:] = s[0]  # all-equal group
        out.extend(s)
    return np.asarray(out, dtype=np.float32)


def drop_scores(rng, s, G):
    """Unscorable rows (the reward function returns None): NaN in about a quarter of the batches:
    scattered rows, sometimes a whole group, sometimes a group left with one scored row."""
    if rng.random() >= 0.25:
        return s
    s = s.copy()
    s[rng.random(len(s)) < 0.2] = np.nan
    P = len(s) // G
    if G > 1 and rng.random() < 0.5:
        g = int(rng.integers(P))
        if rng.random() < 0.5:
            s[g * G:(g + 1) * G] = np.nan
        else:
            keep = int(rng.integers(G))
            s[g * G:(g + 1) * G] = np.nan
            s[g * G + keep] = 0.5
    if np.isnan(s).all() and rng.random() < 0.7:
        s[0] = 1.0
    return s


def draw_batch(rng, i):
    singleton = i % 10 == 9
    G = 1 if singleton else int(rng.choice([2, 3, 4, 5, 8]))
    P = int(rng.integers(1, 5)) if G > 1 else int(rng.integers(2, 7))
    B = P * G
    ks = [k for k in (1, 2, 3) if B % k == 0] if not singleton else [1]
    k = int(rng.choice(ks))
    lmax = int(rng.integers(1, 10))
    lengths = rng.integers(1, lmax + 1, B)
    truncated = rng.random(B) < (0.25 if rng.random() < 0.5 else 0.0)  # rows TRL masks out
    if truncated.all() and rng.random() < 0.7:
        truncated[0] = False
    W = int(lengths.max())
    cfg = dict(
        loss_type=LOSS_TYPES[i % 4], scale_rewards=SCALES[(i // 4) % 3],
        beta=[0.0, 0.04, 0.0, 0.1][(i // 12) % 4], epsilon=float(rng.choice([0.2, 0.2, 0.1, 0.3])),
        epsilon_high=None, delta=None, num_iterations=int(rng.choice([1, 2, 2])), steps_per_generation=k,
        max_completion_length=W + int(rng.integers(0, 4)),
        entropy_coef=float(rng.choice([0.0, 0.0, 0.01, 0.1])),
        use_bias_correction_kl=bool(rng.random() < 2 / 3),
        per_device_train_batch_size=B // k, num_generations=G)
    if rng.random() < 0.5:
        cfg["epsilon_high"] = float(rng.choice([0.28, 0.2, 0.4]))
    if rng.random() < 0.3:
        cfg["delta"] = float(rng.choice([1.5, 2.0, 4.0]))
    logp = rng.normal(-1.5, 1.0, (B, W)).astype(np.float32)
    spread = float(rng.choice([0.05, 0.3, 1.0]))
    old = (logp + rng.normal(0, spread, (B, W))).astype(np.float32)
    far = rng.random((B, W)) < 0.05  # extreme log-ratios (TRL does not clamp; e^40 is finite in f32)
    old[far] = (logp[far] + rng.choice([-1.0, 1.0], far.sum()) * rng.uniform(15, 40, far.sum())).astype(np.float32)
    same = rng.random((B, W)) < 0.1
    old[same] = logp[same]  # ratio 1 exactly
    ref = (logp + rng.normal(0, 1.5, (B, W))).astype(np.float32)
    farr = rng.random((B, W)) < 0.04
    ref[farr] = (logp[farr] + rng.uniform(10, 25, farr.sum())).astype(np.float32)  # k3 e^x large, no clamp
    ent = rng.uniform(0.0, 3.0, (B, W)).astype(np.float32)
    V, T = int(rng.integers(2, 7)), float(rng.choice([1.0, 0.7, 0.5, 1.3]))
    logits = (np.round(rng.normal(0, 2.5, (B, W, V)) * 64) / 64).astype(np.float32)  # short JSON, exact f32
    labels = rng.integers(0, V, (B, W))
    return dict(cfg=cfg, singleton=singleton, B=B, W=W, G=G, k=k, lengths=lengths, truncated=truncated,
                scores=drop_scores(rng, draw_scores(rng, P, G), G), logp=logp, old=old, ref=ref, ent=ent, V=V, T=T,
                logits=logits, labels=labels)


# ---------------------------------------------------------------- TRL calls

class Feed:
    """What the replaced forward returns, and the leaf tensors autograd fills."""

    def __init__(self, b):
        self.b = b
        self.leaves = []


def install_forward(trainer, feed):
    def forward(self, model, input_ids, attention_mask, logits_to_keep, batch_size=None, compute_entropy=False,
                compute_aux_loss=False, **kw):
        rows = (input_ids[:, 0] - ROW_BASE).tolist()
        b = feed.b
        sl = (rows, slice(0, logits_to_keep))
        if model is self.ref_model and model is not None:
            return torch.from_numpy(b["ref"][sl].copy()), None, None
        if not compute_entropy:  # the old-policy pass in _generate_and_score_completions
            return torch.from_numpy(b["old"][sl].copy()), None, None
        cur = torch.from_numpy(b["logp"][sl].copy()).requires_grad_(True)
        feed.leaves.append((rows, cur))
        return cur, torch.from_numpy(b["ent"][sl].copy()), None

    trainer._get_per_token_logps_and_entropies = forward.__get__(trainer, GRPOTrainer)

    def generate(self, prompts):
        b = feed.b
        prompt_ids, completion_ids = [], []
        for r in range(b["B"]):
            n = int(b["lengths"][r])
            ids = [2 + (r + t) % 30 for t in range(n)]
            if not b["truncated"][r]:
                ids[-1] = EOS
            prompt_ids.append([ROW_BASE + r])
            completion_ids.append(ids)
        texts = ["c%d" % r for r in range(b["B"])]
        return prompt_ids, completion_ids, None, texts, None, {}, None, None

    trainer._generate = generate.__get__(trainer, GRPOTrainer)


def build_trainer(b, model_dir, tok, out_dir):
    c = b["cfg"]
    scores = b["scores"]

    def reward(prompts, completions, row, **kw):  # None: unscorable (TRL makes it NaN)
        return [None if np.isnan(scores[r]) else float(scores[r]) for r in row]

    kw = dict(output_dir=out_dir, report_to="none", use_cpu=True, logging_steps=1, save_strategy="no",
              per_device_train_batch_size=c["per_device_train_batch_size"],
              steps_per_generation=c["steps_per_generation"], gradient_accumulation_steps=c["steps_per_generation"],
              num_generations=max(c["num_generations"], 2), max_completion_length=c["max_completion_length"],
              loss_type=c["loss_type"], scale_rewards=c["scale_rewards"], beta=c["beta"], epsilon=c["epsilon"],
              epsilon_high=c["epsilon_high"], delta=c["delta"], num_iterations=c["num_iterations"],
              entropy_coef=c["entropy_coef"], mask_truncated_completions=True, importance_sampling_level="token",
              use_bias_correction_kl=c["use_bias_correction_kl"])
    if b["singleton"]:
        kw.update(num_generations=2, num_generations_eval=1, per_device_eval_batch_size=b["B"],
                  per_device_train_batch_size=2, steps_per_generation=1, gradient_accumulation_steps=1)
    args = GRPOConfig(**kw)
    ds = Dataset.from_list([{"prompt": "t1 t2", "row": r} for r in range(b["B"])])
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        trainer = GRPOTrainer(model=model_dir, reward_funcs=reward, args=args, train_dataset=ds,
                              processing_class=tok)
    return trainer


def metric(trainer, mode, name):
    v = trainer._metrics[mode].get(name)
    return g9(v[-1]) if v else None


def run_trl(b, model_dir, tok, out_dir):
    trainer = build_trainer(b, model_dir, tok, out_dir)
    feed = Feed(b)
    install_forward(trainer, feed)
    c = b["cfg"]
    if b["singleton"]:
        trainer.model.eval()
    else:
        trainer.model.train()
    mode = "train" if trainer.model.training else "eval"
    trainer.current_gradient_accumulation_steps = c["steps_per_generation"] if mode == "train" else 1
    trainer._step = 0
    trainer._buffered_inputs = None
    inputs = [{"prompt": "t1 t2", "row": r} for r in range(b["B"])]
    micro = []
    gen = None
    for step in range(c["steps_per_generation"]):
        trainer._step = step
        mb = trainer._prepare_inputs(inputs)
        if gen is None:
            gen = mb
        rows = (mb["prompt_ids"][:, 0] - ROW_BASE).tolist()
        feed.leaves = []
        loss = trainer._compute_loss(trainer.model, mb)
        loss.backward()
        (lrows, leaf), = feed.leaves
        assert lrows == rows
        micro.append(dict(rows=rows, loss=g9(loss.item()), grad=f9(leaf.grad),
                          adv=f9(mb["advantages"]), mask=f9(mb["completion_mask"].float()),
                          num_items=int(mb["num_items_in_batch"].item()),
                          clip_low=metric(trainer, mode, "clip_ratio/low_mean"),
                          clip_high=metric(trainer, mode, "clip_ratio/high_mean"),
                          clip_region=metric(trainer, mode, "clip_ratio/region_mean"),
                          kl=metric(trainer, mode, "kl") if c["beta"] != 0 else None,
                          entropy=metric(trainer, mode, "entropy")))
    return trainer, micro, mode


def trl_logits(b):
    z = torch.from_numpy(b["logits"])
    lp, ent = selective_log_softmax_and_entropy(z, torch.from_numpy(b["labels"]), temperature=b["T"])
    return f9(lp), f9(ent)


def one_batch(rng, i, model_dir, tok, out_dir):
    b = draw_batch(rng, i)
    c = b["cfg"]
    trainer, micro, mode = run_trl(b, model_dir, tok, out_dir)
    # advantages and mask in row order, reassembled from TRL's shuffled micro-batches
    adv = [None] * b["B"]
    mask = [None] * b["B"]
    for m in micro:
        W = b["W"]
        for j, r in enumerate(m["rows"]):
            adv[r] = m["adv"][j]
            mask[r] = m["mask"][j * W:(j + 1) * W]
        del m["adv"], m["mask"]
    lp, ent = trl_logits(b)
    on_policy = c["num_iterations"] == 1
    return dict(
        B=b["B"], L=b["W"], G=b["G"], mode=mode, loss_type=c["loss_type"], scale_rewards=c["scale_rewards"],
        epsilon_low=trainer.epsilon_low, epsilon_high=trainer.epsilon_high, beta=trainer.beta,
        delta=trainer.args.delta, use_bias_correction_kl=trainer.args.use_bias_correction_kl,
        num_iterations=trainer.num_iterations, on_policy=on_policy,
        ga=c["steps_per_generation"], max_completion_length=trainer.max_completion_length,
        entropy_coef=trainer.entropy_coef, scores=f9(b["scores"]), mask=[v for row in mask for v in row],
        logp=f9(b["logp"]), old=None if on_policy else f9(b["old"]), ref=f9(b["ref"]) if c["beta"] else None,
        entropy=f9(b["ent"]), advantages=adv, num_items_in_batch=micro[0]["num_items"],
        micro=[{k: v for k, v in m.items() if k != "num_items"} for m in micro],
        V=b["V"], T=b["T"], logits=f9(b["logits"]), labels=b["labels"].reshape(-1).tolist(), logprob=lp,
        entropy_logits=ent)


def header(args):
    import accelerate
    import datasets
    import pandas
    return dict(header=True, generator="golden/gen_grpo_trl.py", trl=trl.__version__, torch=torch.__version__,
                transformers=transformers.__version__, accelerate=accelerate.__version__,
                datasets=datasets.__version__, pandas=pandas.__version__, numpy=np.__version__,
                python=platform.python_version(), seed=args.seed, count=args.count,
                fields="per batch: TRL config, inputs (float32, row-major [B][L]; a null score = unscorable, the reward "
                       "function returned None), TRL advantages (row order), "
                       "per micro-batch (TRL's shuffled split): rows, loss as returned by _compute_loss, "
                       "d loss/d logp, clip metrics, KL and entropy means; logits [B][L][V] with "
                       "selective_log_softmax_and_entropy outputs")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(HERE, "grpo_trl.jsonl"))
    ap.add_argument("--count", type=int, default=150)
    ap.add_argument("--seed", type=int, default=20261201)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)  # TRL's shuffle of the generation batch uses torch.randperm
    rng = np.random.default_rng(args.seed)
    model_dir, tok = make_assets()
    out_dir = tempfile.mkdtemp(prefix="gen_grpo_trl_out_")
    with open(args.out, "w") as f:
        f.write(json.dumps(header(args), allow_nan=False) + "\n")
        for i in range(args.count):
            rec = one_batch(rng, i, model_dir, tok, out_dir)
            f.write(json.dumps(rec, separators=(",", ":"), allow_nan=False) + "\n")
    print("wrote %s: %d batches, trl %s, torch %s" % (args.out, args.count, trl.__version__, torch.__version__))


if __name__ == "__main__":
    main()
