"""Golden values for neurodyn-analysis's layer decoding (multinomial logistic regression) and
layer-to-layer predictivity (ridge regression), from scikit-learn.

Run from the repository root (a venv with numpy and scikit-learn):
    python -m venv /tmp/venv && /tmp/venv/bin/pip install numpy scikit-learn
    /tmp/venv/bin/python tests/golden/analysis/make_representation_golden.py
writes tests/golden/analysis/representation.json holding the data (so Rust reads exactly the same
numbers) and scikit-learn's results. Read by crates/neurodyn-analysis/tests/representation_golden.rs.

Conventions checked:
- LogisticRegression(C) multinomial: minimise C * sum(log-loss) + 1/2 ||W||^2, intercept not
  penalised; solved to tol 1e-14 by newton-cholesky and cross-checked against lbfgs. Two classes:
  sklearn's binomial fit with C equals neurodyn's symmetric softmax fit with C / 2, coef = w1 - w0.
- Ridge(alpha): coefficients and intercept, for d <= n (primal) and d > n (dual in neurodyn).
- Cross-validated pipelines with the fold of each row passed explicitly (neurodyn's own folds
  are seeded stratified shuffles, not StratifiedKFold's; here the folds are StratifiedKFold's
  without shuffling, written to the JSON): StandardScaler (ddof 0) fitted on the training rows,
  optional PCA(k) of the standardised training rows, then LogisticRegression (fold accuracies)
  or Ridge (per-unit Pearson r of held-out responses and predictions, mean over folds, median
  over units; a unit constant in a test fold is skipped).
"""

import json
import pathlib

import numpy as np
import sklearn
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler

out = {"numpy_version": np.__version__, "sklearn_version": sklearn.__version__}


def data(n, p, k, noise, phase):
    i = np.arange(n)[:, None]
    j = np.arange(p)[None, :]
    y = (np.arange(n) * 7 + 3) % k
    centre = np.cos(1.3 * y[:, None] + 0.9 * j + phase)
    x = centre + noise * np.sin(0.61 * i * (j + 1) + 0.17 * i + phase) + 0.2 * j
    return x, y


def tight(C):
    return LogisticRegression(C=C, solver="newton-cholesky", tol=1e-14, max_iter=10000)


# 1. Multinomial logistic regression on raw features: 60 samples, 5 features, 3 classes.
X, y = data(60, 5, 3, 0.9, 0.0)
m = tight(1.0).fit(X, y)
ref = LogisticRegression(C=1.0, solver="lbfgs", tol=1e-14, max_iter=100000).fit(X, y)
assert np.abs(ref.coef_ - m.coef_).max() < 1e-6, "lbfgs and newton-cholesky disagree"
out["logistic"] = {
    "x": X.tolist(),
    "y": y.tolist(),
    "C": 1.0,
    "coef": m.coef_.tolist(),
    "intercept": m.intercept_.tolist(),
    "proba": m.predict_proba(X).tolist(),
}

# 2. Two classes: sklearn's binomial fit with C = 2 is neurodyn's softmax fit with C = 1.
Xb, yb = data(40, 4, 2, 1.2, 0.4)
mb = tight(2.0).fit(Xb, yb)
out["logistic_binary"] = {
    "x": Xb.tolist(),
    "y": yb.tolist(),
    "sklearn_C": 2.0,
    "coef": mb.coef_[0].tolist(),
    "intercept": float(mb.intercept_[0]),
}

# 3. Layer decoding pipeline: 5 explicit folds, StandardScaler, LogisticRegression(C = 1).
Xd, yd = data(90, 6, 3, 1.6, 1.1)
Xd[:, 2] *= 50.0  # features on different scales, as raw conv outputs are
Xd[:, 4] = 0.25  # a constant feature (StandardScaler keeps scale 1)
folds = np.zeros(len(yd), dtype=int)
for f, (_, test) in enumerate(StratifiedKFold(5).split(Xd, yd)):
    folds[test] = f


