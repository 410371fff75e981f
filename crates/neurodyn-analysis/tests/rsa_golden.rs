//! Golden comparisons of `rsa` (every RDM comparison method, on full RDMs and on a bootstrap
//! resample with repeated conditions, and linear CKA) with rsatoolbox / numpy
//! (tests/golden/analysis/make_rsa_golden.py wrote rsa.json, inputs included). Each check is
//! to 1e-9 relative; the largest relative error seen is printed (`--nocapture`).

use neurodyn_analysis::rsa::{self, RsaMethod};
use serde_json::Value;

fn golden() -> Value {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/golden/analysis/rsa.json");
    serde_json::from_str(&std::fs::read_to_string(p).expect("rsa.json")).expect("parses")
}

fn f(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

/// Relative error of `got` against `want` (absolute below 1e-12).
fn rel(got: f64, want: f64) -> f64 {
    (got - want).abs() / want.abs().max(1e-12)
}

fn check(what: &str, got: f64, want: f64, worst: &mut f64) {
    let e = rel(got, want);
    assert!(
        e < 1e-9,
        "{what}: got {got}, want {want} (relative error {e:e})"
    );
    *worst = worst.max(e);
}

#[test]
fn every_method_matches_rsatoolbox_on_full_and_resampled_rdms() {
    let g = golden();
    let n = g["n_conditions"].as_u64().expect("n") as usize;
    let mut worst = 0.0f64;
    let cases = g["compare"].as_array().expect("compare");
    for (case, sub) in cases
        .iter()
        .zip(g["subsample"].as_array().expect("subsample"))
    {
        let (a, b) = (f(&case["a"]), f(&case["b"]));
        let idx: Vec<usize> = sub["index"]
            .as_array()
            .expect("index")
            .iter()
            .map(|v| v.as_u64().expect("int") as usize)
            .collect();
        let (sa, sb) = (rsa::subsample(&a, n, &idx), rsa::subsample(&b, n, &idx));
        assert!(
            sa.iter().any(|v| v.is_nan()),
            "the resample repeats conditions"
        );
        for m in RsaMethod::ALL {
            let name = case["name"].as_str().expect("name");
            let want = case["expected"][m.name()].as_f64().expect("expected");
            let got = rsa::compare(&a, &b, m).expect("compare");
            check(&format!("{name} {}", m.name()), got, want, &mut worst);
            let want = sub["expected"][m.name()].as_f64().expect("expected");
            let got = rsa::compare(&sa, &sb, m).expect("compare resample");
            check(
                &format!("{name} resampled {}", m.name()),
                got,
                want,
                &mut worst,
            );
        }
    }
    // The whitened cosine equals rsatoolbox's explicit V⁻¹ (Diedrichsen et al. 2021) form.
    let a = f(&cases[0]["a"]);
    let b = f(&cases[0]["b"]);
    let got = rsa::compare(&a, &b, RsaMethod::WhitenedCosine).expect("whitened");
    let want = g["whitened_cosine_via_v_inverse"].as_f64().expect("v form");
    check("whitened cosine vs V⁻¹ form", got, want, &mut worst);
    println!(
        "rsa golden (rsatoolbox {}): max relative error {worst:e}",
        g["rsatoolbox_version"]
    );
}

#[test]
fn linear_cka_matches_numpy() {
    let g = golden();
    let c = &g["cka"];
    let rows = |v: &Value| -> (Vec<f64>, usize, usize) {
        let r = v.as_array().expect("rows");
        (r.iter().flat_map(f).collect(), r.len(), f(&r[0]).len())
    };
    let (x, n, p) = rows(&c["x"]);
    let (y, _, q) = rows(&c["y"]);
    let got = rsa::linear_cka(&x, &y, n, p, q).expect("cka");
    let want = c["expected"].as_f64().expect("expected");
    let mut worst = 0.0;
    check("cka", got, want, &mut worst);
    check(
        "cka swapped",
        rsa::linear_cka(&y, &x, n, q, p).expect("cka"),
        want,
        &mut worst,
    );
    println!("cka golden: max relative error {worst:e}");
}

#[test]
fn mahalanobis_crossnobis_and_poisson_rdms_match_rsatoolbox() {
    use neurodyn_analysis::noise_rdm::{self, Repeats};
    use neurodyn_analysis::rdm::{self, RdmMethod};
    use neurodyn_analysis::rsa::upper_triangle;
    let g = golden();
    let r = &g["rdms"];
    let conds = r["data"].as_array().expect("data");
    let (c, reps) = (conds.len(), conds[0].as_array().expect("repeats").len());
    let data: Vec<f64> = conds
        .iter()
        .flat_map(|k| {
            k.as_array()
                .expect("repeats")
                .iter()
                .flat_map(f)
                .collect::<Vec<_>>()
        })
        .collect();
    let p = data.len() / (c * reps);
    let x = Repeats {
        name: "golden",
        data: &data,
        n_conditions: c,
        n_repeats: reps,
        n_features: p,
    };
    let mut worst = 0.0f64;
    let cov = x.noise_covariance(None).expect("covariance");
    let want_cov: Vec<f64> = r["noise_cov"]
        .as_array()
        .expect("cov")
        .iter()
        .flat_map(f)
        .collect();
    for (k, (a, b)) in cov.iter().zip(&want_cov).enumerate() {
        check(&format!("noise covariance entry {k}"), *a, *b, &mut worst);
    }
    let prec = noise_rdm::precision("golden", &cov, p).expect("precision");
    let eye: Vec<f64> = (0..p * p).map(|k| f64::from(k / p == k % p)).collect();
    let cases = [
        (
            "mahalanobis",
            noise_rdm::mahalanobis("golden", &x.means(), c, p, &prec),
        ),
        ("crossnobis", noise_rdm::crossnobis(&x, &prec)),
        ("crossnobis_identity", noise_rdm::crossnobis(&x, &eye)),
    ];
    for (name, got) in cases {
        let got = upper_triangle(&got.expect(name), c);
        for (k, (a, b)) in got.iter().zip(&f(&r[name])).enumerate() {
            check(&format!("{name} pair {k}"), *a, *b, &mut worst);
        }
    }
    let counts: Vec<f64> = r["counts"]
        .as_array()
        .expect("counts")
        .iter()
        .flat_map(f)
        .collect();
    let names: Vec<String> = (0..c).map(|i| format!("row {i}")).collect();
    let pois = rdm::dissimilarity(
        "counts",
        &counts,
        counts.len() / c,
        &names,
        RdmMethod::Poisson,
    )
    .expect("poisson");
    for (k, (a, b)) in upper_triangle(&pois, c)
        .iter()
        .zip(&f(&r["poisson"]))
        .enumerate()
    {
        check(&format!("poisson pair {k}"), *a, *b, &mut worst);
    }
    println!("noise-normalised and poisson RDM golden: max relative error {worst:e}");
    let mut negative = counts.clone();
    negative[3] = -1.0;
    let e = rdm::dissimilarity(
        "counts",
        &negative,
        counts.len() / c,
        &names,
        RdmMethod::Poisson,
    )
    .expect_err("negative counts")
    .to_string();
    assert!(e.contains("negative") && e.contains("row 0"), "{e}");
}

#[test]
fn noise_ceilings_match_rsatoolbox() {
    // tests/golden/analysis/make_ceiling_golden.py: 5 repeats of 8 conditions.
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/golden/analysis/ceiling.json");
    let g: Value =
        serde_json::from_str(&std::fs::read_to_string(p).expect("ceiling.json")).expect("parses");
    let rdms: Vec<Vec<f64>> = g["rdms"].as_array().expect("rdms").iter().map(f).collect();
    assert_eq!(rdms.len(), 5);
    // The RDMs themselves: correlation distance of each repeat's (condition, feature) slice.
    let data = g["data"].as_array().expect("data");
    let names: Vec<String> = (0..8).map(|i| format!("c{i}")).collect();
    let mut worst = 0.0f64;
    for (r, want) in rdms.iter().enumerate() {
        let x: Vec<f64> = data.iter().flat_map(|c| f(&c[r])).collect();
        let full = neurodyn_analysis::rdm::dissimilarity(
            "repeat",
            &x,
            6,
            &names,
            neurodyn_analysis::rdm::RdmMethod::Correlation,
        )
        .expect("rdm");
        for (got, want) in rsa::upper_triangle(&full, 8).iter().zip(want) {
            check("repeat RDM", *got, *want, &mut worst);
        }
    }
    for m in RsaMethod::ALL {
        let c = rsa::noise_ceiling(&rdms, m).expect("ceiling");
        let want = &g["ceilings"][m.name()];
        check(
            &format!("{} lower", m.name()),
            c.lower,
            want["lower"].as_f64().expect("lower"),
            &mut worst,
        );
        check(
            &format!("{} upper", m.name()),
            c.upper,
            want["upper"].as_f64().expect("upper"),
            &mut worst,
        );
        assert!(c.lower < c.upper);
    }
    println!("noise ceilings: largest relative error {worst:e}");
}
