//! End-to-end tests of `neurodyn analyze`: train a tiny PerceptualDecisionMaking run through the
//! binary once, run every analysis on it and check the JSON, npz and figures each writes, and
//! that bad labels, values, periods and units fail with a message listing what exists.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

mod common;
use common::{bin, text};

const TINY: &str = r#"
seed = 5
[task]
name = "PerceptualDecisionMaking"
dt_ms = 100
[model]
n_rec = 16
[train]
steps = 100
batch_size = 16
[eval]
n_trials = 200
n_record = 60
"#;

/// One trained run shared by the tests (trained on first use).
fn trained() -> &'static Path {
    static RUN: OnceLock<PathBuf> = OnceLock::new();
    RUN.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("neurodyn-analyze-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("temp dir");
        let cfg = d.join("cfg.toml");
        std::fs::write(&cfg, TINY).expect("write config");
        let run = d.join("run");
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
    })
}

fn analyze(args: &[&str]) -> Output {
    bin()
        .arg("analyze")
        .arg(trained())
        .args(args)
        .output()
        .expect("run neurodyn analyze")
}

fn json(name: &str) -> serde_json::Value {
    let p = trained().join("analysis").join(format!("{name}.json"));
    let t = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&t).expect("valid JSON")
}

fn assert_figures(stems: &[&str]) {
    for s in stems {
        for ext in ["png", "svg"] {
            let p = trained().join("figures").join(format!("{s}.{ext}"));
            let len = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
            assert!(len > 1000, "{} missing or empty", p.display());
        }
    }
}

fn assert_ok(o: &Output, name: &str) {
    assert!(o.status.success(), "{}", text(o));
    assert!(
        text(o).contains(&format!("analysis/{name}.json")),
        "prints where it wrote: {}",
        text(o)
    );
}

#[test]
fn activity_and_pca() {
    let o = analyze(&["activity"]);
    assert_ok(&o, "activity");
    let j = json("activity");
    assert_eq!(j["max_rate"].as_array().map(Vec::len), Some(16));
    assert!(trained().join("analysis/activity.npz").exists());
    assert_figures(&["activity", "activity_max"]);

    let o = analyze(&["pca"]);
    assert_ok(&o, "pca");
    let r = json("pca")["explained_variance_ratio"]
        .as_array()
        .cloned()
        .expect("explained_variance_ratio");
    let sum: f64 = r.iter().filter_map(|v| v.as_f64()).sum();
    assert!(sum > 0.5 && sum <= 1.0 + 1e-9, "ratios sum to {sum}");
    assert_figures(&["pca_variance", "pca_2d", "pca_3d"]);
}