def decode(Xs, ys, n_pca):
    accs = []
    for f in range(5):
        tr, te = folds != f, folds == f
        s = StandardScaler().fit(Xs[tr])
        a, b = s.transform(Xs[tr]), s.transform(Xs[te])
        if n_pca:
            p = PCA(n_pca, svd_solver="full").fit(a)
            a, b = p.transform(a), p.transform(b)
        accs.append(float((tight(1.0).fit(a, ys[tr]).predict(b) == ys[te]).mean()))
    return accs


out["decoding"] = {
    "x": Xd.tolist(),
    "y": yd.tolist(),
    "folds": folds.tolist(),
    "C": 1.0,
    "fold_accuracy": decode(Xd, yd, 0),
    "pca_dims": 3,
    "fold_accuracy_pca": decode(Xd, yd, 3),
}

# 4. Ridge: coefficients and intercepts, d <= n and d > n.
Xr, yr = data(40, 6, 2, 1.0, 0.3)
Yr = np.stack([np.sin(Xr @ np.arange(1, 7) * 0.1 + c) for c in range(3)], axis=1)
r = Ridge(alpha=0.5).fit(Xr, Yr)
Xw = data(12, 20, 2, 1.0, 0.8)[0]
Yw = Yr[:12]
rw = Ridge(alpha=0.5).fit(Xw, Yw)
out["ridge"] = [
    {"x": Xr.tolist(), "y": Yr.tolist(), "alpha": 0.5, "coef": r.coef_.tolist(),
     "intercept": r.intercept_.tolist()},
    {"x": Xw.tolist(), "y": Yw.tolist(), "alpha": 0.5, "coef": rw.coef_.tolist(),
     "intercept": rw.intercept_.tolist()},
]

# 5. Predictivity pipeline: source 60 x 6, target 60 x 4 (unit 3 constant), 4 explicit folds.
Xs, ys = data(60, 6, 3, 1.0, 2.0)
Xs[:, 1] *= 30.0
T = np.stack([np.tanh(Xs @ np.cos(np.arange(6) + u) * 0.05) + 0.3 * np.sin(np.arange(60) * (u + 1.7))
              for u in range(3)] + [np.full(60, 2.0)], axis=1)
pf = np.zeros(60, dtype=int)
for f, (_, test) in enumerate(StratifiedKFold(4).split(Xs, ys)):
    pf[test] = f


def predictivity(n_pca, alpha):
    per_fold = []
    for f in range(4):
        tr, te = pf != f, pf == f
        s = StandardScaler().fit(Xs[tr])
        a, b = s.transform(Xs[tr]), s.transform(Xs[te])
        if n_pca:
            p = PCA(n_pca, svd_solver="full").fit(a)
            a, b = p.transform(a), p.transform(b)
        pred = Ridge(alpha=alpha).fit(a, T[tr]).predict(b)
        rs = []
        for u in range(T.shape[1]):
            h = T[te, u]
            rs.append(None if np.ptp(h) == 0 else float(np.corrcoef(h, pred[:, u])[0, 1]))
        per_fold.append(rs)
    r = [None if any(fr[u] is None for fr in per_fold) else float(np.mean([fr[u] for fr in per_fold]))
         for u in range(T.shape[1])]
    return per_fold, r, float(np.median([v for v in r if v is not None]))


pr = predictivity(0, 2.0)
pp = predictivity(3, 2.0)
out["predictivity"] = {
    "source": Xs.tolist(),
    "target": T.tolist(),
    "labels": ys.tolist(),
    "folds": pf.tolist(),
    "alpha": 2.0,
    "fold_r": pr[0],
    "r": pr[1],
    "median_r": pr[2],
    "pca_dims": 3,
    "r_pca": pp[1],
    "median_r_pca": pp[2],
}

path = pathlib.Path(__file__).with_name("representation.json")
path.write_text(json.dumps(out, indent=1) + "\n")
print(f"wrote {path} (scikit-learn {sklearn.__version__})")
print("decoding fold accuracy", out["decoding"]["fold_accuracy"], out["decoding"]["fold_accuracy_pca"])
print("predictivity r", pr[1], pr[2], "with PCA", pp[1])
