"""svs_reward.py — the svs.c math answer verifier as a Python reward function (ctypes).

Loads libsvs.so (built by `make`) and exposes:

* ``verify(gold, text, is_response=True, policy="")`` -> bool
* ``compute_score(data_source, solution_str, ground_truth, extra_info=None)`` -> float:
  the signature of a verl ``custom_reward_function`` (verl calls it once per response with the
  decoded text and ``reward_model.ground_truth``). In a verl config::

      custom_reward_function:
        path: /path/to/svs.c/docs/python/svs_reward.py
        name: compute_score

* ``trl_reward(completions, **kwargs)`` -> list[float]: a TRL ``GRPOTrainer`` reward function.
  The reference answer comes from the dataset column ``answer`` (or ``ground_truth``,
  ``solution``); completions may be strings or conversational message lists::

      GRPOTrainer(..., reward_funcs=[svs_reward.trl_reward])

The verdict is a pure function of the strings (no timeouts, no signals, no threads), so it is
safe in any worker process or thread. Set ``SVS_LIB`` to the path of libsvs.so if it is not in
the default place (``build/libsvs.so`` at the root of the svs.c checkout), and
``SVS_VERIFY_POLICY`` to a comma-separated list of switches (``profile=svs``,
``decimal=round:6``, ...; see ``svs verify --help``).
"""
import ctypes
import os

_HERE = os.path.dirname(os.path.abspath(__file__))
_DEFAULT_LIB = os.path.join(_HERE, "..", "..", "build", "libsvs.so")
_lib = None


def _load():
    global _lib
    if _lib is None:
        lib = ctypes.CDLL(os.environ.get("SVS_LIB", _DEFAULT_LIB))
        lib.svs_verify_abi.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int,
                                       ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t]
        lib.svs_verify_abi.restype = ctypes.c_int
        _lib = lib
    return _lib


def verify(gold, text, is_response=True, policy=None):
    """True if `text` (a whole response, or an extracted answer when is_response=False)
    states the same answer as `gold`. Raises ValueError on an invalid policy."""
    if policy is None:
        policy = os.environ.get("SVS_VERIFY_POLICY", "")
    err = ctypes.create_string_buffer(512)
    rc = _load().svs_verify_abi(str(gold).encode("utf-8", "replace"),
                                str(text).encode("utf-8", "replace"),
                                1 if is_response else 0, policy.encode(), err, len(err))
    if rc < 0:
        raise ValueError("svs verify: " + err.value.decode("utf-8", "replace"))
    return rc == 1


def compute_score(data_source, solution_str, ground_truth, extra_info=None):
    """verl custom_reward_function: 1.0 if the response's answer equals ground_truth."""
    return 1.0 if verify(ground_truth, solution_str, is_response=True) else 0.0


def _completion_text(completion):
    if isinstance(completion, str):
        return completion
    # conversational: a list of {"role", "content"} messages; score the last assistant turn
    for message in reversed(completion):
        if message.get("role") == "assistant":
            return message.get("content") or ""
    return ""


def trl_reward(completions, **kwargs):
    """TRL reward function: one float per completion."""
    golds = None
    for key in ("answer", "ground_truth", "solution"):
        if kwargs.get(key) is not None:
            golds = kwargs[key]
            break
    if golds is None:
        raise ValueError("trl_reward needs a dataset column 'answer', 'ground_truth' or 'solution'")
    return [1.0 if verify(g, _completion_text(c)) else 0.0 for g, c in zip(golds, completions)]
