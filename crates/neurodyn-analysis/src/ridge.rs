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

use crate::crossval::mul;
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
