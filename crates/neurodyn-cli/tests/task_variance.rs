//! End to end: train a tiny multi-task run (`A+B+C`) through the binary, then
//! `analyze RUN task-variance`: numbers, arrays, figures, and a clear error on a one-task run.

use std::path::Path;

mod common;
use common::{bin, text};

fn train(dir: &Path, name: &str, task: &str) -> std::path::PathBuf {
    let cfg = dir.join(format!("{name}.toml"));
    let toml = format!(
        "seed = 3\n[task]\nname = \"{task}\"\ndt_ms = 100\n[model]\nn_rec = 16\n\
         [train]\nsteps = 150\nbatch_size = 16\n[eval]\nn_trials = 100\nn_record = 30\n"
    );
    std::fs::write(&cfg, toml).expect("write config");
    let run = dir.join(name);
    let o = bin()
        .arg("train")
        .arg(&cfg)
        .arg("--out")
        .arg(&run)
        .arg("--quiet")
        .output()
        .expect("run neurodyn");
    assert!(o.status.success(), "{}", text(&o));
    run
}

#[test]
fn task_variance_clusters_units_and_lesions_each_cluster() {
    let d = std::env::temp_dir().join(format!("neurodyn-tv-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    let run = train(&d, "multi", "Yang19Go+Yang19Anti+Yang19Dm1");
    let o = bin()
        .arg("analyze")
        .arg(&run)
        .args(["task-variance", "--n", "40"])
        .output()
        .expect("analyze");
    assert!(o.status.success(), "{}", text(&o));
    let p = run.join("analysis/task_variance.json");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&p).expect("json")).expect("valid JSON");
    assert_eq!(v["tasks"].as_array().map(Vec::len), Some(3));
    let variance = v["result"]["variance"].as_array().expect("variance");
    assert_eq!(variance.len(), 16 * 3, "(unit, task) variances");
    assert!(variance
        .iter()
        .all(|x| x.as_f64().is_some_and(|x| x >= 0.0)));
    let k = v["result"]["k"].as_u64().expect("k") as usize;
    let kept = v["result"]["kept_units"].as_array().expect("kept").len();
    assert_eq!(v["result"]["labels"].as_array().map(Vec::len), Some(kept));
    let lesion = v["lesion"].as_array().expect("lesion rows");
    assert_eq!(lesion.len(), k + 1, "intact + one row per cluster");
    assert_eq!(lesion[0]["variant"], "intact");
    for row in lesion {
        let acc = row["accuracy"].as_array().expect("accuracy per task");
        assert_eq!(acc.len(), 3);
        assert!(acc
            .iter()
            .all(|a| a.as_f64().is_some_and(|a| (0.0..=1.0).contains(&a))));
    }
    assert!(run.join("analysis/task_variance.npz").exists());
    for s in ["task_variance", "task_variance_lesion"] {
        for ext in ["png", "svg"] {
            let f = run.join(format!("figures/{s}.{ext}"));
            assert!(
                std::fs::metadata(&f).map(|m| m.len()).unwrap_or(0) > 1000,
                "{}",
                f.display()
            );
        }
    }

    // A one-task run: a clear error, non-zero exit, no panic.
    let single = train(&d, "single", "Yang19Go");
    let o = bin()
        .arg("analyze")
        .arg(&single)
        .arg("task-variance")
        .output()
        .expect("analyze");
    assert!(!o.status.success());
    let t = text(&o);
    assert!(
        t.contains("several tasks") && !t.contains("panicked"),
        "{t}"
    );
    let _ = std::fs::remove_dir_all(&d);
}
