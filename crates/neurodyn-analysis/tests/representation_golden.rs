//! Golden comparisons of the logistic regression, ridge regression, layer decoding and
//! predictivity with scikit-learn (tests/golden/analysis/make_representation_golden.py wrote
//! representation.json, data included), and the refusals of bad input.

use faer::Mat;
use neurodyn_analysis::layer_decoding::{self, LayerDecodingConfig};
use neurodyn_analysis::logistic::{Logistic, LogisticFit};
use neurodyn_analysis::predictivity::{self, fold_correlations, PredictivityConfig};
use neurodyn_analysis::ridge::Ridge;
use neurodyn_analysis::Features;
use serde_json::Value;

fn golden() -> Value {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/golden/analysis/representation.json");
    serde_json::from_str(&std::fs::read_to_string(p).expect("representation.json")).expect("parses")
}

fn vec(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().unwrap_or(f64::NAN))
        .collect()
}

fn ints(v: &Value) -> Vec<usize> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_u64().expect("int") as usize)
        .collect()
}

/// A row-major matrix: `(values, rows, cols)`.
fn matrix(v: &Value) -> (Vec<f64>, usize, usize) {
    let rows = v.as_array().expect("rows");
    let cols = rows[0].as_array().expect("row").len();
    (rows.iter().flat_map(vec).collect(), rows.len(), cols)
}

fn mat(v: &Value) -> Mat<f64> {
    let (d, n, p) = matrix(v);
    Mat::from_fn(n, p, |i, j| d[i * p + j])
}

fn tight() -> LogisticFit {
    LogisticFit {
        c: 1.0,
        tol: 1e-12,
        max_iter: 10_000,
    }
}

#[test]
fn multinomial_logistic_matches_sklearn_coefficients() {
    let g = &golden()["logistic"];
    let x = mat(&g["x"]);
    let y = ints(&g["y"]);
    let m = Logistic::fit(x.as_ref(), &y, 3, &tight()).expect("fit");
    assert!(m.converged, "{m:?}");
    let coef = mat(&g["coef"]); // (k, d)
    let mut worst: f64 = 0.0;
    for c in 0..3 {
        for j in 0..x.ncols() {
            worst = worst.max((m.w[(j, c)] - coef[(c, j)]).abs());
        }
    }
    for (b, want) in m.b.iter().zip(vec(&g["intercept"])) {
        worst = worst.max((b - want).abs());
    }
    eprintln!("logistic vs sklearn: largest coefficient/intercept error {worst:e}");
    assert!(
        worst < 1e-6,
        "largest coefficient/intercept error {worst:e}"
    );
    // Probabilities through the decision function.
    let z = m.decision(x.as_ref());
    let proba = mat(&g["proba"]);
    for i in 0..x.nrows() {
        let s: f64 = (0..3).map(|c| z[(i, c)].exp()).sum();
        for c in 0..3 {
            assert!((z[(i, c)].exp() / s - proba[(i, c)]).abs() < 1e-7);
        }
    }
}

#[test]
fn two_class_softmax_equals_sklearn_binomial_with_twice_c() {
    let g = &golden()["logistic_binary"];
    let x = mat(&g["x"]);
    let y = ints(&g["y"]);
    let fit = LogisticFit {
        c: g["sklearn_C"].as_f64().expect("C") / 2.0,
        ..tight()
    };
    let m = Logistic::fit(x.as_ref(), &y, 2, &fit).expect("fit");
    for (j, want) in vec(&g["coef"]).iter().enumerate() {
        let got = m.w[(j, 1)] - m.w[(j, 0)];
        assert!((got - want).abs() < 1e-6, "coef {j}: {got} vs {want}");
    }
    let b = m.b[1] - m.b[0];
    let want = g["intercept"].as_f64().expect("b");
    assert!((b - want).abs() < 1e-6, "intercept {b} vs {want}");
}

