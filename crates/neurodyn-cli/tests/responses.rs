//! `neurodyn analyze DATA.npz …`: the layer analyses on a file of responses that no run wrote
//! (recorded neurons, another model): (condition, feature) and (condition, repeat, feature)
//! arrays, optional labels, results in `DATA_analysis/`, and the refusals.

use neurodyn_core::Npz;

mod common;
use common::{json, path, run, text, tmp};

/// `(condition, repeat, feature)`: condition means apart by class, plus trial noise.
fn trials(c: usize, r: usize, p: usize, gain: f64, seed: u64) -> Vec<f64> {
    (0..c * r * p)
        .map(|k| {
            let (cond, f) = (k / (r * p), k % p);
            let class = (cond % 2) as f64;
            let noise = (((k as u64 + seed) * 2654435761 % 1000) as f64 / 1000.0 - 0.5) * 0.6;
            gain * (class * ((f as f64) * 0.9).sin() + ((cond * 3 + f) as f64 * 0.41).cos()) + noise
        })
        .collect()
}

#[test]
fn a_file_of_recorded_responses_takes_the_layer_analyses() {
    let d = tmp("responses");
    let (c, r) = (6, 10);
    let mut z = Npz::new();
    z.f64("V1", &[c, r, 12], trials(c, r, 12, 1.0, 1))
        .expect("V1");
    z.f64("IT", &[c, r, 8], trials(c, r, 8, 2.0, 7))
        .expect("IT");
    z.i64("labels", &[c], (0..c as i64).map(|i| i % 2).collect())
        .expect("labels");
    let f = d.join("monkey.npz");
    z.save(&f).expect("save");
    let out = d.join("monkey_analysis");

    let o = run(&[
        "analyze",
        path(&f),
        "dprime",
        "--layer",
        "IT",
        "--classes",
        "0,1",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let j = json(&out.join("analysis/dprime.json"));
    assert_eq!(j["layer"], "IT");
    // 3 conditions × 10 repeats of each class.
    assert_eq!(
        (j["result"]["n_a"].as_u64(), j["result"]["n_b"].as_u64()),
        (Some(30), Some(30)),
        "{j}"
    );
    assert!(out.join("figures/dprime.png").is_file());

    let o = run(&["analyze", path(&f), "layer-decoding", "--folds", "3"]);
    assert!(o.status.success(), "{}", text(&o));
    let j = json(&out.join("analysis/layer_decoding.json"));
    let layers = j["layers"].as_array().expect("layers");
    assert_eq!(layers.len(), 2, "{j}");
    for l in layers {
        assert!(l["accuracy"].as_f64().expect("accuracy") > 0.9, "{l}");
    }

    let o = run(&["analyze", path(&f), "all"]);
    assert!(o.status.success(), "{}", text(&o));
    for name in ["rdm", "rsa", "predictivity"] {
        assert!(
            out.join(format!("analysis/{name}.json")).is_file(),
            "{name}: {}",
            text(&o)
        );
    }
    assert!(!text(&o).contains("actmax"), "{}", text(&o));
    let rsa = json(&out.join("analysis/rsa.json"));
    assert_eq!(rsa["layers"].as_array().expect("layers").len(), 2, "{rsa}");

    // What needs a network, or a recording, is refused by name.
    let o = run(&["analyze", path(&f), "actmax"]);
    assert!(
        !o.status.success() && text(&o).contains("file of responses"),
        "{}",
        text(&o)
    );
    let o = run(&["analyze", path(&f), "pca"]);
    assert!(
        !o.status.success() && text(&o).contains("file of responses"),
        "{}",
        text(&o)
    );

    // Populations that disagree, NaN, 4-D: each names the array.
    let bad = |name: &str, arrays: &[(&str, Vec<usize>, Vec<f64>)], needle: &str| {
        let mut z = Npz::new();
        for (k, s, v) in arrays {
            z.f64(k, s, v.clone()).expect("array");
        }
        let p = d.join(name);
        z.save(&p).expect("save");
        let o = run(&["analyze", path(&p), "rdm"]);
        assert!(
            !o.status.success() && !text(&o).contains("panicked"),
            "{}",
            text(&o)
        );
        assert!(text(&o).contains(needle), "{needle}: {}", text(&o));
    };
    bad(
        "two.npz",
        &[
            ("a", vec![4, 3], vec![0.5; 12]),
            ("b", vec![5, 3], vec![0.5; 15]),
        ],
        "'b' has 5 conditions",
    );
    let mut nan = vec![0.5; 12];
    nan[7] = f64::NAN;
    bad(
        "nan.npz",
        &[("a", vec![4, 3], nan)],
        "'a' holds a non-finite value",
    );
    bad(
        "4d.npz",
        &[("a", vec![2, 2, 2, 2], vec![0.5; 16])],
        "'a' has shape [2, 2, 2, 2]",
    );
    let _ = std::fs::remove_dir_all(&d);
}
