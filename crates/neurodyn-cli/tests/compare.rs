//! End-to-end tests of `neurodyn compare A.npz B.npz`: RSA, CKA and predictivity on small
//! response sets written here, the JSON, the bootstrap interval, 3-D (repeated) input, and the
//! refusals of bad input (each names the file, the array and the problem; exit status 1; no
//! panic).

use neurodyn_core::Npz;
use std::path::{Path, PathBuf};

mod common;
use common::{json, path, run, text, tmp};

/// A deterministic `(n, p)` pattern matrix.
fn patterns(n: usize, p: usize, s: f64) -> Vec<f64> {
    (0..n * p)
        .map(|k| ((k as f64) * s).sin() + 0.3 * ((k / p) as f64 * 0.7).cos())
        .collect()
}

fn save(dir: &Path, name: &str, arrays: &[(&str, &[usize], Vec<f64>)]) -> PathBuf {
    let mut z = Npz::new();
    for (k, shape, data) in arrays {
        z.f64(k, shape, data.clone()).expect("array");
    }
    let p = dir.join(name);
    z.save(&p).expect("save");
    p
}

fn fails_with(args: &[&str], needles: &[&str]) {
    let o = run(args);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{args:?}: {t}");
    assert!(!t.contains("panicked"), "{t}");
    for n in needles {
        assert!(t.contains(n), "{args:?}: '{n}' not in: {t}");
    }
}