#[test]
fn decoding_fold_accuracies_match_the_sklearn_pipeline() {
    let g = &golden()["decoding"];
    let (x, n, p) = matrix(&g["x"]);
    let y = ints(&g["y"]);
    let labels: Vec<i64> = y.iter().map(|&v| v as i64).collect();
    let folds = ints(&g["folds"]);
    let f = Features {
        name: "golden",
        data: &x,
        n_rows: n,
        n_features: p,
        labels: &labels,
    };
    for (max_dims, key) in [(0, "fold_accuracy"), (3, "fold_accuracy_pca")] {
        let cfg = LayerDecodingConfig {
            max_dims,
            tol: 1e-10,
            max_iter: 10_000,
            ..LayerDecodingConfig::default()
        };
        let (acc, dims, bad, _) =
            layer_decoding::fold_accuracies(&f, &folds, std::slice::from_ref(&y), 3, &cfg)
                .expect("decode");
        assert_eq!(bad, 0);
        assert_eq!(dims, if max_dims == 0 { p } else { max_dims });
        assert_eq!(acc[0], vec(&g[key]), "{key}");
    }
}

#[test]
fn ridge_matches_sklearn_primal_and_dual() {
    for g in golden()["ridge"].as_array().expect("cases") {
        let (x, y) = (mat(&g["x"]), mat(&g["y"]));
        let m =
            Ridge::fit(x.as_ref(), y.as_ref(), g["alpha"].as_f64().expect("alpha")).expect("fit");
        let coef = mat(&g["coef"]); // (t, d)
        let mut worst: f64 = 0.0;
        for t in 0..y.ncols() {
            for j in 0..x.ncols() {
                worst = worst.max((m.w[(j, t)] - coef[(t, j)]).abs());
            }
        }
        for (b, want) in m.b.iter().zip(vec(&g["intercept"])) {
            worst = worst.max((b - want).abs());
        }
        eprintln!(
            "ridge vs sklearn, {} features: largest error {worst:e}",
            x.ncols()
        );
        assert!(worst < 1e-8, "{} features: error {worst:e}", x.ncols());
    }
}

#[test]
fn held_out_unit_correlations_match_the_sklearn_pipeline() {
    let g = &golden()["predictivity"];
    let (s, n, p) = matrix(&g["source"]);
    let (t, _, q) = matrix(&g["target"]);
    let labels: Vec<i64> = ints(&g["labels"]).iter().map(|&v| v as i64).collect();
    let folds = ints(&g["folds"]);
    let alpha = g["alpha"].as_f64().expect("alpha");
    let feat = |name, data, k| Features {
        name,
        data,
        n_rows: n,
        n_features: k,
        labels: &labels,
    };
    let (src, tgt) = (feat("source", &s, p), feat("target", &t, q));
    let units: Vec<usize> = (0..q).collect();
    let (r, dims) = fold_correlations(
        &src,
        &[(&tgt, &units)],
        &folds,
        alpha,
        Default::default(),
        &[],
        0,
    )
    .expect("r");
    assert_eq!(dims, p);
    let want = g["fold_r"].as_array().expect("folds");
    for (f, (got, want)) in r[0].iter().zip(want).enumerate() {
        for (u, (a, b)) in got.iter().zip(want.as_array().expect("units")).enumerate() {
            match (a, b.as_f64()) {
                (Some(a), Some(b)) => assert!((a - b).abs() < 1e-9, "fold {f} unit {u}"),
                (None, None) => {}
                other => panic!("fold {f} unit {u}: {other:?}"),
            }
        }
    }
    // The same through the PCA path, and the per-unit means and median.
    let (rp, dims) = fold_correlations(
        &src,
        &[(&tgt, &units)],
        &folds,
        alpha,
        Default::default(),
        &[],
        3,
    )
    .expect("r");
    assert_eq!(dims, 3);
    for (u, want) in g["r_pca"].as_array().expect("r").iter().enumerate() {
        let v: Option<Vec<f64>> = rp[0].iter().map(|f| f[u]).collect();
        let got = v.map(|v| v.iter().sum::<f64>() / v.len() as f64);
        match (got, want.as_f64()) {
            (Some(a), Some(b)) => assert!((a - b).abs() < 1e-9, "unit {u}: {a} vs {b}"),
            (None, None) => {}
            other => panic!("unit {u}: {other:?}"),
        }
    }
    // run() with its own folds: the constant unit is skipped and counted.
    let cfg = PredictivityConfig {
        folds: 4,
        alpha,
        ..PredictivityConfig::default()
    };
    let res = predictivity::run(&src, &tgt, &cfg).expect("run");
    assert_eq!(res.n_constant, 1);
    assert_eq!(res.r[3], None);
    assert!(res.median_r.expect("median") > 0.8, "{res:?}");
}

