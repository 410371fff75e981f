//! Signal detection per unit between two classes: d′, ROC AUC and one unit's ROC curve.
//!
//! For classes `a` and `b` of a labelled [`Features`] matrix (rows = images, features = units)
//! and every unit, with `μ`, `σ²` the mean and **sample** variance (`ddof = 1`, `np.var(x,
//! ddof=1)`) of its responses to each class:
//!
//! - `d′ = (μ_a − μ_b) / √((σ_a² + σ_b²)/2)`; positive = the unit responds more to `a`. A unit
//!   with zero variance in both classes has no d′: `null` in JSON (NaN in the npz), flagged in
//!   `undefined` and counted in `n_undefined`.
//! - `auc` = P(response to an `a` image > response to a `b` image), ties counted ½: the
//!   Mann–Whitney `U_a / (n_a n_b)`, the area under the ROC curve that treats `a` as positive
//!   (scikit-learn's `roc_auc_score(y == a, response)`). A constant unit has AUC 0.5.
//! - `roc` for the chosen unit: thresholds at each distinct response, descending, after `+∞`;
//!   `tpr` / `fpr` are the fractions of `a` / `b` images with response ≥ the threshold.

use crate::error::{AnalysisError, Result};
use crate::features::Features;
use neurodyn_core::Npz;
use serde::{Deserialize, Serialize};

/// Which classes and which unit's ROC curve.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DprimeConfig {
    /// Class `a` (the "signal", positive d′).
    pub class_a: i64,
    /// Class `b`.
    pub class_b: i64,
    /// The unit whose ROC curve is returned.
    pub unit: usize,
}

impl Default for DprimeConfig {
    fn default() -> Self {
        DprimeConfig {
            class_a: 0,
            class_b: 1,
            unit: 0,
        }
    }
}

/// One unit's ROC curve.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Roc {
    /// The unit.
    pub unit: usize,
    /// Thresholds, descending (`+∞` first, written as `null` in JSON).
    pub thresholds: Vec<f64>,
    /// False-positive rate (fraction of `b` at or above the threshold).
    pub fpr: Vec<f64>,
    /// True-positive rate (fraction of `a` at or above the threshold).
    pub tpr: Vec<f64>,
}

/// Per-unit d′ and AUC.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DprimeResult {
    /// The layer (matrix) name.
    pub name: String,
    /// Class `a`.
    pub class_a: i64,
    /// Class `b`.
    pub class_b: i64,
    /// Images of class `a`.
    pub n_a: usize,
    /// Images of class `b`.
    pub n_b: usize,
    /// Units.
    pub n_units: usize,
    /// Mean response to `a`, per unit.
    pub mean_a: Vec<f64>,
    /// Mean response to `b`, per unit.
    pub mean_b: Vec<f64>,
    /// Sample variance (ddof = 1) of the responses to `a`.
    pub var_a: Vec<f64>,
    /// Sample variance (ddof = 1) of the responses to `b`.
    pub var_b: Vec<f64>,
    /// d′ per unit (`None` where undefined).
    pub d_prime: Vec<Option<f64>>,
    /// Units whose d′ is undefined (zero variance in both classes).
    pub undefined: Vec<bool>,
    /// How many units have an undefined d′ (a warning when > 0).
    pub n_undefined: usize,
    /// ROC AUC per unit (`a` positive).
    pub auc: Vec<f64>,
    /// The unit with the largest |d′| (`None` if every d′ is undefined).
    pub max_abs_unit: Option<usize>,
    /// Its d′.
    pub max_abs_d_prime: Option<f64>,
    /// The chosen unit's ROC curve.
    pub roc: Roc,
}

