//! End-to-end tests of `neurodyn analyze RUN layer-decoding`, `predictivity` (ridge and PLS),
//! `rsa` and `actmax` on a
//! tiny vision run (one short epoch on 800 embedded digits, 200 recorded images): the files, the
//! JSON keys, determinism, and the refusals (unknown layer, too many folds).

use std::path::PathBuf;

mod common;
use common::{json, path, run, text, tiny_cnn};

#[test]
fn layer_decoding_and_predictivity_on_a_tiny_vision_run() {
    let d: PathBuf = std::env::temp_dir().join(format!(
        "neurodyn-cli-layer-analyses-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    let cfg = d.join("tiny.toml");
    std::fs::write(&cfg, tiny_cnn(200)).expect("config");
    let r = d.join("run");
    let o = run(&[
        "train",
        path(&cfg),
        "--task",
        "Mnist",
        "--seed",
        "1",
        "--out",
        path(&r),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", text(&o));

    let args = [
        "analyze",
        path(&r),
        "layer-decoding",
        "--layers",
        "conv2,fc1",
        "--folds",
        "3",
        "--max-dims",
        "64",
    ];
    let o = run(&args);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("accuracy fc1"), "{}", text(&o));
    let j = json(&r.join("analysis/layer_decoding.json"));
    let layers = j["layers"].as_array().expect("layers");
    assert_eq!(layers.len(), 2);
    assert_eq!(layers[0]["n_dims"], 64);
    let fc1 = &layers[1];
    assert!(fc1["accuracy"].as_f64().expect("accuracy") > 0.5, "{fc1}");
    assert!(fc1["shuffled"].as_f64().expect("shuffled") < 0.3, "{fc1}");
    assert!(r.join("analysis/layer_decoding.npz").is_file());
    assert!(r.join("figures/layer_decoding.png").is_file());
    // Same seed, same numbers.
    let o = run(&args);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(json(&r.join("analysis/layer_decoding.json")), j);

    let o = run(&[
        "analyze",
        path(&r),
        "predictivity",
        "--layers",
        "conv2,fc1,fc3",
        "--folds",
        "3",
        "--max-units",
        "50",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let j = json(&r.join("analysis/predictivity.json"));
    let m = j["median_r"].as_array().expect("matrix");
    assert_eq!(m.len(), 3);
    // fc1 predicts fc3 (its linear read-out after a ReLU and fc2) well.
    let fc1_fc3 = m[1][2].as_f64().expect("fc1 -> fc3");
    assert!(fc1_fc3 > 0.5, "{j}");
    assert_eq!(j["pairs"].as_array().expect("pairs").len(), 9);
    assert!(r.join("figures/predictivity.svg").is_file());
    // PLS with 10 components instead of the ridge: also predicts fc3 from fc1.
    let o = run(&[
        "analyze",
        path(&r),
        "predictivity",
        "--layers",
        "fc1,fc3",
        "--folds",
        "3",
        "--pls-components",
        "10",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let j = json(&r.join("analysis/predictivity.json"));
    assert_eq!(j["config"]["model"]["pls"]["components"], 10, "{j}");
    let pls = j["median_r"][0][1].as_f64().expect("fc1 -> fc3");
    assert!(
        pls > 0.5 && (pls - fc1_fc3).abs() > 1e-9,
        "{pls} vs ridge {fc1_fc3}"
    );

    // The ridge penalty chosen by leave-one-out in each fold (RidgeCV).
    let o = run(&[
        "analyze",
        path(&r),
        "predictivity",
        "--layers",
        "fc1,fc3",
        "--folds",
        "3",
        "--alphas",
        "0.1,10,1000",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let j = json(&r.join("analysis/predictivity.json"));
    assert_eq!(
        j["config"]["alphas"].as_array().map(|a| a.len()),
        Some(3),
        "{j}"
    );
    assert!(
        j["median_r"][0][1].as_f64().expect("fc1 -> fc3") > 0.5,
        "{j}"
    );

    // Activation maximisation of fc2 unit 2: the optimised images drive it beyond the starts.
    let o = run(&[
        "analyze",
        path(&r),
        "actmax",
        "--starts",
        "3",
        "--steps",
        "40",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let j = json(&r.join("analysis/actmax.json"));
    assert_eq!(
        (j["layer"].as_str(), j["target"].as_str()),
        (Some("fc2"), Some("unit 2"))
    );
    let (before, after) = (
        j["mean_before"].as_f64().expect("before"),
        j["mean_after"].as_f64().expect("after"),
    );
    assert!(after > before + 1.0, "{j}");
    let z = neurodyn_core::Npz::load(&r.join("analysis/actmax.npz")).expect("actmax.npz");
    let imgs = z.get("images").expect("images");
    assert_eq!(imgs.shape(), &[3, 1, 28, 28]);
    assert!(
        imgs.to_f64().iter().all(|v| (0.0..=1.0).contains(v)),
        "pixels stay in [0, 1]"
    );
    assert_eq!(z.get("trace").expect("trace").shape(), &[3, 40]);
    for f in ["figures/actmax.png", "figures/actmax_images.svg"] {
        assert!(r.join(f).is_file(), "{f} missing");
    }
    // A channel of a conv layer; refusals name what exists.
    let o = run(&[
        "analyze",
        path(&r),
        "actmax",
        "--layer",
        "conv2",
        "--channel",
        "3",
        "--starts",
        "2",
        "--steps",
        "5",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let o = run(&[
        "analyze",
        path(&r),
        "actmax",
        "--layer",
        "conv2",
        "--channel",
        "99",
    ]);
    assert!(
        !o.status.success() && text(&o).contains("has 16 channels"),
        "{}",
        text(&o)
    );
    let o = run(&[
        "analyze",
        path(&r),
        "actmax",
        "--layer",
        "fc1",
        "--unit",
        "120",
    ]);
    assert!(
        !o.status.success() && text(&o).contains("has 120 units"),
        "{}",
        text(&o)
    );
    let o = run(&["analyze", path(&r), "actmax", "--layer", "fc9"]);
    assert!(
        !o.status.success() && text(&o).contains("layers: conv1"),
        "{}",
        text(&o)
    );

    let t = std::time::Instant::now();
    let o = run(&[
        "analyze",
        path(&r),
        "rsa",
        "--method",
        "spearman",
        "--bootstrap",
        "50",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    println!(
        "analyze rsa (5 layers, ≤ 20 images per class, 50 resamples): {:.2} s",
        t.elapsed().as_secs_f64()
    );
    assert!(text(&o).contains("fc1 ~ fc2"), "{}", text(&o));
    let j = json(&r.join("analysis/rsa.json"));
    assert_eq!(j["method"], "spearman");
    // At most 20 images of each of the 10 classes among the 200 recorded.
    let n = j["n_conditions"].as_u64().expect("n");
    assert!((150..=200).contains(&n), "{n}");
    let (m, c) = (
        j["rsa"].as_array().expect("rsa"),
        j["cka"].as_array().expect("cka"),
    );
    assert_eq!((m.len(), c.len()), (5, 5));
    for i in 0..5 {
        assert!((m[i][i].as_f64().expect("diag") - 1.0).abs() < 1e-12, "{j}");
        for k in 0..5 {
            let (v, w) = (
                m[i][k].as_f64().expect("rsa"),
                c[i][k].as_f64().expect("cka"),
            );
            assert!(v.abs() <= 1.0 && (0.0..=1.0).contains(&w), "{j}");
            assert_eq!(m[i][k], m[k][i]);
        }
    }
    // fc2 and fc3 (a linear read-out of fc2 after a ReLU) share their geometry.
    assert!(m[3][4].as_f64().expect("fc2 fc3") > 0.5, "{j}");
    assert_eq!(j["bootstrap"].as_array().expect("intervals").len(), 10);
    for f in ["analysis/rsa.npz", "figures/rsa.svg", "figures/rsa_cka.png"] {
        assert!(r.join(f).is_file(), "{f} missing");
    }
    let o = run(&["analyze", path(&r), "rsa", "--layers", "fc9"]);
    assert!(
        !o.status.success() && text(&o).contains("no layer 'fc9'"),
        "{}",
        text(&o)
    );

    let o = run(&["analyze", path(&r), "layer-decoding", "--layers", "fc9"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("no layer 'fc9'"), "{}", text(&o));
    let o = run(&["analyze", path(&r), "predictivity", "--folds", "150"]);
    assert!(!o.status.success());
    let e = text(&o);
    assert!(
        e.contains("folds of 'conv1'") && e.contains("150 stratified folds"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&d);
}
