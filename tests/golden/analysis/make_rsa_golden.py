"""Golden values for neurodyn-analysis's RSA (rsa.rs) and the extra RDM methods (rdm.rs).

Run from the repository root (rsatoolbox from PyPI in a git-ignored venv):
    python3 -m venv .venv && .venv/bin/pip install rsatoolbox
    .venv/bin/python tests/golden/analysis/make_rsa_golden.py
writes tests/golden/analysis/rsa.json holding the inputs (so Rust reads exactly the same numbers)
and rsatoolbox's (CKA: numpy's) results. Read by crates/neurodyn-analysis/tests/rsa_golden.rs.

Cases:
- `compare`: pairs of RDM vectors (upper triangles, row-major i < j) over 9 conditions; one pair
  continuous, one with many ties (rounded), compared by every method.
- `subsample`: the same pairs after a bootstrap draw of conditions with repeats (a fixed index
  list): rsatoolbox's `subsample_pattern` turns the pairs of a condition with its own copy into
  NaN and `compare` drops them (whitened methods: the missing-value double centring).
- `cka`: linear CKA of X (10 x 4) and Y (10 x 25), numpy, HSIC (feature) form.
- `rdms`: data (condition, repeat, feature) = (6, 4, 5): Mahalanobis with the noise covariance
  from the within-condition residuals ('shrinkage_diag', dof = n_cond (n_rep - 1)), crossnobis
  with that precision and with the identity, Poisson-KL on counts, and the covariance itself.
"""

import importlib.metadata
import json
import pathlib

import numpy as np

import scipy.sparse.linalg
from rsatoolbox.data import Dataset
from rsatoolbox.data.noise import cov_from_residuals
from rsatoolbox.rdm import RDMs, compare
from rsatoolbox.rdm.calc import calc_rdm

rng = np.random.default_rng(22)
METHODS = {
    "cosine": "cosine",
    "pearson": "corr",
    "spearman": "spearman",
    "kendall": "tau-a",
    "rho-a": "rho-a",
    "whitened-pearson": "corr_cov",
    "whitened-cosine": "cosine_cov",
}

n_cond = 9
n_pairs = n_cond * (n_cond - 1) // 2
a = rng.normal(size=n_pairs) ** 2 + 0.5
b = a + rng.normal(scale=0.7, size=n_pairs)
ta = np.round(a * 2) / 2
tb = np.round(b)
pairs = {"continuous": (a, b), "ties": (ta, tb)}

out = {
    "rsatoolbox_version": importlib.metadata.version("rsatoolbox"),
    "numpy_version": np.__version__,
    "n_conditions": n_cond,
    "compare": [],
    "subsample": [],
}


def score(v1, v2, method):
    return float(compare(RDMs(v1[None, :]), RDMs(v2[None, :]), method=method)[0, 0])


for name, (v1, v2) in pairs.items():
    out["compare"].append(
        {
            "name": name,
            "a": v1.tolist(),
            "b": v2.tolist(),
            "expected": {ours: score(v1, v2, theirs) for ours, theirs in METHODS.items()},
        }
    )

# The whitened cosine is the cosine in the metric V^-1, V the RDM covariance of Diedrichsen et
# al. 2021 (rsatoolbox's `_get_v` with sigma_k = I); rsatoolbox computes it by double centring.
from rsatoolbox.rdm.compare import _cosine_cov_weighted_slow  # noqa: E402

slow = _cosine_cov_weighted_slow(a[None, :], b[None, :], np.eye(n_cond))[0, 0]
out["whitened_cosine_via_v_inverse"] = float(slow)

idx = np.array([0, 0, 2, 3, 3, 3, 5, 7, 8])
for name, (v1, v2) in pairs.items():
    r1 = RDMs(v1[None, :]).subsample_pattern("index", idx)
    r2 = RDMs(v2[None, :]).subsample_pattern("index", idx)
    out["subsample"].append(
        {
            "name": name,
            "index": idx.tolist(),
            "expected": {
                ours: float(compare(r1, r2, method=theirs)[0, 0])
                for ours, theirs in METHODS.items()
            },
        }
    )

X = rng.normal(size=(10, 4))
Y = np.tanh(X @ rng.normal(size=(4, 25))) + 0.3 * rng.normal(size=(10, 25))


def cka(X, Y):
    X = X - X.mean(0)
    Y = Y - Y.mean(0)
    return np.linalg.norm(Y.T @ X) ** 2 / (np.linalg.norm(X.T @ X) * np.linalg.norm(Y.T @ Y))


out["cka"] = {"x": X.tolist(), "y": Y.tolist(), "expected": float(cka(X, Y))}

c, r, p = 6, 4, 5
means = rng.normal(size=(c, 1, p))
mix = rng.normal(size=(p, p)) * 0.5 + np.eye(p)
data = means + rng.normal(size=(c, r, p)) @ mix
counts = rng.poisson(3.0, size=(c, p)).astype(float)
counts[0, 0] = 0.0

cond = np.repeat(np.arange(c), r)
flat = data.reshape(c * r, p)
ds = Dataset(flat, obs_descriptors={"cond": cond})
resid = (data - data.mean(axis=1, keepdims=True)).reshape(c * r, p)
cov = cov_from_residuals(resid, dof=c * (r - 1), method="shrinkage_diag")
prec = np.linalg.inv(cov)
maha = calc_rdm(ds, method="mahalanobis", descriptor="cond", noise=prec)
cross = calc_rdm(ds, method="crossnobis", descriptor="cond", noise=prec)
cross_eye = calc_rdm(ds, method="crossnobis", descriptor="cond")
pois = calc_rdm(Dataset(counts), method="poisson")
out["rdms"] = {
    "data": data.tolist(),
    "counts": counts.tolist(),
    "noise_cov": cov.tolist(),
    "mahalanobis": maha.get_vectors()[0].tolist(),
    "crossnobis": cross.get_vectors()[0].tolist(),
    "crossnobis_identity": cross_eye.get_vectors()[0].tolist(),
    "poisson": pois.get_vectors()[0].tolist(),
}

path = pathlib.Path(__file__).with_name("rsa.json")
path.write_text(json.dumps(out, indent=1) + "\n")
print(f"wrote {path}; whitened cosine {out['compare'][0]['expected']['whitened-cosine']} "
      f"vs V^-1 form {slow}")
