//! Multi-output ridge regression with an unpenalised intercept, scikit-learn's `Ridge(alpha)`:
//!
//! ```text
//! minimise over W (d, t), b (t):   ‖Y − X W − 1 bᵀ‖²_F + α ‖W‖²_F
//! ```
//!
//! solved exactly by centring `X` and `Y` on their column means, then a Cholesky solve of the
//! primal `(Xcᵀ Xc + α I) W = Xcᵀ Yc` when `d ≤ n`, or of the dual `(Xc Xcᵀ + α I) A = Yc`,
//! `W = Xcᵀ A`, when there are more features than samples (the same `W`); `b = ȳ − x̄ W`.
//! Tested against scikit-learn to 1e-8 (tests/golden/analysis/make_representation_golden.py).
//!
//! [`Ridge::fit_loo`] picks the penalty among several as scikit-learn's `RidgeCV(alphas)` does by
//! default: the smallest mean squared leave-one-out error over samples and targets, computed in
//! closed form, `e_i = (y_i − ŷ_i) / (1 − H_ii)` with the hat matrix of ridge with an
//! unpenalised intercept, `H = 11ᵀ/n + Xc (XcᵀXc + αI)⁻¹ Xcᵀ = 11ᵀ/n + U diag(s²/(s² + α)) Uᵀ`
//! (`Xc = U S Vᵀ`, from the eigenvectors of the smaller of `XcXcᵀ` and `XcᵀXc`); the first of
//! equal errors wins, then the model is refitted with it (golden against `RidgeCV` in
//! tests/golden/analysis/make_ridgecv_golden.py).

use crate::crossval::{mul, sym_eigen};
use crate::error::{AnalysisError, Result};
use faer::linalg::solvers::Solve;
use faer::{Mat, MatRef, Side};

/// A fitted ridge regression: `ŷ = x W + b`.
#[derive(Clone, Debug, PartialEq)]
pub struct Ridge {
    /// Weights `(d, t)`.
    pub w: Mat<f64>,
    /// Intercepts `(t)`.
    pub b: Vec<f64>,
}

fn col_means(m: MatRef<'_, f64>) -> Vec<f64> {
    let n = m.nrows() as f64;
    (0..m.ncols())
        .map(|j| (0..m.nrows()).map(|i| m[(i, j)]).sum::<f64>() / n)
        .collect()
}

impl Ridge {
    /// Fit `y (n, t)` on `x (n, d)` with penalty `alpha > 0`.
    pub fn fit(x: MatRef<'_, f64>, y: MatRef<'_, f64>, alpha: f64) -> Result<Ridge> {
        let (n, d) = (x.nrows(), x.ncols());
        if y.nrows() != n || n == 0 {
            return Err(AnalysisError::shape(
                "ridge targets (rows = samples)",
                &[n, y.ncols()],
                &[y.nrows(), y.ncols()],
            ));
        }
        if !(alpha.is_finite() && alpha > 0.0) {
            return Err(AnalysisError::config(
                "alpha",
                format!("must be a positive number, got {alpha}"),
            ));
        }
        let (mx, my) = (col_means(x), col_means(y));
        let xc = Mat::from_fn(n, d, |i, j| x[(i, j)] - mx[j]);
        let yc = Mat::from_fn(n, y.ncols(), |i, j| y[(i, j)] - my[j]);
        let chol_err = |e| AnalysisError::LinearAlgebra {
            what: "ridge system".into(),
            message: format!("{e:?} (non-finite values?)"),
        };
        let w = if d <= n {
            let mut g = mul(xc.transpose(), xc.as_ref());
            (0..d).for_each(|j| g[(j, j)] += alpha);
            let llt = g.llt(Side::Lower).map_err(chol_err)?;
            let mut rhs = mul(xc.transpose(), yc.as_ref());
            llt.solve_in_place(rhs.as_mut());
            rhs
        } else {
            let mut g = mul(xc.as_ref(), xc.transpose());
            (0..n).for_each(|i| g[(i, i)] += alpha);
            let llt = g.llt(Side::Lower).map_err(chol_err)?;
            let mut a = yc;
            llt.solve_in_place(a.as_mut());
            mul(xc.transpose(), a.as_ref())
        };
        let b = (0..w.ncols())
            .map(|t| my[t] - (0..d).map(|j| mx[j] * w[(j, t)]).sum::<f64>())
            .collect();
        Ok(Ridge { w, b })
    }

