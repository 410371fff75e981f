//! End to end, through the binary: a sweep plans, runs on a local pool and collects; the same
//! sweep's Slurm job-array script (checked with `bash -n`) executed locally index by index gives
//! the same results; an analysis runs across the sweep; bad sweeps fail naming the key.

use std::path::Path;
use std::process::Command;

mod common;
use common::{bin, json, text, tmp};

fn ok(cmd: &mut Command) -> String {
    let o = cmd.output().expect("run neurodyn");
    let t = text(&o);
    assert!(o.status.success(), "{cmd:?} failed:\n{t}");
    t
}

const SWEEP: &str = r#"
name = "cli test"
seeds = [0, 1]

[base]
task.name = "PerceptualDecisionMaking"
task.dt_ms = 100
model.n_rec = 12
train.steps = 30
train.batch_size = 8
eval.n_trials = 60
eval.n_record = 20

[grid]
"model.kind" = ["ctrnn", "gru"]
"#;

/// `results.csv` without the columns that depend on wall time: train_seconds, and
/// health_warnings (one of the checks is the drift of the step time, which load changes).
fn results_without_times(dir: &Path) -> Vec<String> {
    let csv = std::fs::read_to_string(dir.join("results.csv")).expect("results.csv");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let timed: Vec<usize> = ["train_seconds", "health_warnings"]
        .iter()
        .map(|c| header.iter().position(|h| h == c).expect("column"))
        .collect();
    let header: Vec<&str> = header
        .iter()
        .enumerate()
        .filter(|(i, _)| !timed.contains(i))
        .map(|(_, h)| *h)
        .collect();
    std::iter::once(header.join(","))
        .chain(lines.map(|l| {
            l.split(',')
                .enumerate()
                .filter(|(i, _)| !timed.contains(i))
                .map(|(_, c)| c)
                .collect::<Vec<_>>()
                .join(",")
        }))
        .collect()
}

