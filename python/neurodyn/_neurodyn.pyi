"""Type stubs of the Rust extension ``neurodyn._neurodyn`` (crates/neurodyn-py/src/lib.rs)."""

from __future__ import annotations

import numpy as np

__version__: str

class Error(Exception):
    """An error reported by neurodyn; the message is the library's."""

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
    out: str,
    progress: bool = False,
    resume: bool = False,
) -> str: ...
def read_npz(path: str) -> dict[str, np.ndarray]: ...
def read_safetensors(path: str) -> dict[str, np.ndarray]: ...
def analysis_names() -> list[str]: ...
def analyze(run: str, name: str, args: list[str]) -> tuple[str | None, list[str], list[str]]: ...
def analyze_all(run: str) -> tuple[str, list[str]]: ...
