//! Noise-normalised RDMs of repeated measurements `(condition, repeat, feature)`: the
//! Mahalanobis RDM of the condition means and the cross-validated Mahalanobis ("crossnobis")
//! RDM, with the noise covariance given or estimated from the within-condition residuals
//! (rsatoolbox's conventions, checked against rsatoolbox 0.3.2 by the golden test).
//!
//! - Residuals: each repeat minus its condition's mean, `n_conditions × n_repeats` rows.
//! - [`shrinkage_diag_covariance`]: rsatoolbox's `cov_from_residuals(..., method =
//!   'shrinkage_diag')`, the Schäfer & Strimmer (2005) shrinkage of the sample covariance
//!   `S = RᵀR / dof` toward its diagonal: off-diagonal entries scaled by `1 − λ`, `λ` estimated
//!   from the data and clipped to `[0, 1]`. The degrees of freedom default to
//!   `n_conditions (n_repeats − 1)` (rsatoolbox's own default, `rows − 1`, ignores that each
//!   condition mean was estimated). With one feature there is nothing to shrink (`λ = 0`).
//! - [`mahalanobis`]: `d(i, j) = (x_i − x_j)ᵀ Λ (x_i − x_j) / p` between condition means, `Λ`
//!   the noise precision (inverse covariance), `p` features (rsatoolbox's
//!   `calc_rdm_mahalanobis`; the identity precision gives the `euclidean` RDM).
//! - [`crossnobis`]: leave one repeat out: for each repeat `k`, `A` = mean of the other repeats,
//!   `B` = repeat `k`, `d_k(i, j) = (a_i − a_j)ᵀ Λ (b_i − b_j) / p`; the RDM is the mean over the
//!   `n_repeats` folds (rsatoolbox's `calc_rdm_crossnobis` with one noise precision and its
//!   default folds, the k-th occurrence of each condition). Unbiased: the noise does not add to
//!   the distances, so a distance can be negative.

use crate::error::{AnalysisError, Result};
use faer::linalg::matmul::matmul;
use faer::linalg::solvers::Solve;
use faer::{Accum, Mat, MatRef, Par, Side};

/// A borrowed row-major `(n_conditions, n_repeats, n_features)` array of measurements.
#[derive(Clone, Copy, Debug)]
pub struct Repeats<'a> {
    /// What the array is (used in errors).
    pub name: &'a str,
    /// Values, `n_conditions * n_repeats * n_features` long.
    pub data: &'a [f64],
    /// Conditions (rows of the RDM).
    pub n_conditions: usize,
    /// Repeated measurements of each condition.
    pub n_repeats: usize,
    /// Features (units, channels).
    pub n_features: usize,
}

