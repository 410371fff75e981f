"""What a notebook user reaches for: a task as an environment, simulating and evaluating a
trained run, PCA on arrays, figures that display, and errors by kind."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import neurodyn
from conftest import TINY


def test_make_steps_the_same_trials_as_sample() -> None:
    env = neurodyn.tasks.make("PerceptualDecisionMaking", dt_ms=100)
    assert env.n_in == 3 and env.n_out == 3 and env.categorical
    obs, info = env.reset(seed=5)
    first = neurodyn.tasks.sample("PerceptualDecisionMaking", 64, 5 * 1_000_003, dt_ms=100)
    assert np.array_equal(obs, first["inputs"][0, 0])
    # Answer the target at every step: every trial ends on its first response step, rewarded.
    rewards, trials = [], 0
    while trials < 5:
        obs, reward, terminated, truncated, info = env.step(info["gt"])
        assert not terminated and not truncated
        rewards.append(reward)
        if info["new_trial"]:
            trials += 1
            assert reward == 1.0, "the target answered in the response period is correct"
            assert info["step"] == 0 and info["trial"] == trials
    assert sum(r == 1.0 for r in rewards) == 5 and sum(rewards) == 5.0
    # Breaking fixation costs the abort reward; a wrong answer ends the trial with 0.
    env.reset(seed=5)
    obs, reward, *_, info = env.step(1)
    assert reward == pytest.approx(-0.1)
    with pytest.raises(ValueError, match="action"):
        env.step(7)
    # The same seed gives the same sequence.
    a = [env.reset(seed=2)[0]] + [env.step(0)[0] for _ in range(30)]
    b = [env.reset(seed=2)[0]] + [env.step(0)[0] for _ in range(30)]
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


def test_simulate_reproduces_the_recording(tiny_run: neurodyn.Run) -> None:
    rec = tiny_run.recording()
    out = tiny_run.simulate(rec["inputs"])
    n = int(rec["trial_len"][0])
    assert out["rates"].shape == rec["rates"].shape
    np.testing.assert_allclose(out["rates"][0, :n], rec["rates"][0, :n], rtol=0, atol=1e-6)
    np.testing.assert_allclose(out["outputs"][0, :n], rec["outputs"][0, :n], rtol=0, atol=1e-5)
    one = tiny_run.simulate(rec["inputs"][1, :n])
    assert one["rates"].shape == (n, 16)
    with pytest.raises(neurodyn.ConfigError, match="inputs"):
        tiny_run.simulate(np.zeros((2, 5, 7), dtype=np.float32))


def test_simulate_with_noise(tmp_path: Path) -> None:
    cfg = {**TINY, "model": {"n_rec": 16, "sigma_rec": 0.1}, "train": {**TINY["train"], "steps": 5}}
    run = neurodyn.train(cfg, tmp_path / "noisy", progress=False)
    x = run.recording()["inputs"][:4]
    quiet = run.simulate(x)["rates"]
    a = run.simulate(x, noise=True, seed=1)["rates"]
    b = run.simulate(x, noise=True, seed=1)["rates"]
    c = run.simulate(x, noise=True, seed=2)["rates"]
    assert np.array_equal(a, b), "the same seed gives the same noise"
    assert not np.array_equal(a, c) and not np.allclose(a, quiet)


def test_evaluate_matches_the_cli(tiny_run: neurodyn.Run, cli: Path, tmp_path: Path) -> None:
    import subprocess

    ev = tiny_run.evaluate(n=50, seed=11)
    assert ev["n_trials"] == 50 and 0.0 <= ev["accuracy"] <= 1.0
    j = tmp_path / "e.json"
    subprocess.run(
        [str(cli), "eval", str(tiny_run.path), "--n", "50", "--seed", "11", "--json", str(j)],
        check=True,
        capture_output=True,
    )
    assert json.loads(j.read_text())["accuracy"] == ev["accuracy"]


def test_pca_on_arrays_matches_numpy() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 6)) @ rng.normal(size=(6, 6))
    out = neurodyn.analysis.pca(x, n_components=3)
    centred = x - x.mean(0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    var = s**2 / (len(x) - 1)
    np.testing.assert_allclose(out["explained_variance"], var[:3], rtol=1e-10)
    np.testing.assert_allclose(np.abs(out["components"]), np.abs(vt[:3]), atol=1e-8)
    np.testing.assert_allclose(np.abs(out["scores"]), np.abs(centred @ vt[:3].T), atol=1e-8)
    rates = rng.normal(size=(4, 10, 6))
    assert neurodyn.analysis.pca(rates, 2)["scores"].shape == (4, 10, 2)
    with pytest.raises(neurodyn.AnalysisError):
        neurodyn.analysis.pca(np.ones((1, 3)))


def test_figures_display_in_a_notebook(tiny_run: neurodyn.Run) -> None:
    out = neurodyn.analysis.run(tiny_run, "pca")
    figs = out["figures"]
    assert figs and all(isinstance(f, neurodyn.Figure) for f in figs)
    assert figs[0]._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"


def test_errors_by_kind(tiny_run: neurodyn.Run, tmp_path: Path) -> None:
    with pytest.raises(neurodyn.ConfigError, match="n_recc"):
        neurodyn.train({**TINY, "model": {"n_recc": 3}}, tmp_path / "a", progress=False)
    with pytest.raises(neurodyn.FileError, match="already holds a run"):
        neurodyn.train(TINY, tiny_run.path, progress=False)
    with pytest.raises(neurodyn.FileError):
        neurodyn.Run(tmp_path / "nothing")
    with pytest.raises(neurodyn.ConfigError, match="no analysis called"):
        tiny_run.analyze("nope")
    assert issubclass(neurodyn.TrainingError, neurodyn.Error)


def test_train_defaults_to_runs_task_model_seed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run = neurodyn.train({**TINY, "train": {**TINY["train"], "steps": 5}}, progress=False)
    assert run.path == Path("runs/PerceptualDecisionMaking-ctrnn-s3")
    assert (tmp_path / run.path / "eval.json").is_file()


def test_compare_arrays_as_the_cli_does(cli: Path, tmp_path: Path) -> None:
    import subprocess

    rng = np.random.default_rng(1)
    a = rng.normal(size=(20, 8))
    b = a @ rng.normal(size=(8, 5)) + 0.3 * rng.normal(size=(20, 5))
    np.savez(tmp_path / "a.npz", x=a)
    np.savez(tmp_path / "b.npz", x=b)
    for method in ("rsa", "cka", "predictivity"):
        got = neurodyn.analysis.compare(a, b, method=method)
        j = tmp_path / f"{method}.json"
        subprocess.run(
            [str(cli), "compare", str(tmp_path / "a.npz"), str(tmp_path / "b.npz"),
             "--method", method, "--json", str(j)],
            check=True,
            capture_output=True,
        )
        assert json.loads(j.read_text())["score"] == got["score"], method
    # The predictivity's regression: a chosen penalty and PLS, as the CLI's flags give them.
    for kwargs, flags in (
        ({"alphas": (0.1, 1.0, 10.0)}, ["--alphas", "0.1,1,10"]),
        ({"pls_components": 2}, ["--pls-components", "2"]),
    ):
        got = neurodyn.analysis.compare(a, b, method="predictivity", **kwargs)
        j = tmp_path / "p.json"
        subprocess.run(
            [str(cli), "compare", str(tmp_path / "a.npz"), str(tmp_path / "b.npz"),
             "--method", "predictivity", "--json", str(j), *flags],
            check=True,
            capture_output=True,
        )
        assert json.loads(j.read_text())["score"] == got["score"], kwargs
        assert 0.0 < got["score"] <= 1.0, kwargs
    assert neurodyn.analysis.cka(a, a) == pytest.approx(1.0)
    s = neurodyn.analysis.rsa(a, b, rsa_method="spearman", bootstrap=50, seed=3)
    assert -1.0 <= s <= 1.0
    with pytest.raises(neurodyn.ConfigError, match="rsa_method"):
        neurodyn.analysis.compare(a, b, rsa_method="nope")
    with pytest.raises(neurodyn.ConfigError, match="condition"):
        neurodyn.analysis.compare(a[:2], b[:2])
