//! Golden comparisons of `rdm` and `dprime` with numpy / rsatoolbox / scipy
//! (tests/golden/analysis/make_rdm_golden.py wrote rdm.json, data included), and every refusal.

use neurodyn_analysis::dprime::{self, DprimeConfig};
use neurodyn_analysis::rdm::{self, Conditions, RdmConfig, RdmMethod};
use neurodyn_analysis::{AnalysisError, Features};
use serde_json::Value;

fn golden() -> Value {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/golden/analysis/rdm.json");
    serde_json::from_str(&std::fs::read_to_string(p).expect("rdm.json")).expect("parses")
}

fn f(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().unwrap_or(f64::NAN))
        .collect()
}

fn data(g: &Value) -> (Vec<f64>, usize, usize, Vec<i64>) {
    let rows = g["data"].as_array().expect("data");
    let p = rows[0].as_array().expect("row").len();
    let d: Vec<f64> = rows.iter().flat_map(f).collect();
    let labels = g["labels"]
        .as_array()
        .expect("labels")
        .iter()
        .map(|v| v.as_i64().expect("int"))
        .collect();
    (d, rows.len(), p, labels)
}

fn close(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-10 || (got.is_nan() && want.is_nan()),
        "{what}: got {got}, want {want}"
    );
}

#[test]
fn rdms_and_category_index_match_numpy() {
    let g = golden();
    let (d, n, p, labels) = data(&g);
    let x = Features {
        name: "golden",
        data: &d,
        n_rows: n,
        n_features: p,
        labels: &labels,
    };
    let cases = g["rdm"].as_array().expect("cases");
    assert_eq!(cases.len(), 12);
    for c in cases {
        let method = match c["method"].as_str().expect("method") {
            "correlation" => RdmMethod::Correlation,
            "euclidean" => RdmMethod::Euclidean,
            _ => RdmMethod::Cosine,
        };
        let conditions = match c["conditions"].as_str().expect("conditions") {
            "images" => Conditions::Images,
            _ => Conditions::ClassMeans,
        };
        let cfg = RdmConfig {
            method,
            conditions,
            max_per_class: c["max_per_class"].as_u64().map(|k| k as usize),
        };
        let r = rdm::run(&x, &cfg).expect("rdm");
        let tag = format!("{method:?} {conditions:?} {:?}", cfg.max_per_class);
        let want: Vec<f64> = c["rdm"]
            .as_array()
            .expect("rdm")
            .iter()
            .flat_map(f)
            .collect();
        assert_eq!(r.rdm.len(), want.len(), "{tag}");
        for (k, (a, b)) in r.rdm.iter().zip(&want).enumerate() {
            close(&format!("{tag} rdm[{k}]"), *a, *b);
        }
        let rows: Vec<usize> = f(&c["rows"]).iter().map(|&v| v as usize).collect();
        assert_eq!(r.rows_used, rows, "{tag}");
        let cl: Vec<i64> = f(&c["condition_labels"])
            .iter()
            .map(|&v| v as i64)
            .collect();
        assert_eq!(r.condition_labels, cl, "{tag}");
        let ci = &c["category"];
        close(&tag, r.mean_within.unwrap(), ci["within"].as_f64().unwrap());
        close(
            &tag,
            r.mean_between.unwrap(),
            ci["between"].as_f64().unwrap(),
        );
        close(
            &tag,
            r.mean_off_diagonal,
            ci["off_diagonal"].as_f64().unwrap(),
        );
        close(
            &tag,
            r.category_index.unwrap(),
            ci["index"].as_f64().unwrap(),
        );
        close(
            &tag,
            r.normalised_category_index.unwrap(),
            ci["normalised"].as_f64().unwrap(),
        );
        let z = r.to_npz().expect("npz");
        assert_eq!(z.get("rdm").expect("rdm").shape(), &[r.n_conditions; 2]);
    }
}

