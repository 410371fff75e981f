//! Golden comparisons with scikit-learn (tests/golden/analysis/make_golden.py and
//! make_decoding_golden.py wrote the files, inputs included, so both sides see the same data).

use neurodyn_analysis::cluster::{lloyd, silhouette_score};
use neurodyn_analysis::decoding::{fold_accuracies, RidgeClassifier};
use neurodyn_analysis::pca::Pca;
use serde_json::Value;

fn golden() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/golden/analysis/golden.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("golden.json parses")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn usize_of(v: &Value) -> usize {
    v.as_u64().expect("integer") as usize
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-3)
}

fn assert_close(what: &str, got: &[f64], want: &[f64], rel: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(close(*g, *w, rel), "{what}[{i}]: got {g}, sklearn {w}");
    }
}

#[test]
fn pca_matches_sklearn() {
    let g = &golden()["pca"];
    let (n, d, k) = (
        usize_of(&g["n_samples"]),
        usize_of(&g["n_features"]),
        usize_of(&g["n_components"]),
    );
    let data = floats(&g["data"]);
    let pca = Pca::fit(&data, n, d, Some(k)).expect("fit");
    assert_close(
        "explained_variance",
        &pca.explained_variance,
        &floats(&g["explained_variance"]),
        1e-6,
    );
    assert_close(
        "explained_variance_ratio",
        &pca.explained_variance_ratio,
        &floats(&g["explained_variance_ratio"]),
        1e-6,
    );
    assert_close(
        "singular_values",
        &pca.singular_values,
        &floats(&g["singular_values"]),
        1e-6,
    );
    assert_close("mean", &pca.mean, &floats(&g["mean"]), 1e-9);
    let want = floats(&g["components"]);
    let scores = pca.transform(&data[..5 * d]).expect("transform");
    let want_scores = floats(&g["transformed_first5"]);
    for c in 0..k {
        let (got_c, want_c) = (
            &pca.components[c * d..(c + 1) * d],
            &want[c * d..(c + 1) * d],
        );
        // Up to sign (sklearn's svd_flip convention changed across versions).
        let s = if got_c.iter().zip(want_c).map(|(a, b)| a * b).sum::<f64>() < 0.0 {
            -1.0
        } else {
            1.0
        };
        for j in 0..d {
            assert!(
                (s * got_c[j] - want_c[j]).abs() < 1e-6,
                "component {c}: {got_c:?} vs {want_c:?}"
            );
        }
        for r in 0..5 {
            let (a, b) = (s * scores[r * k + c], want_scores[r * k + c]);
            assert!(
                close(a, b, 1e-6) || (a - b).abs() < 1e-8,
                "score [{r},{c}] {a} vs {b}"
            );
        }
    }
    let all = Pca::fit(&data, n, d, None).expect("fit all");
    assert_close(
        "explained_variance (all)",
        &all.explained_variance,
        &floats(&g["explained_variance_all"]),
        1e-6,
    );
    let ratio_sum: f64 = all.explained_variance_ratio.iter().sum();
    assert!((ratio_sum - 1.0).abs() < 1e-12);
}

#[test]
fn kmeans_and_silhouette_match_sklearn() {
    for g in golden()["kmeans"].as_array().expect("kmeans cases") {
        let (n, d) = (usize_of(&g["n_samples"]), usize_of(&g["n_features"]));
        let data = floats(&g["data"]);
        let r = lloyd(&data, n, d, &floats(&g["init"]), 300, 1e-4).expect("lloyd");
        let want: Vec<usize> = g["labels"]
            .as_array()
            .expect("labels")
            .iter()
            .map(usize_of)
            .collect();
        // Labels up to permutation: the mapping got → want must be one-to-one.
        let mut map = vec![usize::MAX; r.k];
        for (a, b) in r.labels.iter().zip(&want) {
            assert!(
                map[*a] == usize::MAX || map[*a] == *b,
                "labels differ beyond a permutation"
            );
            map[*a] = *b;
        }
        let mut seen = map.clone();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), r.k);
        assert!(
            close(r.inertia, g["inertia"].as_f64().expect("inertia"), 1e-6),
            "inertia {} vs {}",
            r.inertia,
            g["inertia"]
        );
        let want_c = floats(&g["centers"]);
        for c in 0..r.k {
            assert_close(
                "centre",
                &r.centers[c * d..(c + 1) * d],
                &want_c[map[c] * d..(map[c] + 1) * d],
                1e-6,
            );
        }
        let s = silhouette_score(&data, n, d, &r.labels).expect("silhouette");
        assert!(
            close(s, g["silhouette"].as_f64().expect("silhouette"), 1e-6),
            "silhouette {s} vs {}",
            g["silhouette"]
        );
        if let Some(fixed) = g.get("fixed_labels") {
            let labels: Vec<usize> = fixed
                .as_array()
                .expect("fixed")
                .iter()
                .map(usize_of)
                .collect();
            let s = silhouette_score(&data, n, d, &labels).expect("silhouette");
            let want = g["fixed_labels_silhouette"].as_f64().expect("number");
            assert!(close(s, want, 1e-6), "fixed-label silhouette {s} vs {want}");
        }
    }
}

#[test]
fn decoding_matches_sklearn_ridge_classifier() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/golden/analysis/decoding.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let g: Value = serde_json::from_str(&text).expect("decoding.json parses");
    for (ci, case) in g["cases"].as_array().expect("cases").iter().enumerate() {
        let (n, d) = (usize_of(&case["n"]), usize_of(&case["d"]));
        let k = usize_of(&case["n_classes"]);
        let alpha = case["alpha"].as_f64().expect("alpha");
        let x = floats(&case["x"]);
        // Classes in ascending order of the label values, as scikit-learn sorts them.
        let labels = floats(&case["labels"]);
        let mut values = labels.clone();
        values.sort_by(f64::total_cmp);
        values.dedup();
        let y: Vec<usize> = labels
            .iter()
            .map(|v| values.iter().position(|c| c == v).expect("class"))
            .collect();
        assert_eq!(values.len(), k);
        let folds = fold_accuracies(&x, &y, d, k, 5, alpha).expect("folds");
        assert_eq!(
            folds,
            floats(&case["fold_accuracy"]),
            "case {ci}: fold accuracies"
        );
        let clf = RidgeClassifier::fit(&x, &y, d, k, alpha).expect("fit");
        let want = floats(&case["decision"]);
        let cols = usize_of(&case["decision_columns"]);
        for i in 0..4 {
            let s = clf.decision(&x[i * d..(i + 1) * d]);
            // Two classes: scikit-learn keeps the second class's column only.
            let got: Vec<f64> = if cols == 1 { vec![s[1]] } else { s };
            assert_close(
                &format!("case {ci}, decision of sample {i}"),
                &got,
                &want[i * cols..(i + 1) * cols],
                1e-9,
            );
        }
        assert_eq!(n, y.len());
    }
}
