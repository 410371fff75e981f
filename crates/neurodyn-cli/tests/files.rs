//! Files that cannot be silently wrong (issue 25): trial and recording files that say what they
//! are, strict trial files, run directories claimed once and never overwritten without
//! `--force`, outputs that are never silently replaced, requests too large for the memory.

use neurodyn_core::{FileInfo, Npz, Recording};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::{bin, text, tmp};

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run neurodyn")
}

/// `o` failed with a message containing every one of `needles`, and did not panic.
fn refused(o: &Output, needles: &[&str]) {
    let msg = text(o);
    assert!(!o.status.success(), "should fail: {msg}");
    assert!(!msg.contains("panicked"), "{msg}");
    for n in needles {
        assert!(msg.contains(n), "message should say {n:?}: {msg}");
    }
}

const TINY: &str = r#"
seed = 3
[task]
name = "PerceptualDecisionMaking"
dt_ms = 100
[model]
n_rec = 16
[train]
steps = 20
batch_size = 8
checkpoint_every = 10
[eval]
n_trials = 60
n_record = 10
"#;

/// `tasks sample PerceptualDecisionMaking` into `out` (seed 4 unless `extra` gives one).
fn sample(out: &Path, extra: &[&str]) -> Output {
    let seed: &[&str] = if extra.contains(&"--seed") {
        &[]
    } else {
        &["--seed", "4"]
    };
    run(bin()
        .args([
            "tasks",
            "sample",
            "PerceptualDecisionMaking",
            "--n",
            "12",
            "--dt",
            "100",
        ])
        .args(seed)
        .args(extra)
        .arg("--out")
        .arg(out))
}

/// A copy of the trials file `from` with `edit` applied, saved as `to`.
fn edited(from: &Path, to: &Path, edit: impl FnOnce(&mut Npz)) -> PathBuf {
    let mut z = Npz::load(from).expect("load trials");
    edit(&mut z);
    z.save(to).expect("save");
    to.to_path_buf()
}

/// Edit array `name` of `z` as f64 values (it is saved back as float64, same shape).
fn set(z: &mut Npz, name: &str, f: impl FnOnce(&mut Vec<f64>)) {
    let a = z.get(name).expect("array");
    let (shape, mut v) = (a.shape().to_vec(), a.to_f64());
    f(&mut v);
    z.arrays.retain(|(n, _)| n != name);
    z.f64(name, &shape, v).expect("f64");
}

