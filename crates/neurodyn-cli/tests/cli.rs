//! End-to-end tests of the `neurodyn` binary: train → eval → resume on a tiny task, kill -9 and
//! resume, NaN handling, and config errors. Each runs in seconds.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::{bin, text, tmp};

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run neurodyn")
}

/// `neurodyn train CONFIG --out DIR --quiet`.
fn train(config: impl AsRef<Path>, out: &Path) -> Output {
    run(bin()
        .arg("train")
        .arg(config.as_ref())
        .arg("--out")
        .arg(out)
        .arg("--quiet"))
}

const TINY: &str = r#"
seed = 3
[task]
name = "PerceptualDecisionMaking"
dt_ms = 100
[model]
n_rec = 16
[train]
steps = 40
batch_size = 8
checkpoint_every = 10
[eval]
n_trials = 100
n_record = 20
"#;

/// The weights of a run, by tensor name.
fn weights(run: &Path) -> Vec<(String, Vec<f32>)> {
    neurodyn_train::checkpoint::read_tensors(&run.join("model.safetensors")).expect("read model")
}

fn write_config(dir: &Path, text: &str) -> PathBuf {
    let p = dir.join("cfg.toml");
    std::fs::write(&p, text).expect("write config");
    p
}

#[test]
fn train_eval_and_files() {
    let d = tmp("train");
    let cfg = write_config(&d, TINY);
    let run_dir = d.join("run");
    let o = train(&cfg, &run_dir);
    assert!(o.status.success(), "{}", text(&o));
    for f in [
        "config.toml",
        "metrics.csv",
        "checkpoint.safetensors",
        "model.safetensors",
        "eval.json",
        "recording.npz",
    ] {
        assert!(run_dir.join(f).exists(), "missing {f}");
    }
    let metrics = std::fs::read_to_string(run_dir.join("metrics.csv")).expect("metrics");
    assert_eq!(metrics.lines().count(), 41, "header + one row per step");
    let eval: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run_dir.join("eval.json")).expect("eval"))
            .expect("json");
    let acc = eval["accuracy"].as_f64().expect("accuracy");
    assert!((0.0..=1.0).contains(&acc));
    // The resolved config re-runs as is.
    let again = d.join("again");
    let o = train(run_dir.join("config.toml"), &again);
    assert!(o.status.success(), "{}", text(&o));
    let (a, b) = (weights(&run_dir), weights(&again));
    assert!(a.len() >= 5, "tensors: {}", a.len());
    assert!(
        a == b,
        "same config and seed must give bit-identical weights"
    );
    // eval on fresh trials, with JSON.
    let j = d.join("e.json");
    let o = run(bin()
        .arg("eval")
        .arg(&run_dir)
        .arg("--n")
        .arg("50")
        .arg("--json")
        .arg(&j));
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("accuracy"));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&j).expect("json")).expect("parse");
    assert_eq!(v["n_trials"].as_u64(), Some(50));
    // eval on trials written by `tasks sample`.
    let npz = d.join("trials.npz");
    let o = run(bin()
        .args([
            "tasks",
            "sample",
            "PerceptualDecisionMaking",
            "--n",
            "30",
            "--dt",
            "100",
            "--seed",
            "9",
            "--out",
        ])
        .arg(&npz));
    assert!(o.status.success(), "{}", text(&o));
    let o = run(bin().arg("eval").arg(&run_dir).arg("--trials").arg(&npz));
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("on 30 trials"), "{}", text(&o));
    // Trials with other input channels are an error naming both counts.
    let other = d.join("other.npz");
    let o = run(bin()
        .args([
            "tasks",
            "sample",
            "ContextDecisionMaking",
            "--n",
            "5",
            "--dt",
            "100",
            "--out",
        ])
        .arg(&other));
    assert!(o.status.success(), "{}", text(&o));
    let o = run(bin().arg("eval").arg(&run_dir).arg("--trials").arg(&other));
    let msg = text(&o);
    assert!(!o.status.success(), "{msg}");
    assert!(
        msg.contains("5 input channels") && msg.contains("takes 3"),
        "{msg}"
    );
    assert!(!msg.contains("panicked"), "{msg}");
    // Training into an existing run is refused, and the run is untouched.
    let before = weights(&run_dir);
    let o = train(&cfg, &run_dir);
    assert!(!o.status.success());
    assert!(text(&o).contains("already holds a run"), "{}", text(&o));
    assert!(
        before == weights(&run_dir),
        "a refused run must not touch the weights"
    );
}

