"""Golden values for neurodyn-analysis: PCA, KMeans and silhouette from scikit-learn.

Run from the repository root:
    .venv/bin/python tests/golden/analysis/make_golden.py
writes tests/golden/analysis/golden.json holding the inputs (so Rust reads exactly the same data)
and scikit-learn's outputs. Rust's tests (crates/neurodyn-analysis/tests/golden.rs) compare
to ~1e-6 relative; PCA components up to sign, KMeans labels up to permutation.
"""

import json
import pathlib

import numpy as np
import sklearn
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score

rng = np.random.default_rng(0)
out = {"sklearn_version": sklearn.__version__, "numpy_version": np.__version__}

# PCA: 200 samples x 6 features with correlated structure and distinct variances.
n, d = 200, 6
latent = rng.normal(size=(n, 3)) * np.array([3.0, 1.5, 0.5])
mix = rng.normal(size=(3, d))
X = latent @ mix + 0.1 * rng.normal(size=(n, d)) + np.arange(d)
pca = PCA(n_components=4, svd_solver="full").fit(X)
pca_all = PCA(svd_solver="full").fit(X)
out["pca"] = {
    "n_samples": n,
    "n_features": d,
    "data": X.ravel().tolist(),
    "n_components": 4,
    "components": pca.components_.ravel().tolist(),
    "explained_variance": pca.explained_variance_.tolist(),
    "explained_variance_ratio": pca.explained_variance_ratio_.tolist(),
    "singular_values": pca.singular_values_.tolist(),
    "mean": pca.mean_.tolist(),
    "transformed_first5": pca.transform(X[:5]).ravel().tolist(),
    "explained_variance_all": pca_all.explained_variance_.tolist(),
}

# KMeans: 4 Gaussian blobs in 3-D, fixed initial centres (n_init=1) so the result is deterministic.
k, m, dk = 4, 160, 3
centres = rng.normal(scale=4.0, size=(k, dk))
Y = np.concatenate([c + rng.normal(size=(m // k, dk)) for c in centres])
Y = Y[rng.permutation(m)]
init = Y[[0, 1, 2, 3]] + 0.5 * rng.normal(size=(k, dk))
km = KMeans(n_clusters=k, init=init, n_init=1, algorithm="lloyd", max_iter=300, tol=1e-4).fit(Y)
# A second, overlapping data set where Lloyd needs several iterations.
Z = rng.normal(size=(120, 2)) + np.repeat(np.array([[0, 0], [2.0, 0.5], [0.5, 2.0]]), 40, axis=0)
initz = Z[:3].copy()
kmz = KMeans(n_clusters=3, init=initz, n_init=1, algorithm="lloyd", max_iter=300, tol=1e-4).fit(Z)
fixed_labels = (np.arange(120) % 3).tolist()
out["kmeans"] = [
    {
        "n_samples": m,
        "n_features": dk,
        "data": Y.ravel().tolist(),
        "init": init.ravel().tolist(),
        "labels": km.labels_.tolist(),
        "centers": km.cluster_centers_.ravel().tolist(),
        "inertia": float(km.inertia_),
        "silhouette": float(silhouette_score(Y, km.labels_)),
    },
    {
        "n_samples": 120,
        "n_features": 2,
        "data": Z.ravel().tolist(),
        "init": initz.ravel().tolist(),
        "labels": kmz.labels_.tolist(),
        "centers": kmz.cluster_centers_.ravel().tolist(),
        "inertia": float(kmz.inertia_),
        "silhouette": float(silhouette_score(Z, kmz.labels_)),
        "fixed_labels": fixed_labels,
        "fixed_labels_silhouette": float(silhouette_score(Z, fixed_labels)),
    },
]

path = pathlib.Path(__file__).with_name("golden.json")
path.write_text(json.dumps(out, indent=1) + "\n")
print(f"wrote {path} (sklearn {sklearn.__version__}); kmeans iters {km.n_iter_}, {kmz.n_iter_}")
