"""Golden values for neurodyn-analysis's decoding: scikit-learn's RidgeClassifier, cross-validated.

Run from the repository root:
    .venv/bin/python tests/golden/analysis/make_decoding_golden.py
writes tests/golden/analysis/decoding.json holding the data (so Rust reads exactly the same
numbers) and scikit-learn's outputs: the accuracy of each of the 5 contiguous folds
(KFold without shuffling, passed to cross_val_score explicitly: with an integer cv it would
stratify), and the decision function of a fit on
all samples. Read by crates/neurodyn-analysis/tests/golden.rs.
"""

import json
import pathlib

import numpy as np
import sklearn
from sklearn.linear_model import RidgeClassifier
from sklearn.model_selection import KFold, cross_val_score

rng = np.random.default_rng(3)
out = {"sklearn_version": sklearn.__version__, "numpy_version": np.__version__}
cases = []
# Three classes in 8 dimensions, overlapping, n not a multiple of the folds (uneven fold sizes);
# then two classes (sklearn's single-column binary encoding).
for n, d, k, alpha, sep in [(63, 8, 3, 1.0, 0.6), (47, 5, 2, 0.3, 0.5)]:
    y = rng.integers(0, k, size=n)
    centres = rng.normal(size=(k, d)) * sep
    X = centres[y] + rng.normal(size=(n, d)) + np.arange(d) * 0.5
    # Label values need not be 0..k-1 (Rust reads these); scikit-learn takes float labels as
    # continuous, so it gets names that sort in the same order.
    labels = np.array([-1.0, 0.5, 2.0])[y]
    names = np.array(["c0", "c1", "c2"])[y]
    clf = RidgeClassifier(alpha=alpha)
    folds = cross_val_score(clf, X, names, cv=KFold(n_splits=5), scoring="accuracy")
    full = RidgeClassifier(alpha=alpha).fit(X, names)
    cases.append(
        {
            "n": n,
            "d": d,
            "alpha": alpha,
            "x": X.ravel().tolist(),
            "labels": labels.tolist(),
            "fold_accuracy": folds.tolist(),
            "n_classes": len(full.classes_),
            "decision": np.atleast_2d(full.decision_function(X[:4]).T).T.ravel().tolist(),
            "decision_columns": int(np.atleast_2d(full.decision_function(X[:4]).T).T.shape[1]),
        }
    )
out["cases"] = cases
path = pathlib.Path(__file__).with_name("decoding.json")
path.write_text(json.dumps(out, indent=1))
print("wrote", path)
