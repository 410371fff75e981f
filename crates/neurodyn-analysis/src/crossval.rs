//! Cross-validation pieces shared by the cross-validated representation analyses
//! ([`crate::layer_decoding`], [`crate::predictivity`]): seeded stratified folds, and the
//! per-fold feature transform (standardisation with the training fold's statistics, then an
//! optional projection onto the training fold's leading principal components).
//!
//! **Folds.** Each class's rows, in file order, are shuffled with the seeded [`Rng`], then dealt
//! to the folds in turn, the deal continuing from class to class, so every fold holds each class
//! in proportion (± 1 row) and fold sizes differ by at most one. Deterministic for a seed; not
//! scikit-learn's `StratifiedKFold(shuffle=True)` assignment (its goldens pass folds explicitly).
//!
//! **Transform.** `z = (x − μ) / σ` per feature with the training rows' mean and population
//! standard deviation (`ddof = 0`, scikit-learn's `StandardScaler`; a feature constant over the
//! training rows keeps `σ = 1`, so it is 0 there). When a layer has more features than
//! `max_dims`, `z` is then projected onto the `max_dims` leading principal components of the
//! training rows' `z` (from the smaller of the `d × d` covariance and the `n × n` Gram matrix),
//! fitted on at most [`PCA_MAX_ROWS`] of the training rows, evenly spaced (the eigendecomposition
//! is cubic in the rows; with 2,000 images, 1,000 of the 1,600 training rows). The mean and scale
//! still come from every training row.
//! Test rows only ever see the training fold's `μ`, `σ` and components.

use crate::error::{AnalysisError, Result};
use faer::{Mat, MatRef, Par};
use neurodyn_core::cpu::clear_upper_vector_state;
use neurodyn_core::Rng;

/// `a · b` on the calling thread. The analyses built on this module multiply with `Par::Seq`
/// (and decompose with [`sym_eigen`]) so that their numbers do not depend on the thread count:
/// faer's parallel products and decompositions round differently with different thread counts,
/// which moved a conv layer's decoding accuracy in the fourth digit. Clears the upper vector
/// state after faer's kernels ([`clear_upper_vector_state`]).
pub fn mul(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Mat<f64> {
    let mut c = Mat::zeros(a.nrows(), b.ncols());
    faer::linalg::matmul::matmul(c.as_mut(), faer::Accum::Replace, a, b, 1.0, Par::Seq);
    clear_upper_vector_state();
    c
}

/// Eigenvalues (ascending) and eigenvectors of the symmetric matrix `a` (its lower triangle),
/// on the calling thread.
pub fn sym_eigen(a: MatRef<'_, f64>, what: &str) -> Result<(Vec<f64>, Mat<f64>)> {
    use faer::dyn_stack::{MemBuffer, MemStack};
    use faer::linalg::evd;
    let n = a.nrows();
    let mut u = Mat::zeros(n, n);
    let mut s = faer::diag::Diag::zeros(n);
    let scratch = evd::self_adjoint_evd_scratch::<f64>(
        n,
        evd::ComputeEigenvectors::Yes,
        Par::Seq,
        Default::default(),
    );
    evd::self_adjoint_evd(
        a,
        s.as_mut(),
        Some(u.as_mut()),
        Par::Seq,
        MemStack::new(&mut MemBuffer::new(scratch)),
        Default::default(),
    )
    .map_err(|e| AnalysisError::LinearAlgebra {
        what: what.into(),
        message: format!("{e:?}"),
    })?;
    clear_upper_vector_state();
    Ok(((0..n).map(|i| s[i]).collect(), u))
}

/// The principal components of a projection are fitted on at most this many training rows.
pub const PCA_MAX_ROWS: usize = 1000;

/// [`stratified_folds`] for the rows of the matrix `name`: a refusal names it.
pub fn stratified_folds_of(
    name: &str,
    labels: &[i64],
    folds: usize,
    rng: &mut Rng,
) -> Result<Vec<usize>> {
    stratified_folds(labels, folds, rng).map_err(|e| match e {
        AnalysisError::InvalidConfig { message, .. } => {
            AnalysisError::config(format!("folds of '{name}'"), message)
        }
        e => e,
    })
}

/// The fold (`0..folds`) of each row, stratified by `labels` and shuffled by `rng` (see the
/// module docs). Errors when `folds < 2` or a class has fewer than `folds` rows.
pub fn stratified_folds(labels: &[i64], folds: usize, rng: &mut Rng) -> Result<Vec<usize>> {
    if folds < 2 {
        return Err(AnalysisError::config(
            "folds",
            format!("must be ≥ 2, got {folds}"),
        ));
    }
    let mut classes = labels.to_vec();
    classes.sort_unstable();
    classes.dedup();
    let mut fold = vec![0; labels.len()];
    let mut next = 0;
    for c in classes {
        let mut members: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == c).collect();
        if members.len() < folds {
            return Err(AnalysisError::config(
                "folds",
                format!(
                    "{folds} stratified folds need ≥ {folds} rows of each class; class {c} has {}",
                    members.len()
                ),
            ));
        }
        rng.shuffle(&mut members);
        for i in members {
            fold[i] = next % folds;
            next += 1;
        }
    }
    Ok(fold)
}