#[test]
fn fixed_points_default_and_given_input() {
    let o = analyze(&["fixed-points", "--n-starts", "24"]);
    assert_ok(&o, "fixed_points");
    let j = json("fixed_points");
    let input = j["summary"]["input"].as_array().expect("input");
    assert_eq!(input.len(), 3);
    assert!(
        (input[0].as_f64().unwrap_or(0.0) - 1.0).abs() < 1e-9,
        "fixation on during the stimulus: {input:?}"
    );
    let s1 = input[1].as_f64().unwrap_or(f64::NAN);
    let s2 = input[2].as_f64().unwrap_or(f64::NAN);
    assert!(
        (s1 - s2).abs() < 0.1 && (s1 - 0.5).abs() < 0.1,
        "zero coherence: {input:?}"
    );
    for k in ["n_points", "n_converged", "marginal_abs_mu", "marked_q"] {
        assert!(!j["summary"][k].is_null(), "summary.{k}");
    }
    let p0 = &j["result"]["points"][0];
    for k in [
        "q",
        "eigenvalues",
        "stable_discrete",
        "stable_continuous",
        "marginal",
    ] {
        assert!(!p0[k].is_null(), "points[0].{k}");
    }
    assert_figures(&["fixed_points_eigenvalues", "fixed_points_pca"]);

    let o = analyze(&[
        "fixed-points",
        "--n-starts",
        "8",
        "--input-vector",
        "1,0.5,0.5",
    ]);
    assert_ok(&o, "fixed_points");
    assert_eq!(
        json("fixed_points")["summary"]["input"],
        serde_json::json!([1.0, 0.5, 0.5])
    );
    let o = analyze(&["fixed-points", "--input-vector", "1,0.5"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("3 inputs"), "{}", text(&o));
}

#[test]
fn selectivity_connectivity_psychometric() {
    let o = analyze(&[
        "selectivity",
        "--label",
        "ground_truth",
        "--a",
        "1",
        "--b",
        "2",
        "--period",
        "stimulus",
    ]);
    assert_ok(&o, "selectivity");
    let j = json("selectivity");
    assert_eq!(j["result"]["d_prime"].as_array().map(Vec::len), Some(16));
    assert_eq!(j["period"], "stimulus");
    assert_figures(&["selectivity_hist", "selectivity_units"]);

    let o = analyze(&["connectivity"]);
    assert_ok(&o, "connectivity");
    let j = json("connectivity");
    let mut order: Vec<u64> = j["order"]
        .as_array()
        .expect("order")
        .iter()
        .filter_map(|v| v.as_u64())
        .collect();
    order.sort_unstable();
    assert_eq!(
        order,
        (0..16).collect::<Vec<u64>>(),
        "the order is a permutation of the units"
    );
    assert_figures(&["connectivity"]);

    let o = analyze(&["psychometric", "--n", "200"]);
    assert_ok(&o, "psychometric");
    let j = json("psychometric");
    assert_eq!(j["evidence_label"], "signed_coherence");
    assert!(j["result"]["fit"]["s"].as_f64().is_some());
    assert_figures(&["psychometric"]);
}

#[test]
fn lesions() {
    let o = analyze(&["lesion", "--units", "0,3,5", "--n", "100"]);
    assert_ok(&o, "lesion");
    let j = json("lesion");
    assert!(j["intact"]["accuracy"].as_f64().is_some());
    assert_eq!(j["lesions"][0]["units"], serde_json::json!([0, 3, 5]));
    assert_figures(&["lesion"]);

    // Silencing every unit leaves the readout with its bias only: accuracy falls to a constant choice.
    let all: Vec<String> = (0..16).map(|u| u.to_string()).collect();
    let o = analyze(&["lesion", "--units", &all.join(","), "--n", "100"]);
    assert_ok(&o, "lesion");
    let j = json("lesion");
    let after = j["lesions"][0]["score"]["accuracy"]
        .as_f64()
        .expect("accuracy");
    assert!(after <= 0.6, "no unit left, accuracy {after}");

    let o = analyze(&[
        "lesion",
        "--group-a",
        "0,1,2",
        "--group-b",
        "3,4",
        "--n",
        "100",
    ]);
    assert_ok(&o, "lesion");
    let o = analyze(&["lesion", "--cluster", "--n", "100"]);
    assert_ok(&o, "lesion");
    assert!(json("lesion")["lesions"]
        .as_array()
        .is_some_and(|v| v.len() >= 2));

    let o = analyze(&["lesion", "--units", "99"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("0..15"), "{}", text(&o));
    let o = analyze(&["lesion"]);
    assert!(!o.status.success());
}

#[test]
fn bad_names_list_what_exists() {
    let o = analyze(&["selectivity", "--label", "colour"]);
    assert!(!o.status.success());
    let t = text(&o);
    assert!(
        t.contains("colour") && t.contains("ground_truth") && t.contains("signed_coherence"),
        "{t}"
    );
    assert!(!t.contains("panicked"), "{t}");

    let o = analyze(&["selectivity", "--a", "7"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("values: 1, 2"), "{}", text(&o));

    let o = analyze(&["selectivity", "--period", "dream"]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("stimulus") && text(&o).contains("decision"),
        "{}",
        text(&o)
    );

    let o = analyze(&[
        "fixed-points",
        "--input",
        "period-mean",
        "--period",
        "dream",
    ]);
    assert!(!o.status.success());
    assert!(text(&o).contains("fixation"), "{}", text(&o));

    let o = bin()
        .args(["analyze", "/nonexistent/run", "pca"])
        .output()
        .expect("run");
    assert!(!o.status.success());
    assert!(text(&o).contains("/nonexistent/run"), "{}", text(&o));
}

#[test]
fn time_resolved_rdms_between_conditions() {
    let o = analyze(&["rdm-time", "--stride", "1"]);
    assert_ok(&o, "rdm_time");
    let j = json("rdm_time");
    let conds = j["conditions"].as_array().expect("conditions").len();
    assert!(conds >= 2, "{j}");
    let d: Vec<Option<f64>> = j["mean_dissimilarity"]
        .as_array()
        .expect("mean_dissimilarity")
        .iter()
        .map(|v| v.as_f64())
        .collect();
    assert_eq!(d.len(), j["steps"].as_array().expect("steps").len());
    let defined: Vec<f64> = d.iter().flatten().copied().collect();
    assert!(
        !defined.is_empty() && defined.iter().all(|v| *v >= 0.0),
        "{j}"
    );
    // The conditions part during the trial: the largest distance exceeds the first step's.
    let max = defined.iter().copied().fold(0.0, f64::max);
    assert!(max > defined[0], "{defined:?}");
    let z = neurodyn_core::Npz::load(&trained().join("analysis/rdm_time.npz")).expect("npz");
    assert_eq!(
        z.get("rdms").expect("rdms").shape(),
        &[d.len(), conds, conds]
    );
    assert_figures(&["rdm_time", "rdm_time_snapshots"]);
    let o = analyze(&["rdm-time", "--label", "colour"]);
    assert!(
        !o.status.success() && text(&o).contains("colour"),
        "{}",
        text(&o)
    );
}

#[test]
fn decoding_from_a_period_onset() {
    let o = analyze(&["decoding", "--align", "decision", "--stride", "1"]);
    assert_ok(&o, "decoding");
    let j = json("decoding");
    assert_eq!(j["align"], "decision");
    let steps: Vec<i64> = j["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|v| v.as_i64())
        .collect();
    assert!(
        steps.contains(&0) && steps[0] < 0,
        "steps around the decision's onset: {steps:?}"
    );
    assert_figures(&["decoding"]);

    let o = analyze(&["decoding", "--align", "dream"]);
    assert!(!o.status.success());
    let t = text(&o);
    assert!(t.contains("dream") && t.contains("decision"), "{t}");
    assert!(!t.contains("panicked"), "{t}");
}

#[test]
fn eval_refuses_trials_it_cannot_score() {
    // PerceptualDecisionMaking at dt 100: 3 inputs.
    let dir = trained().parent().expect("parent").join("bad_trials");
    std::fs::create_dir_all(&dir).expect("dir");
    let write = |name: &str, t: usize, x: f32, m: f32| {
        let mut z = neurodyn_core::Npz::new();
        z.f32("inputs", &[4, t, 3], vec![x; 4 * t * 3])
            .expect("inputs");
        z.i64("targets", &[4, t], vec![0; 4 * t]).expect("targets");
        z.f32("mask", &[4, t], vec![m; 4 * t]).expect("mask");
        let p = dir.join(name);
        z.save(&p).expect("save");
        p
    };
    for (p, needle) in [
        (write("no_time.npz", 0, 0.0, 1.0), "no time steps"),
        (write("nan_inputs.npz", 5, f32::NAN, 1.0), "inputs hold NaN"),
        (write("negative_mask.npz", 5, 0.0, -1.0), "mask holds -1"),
    ] {
        let o = bin()
            .arg("eval")
            .arg(trained())
            .arg("--trials")
            .arg(&p)
            .output()
            .expect("run neurodyn eval");
        let t = text(&o);
        assert!(!o.status.success(), "{t}");
        assert!(t.contains(needle) && !t.contains("panicked"), "{t}");
    }
}

/// A task without a stimulus period (FlipFlop: one `trial` period) takes the default input of
/// `analyze RUN fixed-points` as zero instead of failing; a DelayComparison run would take its
/// delay's mean input.
#[test]
fn fixed_points_default_without_a_stimulus_period() {
    let d = std::env::temp_dir().join(format!("neurodyn-analyze-ff-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    let cfg = d.join("cfg.toml");
    std::fs::write(
        &cfg,
        "seed = 1\n[task]\nname = \"FlipFlop\"\n[model]\nn_rec = 16\n[train]\nsteps = 30\n\
         batch_size = 8\n[eval]\nn_trials = 20\nn_record = 10\n",
    )
    .expect("write config");
    let run = d.join("run");
    let o = bin()
        .arg("train")
        .arg(&cfg)
        .arg("--out")
        .arg(&run)
        .arg("--quiet")
        .output()
        .expect("train");
    assert!(o.status.success(), "{}", text(&o));
    let o = bin()
        .arg("analyze")
        .arg(&run)
        .args(["fixed-points", "--n-starts", "16"])
        .output()
        .expect("analyze");
    assert!(o.status.success(), "{}", text(&o));
    let j: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(run.join("analysis/fixed_points.json")).expect("json"),
    )
    .expect("parse");
    let kind = j["summary"]["input_kind"].as_str().unwrap_or_default();
    assert!(kind.contains("no stimulus"), "{kind}");
    assert!(
        j["summary"]["input"]
            .as_array()
            .is_some_and(|u| u.iter().all(|v| v.as_f64() == Some(0.0))),
        "{}",
        j["summary"]["input"]
    );
    let _ = std::fs::remove_dir_all(&d);
}