impl DprimeResult {
    /// Arrays for `.npz`: `d_prime` (NaN where undefined), `auc`, `undefined` (0/1), `mean_a`,
    /// `mean_b`, `var_a`, `var_b`, and `roc_thresholds`, `roc_fpr`, `roc_tpr` of the chosen unit.
    pub fn to_npz(&self) -> Result<Npz> {
        let u = self.n_units;
        let mut z = Npz::new();
        let d = self.d_prime.iter().map(|v| v.unwrap_or(f64::NAN)).collect();
        z.f64("d_prime", &[u], d)?;
        z.f64("auc", &[u], self.auc.clone())?;
        let undef = self.undefined.iter().map(|&b| i64::from(b)).collect();
        z.i64("undefined", &[u], undef)?;
        z.f64("mean_a", &[u], self.mean_a.clone())?;
        z.f64("mean_b", &[u], self.mean_b.clone())?;
        z.f64("var_a", &[u], self.var_a.clone())?;
        z.f64("var_b", &[u], self.var_b.clone())?;
        let k = self.roc.fpr.len();
        z.f64("roc_thresholds", &[k], self.roc.thresholds.clone())?;
        z.f64("roc_fpr", &[k], self.roc.fpr.clone())?;
        z.f64("roc_tpr", &[k], self.roc.tpr.clone())?;
        Ok(z)
    }
}

fn mean_var(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let ss = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>();
    (m, ss / (n - 1.0))
}

/// Mann–Whitney `U_a / (n_a n_b)` with ties ½, by sorting.
pub fn auc(a: &[f64], b: &[f64]) -> f64 {
    let mut all: Vec<(f64, bool)> = a
        .iter()
        .map(|&v| (v, true))
        .chain(b.iter().map(|&v| (v, false)))
        .collect();
    all.sort_by(|x, y| x.0.total_cmp(&y.0));
    // Sum of the (mid-)ranks of the a values.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < all.len() {
        let mut j = i;
        while j < all.len() && all[j].0 == all[i].0 {
            j += 1;
        }
        let mid = (i + 1 + j) as f64 / 2.0;
        rank_sum += mid * all[i..j].iter().filter(|e| e.1).count() as f64;
        i = j;
    }
    let (na, nb) = (a.len() as f64, b.len() as f64);
    (rank_sum - na * (na + 1.0) / 2.0) / (na * nb)
}

/// The ROC curve of responses `a` (positive) vs `b`.
pub fn roc(unit: usize, a: &[f64], b: &[f64]) -> Roc {
    let mut t: Vec<f64> = a.iter().chain(b).copied().collect();
    t.sort_by(|x, y| y.total_cmp(x));
    t.dedup();
    let frac =
        |v: &[f64], thr: f64| v.iter().filter(|&&x| x >= thr).count() as f64 / v.len() as f64;
    let mut thresholds = vec![f64::INFINITY];
    thresholds.extend(t);
    let fpr = thresholds.iter().map(|&thr| frac(b, thr)).collect();
    let tpr = thresholds.iter().map(|&thr| frac(a, thr)).collect();
    Roc {
        unit,
        thresholds,
        fpr,
        tpr,
    }
}