/// The rows of fold `f` (test) and of the others (train), ascending.
pub fn split(fold: &[usize], f: usize) -> (Vec<usize>, Vec<usize>) {
    (0..fold.len()).partition(|&i| fold[i] != f)
}

/// Rows `rows` of the row-major `(n, d)` matrix `x`, as a faer matrix.
pub fn gather(x: &[f64], d: usize, rows: &[usize]) -> Mat<f64> {
    Mat::from_fn(rows.len(), d, |i, j| x[rows[i] * d + j])
}

/// A transform fitted on a training fold: standardisation, then (optionally) principal
/// components.
#[derive(Clone, Debug)]
pub struct FoldTransform {
    mean: Vec<f64>,
    scale: Vec<f64>,
    /// `(d, r)` leading components of the standardised training rows, when projecting.
    basis: Option<Mat<f64>>,
}

impl FoldTransform {
    /// Fit on rows `train` of `x (n, d)`; project onto at most `max_dims` components when
    /// `d > max_dims` (`max_dims = 0`: never).
    pub fn fit(x: &[f64], d: usize, train: &[usize], max_dims: usize) -> Result<FoldTransform> {
        let n = train.len();
        if n == 0 {
            return Err(AnalysisError::empty("no training rows in a fold"));
        }
        let mut mean = vec![0.0; d];
        for &i in train {
            for (m, v) in mean.iter_mut().zip(&x[i * d..(i + 1) * d]) {
                *m += v;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n as f64);
        let mut var = vec![0.0; d];
        for &i in train {
            for ((s, v), m) in var.iter_mut().zip(&x[i * d..(i + 1) * d]).zip(&mean) {
                *s += (v - m) * (v - m);
            }
        }
        // A spread at rounding level of the mean counts as constant (as StandardScaler does).
        let scale = var
            .iter()
            .zip(&mean)
            .map(|(s, m)| {
                let sd = (s / n as f64).sqrt();
                if sd <= 10.0 * f64::EPSILON * m.abs().max(1e-300) {
                    1.0
                } else {
                    sd
                }
            })
            .collect();
        let mut t = FoldTransform {
            mean,
            scale,
            basis: None,
        };
        if max_dims > 0 && d > max_dims {
            // The components come from at most PCA_MAX_ROWS training rows, evenly spaced: the
            // eigendecomposition is cubic in the rows (a 1,600-row Gram matrix took ~1.4 s a
            // fold on a conv layer).
            let m = train.len().min(PCA_MAX_ROWS);
            let rows: Vec<usize> = (0..m).map(|i| train[i * train.len() / m]).collect();
            let z = t.standardise(x, d, &rows);
            t.basis = Some(leading_components(z.as_ref(), max_dims)?);
        }
        Ok(t)
    }

    fn standardise(&self, x: &[f64], d: usize, rows: &[usize]) -> Mat<f64> {
        Mat::from_fn(rows.len(), d, |i, j| {
            (x[rows[i] * d + j] - self.mean[j]) / self.scale[j]
        })
    }

    /// Rows `rows` of `x (n, d)` transformed: `(rows, d)` standardised, or `(rows, r)` projected.
    pub fn apply(&self, x: &[f64], d: usize, rows: &[usize]) -> Mat<f64> {
        let z = self.standardise(x, d, rows);
        match &self.basis {
            Some(v) => mul(z.as_ref(), v.as_ref()),
            None => z,
        }
    }

    /// Output dimensions.
    pub fn dims(&self) -> usize {
        self.basis.as_ref().map_or(self.mean.len(), |v| v.ncols())
    }
}

/// The `(d, r)` leading principal directions of the centred rows `z (n, d)`, `r ≤ max_dims`
/// (directions of variance below 1e-12 of the largest are dropped).
fn leading_components(z: MatRef<'_, f64>, max_dims: usize) -> Result<Mat<f64>> {
    let (n, d) = (z.nrows(), z.ncols());
    let what = "principal components of a training fold";
    if d <= n {
        let (s, u) = sym_eigen(mul(z.transpose(), z).as_ref(), what)?;
        let top = s[d - 1].max(0.0);
        let r = (0..max_dims.min(d))
            .take_while(|&c| s[d - 1 - c] > 1e-12 * top)
            .count()
            .max(1);
        Ok(Mat::from_fn(d, r, |j, c| u[(j, d - 1 - c)]))
    } else {
        // Right singular vectors from the Gram matrix: v = zᵀ u / √λ.
        let (s, u) = sym_eigen(mul(z, z.transpose()).as_ref(), what)?;
        let top = s[n - 1].max(0.0);
        let r = (0..max_dims.min(n))
            .take_while(|&c| s[n - 1 - c] > 1e-12 * top)
            .count()
            .max(1);
        let us = Mat::from_fn(n, r, |i, c| {
            let l = s[n - 1 - c];
            if l > 0.0 {
                u[(i, n - 1 - c)] / l.sqrt()
            } else {
                0.0
            }
        });
        Ok(mul(z.transpose(), us.as_ref()))
    }
}

/// Pearson correlation of two equally long series; `None` when either is constant (spread at
/// rounding level of its mean) or shorter than 2.
pub fn pearson(a: &[f64], b: &[f64]) -> Option<f64> {
    let n = a.len();
    if n < 2 || b.len() != n {
        return None;
    }
    let ma = a.iter().sum::<f64>() / n as f64;
    let mb = b.iter().sum::<f64>() / n as f64;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        let (u, v) = (x - ma, y - mb);
        sab += u * v;
        saa += u * u;
        sbb += v * v;
    }
    let tiny = |s: f64, m: f64| s.sqrt() <= 1e-9 * (n as f64).sqrt() * m.abs().max(1e-300);
    if tiny(saa, ma) || tiny(sbb, mb) || saa == 0.0 || sbb == 0.0 {
        return None;
    }
    Some(sab / (saa * sbb).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_are_stratified_balanced_and_seeded() {
        let labels: Vec<i64> = (0..53).map(|i| (i * 7 % 3) as i64).collect();
        let a = stratified_folds(&labels, 5, &mut Rng::new(3)).expect("folds");
        let b = stratified_folds(&labels, 5, &mut Rng::new(3)).expect("folds");
        let c = stratified_folds(&labels, 5, &mut Rng::new(4)).expect("folds");
        assert_eq!(a, b);
        assert_ne!(a, c);
        let sizes: Vec<usize> = (0..5)
            .map(|f| a.iter().filter(|&&x| x == f).count())
            .collect();
        assert!(
            sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1,
            "{sizes:?}"
        );
        for class in 0..3 {
            let per: Vec<usize> = (0..5)
                .map(|f| (0..53).filter(|&i| a[i] == f && labels[i] == class).count())
                .collect();
            assert!(
                per.iter().max().unwrap() - per.iter().min().unwrap() <= 1,
                "{per:?}"
            );
        }
        let err = stratified_folds(&[0, 0, 0, 1, 1], 3, &mut Rng::new(0)).unwrap_err();
        assert!(err.to_string().contains("class 1 has 2"), "{err}");
    }

    #[test]
    fn projection_keeps_the_geometry_of_full_rank_rows() {
        // 6 rows, 9 features, max 5 dims ≥ rank 5 of the centred rows: distances are kept.
        let (n, d) = (6, 9);
        let x: Vec<f64> = (0..n * d).map(|i| ((i * i) as f64 * 0.37).sin()).collect();
        let rows: Vec<usize> = (0..n).collect();
        let full = FoldTransform::fit(&x, d, &rows, 0).expect("fit");
        let proj = FoldTransform::fit(&x, d, &rows, 5).expect("fit");
        assert_eq!(proj.dims(), 5);
        let (a, b) = (full.apply(&x, d, &rows), proj.apply(&x, d, &rows));
        let dist = |m: &Mat<f64>, i: usize, j: usize| {
            (0..m.ncols())
                .map(|c| (m[(i, c)] - m[(j, c)]).powi(2))
                .sum::<f64>()
        };
        for i in 0..n {
            for j in 0..n {
                assert!((dist(&a, i, j) - dist(&b, i, j)).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn pearson_matches_a_hand_value_and_refuses_constants() {
        let r = pearson(&[1.0, 2.0, 3.0, 4.0], &[2.0, 1.0, 4.0, 3.0]).expect("r");
        assert!((r - 0.6).abs() < 1e-12, "{r}");
        assert_eq!(pearson(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), None);
    }
}