impl Repeats<'_> {
    /// Check the shape and that every value is finite.
    pub fn validate(&self) -> Result<()> {
        let (c, r, p) = (self.n_conditions, self.n_repeats, self.n_features);
        if self.data.len() != c * r * p || c * r * p == 0 {
            return Err(AnalysisError::shape(
                format!("'{}' (condition, repeat, feature)", self.name),
                &[c, r, p],
                &[self.data.len()],
            ));
        }
        if let Some(k) = self.data.iter().position(|v| !v.is_finite()) {
            return Err(AnalysisError::config(
                self.name,
                format!(
                    "value {} at condition {}, repeat {}, feature {} is not finite",
                    self.data[k],
                    k / (r * p),
                    k / p % r,
                    k % p
                ),
            ));
        }
        Ok(())
    }

    /// The `(n_conditions, n_features)` means over repeats.
    pub fn means(&self) -> Vec<f64> {
        self.mean_over(|_| true)
    }

    fn mean_over(&self, repeat: impl Fn(usize) -> bool) -> Vec<f64> {
        let (c, r, p) = (self.n_conditions, self.n_repeats, self.n_features);
        let used = (0..r).filter(|&k| repeat(k)).count().max(1) as f64;
        let mut m = vec![0.0; c * p];
        for i in 0..c {
            for k in (0..r).filter(|&k| repeat(k)) {
                let row = &self.data[(i * r + k) * p..(i * r + k + 1) * p];
                m[i * p..(i + 1) * p]
                    .iter_mut()
                    .zip(row)
                    .for_each(|(a, v)| *a += v);
            }
        }
        m.iter_mut().for_each(|v| *v /= used);
        m
    }

    /// The `(n_conditions · n_repeats, n_features)` residuals from the condition means.
    pub fn residuals(&self) -> Vec<f64> {
        let (r, p) = (self.n_repeats, self.n_features);
        let means = self.means();
        self.data
            .chunks_exact(p)
            .enumerate()
            .flat_map(|(row, x)| {
                let m = &means[row / r * p..(row / r + 1) * p];
                x.iter().zip(m).map(|(v, m)| v - m).collect::<Vec<_>>()
            })
            .collect()
    }

    /// The shrinkage-to-diagonal noise covariance of the residuals, `dof = n_conditions ·
    /// (n_repeats − 1)` unless given.
    pub fn noise_covariance(&self, dof: Option<usize>) -> Result<Vec<f64>> {
        self.validate()?;
        if self.n_repeats < 2 {
            return Err(AnalysisError::config(
                self.name,
                "estimating the noise covariance needs at least 2 repeats per condition",
            ));
        }
        let dof = dof.unwrap_or(self.n_conditions * (self.n_repeats - 1));
        shrinkage_diag_covariance(
            self.name,
            &self.residuals(),
            self.n_conditions * self.n_repeats,
            self.n_features,
            dof,
        )
    }
}

/// rsatoolbox's `'shrinkage_diag'` covariance of the row-major `(n, p)` residuals (see the
/// module docs). Errors: a feature without variance, `dof` of 0, fewer than 2 rows.
pub fn shrinkage_diag_covariance(
    what: &str,
    residuals: &[f64],
    n: usize,
    p: usize,
    dof: usize,
) -> Result<Vec<f64>> {
    if n < 2 || dof == 0 || residuals.len() != n * p {
        return Err(AnalysisError::config(
            format!("'{what}' noise covariance"),
            format!("needs at least 2 residual rows and dof ≥ 1 (got {n} rows, dof {dof})"),
        ));
    }
    let mut mean = vec![0.0; p];
    for row in residuals.chunks_exact(p) {
        mean.iter_mut()
            .zip(row)
            .for_each(|(m, v)| *m += v / n as f64);
    }
    let x = Mat::from_fn(n, p, |i, j| residuals[i * p + j] - mean[j]);
    let s_sum = product(x.transpose(), x.as_ref());
    let var: Vec<f64> = (0..p).map(|j| s_sum[(j, j)] / dof as f64).collect();
    if let Some(j) = var.iter().position(|v| *v <= 0.0) {
        return Err(AnalysisError::config(
            format!("'{what}' noise covariance"),
            format!("feature {j} has no residual variance (constant within every condition)"),
        ));
    }
    let (dof, nf) = (dof as f64, n as f64);
    let (mut num, mut den) = (0.0, 0.0);
    for a in 0..p {
        for b in 0..p {
            if a == b {
                continue;
            }
            let s2: f64 = (0..n).map(|i| (x[(i, a)] * x[(i, b)]).powi(2)).sum();
            let s_mean = s_sum[(a, b)] / (var[a] * var[b]).sqrt() / (nf - 1.0);
            let s2_mean = s2 / (var[a] * var[b]) / (nf - 1.0);
            num += nf / (dof * dof) * (s2_mean - s_mean * s_mean);
            den += s_mean * s_mean;
        }
    }
    let lambda = if p < 2 || den == 0.0 {
        0.0
    } else {
        (num / den).clamp(0.0, 1.0)
    };
    let mut cov = vec![0.0; p * p];
    for a in 0..p {
        for b in 0..p {
            let shrink = if a == b { 1.0 } else { 1.0 - lambda };
            cov[a * p + b] = s_sum[(a, b)] / dof * shrink;
        }
    }
    Ok(cov)
}

