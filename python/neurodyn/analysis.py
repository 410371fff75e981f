"""Analyses on plain numpy arrays, and every registered analysis by name on a run.

>>> import neurodyn, numpy as np
>>> out = neurodyn.analysis.pca(np.random.default_rng(0).normal(size=(200, 16)), n_components=3)
>>> out["explained_variance_ratio"].shape
(3,)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Union

from . import _neurodyn
from ._run import Run

if TYPE_CHECKING:
    import numpy as np

__all__ = ["cka", "compare", "names", "pca", "rsa", "run"]

PathLike = Union[str, "os.PathLike[str]"]


def names() -> list[str]:
    """Every registered analysis (``neurodyn analyze RUN NAME``)."""
    return _neurodyn.analysis_names()


def pca(data: np.ndarray, n_components: int | None = None) -> dict[str, np.ndarray]:
    """PCA of ``data``: ``(sample, feature)``, or ``(trial, time, unit)`` rates (every time step
    of every trial is a sample). Returns ``mean``, ``components`` (component, feature),
    ``explained_variance`` (denominator n − 1, as scikit-learn), ``explained_variance_ratio``,
    ``singular_values`` and ``scores`` (the samples projected, with the input's leading shape:
    ``(trial, time, component)`` for rates). Padding is not removed: slice trials to their
    ``trial_len`` first if they differ in length."""
    import numpy as np

    x = np.asarray(data, dtype=np.float64)
    if x.ndim not in (2, 3):
        raise ValueError(f"data must be (sample, feature) or (trial, time, unit), got shape {x.shape}")
    lead = x.shape[:-1]
    out = _neurodyn.pca(np.ascontiguousarray(x.reshape(-1, x.shape[-1])), n_components)
    out["scores"] = out["scores"].reshape(*lead, -1)
    return out


def compare(
    a: np.ndarray,
    b: np.ndarray,
    method: str = "rsa",
    rdm: str = "correlation",
    rsa_method: str = "whitened-pearson",
    bootstrap: int = 0,
    seed: int = 0,
    alpha: float = 1.0,
    alphas: Sequence[float] = (),
    pls_components: int | None = None,
) -> dict[str, Any]:
    """Compare two response sets, ``(condition, feature)`` or ``(condition, repeat, feature)``
    with the same conditions in the same order (a model layer and recorded neurons, say), as
    ``neurodyn compare`` does.

    ``method``: ``"rsa"`` (the two RDMs compared), ``"cka"`` (linear CKA) or
    ``"predictivity"`` (ridge from ``a`` to each feature of ``b``, median held-out r).
    ``rdm``: ``correlation``, ``euclidean``, ``cosine``, ``poisson``, ``mahalanobis``,
    ``crossnobis`` (the last two need repeats). ``rsa_method``: ``whitened-pearson``,
    ``whitened-cosine``, ``pearson``, ``spearman``, ``kendall``, ``rho-a``, ``cosine``.
    ``bootstrap``: resamples of the conditions (seeded) for a 95 % interval. Predictivity:
    ``alpha`` is the ridge penalty; ``alphas`` (e.g. ``(0.1, 1, 10)``) chooses it in each fold by
    leave-one-out as scikit-learn's ``RidgeCV``; ``pls_components=K`` fits PLS regression instead.

    Returns ``score``, ``what``, ``n_conditions``, ``bootstrap`` (``low``, ``high``, … or
    ``None``) and ``warnings`` (also raised as Python warnings).
    """
    import json
    import warnings

    import numpy as np

    out: dict[str, Any] = json.loads(
        _neurodyn.compare(
            np.ascontiguousarray(a, dtype=np.float64),
            np.ascontiguousarray(b, dtype=np.float64),
            method,
            rdm,
            rsa_method,
            bootstrap,
            seed,
            alpha,
            [float(v) for v in alphas],
            pls_components,
        )
    )
    for w in out.get("warnings", []):
        warnings.warn(w, stacklevel=2)
    return out


def rsa(a: np.ndarray, b: np.ndarray, **options: Any) -> float:
    """The RSA score of two response sets (:func:`compare` with ``method="rsa"``)."""
    score: float = compare(a, b, method="rsa", **options)["score"]
    return score


def cka(a: np.ndarray, b: np.ndarray) -> float:
    """Linear CKA of two response sets ``(condition, feature)`` (Kornblith et al. 2019)."""
    score: float = compare(a, b, method="cka")["score"]
    return score


def run(run: Run | PathLike, name: str, **options: Any) -> dict[str, Any]:
    """The registered analysis ``name`` on a run (``neurodyn.analysis.run("runs/pdm",
    "fixed-points")``): :meth:`neurodyn.Run.analyze`."""
    r = run if isinstance(run, Run) else Run(run)
    return r.analyze(name, **options)
