//! [`compare`]: one score between two RDM vectors by any [`RsaMethod`] (see the module table).

use super::rank::{average_ranks, kendall_tau_a};
use super::whiten::whitened;
use crate::error::{AnalysisError, Result};
use serde::{Deserialize, Serialize};

/// How two RDMs are compared.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RsaMethod {
    /// Cosine similarity of the dissimilarity vectors.
    Cosine,
    /// Pearson r of the dissimilarity vectors.
    Pearson,
    /// Pearson r of their average ranks.
    Spearman,
    /// Kendall τ_a.
    Kendall,
    /// Spearman's ρ without the tie correction (rsatoolbox `rho-a`).
    RhoA,
    /// Pearson r under the RDM covariance (rsatoolbox `corr_cov`); the default: it weighs the
    /// pairs by their covariance (each condition enters `n − 1` of them), keeps the interval
    /// scale, and was the most accurate comparator in Diedrichsen et al. 2021.
    #[default]
    WhitenedPearson,
    /// Cosine under the RDM covariance (rsatoolbox `cosine_cov`).
    WhitenedCosine,
}

impl RsaMethod {
    /// Every method, in the order of the module table.
    pub const ALL: [RsaMethod; 7] = [
        RsaMethod::Cosine,
        RsaMethod::Pearson,
        RsaMethod::Spearman,
        RsaMethod::Kendall,
        RsaMethod::RhoA,
        RsaMethod::WhitenedPearson,
        RsaMethod::WhitenedCosine,
    ];

    /// The name used in configs, JSON and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            RsaMethod::Cosine => "cosine",
            RsaMethod::Pearson => "pearson",
            RsaMethod::Spearman => "spearman",
            RsaMethod::Kendall => "kendall",
            RsaMethod::RhoA => "rho-a",
            RsaMethod::WhitenedPearson => "whitened-pearson",
            RsaMethod::WhitenedCosine => "whitened-cosine",
        }
    }
}

/// The upper triangle (`i < j`, row-major) of the row-major `(n, n)` matrix `rdm`.
pub fn upper_triangle(rdm: &[f64], n: usize) -> Vec<f64> {
    assert_eq!(rdm.len(), n * n, "upper_triangle: rdm is not n × n");
    (0..n)
        .flat_map(|i| (i + 1..n).map(move |j| rdm[i * n + j]))
        .collect()
}

/// The number of conditions `n` of an upper triangle of `len = n(n−1)/2` pairs.
pub fn n_conditions(len: usize) -> Result<usize> {
    // n = (1 + √(1 + 8 len)) / 2, checked exactly.
    let n = ((1.0 + (1.0 + 8.0 * len as f64).sqrt()) / 2.0).round() as usize;
    if n < 2 || n * (n - 1) / 2 != len {
        return Err(AnalysisError::config(
            "RDM vector",
            format!("{len} entries is not n(n−1)/2 pairs for any n ≥ 2"),
        ));
    }
    Ok(n)
}

/// `x·y / (‖x‖‖y‖)`, or an error naming `what` when either vector is zero (to rounding).
pub(super) fn cosine(x: &[f64], y: &[f64], what: &str) -> Result<f64> {
    let (mut xy, mut xx, mut yy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        xy += a * b;
        xx += a * a;
        yy += b * b;
    }
    if xx == 0.0 || yy == 0.0 {
        let which = if xx == 0.0 { "first" } else { "second" };
        return Err(AnalysisError::config(
            what,
            format!("the {which} RDM has no variation left to compare (all zero or constant)"),
        ));
    }
    Ok((xy / (xx.sqrt() * yy.sqrt())).clamp(-1.0, 1.0))
}

/// `v` minus its mean; zeroed when constant to rounding (so [`cosine`] reports it).
pub(super) fn centred(v: &[f64]) -> Vec<f64> {
    let m = v.iter().sum::<f64>() / v.len() as f64;
    let scale = v.iter().fold(0.0f64, |s, x| s.max(x.abs()));
    let mut c: Vec<f64> = v.iter().map(|x| x - m).collect();
    let norm = c.iter().map(|x| x * x).sum::<f64>().sqrt();
    if norm <= 1e-12 * scale * (v.len() as f64).sqrt() {
        c.iter_mut().for_each(|x| *x = 0.0);
    }
    c
}

