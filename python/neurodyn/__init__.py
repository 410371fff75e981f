"""neurodyn from Python: sample tasks into numpy arrays, train recurrent networks, analyse runs.

>>> import neurodyn
>>> batch = neurodyn.tasks.sample("PerceptualDecisionMaking", n=64, seed=0)
>>> env = neurodyn.tasks.make("PerceptualDecisionMaking")        # Gymnasium-style stepping
>>> run = neurodyn.train({"task": {"name": "PerceptualDecisionMaking"}, "train": {"steps": 200}},
...                      out="runs/pdm")
>>> run.eval["accuracy"], run.analyze("pca")["explained_variance"]
>>> neurodyn.analysis.pca(run.recording()["rates"], n_components=3)["explained_variance_ratio"]

Every error the library reports is raised as :class:`neurodyn.Error` or one of its subclasses:
:class:`ConfigError`, :class:`FileError`, :class:`TrainingError`, :class:`AnalysisError`.
"""

from __future__ import annotations

from . import _neurodyn, analysis, tasks
from ._figure import Figure
from ._neurodyn import (
    AnalysisError,
    ConfigError,
    Error,
    FileError,
    TrainingError,
    __version__,
)
from ._run import Run, train


def analyses() -> list[str]:
    """Every analysis :meth:`Run.analyze` runs (``neurodyn analyze RUN NAME``)."""
    return _neurodyn.analysis_names()


__all__ = [
    "AnalysisError",
    "ConfigError",
    "Error",
    "FileError",
    "Figure",
    "Run",
    "TrainingError",
    "__version__",
    "analyses",
    "analysis",
    "tasks",
    "train",
]
