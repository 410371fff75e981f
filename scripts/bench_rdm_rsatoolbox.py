"""rsatoolbox's correlation RDM (and numpy's corrcoef) of 1,000 conditions x 10,000 features, the data of
crates/neurodyn-analysis/benches/rdm.rs, timed the way criterion times ours (median of repeats).

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install rsatoolbox
    OPENBLAS_NUM_THREADS=2 /tmp/venv/bin/python scripts/bench_rdm_rsatoolbox.py
"""

import statistics
import time

import numpy as np
from rsatoolbox.data import Dataset
from rsatoolbox.rdm import calc_rdm

n, p = 1000, 10_000
k = np.arange(n * p, dtype=np.float64)
data = (np.modf(k * 0.6180339887)[0] + (k // p) * 1e-3).reshape(n, p)
ds = Dataset(data)
calc_rdm(ds, method="correlation")  # warm up
times = []
for _ in range(10):
    t = time.perf_counter()
    calc_rdm(ds, method="correlation")
    times.append(time.perf_counter() - t)
print(f"rsatoolbox calc_rdm correlation {n}x{p}: median {1e3 * statistics.median(times):.1f} ms, "
      f"best {1e3 * min(times):.1f} ms ({len(times)} runs)")

# What a numpy user would write instead: 1 - corrcoef (one BLAS product, float64).
times = []
for _ in range(10):
    t = time.perf_counter()
    1.0 - np.corrcoef(data)
    times.append(time.perf_counter() - t)
print(f"numpy 1 - corrcoef {n}x{p}: median {1e3 * statistics.median(times):.1f} ms, "
      f"best {1e3 * min(times):.1f} ms ({len(times)} runs)")