fn product(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Mat<f64> {
    let mut c = Mat::zeros(a.nrows(), b.ncols());
    matmul(c.as_mut(), Accum::Replace, a, b, 1.0, Par::Seq);
    c
}

/// The inverse of the row-major `(p, p)` covariance `cov` (Cholesky); an error when it is not
/// symmetric positive definite (e.g. more features than residual degrees of freedom without
/// shrinkage).
pub fn precision(what: &str, cov: &[f64], p: usize) -> Result<Vec<f64>> {
    if cov.len() != p * p {
        return Err(AnalysisError::shape(
            format!("'{what}' noise covariance"),
            &[p, p],
            &[cov.len()],
        ));
    }
    let c = Mat::from_fn(p, p, |i, j| cov[i * p + j]);
    let asym = (0..p)
        .flat_map(|i| (0..p).map(move |j| (i, j)))
        .any(|(i, j)| (c[(i, j)] - c[(j, i)]).abs() > 1e-10 * (c[(i, i)] * c[(j, j)]).sqrt());
    let not_spd = || {
        AnalysisError::config(
            format!("'{what}' noise covariance"),
            "is not symmetric positive definite; estimate it with shrinkage or give more repeats",
        )
    };
    if asym || cov.iter().any(|v| !v.is_finite()) {
        return Err(not_spd());
    }
    let llt = c.llt(Side::Lower).map_err(|_| not_spd())?;
    let inv = llt.solve(Mat::<f64>::identity(p, p));
    Ok((0..p * p).map(|k| inv[(k / p, k % p)]).collect())
}

/// `(d_i − d_j)ᵀ Λ (e_i − e_j) / p` for every pair, with `K = A Λ Bᵀ`: `(K_ii + K_jj − K_ij −
/// K_ji) / p`, as a row-major `(n, n)` matrix (zero diagonal, symmetrised).
fn cross_distances(a: &[f64], b: &[f64], n: usize, p: usize, lambda: MatRef<'_, f64>) -> Vec<f64> {
    let am = Mat::from_fn(n, p, |i, j| a[i * p + j]);
    let bm = Mat::from_fn(n, p, |i, j| b[i * p + j]);
    let k = product(product(am.as_ref(), lambda).as_ref(), bm.transpose());
    let mut out = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            if i != j {
                out[i * n + j] = (k[(i, i)] + k[(j, j)] - k[(i, j)] - k[(j, i)]) / p as f64;
            }
        }
    }
    out
}

fn precision_mat(what: &str, prec: &[f64], p: usize) -> Result<Mat<f64>> {
    if prec.len() != p * p || prec.iter().any(|v| !v.is_finite()) {
        return Err(AnalysisError::shape(
            format!("'{what}' noise precision"),
            &[p, p],
            &[prec.len()],
        ));
    }
    Ok(Mat::from_fn(p, p, |i, j| prec[i * p + j]))
}

/// The Mahalanobis RDM `(n, n)` of the row-major `(n, p)` condition patterns `x` under the noise
/// precision `prec` `(p, p)`.
pub fn mahalanobis(what: &str, x: &[f64], n: usize, p: usize, prec: &[f64]) -> Result<Vec<f64>> {
    if n < 2 || p == 0 || x.len() != n * p {
        return Err(AnalysisError::shape(
            format!("'{what}' patterns (at least 2)"),
            &[n, p],
            &[x.len()],
        ));
    }
    let l = precision_mat(what, prec, p)?;
    Ok(cross_distances(x, x, n, p, l.as_ref()))
}