#[test]
fn kill_and_resume_is_bit_identical() {
    let d = tmp("resume");
    // With a curriculum whose first stage ends before the first checkpoint, so the resumed run
    // must restore where the curriculum stands (stage 2, begun at step 3).
    let long = TINY
        .replace("steps = 40", "steps = 3000")
        .replace("checkpoint_every = 10", "checkpoint_every = 7")
        + "[[train.curriculum]]\nsteps = 3\nparams = { cohs = [0.0] }\n\
           [[train.curriculum]]\nsteps = 1500\nparams = { cohs = [51.2] }\n";
    let cfg = write_config(&d, &long);
    let full = d.join("full");
    let o = train(&cfg, &full);
    assert!(o.status.success(), "{}", text(&o));
    let cut = d.join("cut");
    let mut child = bin()
        .arg("train")
        .arg(&cfg)
        .arg("--out")
        .arg(&cut)
        .arg("--quiet")
        .spawn()
        .expect("spawn");
    // Wait for a checkpoint, then SIGKILL mid-run.
    let t0 = std::time::Instant::now();
    while !cut.join("checkpoint.safetensors").exists() && t0.elapsed().as_secs() < 60 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().expect("kill -9");
    let _ = child.wait();
    assert!(
        cut.join("checkpoint.safetensors").exists(),
        "no checkpoint before the kill"
    );
    assert!(
        !cut.join("model.safetensors").exists(),
        "the run finished before it was killed"
    );
    let o = run(bin().arg("train").arg("--resume").arg(&cut).arg("--quiet"));
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        weights(&full) == weights(&cut),
        "resumed weights differ from the uninterrupted run"
    );
    // The files too, byte for byte (the safetensors header's keys are written sorted), so that
    // checksums can compare runs.
    let bytes = |d: &std::path::Path| std::fs::read(d.join("model.safetensors")).expect("model");
    assert!(
        bytes(&full) == bytes(&cut),
        "model.safetensors differs in bytes between the full and the resumed run"
    );
    let rows = std::fs::read_to_string(cut.join("metrics.csv")).expect("metrics");
    let header: Vec<&str> = rows.lines().next().expect("header").split(',').collect();
    let at = header
        .iter()
        .position(|&h| h == "stage")
        .expect("a stage column");
    let (steps, stages): (Vec<u64>, Vec<u64>) = rows
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Some((f[0].parse::<u64>().ok()?, f.get(at)?.parse::<u64>().ok()?))
        })
        .unzip();
    assert_eq!(
        steps,
        (1..=3000).collect::<Vec<_>>(),
        "metrics rows after resume"
    );
    let want: Vec<u64> = (1..=3000u64)
        .map(|k| match k {
            1..=3 => 1,
            4..=1503 => 2,
            _ => 0,
        })
        .collect();
    assert!(stages == want, "the stage column after resume");
}

