"""neurodyn.train and neurodyn.Run: a tiny run trained from a dict, read back and analysed."""

from __future__ import annotations

import _thread
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import neurodyn
from conftest import TINY


def test_eval_config_and_metrics(tiny_run: neurodyn.Run) -> None:
    acc = tiny_run.eval["accuracy"]
    assert 0.0 <= acc <= 1.0
    cfg = tiny_run.config
    assert cfg["task"]["name"] == "PerceptualDecisionMaking"
    assert cfg["model"]["n_rec"] == 16 and cfg["train"]["steps"] == 60
    m = tiny_run.metrics
    assert m["step"].dtype == np.int64 and list(m["step"]) == list(range(1, 61))
    assert np.all(np.isfinite(m["loss"]))


def test_recording_and_weights(tiny_run: neurodyn.Run) -> None:
    rec = tiny_run.recording()
    rates = rec["rates"]
    assert rates.ndim == 3 and rates.shape[0] == 32 and rates.shape[2] == 16
    assert rates.dtype == np.float32
    w = tiny_run.weights()
    assert any(v.shape == (16, 16) for v in w.values()), {k: v.shape for k, v in w.items()}


def test_analyze_pca(tiny_run: neurodyn.Run) -> None:
    out = tiny_run.analyze("pca")
    ev = np.asarray(out["explained_variance"], dtype=float)
    ratio = np.asarray(out["explained_variance_ratio"], dtype=float)
    assert ev.ndim == 1 and len(ev) >= 2 and np.all(ev >= 0)
    assert np.all(np.diff(ev) <= 1e-9), "sorted, largest first"
    assert ratio.shape == ev.shape and 0 < ratio.sum() <= 1 + 1e-6
    assert any(f.endswith(".json") for f in out["files"])
    assert all(Path(f).exists() for f in out["files"])


def test_analyze_errors(tiny_run: neurodyn.Run) -> None:
    with pytest.raises(neurodyn.Error, match="no analysis called"):
        tiny_run.analyze("no_such_analysis")
    with pytest.raises(neurodyn.Error, match="no-such-option"):
        tiny_run.analyze("pca", no_such_option=3)


def test_analyze_all_writes_the_report(tiny_run: neurodyn.Run) -> None:
    report = tiny_run.analyze_all()
    assert report.name == "report.html" and report.stat().st_size > 1000


def test_bad_config_key_names_the_key(tmp_path: Path) -> None:
    bad = {**TINY, "model": {"n_rec": 16, "n_recc": 8}}
    with pytest.raises(neurodyn.Error, match="n_recc"):
        neurodyn.train(bad, tmp_path / "bad")
    with pytest.raises(neurodyn.Error, match="not a run directory"):
        neurodyn.Run(tmp_path)


def test_training_into_an_existing_run_is_an_error(tiny_run: neurodyn.Run) -> None:
    with pytest.raises(neurodyn.Error, match="already holds a run"):
        neurodyn.train(TINY, tiny_run.path)


def test_train_from_a_toml_file_and_resume(tmp_path: Path) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text(
        'seed = 1\n[task]\nname = "PerceptualDecisionMaking"\ndt_ms = 100\n'
        "[model]\nn_rec = 8\n[train]\nsteps = 10\n"
    )
    run = neurodyn.train(toml, tmp_path / "r")
    assert 0.0 <= run.eval["accuracy"] <= 1.0
    again = neurodyn.train(None, tmp_path / "r", resume=True)
    assert again.path == run.path


def test_gil_is_released_while_training(tmp_path: Path) -> None:
    count = 0
    stop = threading.Event()

    def tick() -> None:
        nonlocal count
        while not stop.is_set():
            count += 1
            time.sleep(0.001)

    t = threading.Thread(target=tick)
    t.start()
    start = time.perf_counter()
    try:
        cfg = {**TINY, "model": {"n_rec": 32}, "train": {**TINY["train"], "steps": 2000}}
        neurodyn.train(cfg, tmp_path / "gil")
    finally:
        stop.set()
        t.join()
    elapsed = time.perf_counter() - start
    # The thread kept running through training: at least a tenth of the ticks an idle interpreter
    # allows (a GIL held by training would allow almost none).
    assert count > 0.1 * elapsed / 0.001, (count, elapsed)


def test_ctrl_c_stops_training_and_the_run_resumes(tmp_path: Path) -> None:
    # 256 units: about 1 ms a step on 2 cores, so training lasts seconds, well past the interrupt
    # (at 0.2 s, seen at the next check, every 0.1 s) even on a much faster machine.
    cfg = {
        **TINY,
        "model": {"n_rec": 256},
        "train": {**TINY["train"], "steps": 2000, "checkpoint_every": 50},
    }
    out = tmp_path / "interrupted"
    # As Ctrl-C does: the interpreter's SIGINT handler runs at the next signal check. A process
    # started in the background inherits SIGINT ignored, and then Python installs no handler and
    # interrupt_main does nothing: install Python's own for the test.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.2, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt, match="resume"):
            neurodyn.train(cfg, out)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert not (out / "eval.json").exists()
    run = neurodyn.train(None, out, resume=True)
    assert list(run.metrics["step"]) == list(range(1, 2001))
    assert 0.0 <= run.eval["accuracy"] <= 1.0


def test_a_dict_config_starts_from_its_tasks_recipe(tmp_path: Path) -> None:
    cfg = {
        "task": {"name": "DelayMatchSample", "dt_ms": 100},
        "model": {"n_rec": 8},
        "train": {"steps": 3, "batch_size": 4},
        "eval": {"n_trials": 8, "n_record": 4},
    }
    run = neurodyn.train(cfg, tmp_path / "recipe")
    train = run.config["train"]
    # The recipe's identity start, warm-up and activity penalty; the dict's own keys win.
    assert run.config["model"]["init"]["kind"] == "identity"
    assert train["warmup_steps"] == 300 and train["steps"] == 3
    assert train["regularizers"][0]["kind"] == "activity-l2"
    assert "health" in run.eval and "strict_accuracy" in run.eval
    generic = neurodyn.train({**cfg, "base": "defaults"}, tmp_path / "generic")
    assert generic.config["train"]["warmup_steps"] == 0
    assert generic.config["train"].get("regularizers", []) == []