#[test]
fn dprime_auc_and_roc_match_numpy_and_scipy() {
    let g = golden();
    let (d, n, p, labels) = data(&g);
    let x = Features {
        name: "golden",
        data: &d,
        n_rows: n,
        n_features: p,
        labels: &labels,
    };
    let gd = &g["dprime"];
    let cfg = DprimeConfig {
        class_a: gd["class_a"].as_i64().unwrap(),
        class_b: gd["class_b"].as_i64().unwrap(),
        unit: gd["unit"].as_u64().unwrap() as usize,
    };
    let r = dprime::run(&x, &cfg).expect("dprime");
    let want = f(&gd["d_prime"]);
    for k in 0..p {
        close(
            &format!("d'[{k}]"),
            r.d_prime[k].unwrap_or(f64::NAN),
            want[k],
        );
    }
    let undefined: Vec<bool> = gd["undefined"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_bool().unwrap())
        .collect();
    assert_eq!(r.undefined, undefined);
    assert_eq!(r.n_undefined, 1);
    for (k, (a, b)) in r.auc.iter().zip(f(&gd["auc"])).enumerate() {
        close(&format!("auc[{k}]"), *a, b);
    }
    for (k, (a, b)) in r.mean_a.iter().zip(f(&gd["mean_a"])).enumerate() {
        close(&format!("mean_a[{k}]"), *a, b);
    }
    for (k, (a, b)) in r.var_b.iter().zip(f(&gd["var_b"])).enumerate() {
        close(&format!("var_b[{k}]"), *a, b);
    }
    let t = f(&gd["roc_thresholds"]);
    assert_eq!(r.roc.thresholds.len(), t.len());
    assert!(r.roc.thresholds[0].is_infinite());
    for k in 1..t.len() {
        close("threshold", r.roc.thresholds[k], t[k]);
    }
    for (a, b) in r.roc.fpr.iter().zip(f(&gd["roc_fpr"])) {
        close("fpr", *a, b);
    }
    for (a, b) in r.roc.tpr.iter().zip(f(&gd["roc_tpr"])) {
        close("tpr", *a, b);
    }
    assert_eq!(r.max_abs_unit, Some(8));
    let json = serde_json::to_value(&r).expect("json");
    assert!(json["d_prime"][7].is_null());
    assert!(json["undefined"][7].as_bool().unwrap());
    let z = r.to_npz().expect("npz");
    assert!(z.get("d_prime").unwrap().to_f64()[7].is_nan());
}

fn feats<'a>(d: &'a [f64], n: usize, labels: &'a [i64]) -> Features<'a> {
    Features {
        name: "layer",
        data: d,
        n_rows: n,
        n_features: d.len() / n.max(1),
        labels,
    }
}

fn msg(e: AnalysisError) -> String {
    e.to_string()
}