#[test]
fn trial_and_recording_files_describe_themselves_and_eval_checks_them() {
    let d = tmp("describe");
    let trials = d.join("trials.npz");
    assert!(sample(&trials, &[]).status.success());
    let z = Npz::load(&trials).expect("trials");
    let info = FileInfo::read(&z);
    assert_eq!(info.format.as_deref(), Some("neurodyn-trials/1"));
    assert_eq!(info.task.as_deref(), Some("PerceptualDecisionMaking"));
    assert_eq!(info.compat.as_deref(), Some("default"));
    assert_eq!((info.seed, info.dt_ms), (Some(4), Some(100.0)));
    assert_eq!(
        info.input_names.as_deref().map(<[String]>::len),
        Some(3),
        "{info:?}"
    );
    assert_eq!(info.class_names, info.output_names);
    let t = z.get("inputs").expect("inputs").shape()[1];
    let time = z.get("time_ms").expect("time axis").to_f64();
    assert_eq!(time.len(), t);
    assert_eq!(time[1], 100.0);
    assert!(z.get("period_stimulus").is_some(), "period bounds");
    // The same request writes the same bytes.
    let again = d.join("again.npz");
    assert!(sample(&again, &[]).status.success());
    assert_eq!(
        std::fs::read(&trials).expect("a"),
        std::fs::read(&again).expect("b")
    );

    // A run's recording says what it is and still loads for the analyses.
    let cfg = d.join("tiny.toml");
    std::fs::write(&cfg, TINY).expect("config");
    let run_dir = d.join("run");
    let o = run(bin()
        .arg("train")
        .arg(&cfg)
        .arg("--out")
        .arg(&run_dir)
        .arg("--quiet"));
    assert!(o.status.success(), "{}", text(&o));
    let rec_path = run_dir.join("recording.npz");
    let info = FileInfo::read(&Npz::load(&rec_path).expect("recording"));
    assert_eq!(info.format.as_deref(), Some("neurodyn-recording/1"));
    assert_eq!(info.outputs_hold.as_deref(), Some("logits"));
    let eval_seed = neurodyn_train::RunDir::new(&run_dir)
        .read_config()
        .expect("config")
        .eval
        .seed;
    assert_eq!(info.seed, Some(eval_seed), "the eval seed: {info:?}");
    let rec = Recording::load(&rec_path).expect("loads");
    assert!(rec.label("task_name").is_none() && rec.label("dt_ms").is_none());
    // A trials file is not a recording.
    let e = Recording::load(&trials)
        .expect_err("not a recording")
        .to_string();
    assert!(e.contains("neurodyn-trials/1"), "{e}");

    // Its own trials score without a word; other compat modes and foreign files are said.
    let o = run(bin().arg("eval").arg(&run_dir).arg("--trials").arg(&trials));
    assert!(o.status.success(), "{}", text(&o));
    assert!(!text(&o).contains("warning"), "{}", text(&o));
    let ng = d.join("neurogym.npz");
    assert!(sample(&ng, &["--compat", "neurogym"]).status.success());
    let o = run(bin().arg("eval").arg(&run_dir).arg("--trials").arg(&ng));
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("warning") && text(&o).contains("compat = \"neurogym\""),
        "{}",
        text(&o)
    );
    let bare = edited(&trials, &d.join("bare.npz"), |z| {
        z.arrays
            .retain(|(n, _)| !neurodyn_core::DESCRIBING_ARRAYS.contains(&n.as_str()))
    });
    let o = run(bin().arg("eval").arg(&run_dir).arg("--trials").arg(&bare));
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("does not say its task"), "{}", text(&o));
    // Per-condition accuracy from the file's labels.
    assert!(text(&o).contains("by ground_truth"), "{}", text(&o));

    // Strict trial files: the trial and step at fault are named.
    let frac = edited(&trials, &d.join("frac.npz"), |z| {
        set(z, "targets", |v| v[t + 2] = 1.7)
    });
    refused(
        &run(bin().arg("eval").arg(&run_dir).arg("--trials").arg(&frac)),
        &["frac.npz", "1.7", "trial 1, step 2", "class indices"],
    );
    let nan = edited(&trials, &d.join("nan.npz"), |z| {
        set(z, "targets", |v| v[3] = f64::NAN)
    });
    refused(
        &run(bin().arg("eval").arg(&run_dir).arg("--trials").arg(&nan)),
        &["NaN", "trial 0, step 3"],
    );
    let unmasked = edited(&trials, &d.join("unmasked.npz"), |z| {
        set(z, "mask", |v| {
            v[2 * t..3 * t].iter_mut().for_each(|m| *m = 0.0)
        })
    });
    refused(
        &run(bin()
            .arg("eval")
            .arg(&run_dir)
            .arg("--trials")
            .arg(&unmasked)),
        &["trial 2", "mask 0 at every step"],
    );
    let dt = d.join("dt20.npz");
    let o = run(bin()
        .args([
            "tasks",
            "sample",
            "PerceptualDecisionMaking",
            "--n",
            "2",
            "--dt",
            "20",
        ])
        .arg("--out")
        .arg(&dt));
    assert!(o.status.success(), "{}", text(&o));
    refused(
        &run(bin().arg("eval").arg(&run_dir).arg("--trials").arg(&dt)),
        &["dt = 20 ms", "--dt 100"],
    );
    refused(
        &run(bin().arg("eval").arg(&run_dir).arg("--trials").arg(&d)),
        &["is a directory"],
    );
    // Too many trials for the memory: a message, not an abort.
    refused(
        &run(bin().arg("eval").arg(&run_dir).args(["--n", "2000000000"])),
        &["needs about", "available", "--n"],
    );
    for (analysis, option) in [
        ("fixed-points", "--n-starts"),
        ("psychometric", "--n"),
        ("decoding", "--shuffles"),
    ] {
        refused(
            &run(bin()
                .arg("analyze")
                .arg(&run_dir)
                .args([analysis, option, "4000000000"])),
            &["needs about", option],
        );
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn outputs_are_never_silently_replaced() {
    let d = tmp("outputs");
    let out = d.join("t.npz");
    assert!(sample(&out, &[]).status.success());
    let before = std::fs::read(&out).expect("first");
    refused(
        &sample(&out, &["--seed", "5"]),
        &["t.npz", "exists", "--force"],
    );
    assert_eq!(std::fs::read(&out).expect("kept"), before);
    let o = sample(&out, &["--seed", "5", "--force"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_ne!(std::fs::read(&out).expect("replaced"), before);
    refused(&sample(&d, &[]), &["is a directory"]);
    // Negative numbers reach the option's own check.
    let o = sample(&d.join("neg.npz"), &["--seed", "-2"]);
    refused(&o, &["-2"]);
    assert!(!text(&o).contains("unexpected argument"), "{}", text(&o));
    let o = run(bin()
        .args(["tasks", "sample", "GoNogo", "--dt", "-5", "--out"])
        .arg(d.join("neg.npz")));
    refused(&o, &["-5"]);
    assert!(!text(&o).contains("unexpected argument"), "{}", text(&o));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_run_directory_is_claimed_once_and_another_runs_files_need_force() {
    let d = tmp("claim");
    let cfg = d.join("tiny.toml");
    std::fs::write(&cfg, TINY).expect("config");
    let train = |out: &Path, extra: &[&str]| {
        let mut c = bin();
        c.arg("train")
            .arg(&cfg)
            .arg("--out")
            .arg(out)
            .arg("--quiet")
            .args(extra);
        c
    };
    // Another run's files without its config.toml: refused, untouched; --force replaces them
    // and keeps files that are no run's.
    let other = d.join("other");
    std::fs::create_dir_all(other.join("figures")).expect("dir");
    std::fs::write(other.join("model.safetensors"), b"someone's weights").expect("w");
    std::fs::write(other.join("notes.md"), b"mine").expect("w");
    refused(
        &run(&mut train(&other, &[])),
        &["model.safetensors", "figures", "--force"],
    );
    assert_eq!(
        std::fs::read(other.join("model.safetensors")).expect("kept"),
        b"someone's weights"
    );
    let o = run(&mut train(&other, &["--force"]));
    assert!(o.status.success(), "{}", text(&o));
    assert!(other.join("notes.md").exists() && other.join("eval.json").exists());
    assert!(
        !other.join("running.lock").exists(),
        "the claim is released"
    );
    // eval --json never replaces a file unless --force.
    let j = d.join("acc.json");
    std::fs::write(&j, b"{}").expect("w");
    let o = run(bin()
        .arg("eval")
        .arg(&other)
        .args(["--n", "20", "--json"])
        .arg(&j));
    refused(&o, &["acc.json", "exists", "--force"]);
    let o = run(bin()
        .arg("eval")
        .arg(&other)
        .args(["--n", "20", "--force", "--json"])
        .arg(&j));
    assert!(o.status.success(), "{}", text(&o));
    assert!(std::fs::read_to_string(&j)
        .expect("json")
        .contains("accuracy"));

    // Two trainers started together into one directory: one trains, the other is refused.
    let both = d.join("both");
    let (mut a, mut b) = (train(&both, &[]), train(&both, &[]));
    let (ca, cb) = (
        a.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("a"),
        b.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("b"),
    );
    let (oa, ob) = (
        ca.wait_with_output().expect("a"),
        cb.wait_with_output().expect("b"),
    );
    let ok = [&oa, &ob].iter().filter(|o| o.status.success()).count();
    assert_eq!(ok, 1, "exactly one trains:\n{}\n{}", text(&oa), text(&ob));
    let loser = if oa.status.success() { &ob } else { &oa };
    let msg = text(loser);
    assert!(
        msg.contains("is being trained by") || msg.contains("already holds a run"),
        "{msg}"
    );
    assert!(
        !msg.contains("panicked") && !msg.contains("No such file"),
        "{msg}"
    );
    let metrics = std::fs::read_to_string(both.join("metrics.csv")).expect("metrics");
    assert_eq!(metrics.lines().count(), 21, "one trainer's rows only");
    let _ = std::fs::remove_dir_all(&d);
}
