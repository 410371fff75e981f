//! `--resume` continues the run its checkpoint holds: an edited config is refused naming each key
//! that differs; more steps (and other changes that only say how long the run goes on or how it
//! is evaluated) pass only when allowed; a run without a checkpoint starts from step 0.

use neurodyn_train::{train_run_with, RunConfig, RunDir, Start, TrainError};
use std::path::PathBuf;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("neurodyn-resume-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn tiny() -> RunConfig {
    RunConfig::from_toml(
        "seed = 4\n[task]\nname = \"PerceptualDecisionMaking\"\ndt_ms = 100\n[model]\nn_rec = 8\n\
         [train]\nsteps = 20\nbatch_size = 4\ncheckpoint_every = 5\n[eval]\nn_trials = 20\n\
         n_record = 4\n",
    )
    .expect("config")
}

fn rows(dir: &std::path::Path) -> usize {
    std::fs::read_to_string(RunDir::new(dir).metrics())
        .expect("metrics")
        .lines()
        .count()
        - 1
}

#[test]
fn a_changed_config_is_refused_by_key_and_more_steps_only_when_allowed() {
    let d = tmp("changed");
    train_run_with(tiny(), &d, Start::New, |_| {}).expect("train");
    // Another learning rate and seed: a different run, refused even when changes are allowed.
    let mut other = tiny();
    other.train.lr = 0.02;
    other.seed = 5;
    let e = train_run_with(other, &d, Start::ResumeAllowingChanges, |_| {}).expect_err("refused");
    let msg = e.to_string();
    assert!(matches!(e, TrainError::Config { .. }), "{e:?}");
    assert!(
        msg.contains("train.lr") && msg.contains("seed (4 → 5)"),
        "{msg}"
    );
    // More steps: refused unless allowed, then trained on from the checkpoint.
    let mut longer = tiny();
    longer.train.steps = 30;
    let e = train_run_with(longer.clone(), &d, Start::Resume, |_| {}).expect_err("refused");
    assert!(e.to_string().contains("train.steps (20 → 30)"), "{e}");
    let mut first = None;
    train_run_with(longer, &d, Start::ResumeAllowingChanges, |r| {
        first.get_or_insert(r.step);
    })
    .expect("resumed");
    assert_eq!(first, Some(21), "continued after the checkpoint of step 20");
    assert_eq!(rows(&d), 30);
    // The same config resumes as before.
    let mut same = tiny();
    same.train.steps = 30;
    train_run_with(same, &d, Start::Resume, |_| {}).expect("unchanged config");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn resume_without_a_checkpoint_starts_from_step_zero() {
    let d = tmp("nockpt");
    std::fs::create_dir_all(&d).expect("dir");
    std::fs::write(RunDir::new(&d).config(), tiny().to_toml()).expect("config");
    let mut first = None;
    train_run_with(tiny(), &d, Start::Resume, |r| {
        first.get_or_insert(r.step);
    })
    .expect("trained");
    assert_eq!(first, Some(1));
    assert_eq!(rows(&d), 20);
    let _ = std::fs::remove_dir_all(&d);
}