/// Compare two RDM vectors (upper triangles over the same conditions, `NaN` = missing pair,
/// missing in both). Errors: different lengths, a length that is no upper triangle, `NaN` in
/// one but not the other, an infinite value, fewer than two pairs left, or a score that is
/// undefined (a constant RDM for the correlations, a zero one for cosine).
pub fn compare(a: &[f64], b: &[f64], method: RsaMethod) -> Result<f64> {
    if a.len() != b.len() {
        return Err(AnalysisError::shape(
            "the second RDM vector",
            &[a.len()],
            &[b.len()],
        ));
    }
    let n = n_conditions(a.len())?;
    let mut keep = Vec::with_capacity(a.len());
    for (k, (x, y)) in a.iter().zip(b).enumerate() {
        if x.is_nan() != y.is_nan() {
            return Err(AnalysisError::config(
                "RDM vectors",
                format!("pair {k} is missing (NaN) in one RDM but not in the other"),
            ));
        }
        if x.is_infinite() || y.is_infinite() {
            return Err(AnalysisError::config(
                "RDM vectors",
                format!("pair {k} is infinite"),
            ));
        }
        keep.push(!x.is_nan());
    }
    let (va, vb): (Vec<f64>, Vec<f64>) = a
        .iter()
        .zip(b)
        .filter(|(x, _)| !x.is_nan())
        .map(|(x, y)| (*x, *y))
        .unzip();
    if va.len() < 2 {
        return Err(AnalysisError::empty(format!(
            "comparing RDMs needs at least 2 defined pairs, got {}",
            va.len()
        )));
    }
    let what = format!("{} RDM comparison", method.name());
    match method {
        RsaMethod::Cosine => cosine(&va, &vb, &what),
        RsaMethod::Pearson => cosine(&centred(&va), &centred(&vb), &what),
        RsaMethod::Spearman => cosine(
            &centred(&average_ranks(&va)),
            &centred(&average_ranks(&vb)),
            &what,
        ),
        RsaMethod::RhoA => {
            let (ra, rb) = (centred(&average_ranks(&va)), centred(&average_ranks(&vb)));
            if ra.iter().all(|v| *v == 0.0) || rb.iter().all(|v| *v == 0.0) {
                return cosine(&ra, &rb, &what);
            }
            let m = va.len() as f64;
            let s: f64 = ra.iter().zip(&rb).map(|(x, y)| x * y).sum();
            Ok(12.0 * s / (m * m * m - m))
        }
        RsaMethod::Kendall => {
            if va.iter().all(|v| *v == va[0]) || vb.iter().all(|v| *v == vb[0]) {
                return Err(AnalysisError::config(
                    what,
                    "an RDM is constant: Kendall τ is undefined",
                ));
            }
            Ok(kendall_tau_a(&va, &vb))
        }
        RsaMethod::WhitenedPearson | RsaMethod::WhitenedCosine => {
            let centre = method == RsaMethod::WhitenedPearson;
            let prep = |v: &[f64]| -> Vec<f64> {
                let c = if centre { centred(v) } else { v.to_vec() };
                let mut full = vec![f64::NAN; keep.len()];
                let mut it = c.into_iter();
                for (f, k) in full.iter_mut().zip(&keep) {
                    if *k {
                        *f = it.next().unwrap_or(f64::NAN);
                    }
                }
                full
            };
            let wa = whitened(&prep(&va), n, &keep)?;
            let wb = whitened(&prep(&vb), n, &keep)?;
            cosine(&wa, &wb, &what)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triangle_and_condition_count() {
        let m = [0.0, 1.0, 2.0, 1.0, 0.0, 3.0, 2.0, 3.0, 0.0];
        assert_eq!(upper_triangle(&m, 3), [1.0, 2.0, 3.0]);
        assert_eq!(n_conditions(3).unwrap(), 3);
        assert_eq!(n_conditions(4950).unwrap(), 100);
        assert!(n_conditions(4).is_err());
        assert!(n_conditions(0).is_err());
    }

    #[test]
    fn scores_of_related_vectors() {
        let a: Vec<f64> = (0..15)
            .map(|k| ((k * k) as f64 * 0.37).sin() + 1.5)
            .collect();
        // A monotone transform keeps every rank score at 1 but not Pearson.
        let b: Vec<f64> = a.iter().map(|v| v.powi(3)).collect();
        for m in [RsaMethod::Spearman, RsaMethod::Kendall] {
            assert!((compare(&a, &b, m).unwrap() - 1.0).abs() < 1e-12, "{m:?}");
        }
        assert!(compare(&a, &b, RsaMethod::Pearson).unwrap() < 0.999);
        // Reversing the order gives −1.
        let c: Vec<f64> = a.iter().map(|v| -v).collect();
        assert!((compare(&a, &c, RsaMethod::Kendall).unwrap() + 1.0).abs() < 1e-12);
        assert!((compare(&a, &c, RsaMethod::Pearson).unwrap() + 1.0).abs() < 1e-12);
        // Whitened scores are invariant to scaling one RDM.
        let d: Vec<f64> = a.iter().map(|v| 3.0 * v).collect();
        for m in [RsaMethod::WhitenedCosine, RsaMethod::WhitenedPearson] {
            assert!((compare(&a, &d, m).unwrap() - 1.0).abs() < 1e-12, "{m:?}");
        }
    }

    #[test]
    fn refusals() {
        let a = [1.0, 2.0, 3.0];
        assert!(compare(&a, &[1.0, 2.0], RsaMethod::Cosine).is_err());
        assert!(compare(&a, &[1.0, 1.0, 1.0], RsaMethod::Pearson).is_err());
        assert!(compare(&a, &[1.0, 1.0, 1.0], RsaMethod::Kendall).is_err());
        assert!(compare(&a, &[1.0, f64::NAN, 1.0], RsaMethod::Spearman).is_err());
        assert!(compare(&a, &[0.0; 3], RsaMethod::Cosine).is_err());
        assert!(compare(
            &[1.0, 2.0, 3.0, 4.0],
            &[1.0, 2.0, 3.0, 4.0],
            RsaMethod::Cosine
        )
        .is_err());
    }
}
