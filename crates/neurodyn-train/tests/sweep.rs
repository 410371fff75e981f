//! Sweeps: a grid plans into resolved configs in a fixed order, bad grids are refused naming the
//! key and value, runs on a pool finish, and an interrupted run resumes bit-identically.

use neurodyn_train::sweep::{self, RunStatus, SweepSpec};
use neurodyn_train::RunConfig;
use std::path::{Path, PathBuf};

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("neurodyn-sweep-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// A small, quick study: 2 model kinds × 2 activity penalties × 2 seeds.
const SWEEP: &str = r#"
name = "tiny"
seeds = { start = 4, count = 2 }

[base]
task.name = "GoNogo"
model.n_rec = 12
train.steps = 20
train.batch_size = 8
train.checkpoint_every = 5
eval.n_trials = 40
eval.n_record = 8

[grid]
"model.kind" = ["ctrnn", "gru"]
"train.regularizers[0].weight" = [0.0, 1e-3]
"#;

fn spec(text: &str) -> Result<SweepSpec, String> {
    SweepSpec::from_toml(text, Path::new("sweep.toml")).map_err(|e| e.to_string())
}

#[test]
fn a_grid_plans_every_combination_in_order_over_the_recipe() {
    let s = spec(SWEEP).expect("spec");
    assert_eq!(
        s.keys(),
        ["model.kind", "train.regularizers[0].weight", "seed"]
    );
    let runs = s.plan().expect("plan");
    assert_eq!(runs.len(), 8);
    let row = |i: usize| -> (String, f64, u64) {
        let c: &RunConfig = runs[i].config.recurrent().expect("a recurrent run");
        (
            c.model.kind.to_string(),
            c.train.regularizers[0].weight(),
            c.seed,
        )
    };
    assert_eq!(row(0), ("ctrnn".into(), 0.0, 4));
    assert_eq!(row(1), ("ctrnn".into(), 0.0, 5));
    assert_eq!(row(2), ("ctrnn".into(), 1e-3, 4));
    assert_eq!(row(7), ("gru".into(), 1e-3, 5));
    // The recipe's keys the base leaves out are kept: its activity penalty's kind, its lr.
    let recipe = neurodyn_train::recipes::recipe("GoNogo", 0);
    for r in runs
        .iter()
        .map(|r| r.config.recurrent().expect("recurrent"))
    {
        assert_eq!(r.train.regularizers.len(), recipe.train.regularizers.len());
        assert_eq!(r.train.lr, recipe.train.lr);
        assert_eq!(r.train.steps, 20);
        assert_eq!(r.model.n_rec, 12);
    }
    let m = s.manifest(&runs);
    assert_eq!(m.runs[7].dir, "runs/0007");
    assert_eq!(
        m.runs[3].label(&m.keys),
        "model.kind=ctrnn train.regularizers[0].weight=0.001 seed=5"
    );
}

#[test]
fn zipped_keys_go_together_and_cross_the_grid() {
    let text = r#"
[base]
task.name = "GoNogo"
[grid]
"model.n_rec" = [8, 16]
[zip]
"train.lr" = [0.01, 0.003]
"train.steps" = [10, 30]
"#;
    let runs = spec(text).expect("spec").plan().expect("plan");
    let got: Vec<(usize, f64, u64)> = runs
        .iter()
        .map(|r| r.config.recurrent().expect("recurrent"))
        .map(|c| (c.model.n_rec, c.train.lr, c.train.steps))
        .collect();
    assert_eq!(
        got,
        [
            (8, 0.01, 10),
            (8, 0.003, 30),
            (16, 0.01, 10),
            (16, 0.003, 30)
        ]
    );
}

#[test]
fn bad_sweeps_are_refused_naming_the_key_and_value() {
    let cases = [
        ("[grid]\n\"model.knd\" = [\"gru\"]\n", "model.knd"),
        (
            "[grid]\n\"model.kind\" = [\"gru\", \"grux\"]\n",
            "model.kind` = \"grux\"",
        ),
        (
            "[grid]\n\"train.regularizers[3].weight\" = [0.0]\n",
            "has 1 entry",
        ),
        ("[grid]\n\"train.lr\" = 0.1\n", "expected a list"),
        ("[grid]\n\"train.lr\" = []\n", "empty"),
        ("[zip]\na = [1, 2]\nb = [1]\n", "as many each"),
        ("seeds = [1, 1]\n", "twice"),
        ("seeds = { start = 0 }\n", "count"),
        ("sedes = [1]\n", "unknown key `sedes`"),
        ("seeds = [0]\n[grid]\nseed = [1]\n", "keep one"),
        ("[grid]\n\"train.batch_size\" = [0]\n", "train.batch_size"),
    ];
    for (text, needle) in cases {
        let full = format!("{text}\n[base]\ntask.name = \"GoNogo\"\n");
        let text = if text.starts_with("[base]") {
            text.to_string()
        } else {
            full
        };
        let e = match spec(&text) {
            Err(e) => e,
            Ok(s) => match s.plan() {
                Err(e) => e.to_string(),
                Ok(r) => panic!("accepted {text:?}: {} runs", r.len()),
            },
        };
        assert!(
            e.contains(needle),
            "{text:?} gave {e:?}, expected it to name {needle:?}"
        );
    }
}

#[test]
fn runs_finish_on_a_pool_and_an_interrupted_run_resumes_bit_identically() {
    let text = SWEEP.replace(
        "\"model.kind\" = [\"ctrnn\", \"gru\"]",
        "\"model.kind\" = [\"ctrnn\"]",
    );
    let s = spec(&text).expect("spec");
    let (a, b) = (tmp("a"), tmp("b"));
    let (m, fresh) = sweep::write_plan(&a, &text, &s).expect("plan a");
    assert!(fresh);
    assert_eq!(m.runs.len(), 4);
    // Planning again is harmless; planning another sweep there is refused.
    assert!(!sweep::write_plan(&a, &text, &s).expect("again").1);
    let other = spec(&text.replace("train.steps = 20", "train.steps = 21")).expect("other");
    assert!(sweep::write_plan(&a, &text, &other).is_err());

    // Sweep a: everything on a pool of two.
    let mut finished = 0;
    let failed = sweep::run_many(&a, &m, 2, |e| {
        if matches!(e.kind, sweep::EventKind::Finished { .. }) {
            finished += 1;
        }
    });
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(finished, 4);
    assert!(m
        .runs
        .iter()
        .all(|r| sweep::status(&a, r) == RunStatus::Finished));

    // Sweep b: run 2 is interrupted at step 12 (its checkpoint is from step 10), then resumed.
    sweep::write_plan(&b, &text, &s).expect("plan b");
    let cut = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        sweep::run_one(&b, 2, |step, _| assert!(step < 12, "interrupted"))
    }));
    assert!(cut.is_err(), "the run was interrupted");
    assert_eq!(
        sweep::status(&b, &m.runs[2]),
        RunStatus::Started { step: Some(10) }
    );
    let resumed = sweep::run_one(&b, 2, |_, _| {}).expect("resume");
    assert!(resumed.is_some());
    assert!(
        sweep::run_one(&b, 2, |_, _| {}).expect("again").is_none(),
        "finished: skipped"
    );
    let file = |d: &Path, f: &str| std::fs::read(d.join("runs/0002").join(f)).expect(f);
    assert_eq!(file(&a, "model.safetensors"), file(&b, "model.safetensors"));
    assert_eq!(file(&a, "recording.npz"), file(&b, "recording.npz"));
    let metrics = |d: &Path| -> Vec<String> {
        String::from_utf8(file(d, "metrics.csv"))
            .expect("utf8")
            .lines()
            .map(|l| {
                l.rsplit_once(',')
                    .map_or(l, |(head, _wall)| head)
                    .to_string()
            })
            .collect()
    };
    assert_eq!(metrics(&a), metrics(&b));

    // The results table: one row per run, swept values and metrics.
    let rows = sweep::collect(&b, &m).expect("collect");
    assert_eq!(rows.iter().filter(|r| r.status == "finished").count(), 1);
    assert_eq!(rows[0].status, "pending");
    let rows = sweep::collect(&a, &m).expect("collect a");
    assert!(rows
        .iter()
        .all(|r| r.accuracy.is_some() && r.steps == Some(20)));
    let files = sweep::write_results(&a, &m, &rows).expect("write");
    let csv = std::fs::read_to_string(&files[0]).expect("csv");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "index,dir,status,model.kind,train.regularizers[0].weight,seed,accuracy,\
             strict_accuracy,steps,train_seconds,final_loss,health_warnings,error"
        )
    );
    assert!(lines
        .next()
        .is_some_and(|l| l.starts_with("0,runs/0000,finished,ctrnn,0.0,4,")));
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}

