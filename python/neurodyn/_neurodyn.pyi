"""Type stubs of the Rust extension ``neurodyn._neurodyn`` (crates/neurodyn-py/src/lib.rs)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "Error",
    "ConfigError",
    "FileError",
    "TrainingError",
    "AnalysisError",
    "simulate",
    "evaluate",
    "pca",
    "compare",
    "__version__",
    "task_names",
    "sample",
    "config_toml_from_json",
    "run_config_json",
    "train",
    "read_npz",
    "read_safetensors",
    "analysis_names",
    "analyze",
    "analyze_all",
]

__version__: str

class Error(Exception):
    """An error reported by neurodyn; the message is the library's."""

class ConfigError(Error):
    """A config or an option is wrong."""

class FileError(Error):
    """A file or directory is missing, unreadable, corrupt, or holds another run."""

class TrainingError(Error):
    """Training stopped on a NaN or infinite loss."""

class AnalysisError(Error):
    """An analysis cannot run on this run or these arrays."""

def task_names() -> list[str]: ...
def sample(
    name: str,
    n: int,
    seed: int,
    dt_ms: float | None = None,
    compat: str = "default",
    params_json: str | None = None,
) -> dict[str, np.ndarray]: ...
def config_toml_from_json(json: str) -> str: ...
def run_config_json(run: str) -> str: ...
def train(
    config_toml: str | None,
    source: str,
    out: str | None = None,
    progress: bool = False,
    resume: bool = False,
) -> str: ...
def simulate(
    run: str, inputs: np.ndarray, noise: bool = False, seed: int = 0
) -> dict[str, np.ndarray]: ...
def evaluate(run: str, n: int = 1000, seed: int | None = None) -> str: ...
def pca(data: np.ndarray, n_components: int | None = None) -> dict[str, np.ndarray]: ...
def compare(
    a: np.ndarray,
    b: np.ndarray,
    method: str = "rsa",
    rdm: str = "correlation",
    rsa_method: str = "whitened-pearson",
    bootstrap: int = 0,
    seed: int = 0,
    alpha: float = 1.0,
    alphas: Sequence[float] = ...,
    pls_components: int | None = None,
) -> str: ...
def read_npz(path: str) -> dict[str, np.ndarray]: ...
def read_safetensors(path: str) -> dict[str, np.ndarray]: ...
def analysis_names() -> list[str]: ...
def analyze(run: str, name: str, args: list[str]) -> tuple[str | None, list[str], list[str]]: ...
def analyze_all(run: str) -> tuple[str, list[str]]: ...
