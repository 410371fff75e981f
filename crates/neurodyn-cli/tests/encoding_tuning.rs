//! End-to-end tests of `neurodyn analyze RUN encoding` and `analyze RUN tuning` on a tiny vision
//! run (one short epoch on 800 embedded digits, 100 recorded images): numbers that could be
//! wrong checked against the files they come from (λ̂ against the counts, the counts against
//! the recorded activations, rotation by 0° against `activations.npz`, a digit shifted out of
//! the frame against the black image), and the refusals. A few seconds.

use neurodyn_core::Npz;
use std::path::Path;

mod common;
use common::{json, path, run, text, tiny_cnn, tmp};

fn array(z: &Npz, name: &str) -> Vec<f64> {
    z.get(name)
        .unwrap_or_else(|| panic!("no '{name}'"))
        .to_f64()
}

fn numbers(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

/// Train the tiny run into `d/run`.
fn train(d: &Path) -> std::path::PathBuf {
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
    r
}

#[test]
fn encoding_and_tuning_on_a_tiny_vision_run() {
    let d = tmp("enc-tuning");
    let r = train(&d);
    let acts = Npz::load(&r.join("activations.npz")).expect("activations.npz");
    let relu = array(&acts, "8_relu");
    let fc1 = array(&acts, "fc1");
    let labels = array(&acts, "labels");
    let n = labels.len();
    let p = relu.len() / n;
    assert_eq!(p, 120);
    let col = |m: &[f64], u: usize| -> Vec<f64> { (0..n).map(|i| m[i * p + u]).collect() };
    // A unit that responds to some recorded image (unit 2 if it does).
    let unit = (2..p)
        .find(|&u| col(&relu, u).iter().any(|&v| v > 0.0))
        .expect("a responding unit");

    // encoding: defaults (layer 8_relu, the ReLU of fc1) but for the unit.
    let us = unit.to_string();
    let o = run(&["analyze", path(&r), "encoding", "--unit", &us]);
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains("Fano factor (ddof 1)") && out.contains("AIC Poisson"),
        "{out}"
    );
    for f in [
        "analysis/encoding.json",
        "analysis/encoding.npz",
        "figures/encoding.png",
        "figures/encoding.svg",
    ] {
        assert!(r.join(f).is_file(), "{f} missing");
    }
    let j = json(&r.join("analysis/encoding.json"));
    assert_eq!(j["layer"], "8_relu");
    assert_eq!(j["unit"], unit);
    assert_eq!(j["n_images"], n);
    let res = &j["result"];
    assert_eq!(res["scale_source"], "mean count 10");
    let z = Npz::load(&r.join("analysis/encoding.npz")).expect("encoding.npz");
    let a = array(&z, "activations");
    assert_eq!(a, col(&relu, unit), "the activations are the recorded ones");
    let counts = array(&z, "counts");
    let scale = res["scale"].as_f64().expect("scale");
    let mean_a = a.iter().sum::<f64>() / n as f64;
    assert!((scale - 10.0 / mean_a).abs() < 1e-9 * scale, "{scale}");
    for (k, v) in counts.iter().zip(&a) {
        assert_eq!(*k, (v * scale + 0.5).floor(), "count of {v}");
    }
    let lambda = res["poisson"]["lambda"].as_f64().expect("λ̂");
    let mean_k = counts.iter().sum::<f64>() / n as f64;
    assert!(
        (lambda - mean_k).abs() < 1e-12,
        "λ̂ {lambda} vs mean count {mean_k}"
    );
    let var_k = counts.iter().map(|k| (k - mean_k).powi(2)).sum::<f64>() / (n - 1) as f64;
    let fano = res["fano"].as_f64().expect("fano");
    assert!((fano - var_k / mean_k).abs() < 1e-9 * fano, "Fano {fano}");
    let hist = array(&z, "histogram");
    assert_eq!(hist.iter().sum::<f64>(), n as f64);
    assert_eq!(
        hist.len() as f64,
        counts.iter().copied().fold(0.0, f64::max) + 1.0
    );
    if let Some(chi) = res["chi_square"].as_object() {
        let obs = array(&z, "chi2_observed");
        assert_eq!(obs.iter().sum::<f64>(), n as f64);
        assert_eq!(chi["dof"].as_u64(), Some(obs.len() as u64 - 2));
        assert!(array(&z, "chi2_expected").iter().all(|&e| e >= 5.0));
    }
    // One class, a given scale.
    let seven = labels.iter().filter(|&&l| l == 7.0).count();
    let o = run(&[
        "analyze",
        path(&r),
        "encoding",
        "--unit",
        &us,
        "--class",
        "7",
        "--scale",
        "3",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let j = json(&r.join("analysis/encoding.json"));
    assert_eq!(j["n_images"], seven);
    assert_eq!(j["class"], 7);
    assert_eq!(j["result"]["scale"], 3.0);
    assert_eq!(j["result"]["scale_source"], "given");
    // Refusals.
    let refuse = |args: &[&str], want: &[&str]| {
        let mut all = vec!["analyze", path(&r)];
        all.extend_from_slice(args);
        let o = run(&all);
        assert!(!o.status.success(), "{args:?} succeeded");
        let e = text(&o);
        for w in want {
            assert!(e.contains(w), "{args:?}: '{w}' not in {e}");
        }
    };
    refuse(
        &["encoding", "--layer", "fc9"],
        &["no layer 'fc9'", "conv1, 1_relu"],
    );
    refuse(&["encoding", "--unit", "500"], &["has 120 units"]);
    refuse(
        &["encoding", "--class", "42"],
        &["--class 42", "classes: 0"],
    );
    refuse(&["encoding", "--unit", &us, "--scale", "0"], &["scale"]);
    if let Some(neg) = (0..p).find(|&u| col(&fc1, u).iter().any(|&v| v < 0.0)) {
        let ns = neg.to_string();
        refuse(
            &["encoding", "--layer", "fc1", "--unit", &ns],
            &["negative", "8_relu"],
        );
    }
    if let Some(silent) = (0..p).find(|&u| col(&relu, u).iter().all(|&v| v == 0.0)) {
        let ss = silent.to_string();
        refuse(
            &["encoding", "--unit", &ss],
            &["silent unit", "units that respond"],
        );
    }

    // tuning: every held-out image, rotation by 0 and 90°, contrast 1 and 0, a shift out of
    // the frame.
    let units = format!("0,{unit}");
    let tuning = |extra: &[&str]| -> (serde_json::Value, Npz) {
        let mut args = vec![
            "analyze",
            path(&r),
            "tuning",
            "--units",
            &units,
            "--n-images",
            "5000",
        ];
        args.extend_from_slice(extra);
        let o = run(&args);
        assert!(o.status.success(), "{}", text(&o));
        assert!(text(&o).contains("preferred"), "{}", text(&o));
        let z = Npz::load(&r.join("analysis/tuning.npz")).expect("tuning.npz");
        (json(&r.join("analysis/tuning.json")), z)
    };
    let (j, z) = tuning(&["--values", "0,90"]);
    for f in [
        "figures/tuning.png",
        "figures/tuning.svg",
        "figures/tuning_stimuli.png",
    ] {
        assert!(r.join(f).is_file(), "{f} missing");
    }
    assert_eq!(j["layer"], "8_relu");
    assert_eq!(j["transform"], "rotation");
    let held_out = j["n_images"].as_u64().expect("n_images") as usize;
    assert_eq!(held_out, 2000, "all held-out images");
    let resp = array(&z, "responses"); // (value, image, unit)
    assert_eq!(z.get("responses").unwrap().shape(), &[2, held_out, 2]);
    // Rotation by 0° is the untouched image: the recorded activations, image by image.
    let recorded = array(&acts, "index");
    let index = array(&z, "index");
    let mut matched = 0;
    for (row, &pos) in recorded.iter().enumerate() {
        let i = index
            .iter()
            .position(|&x| x == pos)
            .expect("every image is in the sample");
        for (k, u) in [0, unit].into_iter().enumerate() {
            let (got, want) = (resp[i * 2 + k], relu[row * p + u]);
            assert!(
                (got - want).abs() <= 1e-5 * want.abs().max(1.0),
                "image {pos} unit {u}: {got} at 0° vs {want} recorded"
            );
        }
        matched += 1;
    }
    assert_eq!(matched, n);
    // The mean curve is the mean of the responses; the preferred value is its argmax.
    let u1 = &j["result"]["units"][1];
    assert_eq!(u1["unit"], unit);
    let mean = numbers(&u1["mean"]);
    for (v, m) in mean.iter().enumerate() {
        let want = (0..held_out)
            .map(|i| resp[(v * held_out + i) * 2 + 1])
            .sum::<f64>()
            / held_out as f64;
        assert!(
            (m - want).abs() <= 1e-9 * want.abs().max(1e-9),
            "{m} vs {want}"
        );
    }
    let pref = if mean[1] > mean[0] { 90.0 } else { 0.0 };
    assert_eq!(u1["preferred_value"].as_f64(), Some(pref));
    assert!(
        u1["circular"]["circular_variance"].as_f64().is_some(),
        "{u1}"
    );

    // Contrast 1 is the untouched image too; contrast 0 a uniform image at the image's mean.
    let (j2, z2) = tuning(&["--transform", "contrast", "--values", "1,0"]);
    assert_eq!(j2["transform"], "contrast");
    let resp2 = array(&z2, "responses");
    for i in 0..held_out * 2 {
        assert_eq!(resp2[i], resp[i], "contrast 1 vs rotation 0, entry {i}");
    }
    let example = array(&z2, "example"); // (value, 1, 28, 28)
    let (first, flat) = (&example[..784], &example[784..]);
    let images = array(&acts, "images");
    assert_eq!(index[0], 0.0);
    assert_eq!(first, &images[..784], "the first held-out image");
    let m = first.iter().sum::<f64>() / 784.0;
    assert!(flat.iter().all(|&v| (v - m).abs() < 1e-4), "uniform at {m}");
    assert!(j2["result"]["units"][0]["circular"].is_null());

    // A shift far out of the frame leaves every image black: one response, no spread.
    let (j3, z3) = tuning(&["--transform", "translation", "--values=-100,100"]);
    let resp3 = array(&z3, "responses");
    assert!(
        resp3.iter().all(|&v| v == resp3[0] || v == resp3[1]),
        "every image black"
    );
    for u in j3["result"]["units"].as_array().expect("units") {
        assert!(numbers(&u["sem"]).iter().all(|&s| s == 0.0), "{u}");
        let means = numbers(&u["mean"]);
        for c in u["class_mean"].as_array().expect("class means") {
            assert_eq!(numbers(c), means);
        }
    }
    assert!(array(&z3, "example").iter().all(|&v| v == 0.0));

    // Refusals.
    refuse(&["tuning", "--units", "500"], &["unit 500", "120 units"]);
    refuse(
        &["tuning", "--layer", "nope"],
        &["no layer 'nope'", "8_relu"],
    );
    refuse(
        &["tuning", "--transform", "scale", "--values", "1,0"],
        &["zoom factor must be > 0"],
    );
    refuse(&["tuning", "--n-images", "0"], &["--n-images"]);
    refuse(&["tuning", "--transform", "shear"], &["shear"]);
    let _ = std::fs::remove_dir_all(&d);
}