#[test]
fn a_failed_run_is_marked_and_named_and_the_others_go_on() {
    let text = SWEEP.replace("[grid]", "[grid]\n\"train.lr\" = [1e30]");
    let s = spec(&text).expect("spec");
    let d = tmp("fail");
    let (m, _) = sweep::write_plan(&d, &text, &s).expect("plan");
    // Run only two of them.
    let e = sweep::run_one(&d, 0, |_, _| {}).expect_err("diverges");
    assert!(e.to_string().contains("non-finite"), "{e}");
    match sweep::status(&d, &m.runs[0]) {
        RunStatus::Failed(msg) => assert!(msg.contains("non-finite"), "{msg}"),
        other => panic!("{other:?}"),
    }
    let e = sweep::run_one(&d, 99, |_, _| {}).expect_err("no such run");
    assert!(e.to_string().contains("runs 0 to 7"), "{e}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn vision_runs_sweep_and_an_interrupted_one_trains_again_to_the_same_weights() {
    let text = r#"
seeds = [0, 1]
[base]
task.name = "Mnist"
model.kind = "mlp"
train.epochs = 1
train.max_train_images = 200
eval.n_record = 10
[grid]
"train.lr" = [0.001, 0.003]
"#;
    let s = spec(text).expect("spec");
    let runs = s.plan().expect("plan");
    assert_eq!(runs.len(), 4);
    assert!(runs.iter().all(|r| r.config.recurrent().is_none()));
    let (a, b) = (tmp("va"), tmp("vb"));
    let (m, _) = sweep::write_plan(&a, text, &s).expect("plan a");
    assert!(a.join("runs/0003/planned.toml").exists() && !a.join("runs/0003/config.toml").exists());
    assert!(sweep::run_many(&a, &m, 2, |_| {}).is_empty());
    let rows = sweep::collect(&a, &m).expect("collect");
    assert!(
        rows.iter().all(|r| r.accuracy.is_some_and(|x| x > 0.2)),
        "{rows:?}"
    );

    // In b, run 1 was "interrupted": it left a config, a half-written metrics file and junk.
    sweep::write_plan(&b, text, &s).expect("plan b");
    let r1 = b.join("runs/0001");
    std::fs::write(r1.join("config.toml"), "seed = 1\n").expect("write");
    std::fs::write(r1.join("metrics.csv"), "epoch,step\n1,1\n").expect("write");
    std::fs::create_dir_all(r1.join("figures")).expect("mkdir");
    assert!(matches!(
        sweep::status(&b, &m.runs[1]),
        RunStatus::Started { .. }
    ));
    let out = sweep::run_one(&b, 1, |_, _| {})
        .expect("train")
        .expect("trained");
    assert_eq!(Some(out.accuracy), rows[1].accuracy);
    let weights = |d: &Path| std::fs::read(d.join("runs/0001/model.safetensors")).expect("model");
    assert_eq!(weights(&a), weights(&b));

    // A key a vision config does not have is named.
    let bad = text.replace("\"train.lr\"", "\"train.lrr\"");
    let e = spec(&bad).expect("spec").plan().expect_err("unknown key");
    assert!(e.to_string().contains("train.lrr"), "{e}");
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}

#[test]
fn a_run_another_process_trains_is_left_alone_and_not_marked_failed() {
    let s = spec(SWEEP).expect("spec");
    let d = tmp("lock");
    let (m, _) = sweep::write_plan(&d, SWEEP, &s).expect("plan");
    let lock = d.join("runs/0000").join(sweep::lock::LOCK);
    std::fs::write(&lock, "another-node 4242\n").expect("lock");
    assert_eq!(
        sweep::status(&d, &m.runs[0]),
        RunStatus::Running("another-node 4242".into())
    );
    let e = sweep::run_one(&d, 0, |_, _| {}).expect_err("held elsewhere");
    assert!(
        e.to_string()
            .contains("is being trained by another-node 4242"),
        "{e}"
    );
    assert!(!d.join("runs/0000/failed.txt").exists());
    assert!(
        !d.join("runs/0000/metrics.csv").exists(),
        "nothing was touched"
    );
    // Once released, it trains; the lock is gone afterwards.
    std::fs::remove_file(&lock).expect("unlock");
    sweep::run_one(&d, 0, |_, _| {}).expect("train");
    assert!(!lock.exists());
    assert_eq!(sweep::status(&d, &m.runs[0]), RunStatus::Finished);
    let _ = std::fs::remove_dir_all(&d);
}