    /// Fit with the penalty of `alphas` (each > 0) whose leave-one-out error is smallest; returns
    /// the fit, the chosen penalty and the mean squared leave-one-out error of each.
    pub fn fit_loo(
        x: MatRef<'_, f64>,
        y: MatRef<'_, f64>,
        alphas: &[f64],
    ) -> Result<(Ridge, f64, Vec<f64>)> {
        let (n, d, t) = (x.nrows(), x.ncols(), y.ncols());
        if alphas.is_empty() || alphas.iter().any(|a| !(a.is_finite() && *a > 0.0)) {
            return Err(AnalysisError::config(
                "alphas",
                format!("one or more positive numbers, got {alphas:?}"),
            ));
        }
        if y.nrows() != n || n < 3 {
            return Err(AnalysisError::shape(
                "ridge targets (rows = samples ≥ 3)",
                &[n, t],
                &[y.nrows(), t],
            ));
        }
        let (mx, my) = (col_means(x), col_means(y));
        let xc = Mat::from_fn(n, d, |i, j| x[(i, j)] - mx[j]);
        let yc = Mat::from_fn(n, t, |i, j| y[(i, j)] - my[j]);
        // U (n, k) and s² of Xc.
        let (u, s2): (Mat<f64>, Vec<f64>) = if n <= d {
            let (vals, vecs) = sym_eigen(mul(xc.as_ref(), xc.transpose()).as_ref(), "ridge LOO")?;
            (vecs, vals.iter().map(|v| v.max(0.0)).collect())
        } else {
            let (vals, vecs) = sym_eigen(mul(xc.transpose(), xc.as_ref()).as_ref(), "ridge LOO")?;
            let xv = mul(xc.as_ref(), vecs.as_ref());
            let s2: Vec<f64> = vals.iter().map(|v| v.max(0.0)).collect();
            let u = Mat::from_fn(n, d, |i, k| {
                if s2[k] > 0.0 {
                    xv[(i, k)] / s2[k].sqrt()
                } else {
                    0.0
                }
            });
            (u, s2)
        };
        let uty = mul(u.transpose(), yc.as_ref());
        let mut errors = Vec::with_capacity(alphas.len());
        for &alpha in alphas {
            let shrink: Vec<f64> = s2.iter().map(|&v| v / (v + alpha)).collect();
            let mut err = 0.0;
            for i in 0..n {
                let h: f64 = 1.0 / n as f64
                    + (0..shrink.len())
                        .map(|k| u[(i, k)] * u[(i, k)] * shrink[k])
                        .sum::<f64>();
                for c in 0..t {
                    let fit: f64 = (0..shrink.len())
                        .map(|k| u[(i, k)] * shrink[k] * uty[(k, c)])
                        .sum();
                    let e = (yc[(i, c)] - fit) / (1.0 - h);
                    err += e * e;
                }
            }
            errors.push(err / (n * t) as f64);
        }
        let best = (0..alphas.len()).fold(0, |b, k| if errors[k] < errors[b] { k } else { b });
        let fit = Ridge::fit(x, y, alphas[best])?;
        Ok((fit, alphas[best], errors))
    }

    /// Predictions `(m, t)` for `x (m, d)`.
    pub fn predict(&self, x: MatRef<'_, f64>) -> Mat<f64> {
        let mut p = mul(x, self.w.as_ref());
        for i in 0..p.nrows() {
            for (t, b) in self.b.iter().enumerate() {
                p[(i, t)] += b;
            }
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primal_and_dual_paths_solve_the_normal_equations() {
        // 5 samples: 7 features take the dual path, the first 3 the primal one; each W must
        // satisfy (XcᵀXc + αI) W = XcᵀYc.
        let x = Mat::from_fn(5, 7, |i, j| ((i * 7 + j) as f64 * 0.43).sin());
        let y = Mat::from_fn(5, 2, |i, j| (i as f64 + 0.5 * j as f64).cos());
        let dual = Ridge::fit(x.as_ref(), y.as_ref(), 0.7).expect("dual");
        let mx = col_means(x.as_ref());
        let my = col_means(y.as_ref());
        let xc = Mat::from_fn(5, 7, |i, j| x[(i, j)] - mx[j]);
        let yc = Mat::from_fn(5, 2, |i, j| y[(i, j)] - my[j]);
        let lhs = xc.transpose() * &xc * &dual.w + &dual.w * faer::Scale(0.7);
        let rhs = xc.transpose() * &yc;
        for j in 0..7 {
            for t in 0..2 {
                assert!((lhs[(j, t)] - rhs[(j, t)]).abs() < 1e-12);
            }
        }
        let primal = Ridge::fit(x.as_ref().subcols(0, 3), y.as_ref(), 0.7).expect("primal");
        let xc3 = xc.as_ref().subcols(0, 3);
        let lhs = xc3.transpose() * xc3 * &primal.w + &primal.w * faer::Scale(0.7);
        let rhs = xc3.transpose() * &yc;
        for j in 0..3 {
            for t in 0..2 {
                assert!((lhs[(j, t)] - rhs[(j, t)]).abs() < 1e-12);
            }
        }
    }
}
