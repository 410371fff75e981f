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
from ._neurodyn import Error

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
            raise Error(f"{self.path} is not a run directory (no config.toml)")

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
            raise Error(f"{p}: {e.strerror} (has training finished?)") from None
        except ValueError as e:
            raise Error(f"{p}: not valid JSON: {e}") from None
        return result

    @property
    def metrics(self) -> dict[str, np.ndarray]:
        """``metrics.csv``, one numpy array per column (``step`` and ``stage`` int64, the rest
        float64)."""
        import numpy as np

        p = self.path / "metrics.csv"
        try:
            with open(p, encoding="utf-8", newline="") as f:
                rows = [r for r in csv.reader(f) if r]
        except OSError as e:
            raise Error(f"{p}: {e.strerror}") from None
        if not rows:
            raise Error(f"{p}: empty (no header)")
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
                raise Error(f"{p}: column {name}: {e}") from None
        return out

    def recording(self) -> dict[str, np.ndarray]:
        """``recording.npz``: the evaluation trials' rates, inputs, outputs, targets and labels."""
        return _neurodyn.read_npz(str(self.path / "recording.npz"))

    def weights(self) -> dict[str, np.ndarray]:
        """``model.safetensors``: the trained parameters by layout name (``cell.w_rec``, …)."""
        return _neurodyn.read_safetensors(str(self.path / "model.safetensors"))

    def analyze(self, name: str, **options: Any) -> dict[str, Any]:
        """Run the analysis ``name`` (``pca``, ``fixed_points``, …; see
        :func:`neurodyn.analyses`) with the options of ``neurodyn analyze RUN NAME --help``
        (``n_components=3`` for ``--n-components 3``; ``True`` for a flag).

        Returns the numbers the analysis wrote to ``RUN/analysis/<name>.json`` as a dict, with
        ``"files"``: every file it wrote (JSON, npz, figures). Its warnings are Python warnings.
        """
        text, files, warns = _neurodyn.analyze(str(self.path), name, _option_args(options))
        result: dict[str, Any] = json.loads(text) if text is not None else {}
        if not isinstance(result, dict):
            result = {"result": result}
        result["files"] = files
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
    out: PathLike,
    progress: bool = False,
    resume: bool = False,
) -> Run:
    """Train a network and write the run directory ``out``; returns its :class:`Run`.

    ``config``: a TOML file's path, or a dict with the same keys (``{"task": {"name": …},
    "model": {"n_rec": 64}, "train": {"steps": 500}}``; ``None`` values mean the default). Keys
    it leaves out take the task's recipe (what ``neurodyn train --task NAME`` trains), or the
    generic defaults with ``"base": "defaults"``.
    ``progress``: print the step, loss and accuracy to ``sys.stderr``. ``resume``: continue the
    run in ``out`` from its last checkpoint (``config`` must be ``None``).

    The GIL is released while training; Ctrl-C stops it with ``KeyboardInterrupt`` (resume it
    with ``resume=True``).
    """
    text: str | None
    if resume:
        if config is not None:
            raise Error("resume=True continues the run in `out` with its own config; pass config=None")
        text, source = None, os.fspath(out)
    elif isinstance(config, Mapping):
        text, source = _neurodyn.config_toml_from_json(json.dumps(dict(config))), "config"
    elif isinstance(config, (str, os.PathLike)):
        source = os.fspath(config)
        try:
            with open(source, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise Error(f"cannot read config {source}: {e.strerror}") from None
    else:
        raise TypeError(f"config must be a path or a dict, not {type(config).__name__}")
    path = _neurodyn.train(text, source, os.fspath(out), progress, resume)
    run = Run(path)
    for w in run.eval.get("health", {}).get("warnings", []):
        warnings.warn(f"network health: {w}", stacklevel=2)
    return run
