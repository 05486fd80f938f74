"""Decode speed of the embedded model by llama.cpp thread count, idle and next to a busy core.

Why: OpenMP threads spin; when they share cores with the HTTP server, decoding collapses.
The baseline is n_threads=1 measured in the same run; ratios are the result.

    .venv/bin/python bench/local/threads.py
"""

from __future__ import annotations

import os
import subprocess
import sys

CHILD = r"""
import os, sys, threading, time
from llama_cpp import Llama
from switchgear.providers.plugin import embedded_model_path
threads, busy = int(sys.argv[1]), sys.argv[2] == "busy"
llama = Llama(embedded_model_path(), n_ctx=1024, n_threads=threads, n_threads_batch=threads,
              verbose=False)
prompt = llama.tokenize(b"<|im_start|>user\nTell me a story.<|im_end|>\n<|im_start|>assistant\n",
                        add_bos=False, special=True)
import subprocess
# Another process keeps one core busy, as a loaded HTTP server or a neighbour would.
neighbour = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
best = 0.0
for _ in range(3):
    llama.reset()
    start, n = time.perf_counter(), 0
    for _tok in llama.generate(prompt, temp=0.0):
        n += 1
        if n >= 128:
            break
    best = max(best, n / (time.perf_counter() - start))
if neighbour:
    neighbour.kill()
print(best)
"""


def measure(threads: int, busy: bool, wait_policy: str) -> float:
    env = {**os.environ, "OMP_WAIT_POLICY": wait_policy}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(threads), "busy" if busy else "idle"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    print(f"load average: {os.getloadavg()[0]:.2f}, cores: {os.cpu_count()}")
    rows = []
    for busy in (False, True):
        base = measure(1, busy, "PASSIVE")
        for threads, policy in ((1, "PASSIVE"), (2, "PASSIVE"), (2, "ACTIVE")):
            speed = base if (threads, policy) == (1, "PASSIVE") else measure(threads, busy, policy)
            rows.append((busy, threads, policy, speed, speed / base))
    print(f"{'neighbour':<10} {'threads':>7} {'OMP_WAIT':>8} {'tok/s':>7} {'vs 1 thread':>11}")
    for busy, threads, policy, speed, ratio in rows:
        label = "busy" if busy else "idle"
        print(f"{label:<10} {threads:>7} {policy:>8} {speed:>7.1f} {ratio:>10.2f}x")


if __name__ == "__main__":
    main()
