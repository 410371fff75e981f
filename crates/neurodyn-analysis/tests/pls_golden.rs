//! PLS regression against scikit-learn's `PLSRegression(scale=True)`
//! (tests/golden/analysis/make_pls_golden.py wrote pls.json, data included): coefficients on the
//! original units and held-out predictions, to 1e-8 of the largest magnitude.

use faer::Mat;
use neurodyn_analysis::pls::Pls;
use serde_json::Value;

fn matrix(v: &Value) -> Mat<f64> {
    let rows = v.as_array().expect("rows");
    let cols = rows[0].as_array().expect("row").len();
    Mat::from_fn(rows.len(), cols, |i, j| {
        rows[i][j].as_f64().expect("number")
    })
}

fn max_rel(got: &Mat<f64>, want: &Mat<f64>) -> f64 {
    assert_eq!((got.nrows(), got.ncols()), (want.nrows(), want.ncols()));
    let mut scale = 0.0f64;
    let mut worst = 0.0f64;
    for i in 0..want.nrows() {
        for j in 0..want.ncols() {
            scale = scale.max(want[(i, j)].abs());
            worst = worst.max((got[(i, j)] - want[(i, j)]).abs());
        }
    }
    worst / scale
}

#[test]
fn pls_matches_scikit_learn() {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/golden/analysis/pls.json");
    let g: Value =
        serde_json::from_str(&std::fs::read_to_string(p).expect("pls.json")).expect("json");
    let cases = g["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 4);
    for c in cases {
        let name = c["name"].as_str().expect("name");
        let k = c["k"].as_u64().expect("k") as usize;
        let pls = Pls::fit(matrix(&c["x"]).as_ref(), matrix(&c["y"]).as_ref(), k).expect(name);
        assert_eq!(pls.n_components, k, "{name}");
        let coef = max_rel(&pls.coef, &matrix(&c["coef"]));
        let pred = max_rel(
            &pls.predict(matrix(&c["x_test"]).as_ref()),
            &matrix(&c["predict"]),
        );
        assert!(
            coef < 1e-8 && pred < 1e-8,
            "{name}: coef {coef:e}, predictions {pred:e}"
        );
    }
}