#[test]
fn nan_stops_with_the_step_and_keeps_the_checkpoint() {
    let d = tmp("nan");
    let bad = TINY.replace("steps = 40", "steps = 200").replace(
        "checkpoint_every = 10",
        "checkpoint_every = 1\nlr = 1e30\noptimizer = { kind = \"sgd\" }",
    );
    // SGD with an absurd learning rate overflows the weights within a step or two.
    let cfg = write_config(&d, &bad);
    let run_dir = d.join("run");
    let o = train(&cfg, &run_dir);
    let msg = text(&o);
    assert!(!o.status.success(), "{msg}");
    assert!(
        msg.contains("non-finite") && msg.contains("at step"),
        "{msg}"
    );
    assert!(!msg.contains("panicked"), "{msg}");
    // The message says which checkpoint is kept only when one was written.
    let ck_path = run_dir.join("checkpoint.safetensors");
    if !ck_path.exists() {
        assert!(msg.contains("no checkpoint was written"), "{msg}");
        return;
    }
    assert!(msg.contains("the checkpoint of step"), "{msg}");
    // The last good checkpoint is kept, with finite weights.
    let ck = neurodyn_train::checkpoint::read_tensors(&ck_path).expect("checkpoint kept");
    assert!(ck.iter().all(|(_, v)| v.iter().all(|x| x.is_finite())));
}

#[test]
fn config_errors_name_the_key_and_write_nothing() {
    let d = tmp("cfgerr");
    let cases = [
        (
            TINY.replace("n_rec = 16", "n_rec = 16\nn_units = 3"),
            "n_units",
        ),
        (TINY.replace("n_rec = 16", "n_rec = \"many\""), "n_rec"),
        (
            TINY.replace("n_rec = 16", "n_rec = 16\ntau_ms = 50"),
            "model.tau_ms",
        ),
        (
            TINY.replace("PerceptualDecisionMaking", "PerceptualDecisionMakin"),
            "PerceptualDecisionMaking",
        ),
        (
            TINY.replace("batch_size = 8", "batch_size = 0"),
            "train.batch_size",
        ),
        (TINY.replace("n_rec = 16", "n_rec = 9000"), "model.n_rec"),
        (TINY.replace("dt_ms = 100", "dt_ms = 1e-9"), "dt_ms"),
        (
            TINY.replace(
                "batch_size = 8",
                "batch_size = 8\nclip = { kind = \"norm\", max_norm = -1.0 }",
            ),
            "train.clip",
        ),
        (
            TINY.replace(
                "batch_size = 8",
                "batch_size = 8\noptimizer = { kind = \"adam\", beta1 = 1.5 }",
            ),
            "train.optimizer",
        ),
        (
            TINY.replace(
                "batch_size = 8",
                "batch_size = 8\nschedule = { kind = \"exponential\", lr_end = -1.0 }",
            ),
            "train.schedule",
        ),
        (
            TINY.replace(
                "batch_size = 8",
                "batch_size = 8\nregularizers = [{ kind = \"activity-l2\", weight = -1.0 }]",
            ),
            "train.regularizers",
        ),
    ];
    for (i, (cfg_text, needle)) in cases.iter().enumerate() {
        let cfg = write_config(&d, cfg_text);
        let out = d.join(format!("run{i}"));
        let o = train(&cfg, &out);
        let msg = text(&o);
        assert!(!o.status.success(), "case {i} should fail: {msg}");
        assert!(
            msg.contains(needle),
            "case {i}: message should name {needle}: {msg}"
        );
        assert!(!msg.contains("panicked"), "{msg}");
        assert!(!out.exists(), "case {i}: nothing may be written");
    }
    // A truncated npz given to eval is an error naming the file.
    let npz = d.join("bad.npz");
    std::fs::write(&npz, b"PK\x03\x04 truncated").expect("write");
    let o = run(bin()
        .arg("eval")
        .arg(d.join("nope"))
        .arg("--trials")
        .arg(&npz));
    assert!(!o.status.success());
    assert!(!text(&o).contains("panicked"), "{}", text(&o));
}

#[test]
fn quickstart_writes_report_and_figures() {
    // The README's first command, end to end.
    let d = tmp("quickstart");
    let out = d.join("qs");
    let o = run(bin().arg("quickstart").arg("--out").arg(&out));
    let msg = text(&o);
    assert!(o.status.success(), "{msg}");
    assert!(msg.contains("report:") && msg.contains("accuracy"), "{msg}");
    let html = std::fs::read_to_string(out.join("report.html")).expect("report.html");
    assert!(
        html.contains("<svg") && html.contains("PerceptualDecisionMaking"),
        "report lacks figures or task"
    );
    for f in [
        "training_curves.png",
        "example_trials.png",
        "pca_2d.png",
        "fixed_points_eigenvalues.png",
        "psychometric.png",
        "decoding.png",
    ] {
        assert!(out.join("figures").join(f).exists(), "missing figure {f}");
    }
    let eval: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("eval.json")).expect("eval"))
            .expect("json");
    assert!(
        eval["accuracy"].as_f64().expect("accuracy") > 0.85,
        "quickstart network did not learn: {eval}"
    );
}

