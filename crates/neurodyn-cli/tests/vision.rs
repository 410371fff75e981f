//! End-to-end tests of `neurodyn train` / `eval` on an image task: a short CNN run on the
//! embedded digits from `--task Mnist`, its files, `eval` recomputed from the weights, and the
//! refusals (an occupied `--out`, flags and configs that do not apply), and `--resume`. Each takes about
//! a second.

use std::path::Path;

mod common;
use common::{path, run, text, tiny_cnn, tmp};

#[test]
fn train_task_mnist_then_eval_and_the_refusals() {
    let d = tmp("train");
    let cfg = d.join("tiny.toml");
    std::fs::write(&cfg, tiny_cnn(20)).expect("write config");
    let run_dir = d.join("run");
    let o = run(&[
        "train",
        path(&cfg),
        "--task",
        "Mnist",
        "--seed",
        "2",
        "--out",
        path(&run_dir),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(out.contains("on 2000 held-out digits"), "{out}");
    assert!(
        out.contains(&format!("run directory: {}", run_dir.display())),
        "{out}"
    );
    for f in [
        "config.toml",
        "metrics.csv",
        "model.safetensors",
        "eval.json",
        "activations.npz",
    ] {
        assert!(run_dir.join(f).is_file(), "{f} missing");
    }
    let config = std::fs::read_to_string(run_dir.join("config.toml")).expect("config");
    assert!(
        config.contains("seed = 2") && config.contains("name = \"Mnist\""),
        "{config}"
    );
    let eval: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(run_dir.join("eval.json")).expect("eval.json"),
    )
    .expect("json");
    let acc = eval["accuracy"].as_f64().expect("accuracy");
    assert!(acc > 0.6, "held-out accuracy {acc} (chance 0.1)");

    // `eval` rebuilds the network from config.toml and model.safetensors.
    let json = d.join("acc.json");
    let o = run(&["eval", path(&run_dir), "--json", path(&json)]);
    assert!(o.status.success(), "{}", text(&o));
    let printed = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        printed.starts_with(&format!("accuracy {acc:.4} on 2000 held-out digits")),
        "{printed}"
    );
    // The accuracy, the per-class table, and the confusion matrix (title, header, 10 rows).
    assert_eq!(printed.lines().count(), 2 + 10 + 2 + 10, "{printed}");
    let diagonal: u64 = printed
        .lines()
        .skip(14)
        .enumerate()
        .map(|(c, l)| {
            l.split_whitespace()
                .nth(c + 1)
                .and_then(|v| v.parse::<u64>().ok())
                .expect("a count")
        })
        .sum();
    assert_eq!(diagonal as f64 / 2000.0, acc, "{printed}");
    let again: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("acc.json")).expect("json");
    assert_eq!(again["accuracy"], eval["accuracy"]);
    assert_eq!(again["confusion"], eval["confusion"]);
    // A changed weight file is what eval scores.
    let model = std::fs::read(run_dir.join("model.safetensors")).expect("model");
    std::fs::write(run_dir.join("model.safetensors"), b"not weights").expect("clobber");
    let o = run(&["eval", path(&run_dir)]);
    assert!(!o.status.success());
    assert!(text(&o).contains("model.safetensors"), "{}", text(&o));
    std::fs::write(run_dir.join("model.safetensors"), model).expect("restore");

    // Resuming a finished run continues from its last checkpoint (the end of its last epoch):
    // nothing is left to train, and the files come out the same.
    let model = std::fs::read(run_dir.join("model.safetensors")).expect("model");
    let o = run(&["train", "--resume", path(&run_dir), "--quiet"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(model == std::fs::read(run_dir.join("model.safetensors")).expect("model"));

    // Refusals: an occupied --out, flags of recurrent runs.
    let o = run(&["train", "--task", "mnist", "--out", path(&run_dir)]);
    assert!(!o.status.success());
    assert!(text(&o).contains("already holds a run"), "{}", text(&o));
    let o = run(&[
        "train",
        "--task",
        "Mnist",
        "--steps",
        "5",
        "--out",
        path(&d.join("x")),
    ]);
    assert!(!o.status.success());
    assert!(text(&o).contains("--steps"), "{}", text(&o));
    let o = run(&["analyze", path(&run_dir), "pca"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("vision run"), "{}", text(&o));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn bad_vision_configs_are_named() {
    let d = tmp("bad");
    for (body, needle) in [
        (
            "[model]\nkind = \"cnn\"\nlayers = [{ kind = \"conv2d\", out = 4, kernel = 40 }]\n",
            "model.layers[0]",
        ),
        ("[task]\nname = \"Mnist\"\n[train]\nepoch = 3\n", "epoch"),
        // A recurrent-network config asked for an image task.
        ("[task]\ndt_ms = 20\n", "recurrent-network config"),
        // Neither: the vision parser's error.
        (
            "[model]\nlayers = [{ kind = \"relu\", k = 2 }]\n",
            "unknown field `k`",
        ),
    ] {
        let cfg = d.join("bad.toml");
        std::fs::write(&cfg, body).expect("write config");
        let o = run(&[
            "train",
            path(&cfg),
            "--task",
            "Mnist",
            "--out",
            path(&d.join("run")),
            "--quiet",
        ]);
        assert!(!o.status.success(), "{body}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(needle), "{needle:?} not in: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(!d.join("run").join("config.toml").exists(), "{body}");
    }
    let _ = std::fs::remove_dir_all(&d);
}

/// An image model named without a task or config trains on the embedded digits.
#[test]
fn an_image_model_alone_means_the_embedded_digits() {
    for model in ["cnn", "mlp", "conv-ctrnn"] {
        let o = run(&["train", "--model", model, "--check"]);
        assert!(o.status.success(), "{model}: {}", text(&o));
        assert!(text(&o).contains("task Mnist"), "{model}: {}", text(&o));
    }
    let o = run(&["train", "--model", "gru", "--check"]);
    assert!(
        text(&o).contains("PerceptualDecisionMaking"),
        "{}",
        text(&o)
    );
}

/// `analyze RUN lesion --layer conv2 --units 3,5` on a vision run: the intact score is the
/// run's own; the refusals name the layers; `analyze RUN all` writes the vision report with
/// its own figures and the default lesion (each channel of the last convolution).
#[test]
fn lesion_and_report_of_a_vision_run() {
    let d = tmp("lesion");
    let cfg = d.join("tiny.toml");
    std::fs::write(&cfg, tiny_cnn(20)).expect("write config");
    let run_dir = d.join("run");
    let o = run(&[
        "train",
        path(&cfg),
        "--task",
        "Mnist",
        "--out",
        path(&run_dir),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let o = run(&[
        "analyze",
        path(&run_dir),
        "lesion",
        "--layer",
        "conv2",
        "--units",
        "3,5",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let read = |p: &Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(p).expect("read json")).expect("json")
    };
    let lesion = read(&run_dir.join("analysis/lesion.json"));
    let eval = read(&run_dir.join("eval.json"));
    assert_eq!(lesion["intact"]["accuracy"], eval["accuracy"], "{lesion}");
    assert_eq!(lesion["lesions"][0]["units"], serde_json::json!([3, 5]));
    assert_eq!(lesion["lesions"].as_array().map(Vec::len), Some(1));
    for (args, want) in [
        (vec!["--layer", "1_relu"], "conv1, conv2, fc1, fc2, fc3"),
        (vec!["--units", "3"], "--layer NAME"),
        (
            vec!["--layer", "conv2", "--units", "16"],
            "unit 16 does not exist",
        ),
    ] {
        let mut a = vec!["analyze", path(&run_dir), "lesion"];
        a.extend(args);
        let o = run(&a);
        assert!(!o.status.success(), "{a:?}");
        assert!(text(&o).contains(want), "{a:?}: {}", text(&o));
    }
    let o = run(&["analyze", path(&run_dir), "all"]);
    assert!(o.status.success(), "{}", text(&o));
    let lesion = read(&run_dir.join("analysis/lesion.json"));
    assert_eq!(lesion["layer"], "conv2");
    assert_eq!(
        lesion["lesions"].as_array().map(Vec::len),
        Some(16),
        "each channel"
    );
    let html = std::fs::read_to_string(run_dir.join("report.html")).expect("report.html");
    for h in [
        "Evaluation",
        "Training",
        "Example images",
        "First-layer filters",
        "Analyses",
    ] {
        assert!(html.contains(&format!("<h2>{h}</h2>")), "no {h} section");
    }
    assert!(html.contains("id=\"lesion\"") && html.contains("id=\"rdm\""));
    for f in [
        "confusion",
        "training_curves",
        "examples",
        "filters",
        "lesion_classes",
    ] {
        assert!(
            run_dir.join("figures").join(format!("{f}.png")).is_file(),
            "{f}.png"
        );
    }
    for bad in ["<script", "src=\"http", "<img", "class=\"fail\""] {
        assert!(!html.contains(bad), "report has {bad}");
    }
    let _ = std::fs::remove_dir_all(&d);
}
