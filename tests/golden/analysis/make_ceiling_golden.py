"""Golden values for neurodyn-analysis's RSA noise ceiling (rsa/ceiling.rs), from rsatoolbox's
`boot_noise_ceiling`.

Run from the repository root (rsatoolbox from PyPI in a venv):
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install rsatoolbox
    /tmp/venv/bin/python tests/golden/analysis/make_ceiling_golden.py
writes tests/golden/analysis/ceiling.json: data (condition, repeat, feature) = (8, 5, 6), the
correlation-distance RDM of each repeat (upper triangles, rsatoolbox's `calc_rdm`), and the lower
and upper bounds for every comparison method. Read by
crates/neurodyn-analysis/tests/rsa_golden.rs.
"""

import importlib.metadata
import json
import pathlib
import warnings

import numpy as np
from rsatoolbox.data import Dataset
from rsatoolbox.inference.noise_ceiling import boot_noise_ceiling
from rsatoolbox.rdm import calc_rdm, concat

rng = np.random.default_rng(7)
n_cond, n_rep, n_feat = 8, 5, 6
signal = rng.normal(size=(n_cond, 1, n_feat))
data = signal + 0.7 * rng.normal(size=(n_cond, n_rep, n_feat))

rdms = concat([calc_rdm(Dataset(data[:, r, :]), method="correlation") for r in range(n_rep)])
names = {
    "cosine": "cosine",
    "pearson": "corr",
    "spearman": "spearman",
    "kendall": "tau-a",
    "rho-a": "rho-a",
    "whitened-pearson": "corr_cov",
    "whitened-cosine": "cosine_cov",
}
ceilings = {}
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    for ours, theirs in names.items():
        lo, hi = boot_noise_ceiling(rdms, method=theirs)
        ceilings[ours] = {"lower": float(lo), "upper": float(hi)}
out = pathlib.Path(__file__).with_name("ceiling.json")
out.write_text(
    json.dumps(
        {
            "rsatoolbox": importlib.metadata.version("rsatoolbox"),
            "data": data.tolist(),
            "rdms": rdms.get_vectors().tolist(),
            "ceilings": ceilings,
        },
        indent=1,
    )
    + "\n"
)
print("wrote", out)
