"""neurodyn from Python: sample tasks into numpy arrays, train recurrent networks, analyse runs.

>>> import neurodyn
>>> batch = neurodyn.tasks.sample("PerceptualDecisionMaking", n=64, seed=0)
>>> run = neurodyn.train({"task": {"name": "PerceptualDecisionMaking"}, "train": {"steps": 200}},
...                      out="runs/pdm")
>>> run.eval["accuracy"], run.analyze("pca")["explained_variance"]

Every error the library reports is raised as :class:`neurodyn.Error`.
"""

from __future__ import annotations

from . import _neurodyn, tasks
from ._neurodyn import Error, __version__
from ._run import Run, train


def analyses() -> list[str]:
    """Every analysis :meth:`Run.analyze` runs (``neurodyn analyze RUN NAME``)."""
    return _neurodyn.analysis_names()


__all__ = ["Error", "Run", "__version__", "analyses", "tasks", "train"]
