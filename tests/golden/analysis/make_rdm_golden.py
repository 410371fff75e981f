"""Golden values for neurodyn-analysis's rdm and dprime (representation analyses).

Run from the repository root:
    .venv/bin/python tests/golden/analysis/make_rdm_golden.py
writes tests/golden/analysis/rdm.json holding the data (so Rust reads exactly the same numbers)
and numpy's (and, where installed, rsatoolbox's / scipy's) results. Read by
crates/neurodyn-analysis/tests/rdm_golden.rs.

Data: x[i, j] = sin(0.3 i + 0.7 j) + 0.1 j for 12 images and 7 features, plus a constant feature
(d' undefined) and a rounded one (ties for the AUC), with labels in no particular order.
Conventions: RDM rows sorted by class (stable), `max_per_class` keeps the first k per class in
file order; correlation = 1 - Pearson r, euclidean = squared distance / n_features, cosine =
1 - cosine similarity; d' with sample variances (ddof = 1); AUC = Mann-Whitney U_a / (n_a n_b).
"""

import json
import pathlib

import numpy as np
import scipy
from scipy.stats import mannwhitneyu

n, p = 12, 7
i = np.arange(n)[:, None]
j = np.arange(p)[None, :]
X = np.sin(0.3 * i + 0.7 * j) + 0.1 * j
X = np.hstack([X, np.ones((n, 1)), np.round(2 * np.sin(0.3 * np.arange(n)))[:, None]])
labels = np.array([2, 0, 1, 0, 2, 1, 1, 0, 2, 0, 1, 2])

out = {
    "numpy_version": np.__version__,
    "scipy_version": scipy.__version__,
    "data": X.tolist(),
    "labels": labels.tolist(),
}


def rdm(P, method):
    if method == "correlation":
        Z = P - P.mean(axis=1, keepdims=True)
        Z = Z / np.linalg.norm(Z, axis=1, keepdims=True)
        D = 1 - Z @ Z.T
    elif method == "cosine":
        Z = P / np.linalg.norm(P, axis=1, keepdims=True)
        D = 1 - Z @ Z.T
    else:
        diff = P[:, None, :] - P[None, :, :]
        D = (diff**2).sum(-1) / P.shape[1]
    np.fill_diagonal(D, 0.0)
    return D


def category(D, lab):
    off = ~np.eye(len(lab), dtype=bool)
    same = (lab[:, None] == lab[None, :]) & off
    diff = lab[:, None] != lab[None, :]
    w, b, a = D[same].mean(), D[diff].mean(), D[off].mean()
    return {"within": w, "between": b, "off_diagonal": a, "index": b - w, "normalised": (b - w) / a}


try:
    import rsatoolbox

    from importlib.metadata import version

    out["rsatoolbox_version"] = version("rsatoolbox")
except ImportError:
    rsatoolbox = None

cases = []
for method in ["correlation", "euclidean", "cosine"]:
    for conditions in ["images", "class-means"]:
        for k in [None, 3]:
            rows = np.concatenate([np.flatnonzero(labels == c)[:k] for c in np.unique(labels)])
            P, lab = X[rows], labels[rows]
            ci = category(rdm(P, method), lab)
            if conditions == "images":
                D, clab = rdm(P, method), lab
            else:
                clab = np.unique(lab)
                D = rdm(np.stack([P[lab == c].mean(0) for c in clab]), method)
            if rsatoolbox is not None and method != "cosine":  # rsatoolbox has no cosine
                ds = rsatoolbox.data.Dataset(P if conditions == "images" else
                                             np.stack([P[lab == c].mean(0) for c in clab]))
                ref = rsatoolbox.rdm.calc_rdm(ds, method=method).get_matrices()[0]
                assert np.allclose(ref, D, atol=1e-12), (method, conditions)
            cases.append({
                "method": method,
                "conditions": conditions,
                "max_per_class": k,
                "rows": rows.tolist(),
                "condition_labels": clab.tolist(),
                "rdm": D.tolist(),
                "category": ci,
            })
out["rdm"] = cases

a_cls, b_cls = 0, 2
A, B = X[labels == a_cls], X[labels == b_cls]
va, vb = A.var(0, ddof=1), B.var(0, ddof=1)
pooled = np.sqrt((va + vb) / 2)
with np.errstate(divide="ignore", invalid="ignore"):
    d = (A.mean(0) - B.mean(0)) / pooled
undefined = pooled == 0
auc = [mannwhitneyu(A[:, u], B[:, u]).statistic / (len(A) * len(B)) for u in range(X.shape[1])]
unit = 8
thr = np.concatenate([[np.inf], np.unique(X[:, unit])[::-1]])
out["dprime"] = {
    "class_a": a_cls,
    "class_b": b_cls,
    "unit": unit,
    "d_prime": [None if u else float(v) for u, v in zip(undefined, d)],
    "undefined": undefined.tolist(),
    "auc": auc,
    "mean_a": A.mean(0).tolist(),
    "var_b": vb.tolist(),
    "roc_thresholds": [None if np.isinf(t) else t for t in thr],
    "roc_fpr": [(B[:, unit] >= t).mean() for t in thr],
    "roc_tpr": [(A[:, unit] >= t).mean() for t in thr],
}

path = pathlib.Path(__file__).with_name("rdm.json")
path.write_text(json.dumps(out, indent=1) + "\n")
print(f"wrote {path} (rsatoolbox: {out.get('rsatoolbox_version', 'not installed')})")