#[test]
fn bench_times_the_engine_and_reports_a_failing_reference() {
    // The light-GRU configuration has no reference: the engine alone, two timed steps.
    let o = run(bin().args(["bench", "--only", "LGRU", "--reps", "2"]));
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("GEMM peak"), "{out}");
    assert!(
        out.contains("config LGRU: 3→64→3, batch 16, 100 steps, 1 thread(s):")
            && out.contains("(best "),
        "{out}"
    );
    // The CNN configuration: seed 000's network, one step's time and the epoch it implies.
    let o = run(bin().args(["bench", "--only", "CNN16", "--reps", "2"]));
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains("config CNN16: seed 000's CNN on 1×28×28 images, batch 16, 1 thread(s):")
            && out.contains("images/s, an epoch of 8000 images"),
        "{out}"
    );
    // The conv-ctrnn configuration: the default recipe's network at its batch, with its FLOPs.
    let o = run(bin().args(["bench", "--only", "CRNN", "--reps", "2"]));
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains("config CRNN: the default conv-ctrnn (stem 16@5×5, pool 2; areas 16×14×14, 32×7×7) on 1×28×28 images, 20 spontaneous + 15 steps, loss over the last 5; every convolution by im2col (winograd = false), batch 64, 1 thread(s):")
            && out.contains("FLOPs counted per step: 6.749 G"),
        "{out}"
    );
    // The same network with its 3×3 stride-1 convolutions by Winograd, counted the same.
    let o = run(bin().args(["bench", "--only", "CRNNW", "--reps", "2"]));
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains("config CRNNW: the default conv-ctrnn (stem 16@5×5, pool 2; areas 16×14×14, 32×7×7) on 1×28×28 images, 20 spontaneous + 15 steps, loss over the last 5; its 3×3 stride-1 convolutions by Winograd F(4×4, 3×3) on 14×14 and 7×7 maps (the default), batch 64, 1 thread(s):")
            && out.contains("FLOPs counted per step: 6.749 G"),
        "{out}"
    );
    // A "Python" that dies at once: a clear error naming the reference and what it said.
    let dir = tmp("bench");
    let fake = dir.join("python");
    std::fs::write(&fake, "#!/bin/sh\necho 'no torch here' >&2\nexit 3\n").expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let o = run(bin()
        .args(["bench", "--only", "A", "--reps", "2", "--torch-python"])
        .arg(&fake));
    let out = text(&o);
    assert!(!o.status.success(), "{out}");
    assert!(
        out.contains("the torch reference failed: no torch here"),
        "{out}"
    );
    // A "Python" that serves fixed times (20 ms a step): one ratio per configuration, and the
    // CTRNN's rate set against the GEMMs run between its blocks.
    let serving = dir.join("python_serving");
    std::fs::write(
        &serving,
        "#!/bin/sh\necho '{\"ready\": true}'\nwhile read k; do echo '{\"times_ms\": [20.0]}'; done\n",
    )
    .expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&serving, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let o = run(bin()
        .args(["bench", "--only", "A", "--reps", "2", "--torch-python"])
        .arg(&serving));
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains("PyTorch eager (tutorial CTRNN, 1 thread): 20.000 ms/step (best 20.000)")
            && out.contains("ratio vs PyTorch eager: ")
            && out.contains("of the median GEMM rate between its blocks"),
        "{out}"
    );
}