/// d′ and AUC of every unit of `x` between `config.class_a` and `config.class_b`.
pub fn run(x: &Features, config: &DprimeConfig) -> Result<DprimeResult> {
    x.validate()?;
    let classes = x.classes();
    let list = classes
        .iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    if config.class_a == config.class_b {
        return Err(AnalysisError::config(
            "class_b",
            format!("must differ from class_a ({})", config.class_a),
        ));
    }
    let rows = |c: i64, field: &str| -> Result<Vec<usize>> {
        let r: Vec<usize> = (0..x.n_rows).filter(|&i| x.labels[i] == c).collect();
        if r.len() < 2 {
            return Err(AnalysisError::config(
                field,
                format!(
                    "class {c} has {} image(s) in '{}'; d′ needs at least 2 (classes present: {list})",
                    r.len(),
                    x.name
                ),
            ));
        }
        Ok(r)
    };
    let ra = rows(config.class_a, "class_a")?;
    let rb = rows(config.class_b, "class_b")?;
    let u = x.n_features;
    if config.unit >= u {
        return Err(AnalysisError::config(
            "unit",
            format!(
                "'{}' has {u} units (0..{}), got {}",
                x.name,
                u - 1,
                config.unit
            ),
        ));
    }
    let column =
        |r: &[usize], k: usize| -> Vec<f64> { r.iter().map(|&i| x.data[i * u + k]).collect() };
    let (mut mean_a, mut mean_b, mut var_a, mut var_b) = (vec![], vec![], vec![], vec![]);
    let (mut d_prime, mut undefined, mut aucs) = (vec![], vec![], vec![]);
    for k in 0..u {
        let (a, b) = (column(&ra, k), column(&rb, k));
        let (ma, va) = mean_var(&a);
        let (mb, vb) = mean_var(&b);
        let pooled = ((va + vb) / 2.0).sqrt();
        // A spread below 1e-9 of the means is rounding noise between identical samples: none
        // (else such units get d′ ≈ 1e15).
        let undef = pooled <= 1e-9 * ma.abs().max(mb.abs());
        d_prime.push((!undef).then(|| (ma - mb) / pooled));
        undefined.push(undef);
        aucs.push(auc(&a, &b));
        mean_a.push(ma);
        mean_b.push(mb);
        var_a.push(va);
        var_b.push(vb);
    }
    let max_abs_unit = (0..u)
        .filter_map(|k| d_prime[k].map(|d| (k, d.abs())))
        .fold(None, |best: Option<(usize, f64)>, (k, d)| match best {
            Some((_, bd)) if bd >= d => best,
            _ => Some((k, d)),
        })
        .map(|(k, _)| k);
    let roc = roc(
        config.unit,
        &column(&ra, config.unit),
        &column(&rb, config.unit),
    );
    Ok(DprimeResult {
        name: x.name.to_string(),
        class_a: config.class_a,
        class_b: config.class_b,
        n_a: ra.len(),
        n_b: rb.len(),
        n_units: u,
        n_undefined: undefined.iter().filter(|&&b| b).count(),
        max_abs_d_prime: max_abs_unit.and_then(|k| d_prime[k]),
        max_abs_unit,
        mean_a,
        mean_b,
        var_a,
        var_b,
        d_prime,
        undefined,
        auc: aucs,
        roc,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_counts_ties_half_and_roc_ends_at_one() {
        assert_eq!(auc(&[3.0, 4.0], &[1.0, 2.0]), 1.0);
        assert_eq!(auc(&[1.0, 2.0], &[3.0, 4.0]), 0.0);
        assert_eq!(auc(&[1.0, 1.0], &[1.0]), 0.5);
        // Pairs: (2>1) 1, (2=2) ½, (3>1) 1, (3>2) 1 → 3.5 / 4.
        assert_eq!(auc(&[2.0, 3.0], &[1.0, 2.0]), 0.875);
        let r = roc(0, &[2.0, 3.0], &[1.0, 2.0]);
        assert_eq!(r.thresholds, vec![f64::INFINITY, 3.0, 2.0, 1.0]);
        assert_eq!(r.tpr, vec![0.0, 0.5, 1.0, 1.0]);
        assert_eq!(r.fpr, vec![0.0, 0.0, 0.5, 1.0]);
    }

    /// Samples equal but for the last bits (rounding) are constant: undefined, not d′ ≈ 1e15.
    #[test]
    fn rounding_noise_is_constant() {
        let d = [0.3, 0.3 + 3e-14, 0.1, 0.1 + 1e-14];
        let labels = [4, 4, 9, 9];
        let x = Features {
            name: "t",
            data: &d,
            n_rows: 4,
            n_features: 1,
            labels: &labels,
        };
        let cfg = DprimeConfig {
            class_a: 4,
            class_b: 9,
            unit: 0,
        };
        let r = run(&x, &cfg).unwrap();
        assert_eq!(r.d_prime[0], None, "{:?}", r.d_prime);
    }

    #[test]
    fn d_prime_uses_sample_variances_and_flags_constant_units() {
        // Unit 0: a = {1, 3} (mean 2, var 2), b = {0, 0, 3} (mean 1, var 3) → 1/√2.5.
        // Unit 1: constant 5 everywhere → undefined.
        let d = [1.0, 5.0, 3.0, 5.0, 0.0, 5.0, 0.0, 5.0, 3.0, 5.0];
        let labels = [4, 4, 9, 9, 9];
        let x = Features {
            name: "t",
            data: &d,
            n_rows: 5,
            n_features: 2,
            labels: &labels,
        };
        let cfg = DprimeConfig {
            class_a: 4,
            class_b: 9,
            unit: 1,
        };
        let r = run(&x, &cfg).unwrap();
        assert!((r.d_prime[0].unwrap() - 1.0 / 2.5f64.sqrt()).abs() < 1e-15);
        assert_eq!(r.d_prime[1], None);
        assert_eq!(r.undefined, vec![false, true]);
        assert_eq!(r.n_undefined, 1);
        assert_eq!(r.auc[1], 0.5);
        assert_eq!(r.max_abs_unit, Some(0));
    }
}
