"""``Run``: a run directory read back; ``train``: train one."""

from __future__ import annotations

import csv
import json
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from . import _neurodyn
from ._figure import Figure
from ._neurodyn import ConfigError, Error, FileError

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Run", "train"]

PathLike = Union[str, "os.PathLike[str]"]

# metrics.csv columns that hold integers (the rest are floats).
_INT_COLUMNS = {"step", "stage"}


def _option_args(options: Mapping[str, Any]) -> list[str]:
    """Keyword options as command-line arguments: ``n_components=3`` → ``--n-components 3``,
    ``True`` → a bare flag, ``False``/``None`` → nothing, a list → the flag once per value."""
    args: list[str] = []
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        if value is None or value is False:
            continue
        if value is True:
            args.append(flag)
        elif isinstance(value, (list, tuple)):
            for v in value:
                args += [flag, str(v)]
        else:
            args += [flag, str(value)]
    return args


class Run:
    """A run directory written by ``neurodyn train`` or :func:`neurodyn.train`."""

    def __init__(self, path: PathLike) -> None:
        self.path = Path(path)
        """The run directory."""
        if not (self.path / "config.toml").is_file():
            raise FileError(f"{self.path} is not a run directory (no config.toml)")

    def __repr__(self) -> str:
        return f"neurodyn.Run({str(self.path)!r})"

    @property
    def config(self) -> dict[str, Any]:
        """``config.toml`` as a dict (the keys :func:`neurodyn.train` takes)."""
        result: dict[str, Any] = json.loads(_neurodyn.run_config_json(str(self.path)))
        return result

    @property
    def eval(self) -> dict[str, Any]:
        """``eval.json``: the final evaluation (``accuracy``, …)."""
        p = self.path / "eval.json"
        try:
            with open(p, encoding="utf-8") as f:
                result: dict[str, Any] = json.load(f)
        except OSError as e:
            raise FileError(f"{p}: {e.strerror} (has training finished?)") from None
        except ValueError as e:
            raise FileError(f"{p}: not valid JSON: {e}") from None
        return result

    @property
    def metrics(self) -> Any:
        """``metrics.csv``: a pandas ``DataFrame`` when pandas is installed, else a dict of numpy
        arrays, one per column (``step`` and ``stage`` int64, the rest float64)."""
        columns = self.metrics_arrays()
        try:
            import pandas as pd  # type: ignore[import-untyped, unused-ignore]
        except ImportError:
            return columns
        return pd.DataFrame(columns)

    def metrics_arrays(self) -> dict[str, np.ndarray]:
        """``metrics.csv``, one numpy array per column, whether or not pandas is installed."""
        import numpy as np

        p = self.path / "metrics.csv"
        try:
            with open(p, encoding="utf-8", newline="") as f:
                rows = [r for r in csv.reader(f) if r]
        except OSError as e:
            raise FileError(f"{p}: {e.strerror}") from None
        if not rows:
            raise FileError(f"{p}: empty (no header)")
        header, body = rows[0], rows[1:]
        out: dict[str, np.ndarray] = {}
        for i, name in enumerate(header):
            column = [r[i] if i < len(r) else "nan" for r in body]
            try:
                if name in _INT_COLUMNS:
                    out[name] = np.array([int(v) for v in column], dtype=np.int64)
                else:
                    out[name] = np.array([float(v) for v in column], dtype=np.float64)
            except ValueError as e:
                raise FileError(f"{p}: column {name}: {e}") from None
        return out

    def recording(self) -> dict[str, np.ndarray]:
        """``recording.npz``: the evaluation trials' rates, inputs, outputs (logits), targets,
        mask, labels and period bounds, with ``dt_ms``, ``time_ms``, ``task_name``,
        ``input_names``, ``output_names`` and ``class_names`` (docs/FILES.md)."""
        return _neurodyn.read_npz(str(self.path / "recording.npz"))

    def simulate(
        self, inputs: np.ndarray, noise: bool = False, seed: int = 0
    ) -> dict[str, np.ndarray]:
        """Drive the trained network with ``inputs`` (trial, time, n_in), or (time, n_in) for
        one trial; returns ``rates`` (trial, time, unit) and ``outputs`` (trial, time, n_out:
        logits for categorical tasks), as ``recording.npz`` holds them (the recording's own
        inputs give its rates back). ``noise=True`` adds the model's training noise
        (``sigma_rec``, ``sigma_in``) drawn from ``seed`` (not for the light-GRU kinds)."""
        import numpy as np

        x = np.asarray(inputs, dtype=np.float32)
        one = x.ndim == 2
        if one:
            x = x[None]
        if x.ndim != 3:
            raise ValueError(f"inputs must be (trial, time, n_in) or (time, n_in), got {x.shape}")
        out = _neurodyn.simulate(str(self.path), np.ascontiguousarray(x), noise, seed)
        if one:
            out = {k: v[0] for k, v in out.items()}
        return out

    def evaluate(self, n: int = 1000, seed: int | None = None) -> dict[str, Any]:
        """Score the trained network on ``n`` fresh trials (drawn with ``seed``, default the
        run's eval seed): ``accuracy``, ``strict_accuracy``, ``n_trials``, ``per_condition``,
        ``per_response``, as ``neurodyn eval RUN --json`` writes them."""
        result: dict[str, Any] = json.loads(_neurodyn.evaluate(str(self.path), n, seed))
        return result

    def weights(self) -> dict[str, np.ndarray]:
        """``model.safetensors``: the trained parameters by layout name (``cell.w_rec``, …)."""
        return _neurodyn.read_safetensors(str(self.path / "model.safetensors"))

    def analyze(self, name: str, **options: Any) -> dict[str, Any]:
        """Run the analysis ``name`` (``pca``, ``fixed_points``, …; see
        :func:`neurodyn.analyses`) with the options of ``neurodyn analyze RUN NAME --help``
        (``n_components=3`` for ``--n-components 3``; ``True`` for a flag).

        Returns the numbers the analysis wrote to ``RUN/analysis/<name>.json`` as a dict, with
        ``"files"``: every file it wrote (JSON, npz, figures), and ``"figures"``: its PNG
        figures as :class:`neurodyn.Figure` objects, which a notebook shows inline. Its warnings
        are Python warnings.
        """
        text, files, warns = _neurodyn.analyze(str(self.path), name, _option_args(options))
        result: dict[str, Any] = json.loads(text) if text is not None else {}
        if not isinstance(result, dict):
            result = {"result": result}
        result["files"] = files
        result["figures"] = [Figure(f) for f in files if f.endswith(".png")]
        for w in warns:
            warnings.warn(w, stacklevel=2)
        return result

    def analyze_all(self) -> Path:
        """Every analysis that applies, with defaults, then ``RUN/report.html``; returns its
        path. An analysis that fails is a warning (and a section saying why), not an error."""
        report, warns = _neurodyn.analyze_all(str(self.path))
        for w in warns:
            warnings.warn(w, stacklevel=2)
        return Path(report)


