"""neurodyn from Python: train a network on a perceptual decision, evaluate it, and look at its
population activity. Run it from the repository root after `maturin develop` (README, Python):

    python examples/python/quickstart.py [OUT_DIR]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

import neurodyn

out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp()) / "pdm"

# 1. Trials as numpy arrays, the same bits `neurodyn tasks sample` writes.
trials = neurodyn.tasks.sample("PerceptualDecisionMaking", n=8, seed=0, dt_ms=100)
print("inputs", trials["inputs"].shape, "channels", list(trials["input_names"]))

# 2. Train: a dict with the TOML keys; what it leaves out comes from the task's recipe.
config = {
    "seed": 0,
    "task": {"name": "PerceptualDecisionMaking", "dt_ms": 100},
    "model": {"n_rec": 32},
    "train": {"steps": 300, "batch_size": 16},
}
run = neurodyn.train(config, out=out, progress=False)
print(f"trained: accuracy {run.eval['accuracy']:.3f} on {run.eval['n_trials']} fresh trials")

# 3. Evaluate on other trials, and drive the network with inputs of our own.
print("accuracy on 200 trials of seed 7:", run.evaluate(n=200, seed=7)["accuracy"])
rec = run.recording()
sim = run.simulate(rec["inputs"])
n = int(rec["trial_len"][0])
assert np.allclose(sim["rates"][0, :n], rec["rates"][0, :n], atol=1e-6)

# 4. PCA of the population on plain arrays, and the registered analysis with its figure.
pcs = neurodyn.analysis.pca(rec["rates"][:, :n].reshape(-1, rec["rates"].shape[-1]), 3)
print("variance explained by 3 PCs:", np.round(pcs["explained_variance_ratio"], 3))
result = run.analyze("pca")
print("figures:", [str(f.path) for f in result["figures"]])

# 5. The task as an environment, stepped with the trained network's own choices.
env = neurodyn.tasks.make("PerceptualDecisionMaking", dt_ms=100)
obs, info = env.reset(seed=1)
print("first observation", obs, "target", info["gt"])
