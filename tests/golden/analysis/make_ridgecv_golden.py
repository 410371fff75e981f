"""Golden values for neurodyn-analysis's ridge penalty choice (Ridge::fit_loo), from
scikit-learn's RidgeCV(alphas) with its default efficient leave-one-out cross-validation.

Run from the repository root (a venv with numpy and scikit-learn):
    python -m venv /tmp/venv && /tmp/venv/bin/pip install numpy scikit-learn
    /tmp/venv/bin/python tests/golden/analysis/make_ridgecv_golden.py
writes tests/golden/analysis/ridgecv.json: each case's data, the alphas, RidgeCV's chosen
alpha_, its coefficients (d, t) and intercepts, and the mean squared leave-one-out error of each
alpha (`cv_results_` averaged over samples and targets). Read by
crates/neurodyn-analysis/tests/representation_golden.rs.
"""

import json
import pathlib

import numpy as np
import sklearn
from sklearn.linear_model import RidgeCV

rng = np.random.default_rng(11)
alphas = [0.01, 0.1, 1.0, 10.0, 100.0, 1000.0]


def case(name, n, d, t, noise):
    x = rng.normal(size=(n, d)) * np.linspace(0.5, 3.0, d)
    w = rng.normal(size=(d, t))
    y = x @ w + noise * rng.normal(size=(n, t)) + 2.0
    m = RidgeCV(alphas=alphas, store_cv_results=True).fit(x, y)
    errs = m.cv_results_.reshape(n, -1, len(alphas)).mean(axis=(0, 1))
    return {
        "name": name,
        "x": x.tolist(),
        "y": y.tolist(),
        "alpha": float(m.alpha_),
        "coef": np.atleast_2d(m.coef_).T.tolist(),
        "intercept": np.atleast_1d(m.intercept_).tolist(),
        "loo_mse": errs.tolist(),
    }


cases = [
    case("more rows than features, little noise", 40, 6, 2, 0.5),
    case("more rows than features, much noise", 30, 8, 3, 8.0),
    case("more features than rows", 15, 25, 2, 1.0),
]
out = pathlib.Path(__file__).with_name("ridgecv.json")
out.write_text(json.dumps({"sklearn": sklearn.__version__, "alphas": alphas, "cases": cases}, indent=1) + "\n")
print("wrote", out, [c["alpha"] for c in cases])