/// The crossnobis RDM `(n_conditions, n_conditions)` of `x` under the noise precision `prec`
/// (leave-one-repeat-out folds, averaged; see the module docs).
pub fn crossnobis(x: &Repeats<'_>, prec: &[f64]) -> Result<Vec<f64>> {
    x.validate()?;
    let (n, r, p) = (x.n_conditions, x.n_repeats, x.n_features);
    if n < 2 || r < 2 {
        return Err(AnalysisError::config(
            x.name,
            format!("crossnobis needs at least 2 conditions and 2 repeats, got {n} and {r}"),
        ));
    }
    let l = precision_mat(x.name, prec, p)?;
    let mut out = vec![0.0; n * n];
    for k in 0..r {
        let train = x.mean_over(|q| q != k);
        let test = x.mean_over(|q| q == k);
        let d = cross_distances(&train, &test, n, p, l.as_ref());
        out.iter_mut().zip(&d).for_each(|(o, v)| *o += v / r as f64);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repeats(c: usize, r: usize, p: usize) -> Vec<f64> {
        (0..c * r * p)
            .map(|k| (k / (r * p)) as f64 + ((k * k) as f64 * 0.173).sin())
            .collect()
    }

    #[test]
    fn identity_precision_gives_the_euclidean_rdm_and_crossnobis_is_unbiased() {
        let (c, r, p) = (4, 3, 5);
        let data = repeats(c, r, p);
        let x = Repeats {
            name: "x",
            data: &data,
            n_conditions: c,
            n_repeats: r,
            n_features: p,
        };
        let eye: Vec<f64> = (0..p * p).map(|k| f64::from(k / p == k % p)).collect();
        let m = x.means();
        let names: Vec<String> = (0..c).map(|i| i.to_string()).collect();
        let e = crate::rdm::dissimilarity("x", &m, p, &names, crate::rdm::RdmMethod::Euclidean)
            .unwrap();
        let d = mahalanobis("x", &m, c, p, &eye).unwrap();
        for (a, b) in d.iter().zip(&e) {
            assert!((a - b).abs() < 1e-12);
        }
        // Identical condition means + noise: crossnobis averages to about zero, Mahalanobis not.
        let mut rng = neurodyn_core::Rng::new(3);
        let (c, r, p) = (6, 10, 60);
        let noise: Vec<f64> = (0..c * r * p).map(|_| rng.normal()).collect();
        let y = Repeats {
            name: "noise",
            data: &noise,
            n_conditions: c,
            n_repeats: r,
            n_features: p,
        };
        let eye: Vec<f64> = (0..p * p).map(|k| f64::from(k / p == k % p)).collect();
        let cn = crossnobis(&y, &eye).unwrap();
        let mh = mahalanobis("y", &y.means(), c, p, &eye).unwrap();
        let mean = |v: &[f64]| v.iter().sum::<f64>() / (c * c - c) as f64;
        // Means of 10 unit-variance repeats: squared distance per feature about 2/10.
        let (mh, cn) = (mean(&mh), mean(&cn));
        assert!((mh - 0.2).abs() < 0.03 && cn.abs() < 0.03, "{mh} {cn}");
    }

    #[test]
    fn refusals() {
        let data = repeats(3, 1, 2);
        let x = Repeats {
            name: "x",
            data: &data,
            n_conditions: 3,
            n_repeats: 1,
            n_features: 2,
        };
        assert!(x.noise_covariance(None).is_err());
        assert!(crossnobis(&x, &[1.0, 0.0, 0.0, 1.0]).is_err());
        assert!(precision("c", &[1.0, 2.0, 2.0, 1.0], 2).is_err());
        assert!(precision("c", &[1.0, 0.5, 0.0, 1.0], 2).is_err());
        let flat = vec![1.0; 12];
        let y = Repeats {
            name: "y",
            data: &flat,
            n_conditions: 3,
            n_repeats: 2,
            n_features: 2,
        };
        assert!(y.noise_covariance(None).is_err());
    }
}
