"""The task registry: list the tasks, sample trials into numpy arrays, step a task as an
environment."""

from __future__ import annotations

import builtins
import json
from typing import TYPE_CHECKING, Any, Mapping

from . import _neurodyn
from ._env import TaskEnv

if TYPE_CHECKING:
    import numpy as np

__all__ = ["TaskEnv", "list", "make", "sample"]


def list() -> builtins.list[str]:  # noqa: A001 - the issue's name: neurodyn.tasks.list()
    """Every registered task name (``neurodyn tasks list``)."""
    return _neurodyn.task_names()


def sample(
    name: str,
    n: int,
    seed: int,
    dt_ms: float | None = None,
    compat: str = "default",
    params: Mapping[str, Any] | None = None,
) -> dict[str, np.ndarray]:
    """Sample ``n`` trials of the task ``name`` (a name, neurogym id or alias).

    Returns the arrays ``neurodyn tasks sample`` writes, bit for bit: ``inputs`` (trial, time,
    n_in) float32; ``targets`` (trial, time) int64 for categorical tasks (0 = fixate) or (trial,
    time, n_out) float32; ``mask`` (trial, time) float32 (0 on padding); ``trial_len`` (trial,)
    int64; ``period_<name>`` (trial, 2) int64 step bounds; one array per condition label (int64
    or float64); and what the trials are: ``task_name``, ``compat``, ``seed``, ``dt_ms``,
    ``time_ms``, ``input_names``, ``output_names``, ``class_names`` (docs/FILES.md). Trials are
    padded to the longest.

    ``dt_ms``: time step (default: the task's); ``compat``: ``"default"`` or ``"neurogym"``;
    ``params``: task parameters (``{"sigma": 0.5, "cohs": [0, 12.8]}``).
    """
    params_json = None if params is None else json.dumps(dict(params))
    return _neurodyn.sample(name, n, seed, dt_ms, compat, params_json)


def make(
    name: str,
    dt_ms: float | None = None,
    compat: str = "default",
    params: Mapping[str, Any] | None = None,
    rewards: Mapping[str, float] | None = None,
) -> TaskEnv:
    """The task ``name`` as an environment stepped one time step at a time, in the Gymnasium
    style: ``obs, info = env.reset(seed=0)``, ``obs, reward, terminated, truncated, info =
    env.step(action)`` (see :class:`TaskEnv`; ``rewards`` overrides ``correct``, ``fail``,
    ``abort``)."""
    return TaskEnv(name, dt_ms, compat, params, rewards)
