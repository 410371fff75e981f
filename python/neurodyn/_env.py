"""``neurodyn.tasks.make``: a task as an environment stepped one time step at a time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from . import _neurodyn

__all__ = ["TaskEnv"]

# Trials drawn per call into the library; trial k of a seed is the same however the episode goes.
_BLOCK = 64


class TaskEnv:
    """A task stepped in the Gymnasium style (no gymnasium needed): ``reset(seed=)`` →
    ``(obs, info)``, ``step(action)`` → ``(obs, reward, terminated, truncated, info)``.

    As in NeuroGym, the environment runs trial after trial without end (``terminated`` and
    ``truncated`` stay ``False``); ``info["new_trial"]`` is ``True`` on the step that ends a
    trial, and the observation it returns is the first of the next trial. For categorical tasks
    the action is a class (0 = fixate): answering during the response ends the trial with reward
    ``correct`` (+1) when it is the target class, else ``fail`` (0); breaking fixation before the
    response costs ``abort`` (−0.1) and the trial goes on. For continuous tasks the action is a
    vector and the reward is minus its mean squared error, weighted by the mask.

    Trials are those of :func:`neurodyn.tasks.sample` with the same name, time step, compat mode
    and parameters: the seed given to ``reset`` fixes the whole sequence of trials.
    """

    def __init__(
        self,
        name: str,
        dt_ms: float | None = None,
        compat: str = "default",
        params: Mapping[str, Any] | None = None,
        rewards: Mapping[str, float] | None = None,
    ) -> None:
        import json

        self.name = name
        self._dt_ms = dt_ms
        self._compat = compat
        self._params_json = None if params is None else json.dumps(dict(params))
        r = {"correct": 1.0, "fail": 0.0, "abort": -0.1}
        r.update(dict(rewards or {}))
        self.rewards = r
        first = self._draw(0, 1)
        self.input_names: list[str] = [str(v) for v in first["input_names"]]
        self.output_names: list[str] = [str(v) for v in first["output_names"]]
        self.dt_ms = float(first["dt_ms"])
        self.categorical = first["targets"].ndim == 2
        self.n_in = len(self.input_names)
        self.n_out = len(self.output_names)
        self._seed = 0
        self._trial = -1
        self._t = 0
        self._block: dict[str, np.ndarray] | None = None
        self._block_index = -1

    def __repr__(self) -> str:
        return f"neurodyn.tasks.make({self.name!r}, dt_ms={self.dt_ms})"

    def _draw(self, seed: int, n: int) -> dict[str, np.ndarray]:
        return _neurodyn.sample(self.name, n, seed, self._dt_ms, self._compat, self._params_json)

    def _load_trial(self, k: int) -> None:
        b = k // _BLOCK
        if b != self._block_index:
            # Block b of seed s: its own seed stream, so trial k never depends on the actions.
            self._block = self._draw((self._seed * 1_000_003 + b) % (2**63), _BLOCK)
            self._block_index = b
        self._trial, self._t = k, 0

    def _row(self) -> int:
        return self._trial % _BLOCK

    def _info(self, new_trial: bool) -> dict[str, Any]:
        assert self._block is not None
        i, t = self._row(), self._t
        labels = {
            k: v[i].item()
            for k, v in self._block.items()
            if v.ndim == 1 and v.shape[0] == _BLOCK and v.dtype.kind in "if" and k != "trial_len"
        }
        gt = self._block["targets"][i, t]
        return {
            "new_trial": new_trial,
            "trial": self._trial,
            "step": t,
            "gt": gt.item() if self.categorical else gt.copy(),
            "labels": labels,
        }

    def _obs(self) -> np.ndarray:
        assert self._block is not None
        obs: np.ndarray = self._block["inputs"][self._row(), self._t].copy()
        return obs

    def reset(self, seed: int | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        """Start over at the first trial of ``seed`` (the last seed given, else 0); returns the
        first observation and its ``info`` (as :meth:`step`'s)."""
        if seed is not None:
            if seed < 0:
                raise ValueError(f"seed must be ≥ 0, got {seed}")
            self._seed = int(seed)
        self._block_index = -1
        self._load_trial(0)
        return self._obs(), self._info(False)

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Act on the current observation; returns the next observation, the reward for this
        action, ``terminated = truncated = False``, and ``info`` about the next observation:
        ``gt`` (its target: the class to answer, 0 = fixate), ``trial`` and ``step`` (its
        place), ``labels`` (its trial's conditions), and ``new_trial`` (``True`` when this
        action ended a trial, so the next observation starts another)."""
        if self._block is None:
            raise RuntimeError("call reset() before step()")
        i, t = self._row(), self._t
        target = self._block["targets"][i, t]
        mask = float(self._block["mask"][i, t])
        length = int(self._block["trial_len"][i])
        reward, ended = 0.0, False
        if self.categorical:
            a = int(action)
            if not 0 <= a < self.n_out:
                raise ValueError(f"action must be a class in 0..{self.n_out - 1}, got {action}")
            if mask > 0 and int(target) == 0 and a != 0:
                reward = self.rewards["abort"]
            elif mask > 0 and int(target) != 0 and a != 0:
                reward = self.rewards["correct"] if a == int(target) else self.rewards["fail"]
                ended = True
        else:
            a_vec = np.asarray(action, dtype=np.float64).reshape(-1)
            if a_vec.shape != (self.n_out,):
                raise ValueError(f"action must have {self.n_out} values, got {a_vec.shape}")
            reward = -mask * float(np.mean((a_vec - target) ** 2))
        if ended or t + 1 >= length:
            self._load_trial(self._trial + 1)
            ended = True
        else:
            self._t = t + 1
        return self._obs(), reward, False, False, self._info(ended)
