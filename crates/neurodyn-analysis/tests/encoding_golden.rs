//! Golden comparisons of the encoding fits (Poisson, Gaussian, gamma, Fano factor, pooled χ²)
//! and of the special functions under them with scipy
//! (tests/golden/analysis/make_encoding_golden.py wrote encoding.json, data included).

use neurodyn_analysis::encoding::{self, EncodingConfig};
use neurodyn_analysis::special::{chi2_sf, digamma, gamma_p, gamma_q, ln_gamma, trigamma};
use serde_json::Value;

fn golden() -> Value {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/golden/analysis/encoding.json");
    serde_json::from_str(&std::fs::read_to_string(p).expect("encoding.json")).expect("parses")
}

fn vec(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn ints(v: &Value) -> Vec<u64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_u64().expect("int"))
        .collect()
}

/// Relative error of `got` against `want` (absolute below 1e-300).
fn rel(got: f64, want: f64) -> f64 {
    if got == want {
        0.0
    } else {
        (got - want).abs() / want.abs().max(1e-300)
    }
}

/// Tracks the largest relative error of each quantity and fails above `tol`.
struct Worst(Vec<(String, f64)>);

impl Worst {
    fn check(&mut self, what: &str, got: f64, want: f64, tol: f64) {
        let e = rel(got, want);
        assert!(
            e <= tol,
            "{what}: {got} vs scipy {want} (relative error {e:e})"
        );
        match self.0.iter_mut().find(|(w, _)| w == what) {
            Some((_, m)) => *m = m.max(e),
            None => self.0.push((what.to_string(), e)),
        }
    }
}

#[test]
fn fits_and_chi_square_match_scipy() {
    let g = golden();
    let mut worst = Worst(Vec::new());
    for c in g["cases"].as_array().expect("cases") {
        let name = c["name"].as_str().expect("name");
        let a = vec(&c["activations"]);
        let cfg = EncodingConfig {
            scale: c["scale"].as_f64(),
        };
        let r = encoding::run(&a, &cfg).expect(name);
        assert_eq!(r.counts, ints(&c["counts"]), "{name}: counts");
        assert_eq!(r.histogram, ints(&c["histogram"]), "{name}: histogram");
        worst.check(
            "scale",
            r.scale,
            c["expected_scale"].as_f64().unwrap(),
            1e-14,
        );
        worst.check(
            "lambda",
            r.poisson.lambda,
            c["lambda"].as_f64().unwrap(),
            1e-14,
        );
        let f = |k: &str| c[k].as_f64().expect(k);
        worst.check(
            "poisson lnL",
            r.poisson.log_likelihood,
            f("poisson_log_likelihood"),
            1e-9,
        );
        worst.check("poisson AIC", r.poisson.aic, f("poisson_aic"), 1e-9);
        for (got, want) in r.poisson_pmf.iter().zip(vec(&c["poisson_pmf"])) {
            worst.check("poisson pmf", *got, want, 1e-9);
        }
        let gs = r.gaussian.as_ref().expect("gaussian fit");
        worst.check("gaussian mu", gs.mu, f("mu"), 1e-14);
        worst.check("gaussian sigma", gs.sigma, f("sigma"), 1e-12);
        worst.check(
            "gaussian lnL",
            gs.log_likelihood,
            f("gaussian_log_likelihood"),
            1e-9,
        );
        worst.check("gaussian AIC", gs.aic, f("gaussian_aic"), 1e-9);
        let ga = r.gamma.as_ref().expect("gamma fit");
        worst.check("gamma shape", ga.shape, f("gamma_shape"), 1e-9);
        worst.check(
            "gamma shape (tight)",
            ga.shape,
            f("gamma_shape_tight"),
            1e-12,
        );
        worst.check("gamma scale", ga.scale, f("gamma_scale"), 1e-9);
        worst.check(
            "gamma lnL",
            ga.log_likelihood,
            f("gamma_log_likelihood"),
            1e-9,
        );
        worst.check("gamma AIC", ga.aic, f("gamma_aic"), 1e-9);
        assert_eq!(
            ga.n_excluded_zeros as u64,
            c["gamma_excluded_zeros"].as_u64().unwrap(),
            "{name}"
        );
        worst.check("fano", r.fano.expect("fano"), f("fano"), 1e-12);
        let want = &c["chi_square"];
        match (&r.chi_square, want.is_null()) {
            (None, true) => {}
            (Some(chi), false) => {
                assert_eq!(chi.dof as u64, want["dof"].as_u64().unwrap(), "{name}");
                let from: Vec<u64> = chi.bins.iter().map(|b| b.from).collect();
                assert_eq!(from, ints(&want["from"]), "{name}: pooled bins");
                let to: Vec<Option<u64>> = chi.bins.iter().map(|b| b.to).collect();
                let want_to: Vec<Option<u64>> = want["to"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(Value::as_u64)
                    .collect();
                assert_eq!(to, want_to, "{name}: pooled bins");
                let obs: Vec<u64> = chi.bins.iter().map(|b| b.observed).collect();
                assert_eq!(obs, ints(&want["observed"]), "{name}");
                for (b, e) in chi.bins.iter().zip(vec(&want["expected"])) {
                    worst.check("chi2 expected", b.expected, e, 1e-9);
                }
                worst.check(
                    "chi2 statistic",
                    chi.statistic,
                    want["statistic"].as_f64().unwrap(),
                    1e-9,
                );
                worst.check(
                    "chi2 p-value",
                    chi.p_value,
                    want["p_value"].as_f64().unwrap(),
                    1e-9,
                );
            }
            (got, _) => panic!("{name}: χ² {got:?}, scipy {want}"),
        }
    }
    for (what, e) in &worst.0 {
        eprintln!("encoding vs scipy: {what}: largest relative error {e:.1e}");
    }
}

#[test]
fn special_functions_match_scipy() {
    let g = golden();
    let s = &g["special"];
    let mut worst = Worst(Vec::new());
    for (i, x) in vec(&s["x"]).into_iter().enumerate() {
        let lg = s["ln_gamma"][i].as_f64().unwrap();
        // ln Γ crosses 0 at 1 and 2: an absolute error there.
        if lg.abs() < 1e-3 {
            assert!((ln_gamma(x) - lg).abs() < 1e-14, "ln Γ({x})");
        } else {
            worst.check("ln_gamma", ln_gamma(x), lg, 1e-13);
        }
        worst.check(
            "digamma",
            digamma(x),
            s["digamma"][i].as_f64().unwrap(),
            1e-13,
        );
        worst.check(
            "trigamma",
            trigamma(x),
            s["trigamma"][i].as_f64().unwrap(),
            1e-13,
        );
    }
    let ig = &g["incomplete_gamma"];
    for (i, (a, x)) in vec(&ig["a"]).into_iter().zip(vec(&ig["x"])).enumerate() {
        worst.check(
            "gamma_p",
            gamma_p(a, x),
            ig["p"][i].as_f64().unwrap(),
            1e-12,
        );
        worst.check(
            "gamma_q",
            gamma_q(a, x),
            ig["q"][i].as_f64().unwrap(),
            1e-12,
        );
    }
    let c = &g["chi2_sf"];
    for (i, (x, d)) in vec(&c["x"]).into_iter().zip(vec(&c["dof"])).enumerate() {
        worst.check(
            "chi2_sf",
            chi2_sf(x, d),
            c["sf"][i].as_f64().unwrap(),
            1e-12,
        );
    }
    for (what, e) in &worst.0 {
        eprintln!("special vs scipy: {what}: largest relative error {e:.1e}");
    }
}