#[test]
fn rsa_cka_and_predictivity_of_related_sets() {
    let d = tmp("ok");
    let (n, p) = (24, 6);
    let x = patterns(n, p, 0.37);
    // y: a linear mixture of x's features plus a little structure of its own, with labels.
    let y: Vec<f64> = (0..n)
        .flat_map(|i| {
            let r = &x[i * p..(i + 1) * p];
            [
                r[0] + r[1],
                r[2] - 0.5 * r[3],
                r[4] + r[5],
                2.0 * r[0] + 0.1 * (i as f64).sin(),
            ]
        })
        .collect();
    let a = save(&d, "a.npz", &[("x", &[n, p], x.clone())]);
    let mut zb = Npz::new();
    zb.f64("y", &[n, 4], y).expect("y");
    zb.i64("labels", &[n], (0..n as i64).collect())
        .expect("labels");
    let b = d.join("b.npz");
    zb.save(&b).expect("save");

    // The same set against itself: every comparison is 1.
    let o = run(&["compare", path(&a), path(&a)]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("whitened-pearson") && text(&o).contains(": 1.0000"),
        "{}",
        text(&o)
    );

    let out = d.join("rsa.json");
    let o = run(&[
        "compare",
        path(&a),
        path(&b),
        "--rsa-method",
        "spearman",
        "--bootstrap",
        "300",
        "--seed",
        "3",
        "--json",
        path(&out),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("95 % bootstrap interval"), "{}", text(&o));
    let j = json(&out);
    assert_eq!(j["method"], "rsa");
    assert_eq!(j["rsa_method"], "spearman");
    assert_eq!(j["a"]["key"], "x");
    assert_eq!(j["b"]["key"], "y", "the 1-D labels are not a response set");
    let s = j["score"].as_f64().expect("score");
    let (lo, hi) = (
        j["bootstrap"]["lo"].as_f64().expect("lo"),
        j["bootstrap"]["hi"].as_f64().expect("hi"),
    );
    assert!(
        s > 0.3 && s < 1.0 && lo < s && s < hi && hi <= 1.0,
        "{s} [{lo}, {hi}]"
    );
    // The same seed gives the same interval.
    let out2 = d.join("rsa2.json");
    let o = run(&[
        "compare",
        path(&a),
        path(&b),
        "--rsa-method",
        "spearman",
        "--bootstrap",
        "300",
        "--seed",
        "3",
        "--json",
        path(&out2),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(json(&out2)["bootstrap"], j["bootstrap"]);

    let out = d.join("cka.json");
    let o = run(&[
        "compare",
        path(&a),
        path(&b),
        "--method",
        "cka",
        "--bootstrap",
        "200",
        "--json",
        path(&out),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let j = json(&out);
    let c = j["score"].as_f64().expect("cka");
    assert!(c > 0.5 && c < 1.0, "{c}");
    assert!(
        j["bootstrap"]["lo"].as_f64().expect("lo") < c
            && c < j["bootstrap"]["hi"].as_f64().expect("hi")
    );

    // y's first three features are exact linear maps of x: well predicted.
    let out = d.join("pred.json");
    let o = run(&[
        "compare",
        path(&a),
        path(&b),
        "--method",
        "predictivity",
        "--alpha",
        "0.001",
        "--json",
        path(&out),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        json(&out)["score"].as_f64().expect("r") > 0.9,
        "{}",
        text(&o)
    );
    // The penalty chosen by leave-one-out among three, and PLS: their own scores, said in
    // the result's description.
    for (flags, said) in [
        (["--alphas", "0.001,1,1000"], "leave-one-out"),
        (["--pls-components", "2"], "PLS"),
    ] {
        let mut args = vec!["compare", path(&a), path(&b), "--method", "predictivity"];
        args.extend(flags);
        args.extend(["--json", path(&out)]);
        let o = run(&args);
        assert!(o.status.success(), "{}", text(&o));
        let j = json(&out);
        assert!(j["score"].as_f64().expect("r") > 0.5, "{flags:?}: {j}");
        assert!(j.to_string().contains(said), "{flags:?}: {j}");
    }
    let o = run(&[
        "compare",
        path(&a),
        path(&b),
        "--method",
        "predictivity",
        "--alphas",
        "1",
        "--pls-components",
        "2",
    ]);
    assert!(!o.status.success(), "--alphas with --pls-components");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn repeated_measurements_take_the_crossnobis_and_mahalanobis_rdms() {
    let d = tmp("rep");
    let (c, r, p) = (8, 4, 5);
    let means = patterns(c, p, 0.53);
    let data: Vec<f64> = (0..c * r * p)
        .map(|k| means[k / (r * p) * p + k % p] + 0.2 * ((k * k) as f64 * 0.71).sin())
        .collect();
    let a = save(&d, "a.npz", &[("resp", &[c, r, p], data)]);
    let b = save(&d, "b.npz", &[("m", &[c, p], means)]);
    for rdm in ["crossnobis", "mahalanobis"] {
        let o = run(&[
            "compare",
            path(&a),
            path(&a),
            "--rdm",
            rdm,
            "--rsa-method",
            "pearson",
        ]);
        assert!(o.status.success(), "{}", text(&o));
        assert!(
            text(&o).contains(&format!("pearson of {rdm} RDMs): 1.0000")),
            "{}",
            text(&o)
        );
    }
    // Repeats are averaged for the other RDMs: close to the noiseless means.
    let o = run(&["compare", path(&a), path(&b), "--rdm", "euclidean"]);
    assert!(o.status.success(), "{}", text(&o));
    // The noiseless means against the repeated set: a score within (or near) the noise ceiling
    // of its 4 repeats.
    let out = d.join("ceiling.json");
    let o = run(&[
        "compare",
        path(&b),
        path(&a),
        "--rsa-method",
        "spearman",
        "--json",
        path(&out),
    ]);
    assert!(
        o.status.success() && text(&o).contains("noise ceiling of B's 4 repeats"),
        "{}",
        text(&o)
    );
    let j = json(&out);
    let (lo, hi, score) = (
        j["noise_ceiling"]["lower"].as_f64().expect("lower"),
        j["noise_ceiling"]["upper"].as_f64().expect("upper"),
        j["score"].as_f64().expect("score"),
    );
    assert!(0.0 < lo && lo < hi && hi <= 1.0 && score > lo, "{j}");
    assert_eq!(j["noise_ceiling"]["n_rdms"], 4);
    // Predictivity against a repeated set (20 conditions): its split-half ceiling, and the
    // score over it.
    let (c2, r2, p2) = (20, 4, 5);
    let means2 = patterns(c2, p2, 0.53);
    let data2: Vec<f64> = (0..c2 * r2 * p2)
        .map(|k| means2[k / (r2 * p2) * p2 + k % p2] + 0.2 * ((k * k) as f64 * 0.71).sin())
        .collect();
    let a2 = save(&d, "a2.npz", &[("resp", &[c2, r2, p2], data2)]);
    let b2 = save(&d, "b2.npz", &[("m", &[c2, p2], means2)]);
    let o = run(&[
        "compare",
        path(&b2),
        path(&a2),
        "--method",
        "predictivity",
        "--json",
        path(&out),
    ]);
    assert!(
        o.status.success() && text(&o).contains("split-half ceiling of B"),
        "{}",
        text(&o)
    );
    let j = json(&out);
    let c = &j["split_half_ceiling"];
    let (m, s) = (
        c["median"].as_f64().expect("median"),
        j["score"].as_f64().expect("score"),
    );
    assert!(m > 0.5 && m <= 1.0, "{j}");
    assert!(
        (c["normalised_score"].as_f64().expect("normalised") - s / m).abs() < 1e-12,
        "{j}"
    );
    // Without repeats in B there is none.
    let o = run(&["compare", path(&a), path(&b), "--json", path(&out)]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(json(&out)["noise_ceiling"].is_null());
    // 2-D input has no repeats for crossnobis.
    fails_with(
        &["compare", path(&a), path(&b), "--rdm", "crossnobis"],
        &["b.npz", "'m'", "repeat"],
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn bad_input_is_refused_with_the_file_the_array_and_the_problem() {
    let d = tmp("bad");
    let (n, p) = (10, 4);
    let x = patterns(n, p, 0.41);
    let good = save(&d, "good.npz", &[("x", &[n, p], x.clone())]);
    let g = path(&good);
    let not_npz = d.join("notes.npz");
    std::fs::write(&not_npz, "not a zip").expect("write");
    fails_with(
        &["compare", path(&not_npz), g],
        &["notes.npz", "not a readable .npz"],
    );
    fails_with(
        &["compare", g, path(&d.join("absent.npz"))],
        &["absent.npz"],
    );
    fails_with(
        &["compare", g, g, "--key", "nope"],
        &["good.npz", "no array named 'nope'", "x"],
    );
    let fewer = save(
        &d,
        "fewer.npz",
        &[("x", &[n - 1, p], x[..(n - 1) * p].to_vec())],
    );
    fails_with(
        &["compare", g, path(&fewer)],
        &["fewer.npz", "9 conditions", "10"],
    );
    let one = save(&d, "one.npz", &[("x", &[1, p], x[..p].to_vec())]);
    fails_with(
        &["compare", path(&one), g],
        &["one.npz", "'x'", "1 condition"],
    );
    let mut bad = x.clone();
    bad[6] = f64::NAN;
    let nan = save(&d, "nan.npz", &[("x", &[n, p], bad)]);
    fails_with(
        &["compare", g, path(&nan)],
        &["nan.npz", "'x'", "condition 1, feature 2", "not finite"],
    );
    let flat = save(&d, "flat.npz", &[("x", &[n, p], vec![2.5; n * p])]);
    fails_with(&["compare", g, path(&flat)], &["flat.npz", "constant"]);
    let two = save(
        &d,
        "two.npz",
        &[("x", &[n, p], x.clone()), ("y", &[n, p], x.clone())],
    );
    fails_with(
        &["compare", path(&two), g],
        &["two.npz", "x [10, 4]", "--key"],
    );
    let vec1 = save(&d, "vec.npz", &[("v", &[n], x[..n].to_vec())]);
    fails_with(&["compare", g, path(&vec1)], &["vec.npz", "no 2-D"]);
    let four = save(&d, "four.npz", &[("t", &[n, 1, 2, 2], x.clone())]);
    fails_with(
        &["compare", g, path(&four), "--key-b", "t"],
        &["four.npz", "'t'", "[10, 1, 2, 2]"],
    );
    fails_with(
        &[
            "compare",
            g,
            g,
            "--method",
            "predictivity",
            "--bootstrap",
            "10",
        ],
        &["--bootstrap applies to"],
    );
    // A constant condition has no correlation distance: named, not NaN.
    let mut row = x.clone();
    row[8..12].copy_from_slice(&[1.0; 4]);
    let cst = save(&d, "row.npz", &[("x", &[n, p], row)]);
    fails_with(
        &["compare", g, path(&cst)],
        &["row.npz", "condition 2", "constant"],
    );
    let _ = std::fs::remove_dir_all(&d);
}