#[test]
fn rdm_refusals_name_the_problem() {
    let corr = RdmConfig::default();
    // Fewer than 2 conditions.
    let e = msg(rdm::run(&feats(&[1.0, 2.0, 3.0], 1, &[0]), &corr).unwrap_err());
    assert!(e.contains("at least 2 conditions"), "{e}");
    let cm = RdmConfig {
        conditions: Conditions::ClassMeans,
        ..RdmConfig::default()
    };
    let e = msg(rdm::run(&feats(&[1.0, 2.0, 3.0, 1.0, 5.0, 2.0], 2, &[4, 4]), &cm).unwrap_err());
    assert!(e.contains("at least 2 conditions, got 1"), "{e}");
    // A constant row: correlation undefined, named.
    let d = [1.0, 2.0, 3.0, 5.0, 5.0, 5.0, 0.0, 1.0, 0.5];
    let e = msg(rdm::run(&feats(&d, 3, &[0, 1, 1]), &corr).unwrap_err());
    assert!(
        e.contains("image row 1 (label 1)") && e.contains("constant"),
        "{e}"
    );
    // …but fine for euclidean; a zero row is refused by cosine.
    let eu = RdmConfig {
        method: RdmMethod::Euclidean,
        ..RdmConfig::default()
    };
    assert!(rdm::run(&feats(&d, 3, &[0, 1, 1]), &eu).is_ok());
    let z = [1.0, 2.0, 0.0, 0.0, 0.5, 1.0];
    let cos = RdmConfig {
        method: RdmMethod::Cosine,
        ..RdmConfig::default()
    };
    let e = msg(rdm::run(&feats(&z, 3, &[0, 1, 2]), &cos).unwrap_err());
    assert!(e.contains("image row 1") && e.contains("all zeros"), "{e}");
    // NaN values.
    let e = msg(rdm::run(&feats(&[1.0, f64::NAN, 3.0, 4.0], 2, &[0, 1]), &corr).unwrap_err());
    assert!(
        e.contains("row 0") && e.contains("feature 1") && e.contains("not finite"),
        "{e}"
    );
    // Label count mismatch.
    let e = msg(rdm::run(&feats(&[1.0, 2.0, 3.0, 4.0], 2, &[0, 1, 1]), &corr).unwrap_err());
    assert!(e.contains("labels of 'layer'"), "{e}");
    // max_per_class = 0.
    let bad = RdmConfig {
        max_per_class: Some(0),
        ..RdmConfig::default()
    };
    let e = msg(rdm::run(&feats(&[1.0, 2.0, 3.0, 4.0], 2, &[0, 1]), &bad).unwrap_err());
    assert!(e.contains("max_per_class"), "{e}");
    // Unknown config keys.
    assert!(serde_json::from_str::<RdmConfig>(r#"{"metod": "cosine"}"#).is_err());
    let c: RdmConfig =
        serde_json::from_str(r#"{"method": "euclidean", "conditions": "class-means"}"#).unwrap();
    assert_eq!(c.conditions, Conditions::ClassMeans);
    // One image per class: no within-class pairs, so no category index (null, not NaN).
    let r = rdm::run(&feats(&[1.0, 2.0, 3.0, 1.0, 0.0, 2.0], 2, &[0, 1]), &corr).unwrap();
    assert_eq!(r.category_index, None);
}

#[test]
fn dprime_refusals_name_the_problem() {
    let d = [1.0, 2.0, 2.0, 1.0, 3.0, 0.0, 0.0, 4.0];
    let labels = [0, 0, 1, 1];
    let x = feats(&d, 4, &labels);
    let cfg = |a, b, unit| DprimeConfig {
        class_a: a,
        class_b: b,
        unit,
    };
    let e = msg(dprime::run(&x, &cfg(0, 7, 0)).unwrap_err());
    assert!(
        e.contains("class 7 has 0") && e.contains("classes present: 0, 1"),
        "{e}"
    );
    let e = msg(dprime::run(&x, &cfg(0, 0, 0)).unwrap_err());
    assert!(e.contains("must differ"), "{e}");
    let e = msg(dprime::run(&x, &cfg(0, 1, 5)).unwrap_err());
    assert!(e.contains("has 2 units") && e.contains("got 5"), "{e}");
    let one = [0, 0, 0, 1];
    let e = msg(dprime::run(&feats(&d, 4, &one), &cfg(0, 1, 0)).unwrap_err());
    assert!(e.contains("class 1 has 1 image"), "{e}");
    assert!(serde_json::from_str::<DprimeConfig>(r#"{"class": 1}"#).is_err());
    let r = dprime::run(&x, &cfg(1, 0, 1)).unwrap();
    assert_eq!(r.n_undefined, 0);
    assert!((r.auc[0] - 0.5).abs() < 1e-15);
    assert!((r.auc[1] - 0.5).abs() < 1e-15);
}

/// At the size of the speed target (1,000 conditions × 10,000 features: timed by the criterion
/// bench `benches/rdm.rs`, not here), entries far apart in the matrix equal 1 − Pearson r
/// computed directly, to the single precision of the large-RDM product (≈ 1e-6 absolute).
#[test]
fn correlation_rdm_at_1000_by_10000_matches_direct_pearson() {
    let (n, p) = (1000, 10_000);
    let d: Vec<f64> = (0..n * p)
        .map(|k| ((k as f64) * 0.618_033_988_7).fract() + (k / p) as f64 * 1e-3)
        .collect();
    let labels: Vec<i64> = (0..n as i64).map(|i| i % 10).collect();
    let x = feats(&d, n, &labels);
    let r = rdm::run(&x, &RdmConfig::default()).unwrap();
    assert_eq!(r.n_conditions, n);
    // Conditions are sorted by class (stable), so condition c is row rows_used[c].
    let pearson = |a: &[f64], b: &[f64]| {
        let (ma, mb) = (
            a.iter().sum::<f64>() / a.len() as f64,
            b.iter().sum::<f64>() / b.len() as f64,
        );
        let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
        for (u, v) in a.iter().zip(b) {
            sab += (u - ma) * (v - mb);
            saa += (u - ma) * (u - ma);
            sbb += (v - mb) * (v - mb);
        }
        sab / (saa * sbb).sqrt()
    };
    for (i, j) in [(0, 1), (3, 998), (500, 999), (17, 640)] {
        let (ri, rj) = (r.rows_used[i], r.rows_used[j]);
        let want = 1.0 - pearson(&d[ri * p..(ri + 1) * p], &d[rj * p..(rj + 1) * p]);
        let got = r.rdm[i * n + j];
        assert!((got - want).abs() < 1e-5, "({i}, {j}): {got} vs {want}");
        assert_eq!(got, r.rdm[j * n + i], "symmetric");
    }
}
