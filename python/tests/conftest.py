"""Shared fixtures: the `neurodyn` CLI binary and one tiny trained run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import neurodyn

ROOT = Path(__file__).resolve().parents[2]

# PerceptualDecisionMaking at dt 100 ms, 16 units, 60 steps: a few seconds in the dev profile.
TINY = {
    "seed": 3,
    "task": {"name": "PerceptualDecisionMaking", "dt_ms": 100},
    "model": {"n_rec": 16},
    "train": {"steps": 60, "batch_size": 16, "checkpoint_every": 20},
    "eval": {"n_trials": 64, "n_record": 32},
}


def cli_binary() -> Path | None:
    """`neurodyn`, the CLI: $NEURODYN_BIN (must exist), else target/debug/neurodyn if built."""
    env = os.environ.get("NEURODYN_BIN")
    if env:
        assert Path(env).is_file(), f"NEURODYN_BIN={env} does not exist"
        return Path(env)
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    for profile in ("debug", "release"):
        p = target / profile / "neurodyn"
        if p.is_file():
            return p
    return None


@pytest.fixture(scope="session")
def cli() -> Path:
    p = cli_binary()
    if p is None:
        pytest.skip("the neurodyn CLI is not built (cargo build -p neurodyn-cli, or set NEURODYN_BIN)")
    return p


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> neurodyn.Run:
    out = tmp_path_factory.mktemp("runs") / "tiny"
    return neurodyn.train(TINY, out)
