"""Golden values for neurodyn-analysis's PLS regression, from scikit-learn's PLSRegression.

Run from the repository root (a venv with numpy and scikit-learn):
    python -m venv /tmp/venv && /tmp/venv/bin/pip install numpy scikit-learn
    /tmp/venv/bin/python tests/golden/analysis/make_pls_golden.py
writes tests/golden/analysis/pls.json: each case's data (so Rust reads exactly the same numbers),
its coefficients (d, t) on the original units and its predictions on held-out rows. Read by
crates/neurodyn-analysis/tests/pls_golden.rs.

scikit-learn's NIPALS power iteration stops at `tol`; with tol = 1e-28 (on the squared change) and max_iter = 100000 its
weights are the exact singular vectors that neurodyn computes directly, to rounding.
"""

import json
import pathlib

import numpy as np
import sklearn
from sklearn.cross_decomposition import PLSRegression

rng = np.random.default_rng(20261205)


def case(name, n, d, t, k, m=7, constant_col=False):
    latent = rng.normal(size=(n + m, 3))
    x = latent @ rng.normal(size=(3, d)) + 0.5 * rng.normal(size=(n + m, d))
    y = latent @ rng.normal(size=(3, t)) + 0.3 * rng.normal(size=(n + m, t))
    x[:, 0] *= 10.0
    if constant_col:
        x[:, d - 1] = 2.5
    xtr, xte, ytr = x[:n], x[n:], y[:n]
    pls = PLSRegression(n_components=k, scale=True, tol=1e-28, max_iter=100000).fit(xtr, ytr)
    return {
        "name": name,
        "k": k,
        "x": xtr.tolist(),
        "y": ytr.tolist(),
        "x_test": xte.tolist(),
        "coef": pls.coef_.T.tolist(),  # (d, t)
        "predict": pls.predict(xte).reshape(m, t).tolist(),
    }


cases = [
    case("one target, two components", 30, 6, 1, 2),
    case("three targets, three components", 40, 8, 3, 3),
    case("more features than rows", 12, 20, 4, 5),
    case("a constant feature", 25, 5, 2, 2, constant_col=True),
]
out = pathlib.Path(__file__).with_name("pls.json")
out.write_text(json.dumps({"sklearn": sklearn.__version__, "cases": cases}, indent=1) + "\n")
print("wrote", out)