#[test]
fn bad_input_is_refused_with_the_layer_named() {
    let labels = vec![0i64; 10];
    let data: Vec<f64> = (0..20).map(|i| i as f64).collect();
    let f = Features {
        name: "fc9",
        data: &data,
        n_rows: 10,
        n_features: 2,
        labels: &labels,
    };
    let cfg = LayerDecodingConfig::default();
    let e = layer_decoding::run(&f, &cfg).unwrap_err().to_string();
    assert!(e.contains("fc9") && e.contains("1 class"), "{e}");

    let two: Vec<i64> = (0..10).map(|i| i % 2).collect();
    let flat = vec![3.0; 20];
    let f = Features {
        data: &flat,
        labels: &two,
        ..f
    };
    let e = layer_decoding::run(&f, &cfg).unwrap_err().to_string();
    assert!(e.contains("fc9") && e.contains("constant"), "{e}");
    let varied = Features { data: &data, ..f };
    let e = predictivity::run(&f, &varied, &PredictivityConfig::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("fc9") && e.contains("constant"), "{e}");

    let mut nan = data.clone();
    nan[7] = f64::NAN;
    let f = Features { data: &nan, ..f };
    let e = layer_decoding::run(&f, &cfg).unwrap_err().to_string();
    assert!(e.contains("fc9") && e.contains("not finite"), "{e}");
    let ok = Features { data: &data, ..f };
    let e = predictivity::run(&ok, &f, &PredictivityConfig::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("fc9") && e.contains("not finite"), "{e}");

    let few: Vec<i64> = (0..10).map(|i| i64::from(i < 3)).collect();
    let f = Features {
        data: &data,
        labels: &few,
        ..f
    };
    let e = layer_decoding::run(&f, &cfg).unwrap_err().to_string();
    assert!(e.contains("fc9") && e.contains("class 1 has 3"), "{e}");
}

#[test]
fn the_ridge_penalty_chosen_by_leave_one_out_matches_ridgecv() {
    // tests/golden/analysis/make_ridgecv_golden.py: RidgeCV(alphas), efficient LOO.
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/golden/analysis/ridgecv.json");
    let g: Value =
        serde_json::from_str(&std::fs::read_to_string(p).expect("ridgecv.json")).expect("json");
    let alphas = vec(&g["alphas"]);
    for c in g["cases"].as_array().expect("cases") {
        let name = c["name"].as_str().expect("name");
        let (x, n, d) = matrix(&c["x"]);
        let (y, _, t) = matrix(&c["y"]);
        let xm = Mat::from_fn(n, d, |i, j| x[i * d + j]);
        let ym = Mat::from_fn(n, t, |i, j| y[i * t + j]);
        let (fit, alpha, errors) = Ridge::fit_loo(xm.as_ref(), ym.as_ref(), &alphas).expect(name);
        assert_eq!(alpha, c["alpha"].as_f64().expect("alpha"), "{name}");
        for (got, want) in errors.iter().zip(vec(&c["loo_mse"])) {
            assert!(
                (got - want).abs() <= 1e-8 * want.abs(),
                "{name}: LOO {got} vs {want}"
            );
        }
        let (coef, _, _) = matrix(&c["coef"]);
        for j in 0..d {
            for k in 0..t {
                let (a, b) = (fit.w[(j, k)], coef[j * t + k]);
                assert!(
                    (a - b).abs() <= 1e-8 * (1.0 + b.abs()),
                    "{name}: w[{j},{k}] {a} vs {b}"
                );
            }
        }
        for (a, b) in fit.b.iter().zip(vec(&c["intercept"])) {
            assert!(
                (a - b).abs() <= 1e-8 * (1.0 + b.abs()),
                "{name}: b {a} vs {b}"
            );
        }
    }
}