#[test]
fn bench_alternates_torch_and_jax_references_on_the_engines_threads() {
    let dir = tmp("bench-jax");
    let script = |name: &str, body: &str| {
        let p = dir.join(name);
        std::fs::write(&p, body).expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        p
    };
    // A "Python" that fails: the error names the JAX reference and what it said.
    let failing = script(
        "python_nojax",
        "#!/bin/sh\necho 'no jax here' >&2\nexit 3\n",
    );
    let o = run(bin()
        .args(["bench", "--only", "A", "--reps", "2", "--jax-python"])
        .arg(&failing));
    let out = text(&o);
    assert!(!o.status.success(), "{out}");
    assert!(
        out.contains("the jax reference failed: no jax here"),
        "{out}"
    );
    // A "Python" serving 30 ms a step when its config asks for two threads, 20 ms otherwise.
    let serving = script(
        "python_serving",
        "#!/bin/sh\ncase \"$2\" in *'\"threads\":2'*) ms=30.0;; *) ms=20.0;; esac\n\
         echo '{\"ready\": true}'\nwhile read k; do echo \"{\\\"times_ms\\\": [$ms]}\"; done\n",
    );
    let o = run(bin()
        .args([
            "bench",
            "--only",
            "A,GRU",
            "--reps",
            "2",
            "--threads-small",
            "2",
        ])
        .arg("--torch-python")
        .arg(&serving)
        .arg("--jax-python")
        .arg(&serving));
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    for line in [
        "PyTorch eager (tutorial CTRNN, 2 threads): 30.000 ms/step (best 30.000); ratio vs PyTorch eager: ",
        "JAX jit (tutorial CTRNN, lax.scan, 2 threads): 30.000 ms/step (best 30.000); ratio vs JAX jit: ",
        "JAX jit (tutorial CTRNN, lax.scan, 1 thread): 20.000 ms/step (best 20.000); ratio vs JAX jit: ",
        "PyTorch eager (nn.GRU, 2 threads): 30.000 ms/step",
        "JAX jit: no reference for this configuration",
    ] {
        assert!(out.contains(line), "missing {line:?} in\n{out}");
    }
    // Only the faster JAX setting is marked.
    assert_eq!(out.matches("[faster JAX setting]").count(), 1, "{out}");
    assert!(
        out.lines()
            .any(|l| l.contains("1 thread): 20.000") && l.ends_with("[faster JAX setting]")),
        "{out}"
    );
}

#[test]
fn hebbian_run_from_a_config_is_analysed_and_fixed_points_say_why_not() {
    let d = tmp("hebb");
    let cfg = TINY.replace(
        "[model]\nn_rec = 16",
        "[model]\nkind = \"hebb-ctrnn\"\nn_rec = 16\nhebb = { tau_ms = 300, clip = 0.5 }",
    );
    let cfg = write_config(&d, &cfg);
    let run_dir = d.join("run");
    let o = train(&cfg, &run_dir);
    assert!(o.status.success(), "{}", text(&o));
    let names: Vec<String> = weights(&run_dir).into_iter().map(|(n, _)| n).collect();
    assert!(names.iter().any(|n| n == "cell.plasticity"), "{names:?}");
    let o = run(bin().arg("analyze").arg(&run_dir).arg("all"));
    let msg = text(&o);
    assert!(o.status.success(), "{msg}");
    assert!(
        msg.contains("fixed_points: skipped") && msg.contains("hebb-ctrnn"),
        "{msg}"
    );
    assert!(run_dir.join("report.html").exists(), "{msg}");
    let o = run(bin().arg("analyze").arg(&run_dir).arg("fixed-points"));
    let msg = text(&o);
    assert!(!o.status.success(), "{msg}");
    assert!(
        msg.contains("recordings do not keep") && !msg.contains("panicked"),
        "{msg}"
    );
}

#[test]
fn tasks_show_lists_parameters_with_defaults() {
    let o = run(bin().args(["tasks", "show", "DelayMatchSample"]));
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("parameters ([task.params]"), "{out}");
    assert!(out.contains("delay_ms = 1000"), "{out}");
    let o = run(bin().args(["tasks", "show", "MotorTiming"]));
    assert!(text(&o).contains("parameters: none"), "{}", text(&o));
}

