//! Principal component analysis of a data matrix `(n_samples, n_features)`, with scikit-learn's
//! conventions so numbers can be compared one to one.
//!
//! The data are mean-centred, the covariance `C = XcᵀXc / (n − 1)` is diagonalised (faer's
//! symmetric eigendecomposition) and its eigenvalues sorted in decreasing order:
//! `explained_variance[k]` is the k-th eigenvalue (the `n − 1` denominator, as sklearn's
//! `explained_variance_`), `explained_variance_ratio[k]` divides it by the total variance (the
//! trace of `C`, all components counted, as sklearn), and `singular_values[k] = √((n−1)·var_k)`.
//!
//! **Sign convention**: an eigenvector's sign is arbitrary, so each component is flipped so that
//! its largest-magnitude loading is positive. This is scikit-learn ≥ 1.5's `svd_flip` with
//! `u_based_decision=False`; older sklearn versions decided on the scores instead, so golden
//! comparisons are made up to sign.

use crate::error::{AnalysisError, Result};
use faer::{Mat, Side};
use serde::Serialize;

/// A fitted PCA: mean, components and variances.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Pca {
    /// Number of features (units).
    pub n_features: usize,
    /// Number of samples the fit saw.
    pub n_samples: usize,
    /// Number of components kept.
    pub n_components: usize,
    /// Feature means, length `n_features`.
    pub mean: Vec<f64>,
    /// `(n_components, n_features)` row-major; row k is the k-th principal axis (unit norm).
    pub components: Vec<f64>,
    /// Variance along each component (denominator `n − 1`).
    pub explained_variance: Vec<f64>,
    /// `explained_variance / total variance`.
    pub explained_variance_ratio: Vec<f64>,
    /// Singular values of the centred data, `√((n − 1) · explained_variance)`.
    pub singular_values: Vec<f64>,
}

impl Pca {
    /// Fit on `data`, `(n_samples, n_features)` row-major. `n_components = None` keeps
    /// `min(n_samples, n_features)` components.
    pub fn fit(
        data: &[f64],
        n_samples: usize,
        n_features: usize,
        n_components: Option<usize>,
    ) -> Result<Pca> {
        if data.len() != n_samples * n_features {
            return Err(AnalysisError::shape(
                "pca data (n_samples, n_features)",
                &[n_samples, n_features],
                &[data.len()],
            ));
        }
        if n_samples < 2 || n_features == 0 {
            return Err(AnalysisError::empty(format!(
                "pca needs at least 2 samples and 1 feature, got {n_samples} × {n_features}"
            )));
        }
        let k_max = n_samples.min(n_features);
        let k = n_components.unwrap_or(k_max);
        if k == 0 || k > k_max {
            return Err(AnalysisError::config(
                "n_components",
                format!("must be in 1..={k_max}, got {k}"),
            ));
        }
        let mut mean = vec![0.0; n_features];
        for row in data.chunks_exact(n_features) {
            for (m, v) in mean.iter_mut().zip(row) {
                *m += v;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n_samples as f64);
        let xc = Mat::<f64>::from_fn(n_samples, n_features, |i, j| {
            data[i * n_features + j] - mean[j]
        });
        let denom = (n_samples - 1) as f64;
        let cov = xc.transpose() * &xc * faer::Scale(1.0 / denom);
        let total: f64 = (0..n_features).map(|j| cov[(j, j)]).sum();
        let evd =
            cov.self_adjoint_eigen(Side::Lower)
                .map_err(|e| AnalysisError::LinearAlgebra {
                    what: "pca covariance eigendecomposition".into(),
                    message: format!("{e:?}"),
                })?;
        let (s, u) = (evd.S(), evd.U());
        // faer sorts eigenvalues increasing; walk from the top.
        let mut components = Vec::with_capacity(k * n_features);
        let mut explained_variance = Vec::with_capacity(k);
        for c in 0..k {
            let col = n_features - 1 - c;
            let var = s[col].max(0.0);
            let mut v: Vec<f64> = (0..n_features).map(|j| u[(j, col)]).collect();
            fix_sign(&mut v);
            components.extend_from_slice(&v);
            explained_variance.push(var);
        }
        let explained_variance_ratio = explained_variance
            .iter()
            .map(|v| if total > 0.0 { v / total } else { 0.0 })
            .collect();
        let singular_values = explained_variance
            .iter()
            .map(|v| (v * denom).sqrt())
            .collect();
        Ok(Pca {
            n_features,
            n_samples,
            n_components: k,
            mean,
            components,
            explained_variance,
            explained_variance_ratio,
            singular_values,
        })
    }

    /// Project `rows` (`(n, n_features)` row-major) onto the components: `(n, n_components)`.
    pub fn transform(&self, rows: &[f64]) -> Result<Vec<f64>> {
        if !rows.len().is_multiple_of(self.n_features) {
            return Err(AnalysisError::shape(
                "pca transform rows",
                &[rows.len() / self.n_features, self.n_features],
                &[rows.len()],
            ));
        }
        let mut out = Vec::with_capacity(rows.len() / self.n_features * self.n_components);
        for row in rows.chunks_exact(self.n_features) {
            out.extend(self.project_one(row));
        }
        Ok(out)
    }

    /// Scores of one sample (length `n_features`), unchecked length.
    pub(crate) fn project_one<'a>(&'a self, row: &'a [f64]) -> impl Iterator<Item = f64> + 'a {
        self.components.chunks_exact(self.n_features).map(move |c| {
            c.iter()
                .zip(row)
                .zip(&self.mean)
                .map(|((w, x), m)| w * (x - m))
                .sum()
        })
    }

    /// Map scores `(n, n_components)` back to feature space (exact when all components are kept).
    pub fn inverse_transform(&self, scores: &[f64]) -> Vec<f64> {
        let mut out = Vec::with_capacity(scores.len() / self.n_components * self.n_features);
        for z in scores.chunks_exact(self.n_components) {
            let mut x = self.mean.clone();
            for (zk, c) in z.iter().zip(self.components.chunks_exact(self.n_features)) {
                for (xi, ci) in x.iter_mut().zip(c) {
                    *xi += zk * ci;
                }
            }
            out.extend(x);
        }
        out
    }
}

/// Flip `v` so that its largest-magnitude entry is positive (first one on ties).
pub(crate) fn fix_sign(v: &mut [f64]) {
    let mut best = 0;
    for (i, x) in v.iter().enumerate() {
        if x.abs() > v[best].abs() {
            best = i;
        }
    }
    if v.get(best).is_some_and(|&x| x < 0.0) {
        v.iter_mut().for_each(|x| *x = -*x);
    }
}
