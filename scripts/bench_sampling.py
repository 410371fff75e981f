"""Sampling trials from Python: neurodyn.tasks.sample against NeuroGym 2.3.1's Dataset, side by
side in one process, alternating, same trial count.

    python scripts/bench_sampling.py            # needs neurodyn (maturin develop) and neurogym

NeuroGym's Dataset draws `batch_size` streams of trials into (seq_len, batch) windows; 1,000
PerceptualDecisionMaking trials at dt = 100 ms are about 1,000 × 22 steps, so one Dataset call
with batch_size = 1000 and seq_len = the mean trial length covers the same trials. Prints the
median of 7 alternating repeats of each and the ratio.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

import neurodyn

N, DT, REPEATS = 1000, 100, 7


def neurodyn_once(seed: int) -> tuple[float, int]:
    t = time.perf_counter()
    z = neurodyn.tasks.sample("PerceptualDecisionMaking", N, seed, dt_ms=DT)
    return time.perf_counter() - t, int(z["trial_len"].sum())


def main() -> None:
    import neurogym as ngym

    _, steps = neurodyn_once(0)
    seq_len = round(steps / N)
    env = ngym.make("PerceptualDecisionMaking-v0", dt=DT)
    # cache_len = seq_len: every call draws its trials (the default caches several batches ahead).
    ds = ngym.Dataset(env, batch_size=N, seq_len=seq_len, cache_len=seq_len)

    def neurogym_once() -> float:
        t = time.perf_counter()
        x, y = ds()
        assert x.shape[:2] == (seq_len, N), x.shape
        return time.perf_counter() - t

    ds()  # the batch Dataset drew when it was made; every later call draws its own
    ours, theirs = [], []
    for k in range(REPEATS):
        ours.append(neurodyn_once(k + 1)[0])
        theirs.append(neurogym_once())
    a, b = statistics.median(ours), statistics.median(theirs)
    print(f"{N} PerceptualDecisionMaking trials (dt {DT} ms, mean {seq_len} steps), one thread")
    print(f"neurodyn.tasks.sample: median {a * 1e3:.2f} ms (min {min(ours) * 1e3:.2f})")
    print(f"neurogym Dataset:      median {b * 1e3:.2f} ms (min {min(theirs) * 1e3:.2f})")
    print(f"ratio {b / a:.0f}x")
    np.random.seed(0)


if __name__ == "__main__":
    main()
