"""Analyses on plain numpy arrays, and every registered analysis by name on a run.

>>> import neurodyn, numpy as np
>>> out = neurodyn.analysis.pca(np.random.default_rng(0).normal(size=(200, 16)), n_components=3)
>>> out["explained_variance_ratio"].shape
(3,)
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Union

from . import _neurodyn
from ._run import Run

if TYPE_CHECKING:
    import numpy as np

__all__ = ["names", "pca", "run"]

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


def run(run: Run | PathLike, name: str, **options: Any) -> dict[str, Any]:
    """The registered analysis ``name`` on a run (``neurodyn.analysis.run("runs/pdm",
    "fixed-points")``): :meth:`neurodyn.Run.analyze`."""
    r = run if isinstance(run, Run) else Run(run)
    return r.analyze(name, **options)