def train(
    config: PathLike | Mapping[str, Any] | None,
    out: PathLike | None = None,
    progress: bool = True,
    resume: bool = False,
) -> Run:
    """Train a network and write the run directory ``out`` (default ``runs/TASK-MODEL-sSEED``,
    as ``neurodyn train``); returns its :class:`Run`.

    ``config``: a TOML file's path, or a dict with the same keys (``{"task": {"name": …},
    "model": {"n_rec": 64}, "train": {"steps": 500}}``; ``None`` values mean the default). Keys
    it leaves out take the task's recipe (what ``neurodyn train --task NAME`` trains), or the
    generic defaults with ``"base": "defaults"``.
    ``progress``: show the step, loss and accuracy on ``sys.stderr`` (a line that updates in a
    terminal and in Jupyter). ``resume``: continue the run in ``out`` from its last checkpoint
    (``config`` must be ``None``).

    Errors are :class:`neurodyn.ConfigError` (a bad key or value), :class:`neurodyn.FileError`
    (``out`` holds another run, a file is missing) or :class:`neurodyn.TrainingError` (the loss
    became NaN), all :class:`neurodyn.Error`.

    The GIL is released while training; Ctrl-C stops it with ``KeyboardInterrupt`` (resume it
    with ``resume=True``).
    """
    text: str | None
    if resume:
        if config is not None:
            raise ConfigError(
                "resume=True continues the run in `out` with its own config; pass config=None"
            )
        if out is None:
            raise ConfigError("resume=True needs the run's directory as `out`")
        text, source = None, os.fspath(out)
    elif isinstance(config, Mapping):
        text, source = _neurodyn.config_toml_from_json(json.dumps(dict(config))), "config"
    elif isinstance(config, (str, os.PathLike)):
        source = os.fspath(config)
        try:
            with open(source, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise FileError(f"cannot read config {source}: {e.strerror}") from None
    else:
        raise TypeError(f"config must be a path or a dict, not {type(config).__name__}")
    path = _neurodyn.train(text, source, None if out is None else os.fspath(out), progress, resume)
    run = Run(path)
    for w in run.eval.get("health", {}).get("warnings", []):
        warnings.warn(f"network health: {w}", stacklevel=2)
    return run
