"""test_python_reward.py — docs/python/svs_reward.py (ctypes over build/libsvs.so) used the
way verl and TRL call reward functions. Prints `N passed, N failed`."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "docs", "python"))
os.environ.setdefault("SVS_LIB", os.path.join(ROOT, os.environ.get("SVS_BUILD", "build"), "libsvs.so"))
import svs_reward  # noqa: E402

passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL", what)


check(svs_reward.verify("42", "So the total is \\boxed{42}."), "boxed 42")
check(not svs_reward.verify("42", "So the total is \\boxed{41}."), "boxed 41")
check(svs_reward.verify("\\frac{1}{2}", "0.5", is_response=False), "pred 0.5 vs 1/2")
check(svs_reward.compute_score("DAPO-17k", "... the answer is $\\boxed{34}$", "34") == 1.0, "verl compute_score")
check(svs_reward.compute_score("openai/gsm8k", "I think it is 17.", "18") == 0.0, "verl compute_score wrong")
rewards = svs_reward.trl_reward(
    ["\\boxed{3}", [{"role": "assistant", "content": "The answer is \\boxed{5}."}], "no idea"],
    answer=["3", "5", "7"], prompts=["a", "b", "c"])
check(rewards == [1.0, 1.0, 0.0], "trl_reward %r" % (rewards,))
try:
    svs_reward.verify("1", "1", policy="decimal=banana")
    check(False, "bad policy must raise")
except ValueError as e:
    check("decimal" in str(e), "bad policy message names the switch: %s" % e)
check(svs_reward.verify("0.0000672", "0.0000672", is_response=False, policy="profile=svs"), "svs profile")
# the verdict is a pure function: threads give the same answers
import concurrent.futures  # noqa: E402
pairs = [(str(i), "\\boxed{%d}" % (i + (i % 3 == 0))) for i in range(200)]
with concurrent.futures.ThreadPoolExecutor(4) as ex:
    got = list(ex.map(lambda p: svs_reward.verify(*p), pairs))
check(got == [i % 3 != 0 for i in range(200)], "threaded verdicts")

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
