//! End-to-end tests of `neurodyn analyze RUN rdm` and `analyze RUN dprime` on a tiny vision run
//! (one short epoch on 800 embedded digits, 100 recorded images): the files, the JSON keys, and
//! the refusals (unknown layer, absent class, a recurrent run). About two seconds.

mod common;
use common::{json, path, run, text, tiny_cnn, tmp};

#[test]
fn rdm_and_dprime_on_a_tiny_vision_run() {
    let d = tmp("run");
    let cfg = d.join("tiny.toml");
    std::fs::write(&cfg, tiny_cnn(100)).expect("config");
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

    let o = run(&["analyze", path(&r), "rdm"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    for l in ["conv1", "conv2", "fc1", "fc2", "fc3"] {
        assert!(out.contains(&format!("category index {l}:")), "{out}");
        assert!(r.join(format!("figures/rdm_{l}.png")).is_file(), "{l}");
    }
    for f in [
        "analysis/rdm.json",
        "analysis/rdm.npz",
        "figures/rdm.png",
        "figures/rdm.svg",
    ] {
        assert!(r.join(f).is_file(), "{f} missing");
    }
    let j = json(&r.join("analysis/rdm.json"));
    assert_eq!(j["method"], "correlation");
    let layers = j["layers"].as_array().expect("layers");
    assert_eq!(layers.len(), 5);
    for l in layers {
        for key in [
            "name",
            "method",
            "category_index",
            "normalised_category_index",
        ] {
            assert!(l.get(key).is_some(), "{key} missing in {l}");
        }
        assert!(l["category_index"].as_f64().is_some(), "{l}");
    }
    let o = run(&[
        "analyze",
        path(&r),
        "rdm",
        "--layers",
        "fc1,1_relu",
        "--method",
        "euclidean",
        "--conditions",
        "class-means",
        "--max-per-class",
        "5",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let j = json(&r.join("analysis/rdm.json"));
    assert_eq!(j["conditions"], "class-means");
    assert_eq!(j["layers"][1]["name"], "1_relu");
    assert_eq!(j["layers"][0]["n_conditions"], 10);

    let o = run(&[
        "analyze",
        path(&r),
        "dprime",
        "--layer",
        "fc1",
        "--classes",
        "1,7",
        "--unit",
        "2",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains("unit 2 d′ (1 vs 7)") && out.contains("unit 2 AUC"),
        "{out}"
    );
    assert!(out.contains("largest |d′| in fc1"), "{out}");
    for f in [
        "analysis/dprime.json",
        "analysis/dprime.npz",
        "figures/dprime.png",
    ] {
        assert!(r.join(f).is_file(), "{f} missing");
    }
    let j = json(&r.join("analysis/dprime.json"));
    assert_eq!(j["unit"], 2);
    for key in [
        "d_prime",
        "auc",
        "undefined",
        "n_undefined",
        "roc",
        "max_abs_unit",
    ] {
        assert!(j["result"].get(key).is_some(), "{key} missing");
    }
    assert_eq!(j["result"]["auc"].as_array().expect("auc").len(), 120);

    // Refusals: each names what is wrong and what exists.
    let o = run(&["analyze", path(&r), "rdm", "--layers", "fc9"]);
    assert!(!o.status.success());
    let e = text(&o);
    assert!(
        e.contains("no layer 'fc9'") && e.contains("conv1, 1_relu"),
        "{e}"
    );
    let o = run(&["analyze", path(&r), "dprime", "--layer", "nope"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("no layer 'nope'"), "{}", text(&o));
    let o = run(&["analyze", path(&r), "dprime", "--classes", "1,12"]);
    assert!(!o.status.success());
    let e = text(&o);
    assert!(
        e.contains("class 12 is not among the images") && e.contains("0 (0)"),
        "{e}"
    );
    let o = run(&["analyze", path(&r), "dprime", "--classes", "1"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("two classes"), "{}", text(&o));
    let o = run(&["analyze", path(&r), "dprime", "--unit", "500"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("has 120 units"), "{}", text(&o));
    let o = run(&["analyze", path(&r), "rdm", "--method", "manhattan"]);
    assert!(!o.status.success());
    let o = run(&["analyze", path(&r), "pca"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("rdm"), "{}", text(&o));
    let _ = std::fs::remove_dir_all(&d);
}