#[test]
fn a_force_run_from_a_config_is_evaluated_and_resumed_like_any_other() {
    let d = tmp("force");
    let cfg = TINY
        .replace(
            "[model]\nn_rec = 16",
            "[model]\nn_rec = 24\nactivation = \"tanh\"\nform = \"state\"\n\
             init = { kind = \"gaussian\", radius = 1.5 }",
        )
        .replace(
            "checkpoint_every = 10",
            "checkpoint_every = 10\nmethod = { kind = \"force\", alpha = 1.0, every = 2 }",
        );
    let cfg = write_config(&d, &cfg);
    let run_dir = d.join("run");
    let o = train(&cfg, &run_dir);
    assert!(o.status.success(), "{}", text(&o));
    // The checkpoint keeps FORCE's state; the model is the folded network.
    let ck = neurodyn_train::checkpoint::read_tensors(&run_dir.join("checkpoint.safetensors"))
        .expect("checkpoint");
    assert!(ck.iter().any(|(n, _)| n == "param.cell.w_rec"));
    // The f64 tensors, from the safetensors header (an 8-byte length, then JSON).
    let bytes = std::fs::read(run_dir.join("checkpoint.safetensors")).expect("read");
    let len = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + len]).expect("header");
    for name in ["force.p", "force.w_fb", "force.w_rec0", "force.w_out"] {
        assert_eq!(header[name]["dtype"], "F64", "{name}");
    }
    let metrics = std::fs::read_to_string(run_dir.join("metrics.csv")).expect("metrics");
    assert_eq!(metrics.lines().count(), 41, "{metrics}");
    let o = run(bin().arg("eval").arg(&run_dir).arg("--n").arg("50"));
    assert!(o.status.success(), "{}", text(&o));
    // Resuming a finished run through the CLI loads and restores the FORCE state without error
    // (bit-identical resumption mid-run is tested in neurodyn-train's tests/force.rs).
    let before = weights(&run_dir);
    let o = run(bin()
        .arg("train")
        .arg("--resume")
        .arg(&run_dir)
        .arg("--quiet"));
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        weights(&run_dir) == before,
        "a finished run resumed changed"
    );
    // A network FORCE cannot fold is refused, naming the key, before anything is written.
    let bad = write_config(
        &d,
        &std::fs::read_to_string(&cfg)
            .expect("cfg")
            .replace("n_rec = 24", "n_rec = 24\nkind = \"gru\""),
    );
    let out = d.join("bad");
    let o = run(bin().arg("train").arg(&bad).arg("--out").arg(&out));
    let msg = text(&o);
    assert!(!o.status.success() && msg.contains("model.kind"), "{msg}");
    assert!(!out.exists(), "{msg}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn train_check_says_what_a_config_builds_and_writes_nothing() {
    let d = tmp("check");
    let o = run(bin().current_dir(&d).args(["train", "--check"]));
    let msg = text(&o);
    assert!(o.status.success(), "{msg}");
    assert!(
        msg.contains("config ok: task PerceptualDecisionMaking") && msg.contains("parameters"),
        "{msg}"
    );
    let o = run(bin()
        .current_dir(&d)
        .args(["train", "--task", "Mnist", "--check"]));
    let msg = text(&o);
    assert!(
        o.status.success() && msg.contains("config ok: task Mnist"),
        "{msg}"
    );
    // The issue's example: a GRU with settings only the rate networks take.
    let cfg = d.join("gru.toml");
    std::fs::write(
        &cfg,
        "[model]\nkind = \"gru\"\ntau_ms = 3\nsigma_rec = 0.5\nlearn_tau = true\nconnectivity = 0.1\n\
         [model.dale]\nfrac_exc = 0.8\n",
    )
    .expect("config");
    let o = run(bin().current_dir(&d).arg("train").arg(&cfg).arg("--check"));
    let msg = text(&o);
    assert!(!o.status.success(), "{msg}");
    for key in [
        "model.dale",
        "model.connectivity",
        "model.learn_tau",
        "model.sigma_rec",
        "model.tau_ms",
    ] {
        assert!(msg.contains(key), "{key} not named: {msg}");
    }
    let left: Vec<_> = std::fs::read_dir(&d)
        .expect("dir")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        left,
        [std::ffi::OsString::from("gru.toml")],
        "nothing written"
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn output_files_survive_a_closed_stdout_and_failed_writes_leave_no_temporary_file() {
    let d = tmp("traps");
    let cfg = write_config(&d, TINY);
    let run_dir = d.join("run");
    let o = train(&cfg, &run_dir);
    assert!(o.status.success(), "{}", text(&o));
    // `eval RUN --json x.json | true`: the reader of stdout is gone before anything is printed.
    let json = d.join("x.json");
    let o = run(Command::new("sh").arg("-c").arg(format!(
        "'{}' eval '{}' --json '{}' | true",
        env!("CARGO_BIN_EXE_neurodyn"),
        run_dir.display(),
        json.display()
    )));
    assert!(o.status.success(), "{}", text(&o));
    assert!(json.exists(), "x.json was not written");
    // A directory where a file should go: an error, and no DIR.tmp beside it.
    let dir = d.join("adir");
    std::fs::create_dir_all(&dir).expect("dir");
    let o = run(bin().arg("eval").arg(&run_dir).arg("--json").arg(&dir));
    assert!(!o.status.success(), "{}", text(&o));
    let o = run(bin()
        .args([
            "tasks",
            "sample",
            "PerceptualDecisionMaking",
            "--n",
            "4",
            "--out",
        ])
        .arg(&dir));
    assert!(!o.status.success(), "{}", text(&o));
    let left: Vec<String> = std::fs::read_dir(&d)
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
    let _ = std::fs::remove_dir_all(&d);
}

/// A config that sets only `[task]` trains from that task's recipe and says so; `base =
/// "defaults"` starts from the generic defaults; `--check` says which.
#[test]
fn a_config_file_starts_from_its_tasks_recipe() {
    let d = tmp("recipe-base");
    let cfg = write_config(
        &d,
        "[task]\nname = \"ContextDecisionMaking\"\ncompat = \"neurogym\"\n",
    );
    let o = run(bin().arg("train").arg(&cfg).arg("--check"));
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("unset keys from the recipe of ContextDecisionMaking")
            && t.contains("3000 steps"),
        "{t}"
    );
    let defaults = d.join("defaults.toml");
    std::fs::write(
        &defaults,
        "base = \"defaults\"\n[task]\nname = \"ContextDecisionMaking\"\n",
    )
    .expect("write");
    let o = run(bin().arg("train").arg(&defaults).arg("--check"));
    let t = text(&o);
    assert!(
        o.status.success() && t.contains("generic defaults") && t.contains("1000 steps"),
        "{t}"
    );
    let _ = std::fs::remove_dir_all(&d);
}

/// Shell completions and manual pages.
#[test]
fn completions_and_man_pages() {
    let o = run(bin().args(["completions", "bash"]));
    assert!(o.status.success(), "{}", text(&o));
    let script = String::from_utf8_lossy(&o.stdout);
    assert!(
        script.contains("_neurodyn") && script.contains("quickstart"),
        "{script}"
    );
    let o = run(bin().args(["completions", "tcsh"]));
    assert!(!o.status.success(), "an unknown shell is refused");
    let d = tmp("man");
    let o = run(bin().arg("man").arg("--out").arg(&d));
    assert!(o.status.success(), "{}", text(&o));
    let page = std::fs::read_to_string(d.join("neurodyn-train.1")).expect("train's page");
    assert!(page.contains(".TH") && page.contains("resume"), "{page}");
    assert!(d.join("neurodyn.1").exists());
    let _ = std::fs::remove_dir_all(&d);
}