#[test]
fn a_sweep_runs_on_a_pool_and_as_a_slurm_array_with_the_same_results() {
    let root = tmp("pool");
    let file = root.join("sweep.toml");
    std::fs::write(&file, SWEEP).expect("write");
    let (a, b) = (root.join("a"), root.join("b"));

    let t = ok(bin()
        .args(["sweep", "plan"])
        .arg(&file)
        .arg("--out")
        .arg(&a));
    assert!(t.contains("planned 4 runs"), "{t}");
    let t = ok(bin().args(["sweep", "run"]).arg(&a).args(["--jobs", "2"]));
    assert!(t.contains("4 of 4 runs trained"), "{t}");
    assert!(
        t.contains("runs/0003 (model.kind=gru seed=1): accuracy"),
        "{t}"
    );
    let t = ok(bin().args(["sweep", "run"]).arg(&a));
    assert!(t.contains("nothing to train"), "{t}");
    let t = ok(bin().args(["sweep", "collect"]).arg(&a));
    assert!(t.contains("4 of 4 runs finished"), "{t}");
    for f in [
        "results.json",
        "figures/sweep_accuracy.png",
        "figures/sweep_learning.svg",
    ] {
        assert!(a.join(f).exists(), "{f} missing");
    }
    // Another metric against the swept keys; an unknown one names the choices.
    ok(bin()
        .args(["sweep", "collect"])
        .arg(&a)
        .args(["--metric", "final-loss"]));
    let svg = std::fs::read_to_string(a.join("figures/sweep_final_loss.svg")).expect("figure");
    assert!(svg.contains("final loss vs"), "the panel names its metric");
    let o = bin()
        .args(["sweep", "collect"])
        .arg(&a)
        .args(["--metric", "nope"])
        .output()
        .expect("run");
    assert!(
        !o.status.success() && text(&o).contains("strict-accuracy"),
        "{}",
        text(&o)
    );

    // The same sweep as a Slurm job array, run here task by task.
    ok(bin()
        .args(["sweep", "plan"])
        .arg(&file)
        .arg("--out")
        .arg(&b));
    let t = ok(bin().args(["sweep", "slurm"]).arg(&b).args([
        "--time",
        "00:10:00",
        "--mem",
        "1G",
        "--max-parallel",
        "2",
    ]));
    assert!(t.contains("--array=0-3%2"), "{t}");
    let script = b.join("slurm.sh");
    let body = std::fs::read_to_string(&script).expect("slurm.sh");
    assert!(body.contains("#SBATCH --time=00:10:00") && body.contains("#SBATCH --mem=1G"));
    ok(Command::new("bash").arg("-n").arg(&script));
    // Without the array variable the script refuses to run.
    let o = Command::new("bash").arg(&script).output().expect("bash");
    assert!(
        !o.status.success() && text(&o).contains("SLURM_ARRAY_TASK_ID"),
        "{}",
        text(&o)
    );
    for i in [2, 0, 3] {
        ok(Command::new("bash")
            .arg(&script)
            .env("SLURM_ARRAY_TASK_ID", i.to_string()));
    }
    // A resubmission after "failures" covers only the unfinished run, and then there is none.
    let t = ok(bin().args(["sweep", "slurm"]).arg(&b));
    assert!(t.contains("for 1 of 4 runs (--array=1)"), "{t}");
    ok(Command::new("bash")
        .arg(&script)
        .env("SLURM_ARRAY_TASK_ID", "1"));
    let t = ok(Command::new("bash")
        .arg(&script)
        .env("SLURM_ARRAY_TASK_ID", "1"));
    assert!(t.contains("already finished"), "{t}");
    let t = ok(bin().args(["sweep", "slurm"]).arg(&b));
    assert!(t.contains("nothing to submit"), "{t}");
    ok(bin().args(["sweep", "collect"]).arg(&b));
    assert_eq!(results_without_times(&a), results_without_times(&b));
    for i in 0..4 {
        let f = |d: &Path| {
            std::fs::read(d.join(format!("runs/000{i}/model.safetensors"))).expect("model")
        };
        assert_eq!(f(&a), f(&b), "run {i}: the weights differ");
    }

    // An analysis across the sweep: one row per run.
    let t = ok(bin().args(["sweep", "analyze"]).arg(&a).arg("activity"));
    assert!(t.contains("4 runs analysed"), "{t}");
    let csv = std::fs::read_to_string(a.join("analysis/activity.csv")).expect("activity.csv");
    assert_eq!(csv.lines().count(), 5, "{csv}");
    assert!(csv.starts_with("index,dir,model.kind,seed,"), "{csv}");
    assert!(a.join("runs/0001/analysis/activity.json").exists());
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn bad_sweeps_and_directories_fail_naming_the_problem() {
    let root = tmp("bad");
    let file = root.join("bad.toml");
    std::fs::write(&file, SWEEP.replace("\"model.kind\"", "\"model.kindd\"")).expect("write");
    let o = bin()
        .args(["sweep", "plan"])
        .arg(&file)
        .arg("--out")
        .arg(root.join("x"))
        .output()
        .expect("run");
    assert!(!o.status.success());
    assert!(text(&o).contains("model.kindd"), "{}", text(&o));
    assert!(!root.join("x").exists(), "nothing written for a bad sweep");

    let o = bin()
        .args(["sweep", "run"])
        .arg(&root)
        .output()
        .expect("run");
    assert!(!o.status.success());
    assert!(text(&o).contains("not a planned sweep"), "{}", text(&o));

    std::fs::write(&file, SWEEP).expect("write");
    let d = root.join("d");
    ok(bin()
        .args(["sweep", "plan"])
        .arg(&file)
        .arg("--out")
        .arg(&d));
    let o = bin()
        .args(["sweep", "run-one"])
        .arg(&d)
        .args(["--index", "9"])
        .output()
        .expect("run");
    assert!(!o.status.success());
    assert!(text(&o).contains("runs 0 to 3"), "{}", text(&o));
    std::fs::write(&file, SWEEP.replace("seeds = [0, 1]", "seeds = [0, 1, 2]")).expect("write");
    let o = bin()
        .args(["sweep", "plan"])
        .arg(&file)
        .arg("--out")
        .arg(&d)
        .output()
        .expect("run");
    assert!(!o.status.success());
    assert!(text(&o).contains("another sweep"), "{}", text(&o));
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn reproduce_seed_001_quick_writes_its_claims_table_and_figures() {
    let root = tmp("reproduce");
    let out = root.join("seed-001");
    let t = ok(bin()
        .args(["reproduce", "seed-001", "--quick", "--jobs", "2", "--out"])
        .arg(&out));
    assert!(t.contains("claims hold"), "{t}");
    let repro = json(&out.join("reproduction.json"));
    assert_eq!(repro["runs"], 24);
    assert_eq!(repro["finished"], 24);
    let claims = repro["claims"].as_array().expect("claims");
    assert_eq!(claims.len(), 8);
    for c in claims {
        // Every claim is tested on the quick sweep (none left untested) and says what it found.
        assert!(
            matches!(c["verdict"].as_str(), Some("holds" | "differs")),
            "{c}"
        );
        assert!(!c["ours"].as_str().unwrap_or("–").starts_with('–'), "{c}");
    }
    let md = std::fs::read_to_string(out.join("reproduction.md")).expect("md");
    assert!(md.contains("| claim | seed | ours"), "{md}");
    for f in [
        "sweep_accuracy",
        "sweep_learning",
        "seed001_selectivity",
        "seed001_max_rates",
        "seed001_step_selectivity",
        "seed001_most_selective",
        "seed001_cdm_selectivity",
        "seed001_cdm_step_selectivity",
        "seed001_cdm_most_selective",
        "seed001_cdm_max_rates",
    ] {
        assert!(out.join(format!("figures/{f}.png")).exists(), "{f}");
    }
    // Figs. 6 and 11 come from the runs themselves, linked from the table.
    for f in [
        "runs/0000/figures/example_trials.png",
        "runs/0000/figures/pca_2d.png",
    ] {
        assert!(out.join(f).exists() && md.contains(f), "{f}");
    }
    // Again: nothing to train, the same table.
    let t = ok(bin()
        .args(["reproduce", "seed-001", "--quick", "--out"])
        .arg(&out));
    assert!(
        t.contains("continues: 24 runs") && t.contains("nothing to train"),
        "{t}"
    );
    let again = std::fs::read_to_string(out.join("reproduction.md")).expect("md");
    assert_eq!(md, again);
    let o = bin().args(["reproduce", "seed-009"]).output().expect("run");
    assert!(
        !o.status.success()
            && text(&o).contains("available: seed-000, seed-001, seed-002, seed-003"),
        "{}",
        text(&o)
    );
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn reproduce_seed_002_quick_compares_the_conv_ctrnn_with_the_cnn_under_noise() {
    let root = tmp("reproduce2");
    let out = root.join("seed-002");
    ok(bin()
        .args(["reproduce", "seed-002", "--quick", "--jobs", "2", "--out"])
        .arg(&out));
    let repro = json(&out.join("reproduction.json"));
    let claims = repro["claims"].as_array().expect("claims");
    let ids: Vec<&str> = claims.iter().filter_map(|c| c["id"].as_str()).collect();
    assert_eq!(
        ids,
        [
            "comparable-accuracy",
            "noise-robust-static",
            "noise-robust-dynamic",
            "iterative-spectra",
            "stable-rest",
            "multi-area-task"
        ]
    );
    // The multi-area claim trained DelayMatchDigit behind the conv-ctrnn and on pixels.
    for d in ["multi_area/s0-conv-ctrnn", "multi_area/s0-pixels"] {
        assert!(out.join(d).join("eval.json").is_file(), "{d}");
    }
    assert!(out.join("runs/0001/front_end/pool.npz").is_file());
    for c in claims {
        assert!(
            matches!(c["verdict"].as_str(), Some("holds" | "differs")),
            "{c}"
        );
    }
    // The conv-ctrnn (run 1) was scored beside the CNN of its seed (run 0).
    let noise = json(&out.join("runs/0001/analysis/noise_robustness.json"));
    assert_eq!(noise["model"], "conv-ctrnn");
    assert_eq!(noise["compare"]["model"], "cnn");
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn reproduce_seed_003_quick_tests_each_worked_example_with_its_analysis() {
    let root = tmp("reproduce3");
    let out = root.join("seed-003");
    ok(bin()
        .args(["reproduce", "seed-003", "--quick", "--out"])
        .arg(&out));
    let repro = json(&out.join("reproduction.json"));
    let ids: Vec<&str> = repro["claims"]
        .as_array()
        .expect("claims")
        .iter()
        .map(|c| {
            assert!(
                matches!(c["verdict"].as_str(), Some("holds" | "differs")),
                "{c}"
            );
            c["id"].as_str().unwrap_or_default()
        })
        .collect();
    assert_eq!(
        ids,
        [
            "flipflop-8-fixed-points",
            "delay-comparison-line-attractor",
            "dmc-category-in-delay",
            "dale-learns",
            "task-variance-clusters",
            "force-pattern",
            "stp-synaptic-trace",
            "stp-persistent-activity"
        ]
    );
    // The FORCE network ran on alone, drawn against its target.
    assert!(out.join("runs/0005/figures/force_free_run.png").exists());
    // The analyses behind the claims wrote their files into the runs.
    for f in [
        "runs/0000/analysis/fixed_points.json",
        "runs/0002/analysis/decoding.json",
        "runs/0003/analysis/connectivity.json",
        "runs/0004/analysis/task_variance.json",
    ] {
        assert!(out.join(f).exists(), "{f}");
    }
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_vision_sweep_plans_runs_and_collects() {
    let root = tmp("vision");
    let file = root.join("cnn.toml");
    std::fs::write(
        &file,
        "seeds = [0, 1]\n[base]\ntask.name = \"Mnist\"\nmodel.kind = \"mlp\"\ntrain.epochs = 1\n\
         train.max_train_images = 200\neval.n_record = 10\n",
    )
    .expect("write");
    let d = root.join("s");
    ok(bin()
        .args(["sweep", "plan"])
        .arg(&file)
        .arg("--out")
        .arg(&d));
    let t = ok(bin().args(["sweep", "run"]).arg(&d).args(["--jobs", "2"]));
    assert!(t.contains("2 of 2 runs trained"), "{t}");
    ok(bin().args(["sweep", "collect"]).arg(&d));
    let csv = std::fs::read_to_string(d.join("results.csv")).expect("csv");
    let row: Vec<&str> = csv.lines().nth(1).expect("row").split(',').collect();
    assert_eq!(&row[..4], ["0", "runs/0000", "finished", "0"], "{csv}");
    assert!(row[4].parse::<f64>().is_ok_and(|a| a > 0.2), "{csv}");
    assert!(
        row[8].parse::<f64>().is_ok_and(|l| l > 0.0),
        "the loss column: {csv}"
    );
    assert!(d.join("figures/sweep_learning.png").exists());
    let t = ok(bin().args(["sweep", "analyze"]).arg(&d).arg("rdm"));
    assert!(t.contains("2 runs analysed"), "{t}");
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn reproduce_seed_000_quick_tests_its_ctrnn_and_cnn_experiments() {
    let root = tmp("reproduce0");
    let out = root.join("seed-000");
    ok(bin()
        .args(["reproduce", "seed-000", "--quick", "--out"])
        .arg(&out));
    let repro = json(&out.join("reproduction.json"));
    let verdicts: Vec<(&str, &str)> = repro["claims"]
        .as_array()
        .expect("claims")
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap_or(""),
                c["verdict"].as_str().unwrap_or(""),
            )
        })
        .collect();
    let tested = |id: &str| {
        verdicts
            .iter()
            .any(|(i, v)| *i == id && matches!(*v, "holds" | "differs"))
    };
    for id in [
        "rnn-learns-with-mi-loss",
        "rnn-activity-settles",
        "rnn-pca-low-dimensional",
        "rnn-line-attractor",
        "rdm-category-rises",
        "layer3-decoding",
        "layer-predictivity",
        "poisson-encoding",
        "rotation-tuning",
        "actmax",
        "dprime-1-vs-7",
    ] {
        assert!(tested(id), "{id} untested: {verdicts:?}");
    }
    for f in ["rdm", "encoding", "tuning"] {
        assert!(
            out.join(format!("runs/0000/analysis/{f}.json")).exists(),
            "{f}"
        );
    }
    // The CTRNN (run 1) trained with the mutual-information loss, then its experiments 1-2.
    let cfg = std::fs::read_to_string(out.join("runs/0001/config.toml")).expect("config");
    assert!(cfg.contains("mutual-information"), "{cfg}");
    for f in ["activity", "pca", "fixed_points"] {
        assert!(
            out.join(format!("runs/0001/analysis/{f}.json")).exists(),
            "{f}"
        );
    }
    let _ = std::fs::remove_dir_all(&root);
}
