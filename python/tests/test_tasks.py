"""neurodyn.tasks: the registry and sampling, checked against the CLI's npz bit for bit."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

import neurodyn


def test_list_has_the_classic_tasks() -> None:
    names = neurodyn.tasks.list()
    assert "PerceptualDecisionMaking" in names
    assert "DelayMatchSample" in names
    assert len(names) == len(set(names))


@pytest.mark.parametrize(
    "name, n, seed, dt, compat",
    [
        ("PerceptualDecisionMaking", 17, 4, None, "default"),
        ("yang19.dms-v0", 8, 1, 20.0, "neurogym"),
        ("DelayMatchSample", 5, 0, 50.0, "default"),
    ],
)
def test_sample_equals_the_cli_npz_bit_for_bit(
    cli: Path, tmp_path: Path, name: str, n: int, seed: int, dt: float | None, compat: str
) -> None:
    out = tmp_path / "s.npz"
    cmd = [str(cli), "tasks", "sample", name, "--n", str(n), "--seed", str(seed), "--compat", compat]
    if dt is not None:
        cmd += ["--dt", str(dt)]
    subprocess.run([*cmd, "--out", str(out)], check=True, capture_output=True)
    got = neurodyn.tasks.sample(name, n, seed, dt_ms=dt, compat=compat)
    with np.load(out) as want:
        assert list(got) == list(want.files)
        for key in want.files:
            a, b = got[key], want[key]
            assert a.dtype == b.dtype, key
            assert a.shape == b.shape, key
            assert a.tobytes() == b.tobytes(), key


def test_sample_shapes_params_and_determinism() -> None:
    a = neurodyn.tasks.sample("PerceptualDecisionMaking", 8, 0, dt_ms=100)
    b = neurodyn.tasks.sample("PerceptualDecisionMaking", 8, 0, dt_ms=100)
    assert a["inputs"].dtype == np.float32 and a["inputs"].ndim == 3
    assert a["targets"].dtype == np.int64 and a["targets"].shape == a["mask"].shape
    assert a["trial_len"].shape == (8,)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    quiet = neurodyn.tasks.sample("PerceptualDecisionMaking", 8, 0, dt_ms=100, params={"sigma": 0.0})
    assert not np.array_equal(quiet["inputs"], a["inputs"])


def test_sample_errors_are_neurodyn_errors() -> None:
    with pytest.raises(neurodyn.Error, match="NoSuchTask"):
        neurodyn.tasks.sample("NoSuchTask", 4, 0)
    with pytest.raises(neurodyn.Error, match="compat"):
        neurodyn.tasks.sample("PerceptualDecisionMaking", 4, 0, compat="gym")
    with pytest.raises(neurodyn.Error, match="at least 1"):
        neurodyn.tasks.sample("PerceptualDecisionMaking", 0, 0)
    with pytest.raises(neurodyn.Error):
        neurodyn.tasks.sample("PerceptualDecisionMaking", 4, 0, params={"no_such_param": 1})
    assert issubclass(neurodyn.Error, Exception)
