//! Partial least squares regression (PLS2), scikit-learn's `PLSRegression(n_components,
//! scale=True)`: the linear map from `X` to `Y` through the `k` directions of `X` that covary most
//! with `Y`, found one at a time with deflation.
//!
//! ```text
//! X₀ = (X − x̄)/s_x,  Y₀ = (Y − ȳ)/s_y          (sample s.d., ddof 1; a constant column: s = 1)
//! for c = 1 … k:
//!     w_c = first left singular vector of X_{c−1}ᵀ Y_{c−1}   (sign: largest |entry| positive)
//!     t_c = X_{c−1} w_c,   p_c = X_{c−1}ᵀ t_c / tᵀt,   q_c = Y_{c−1}ᵀ t_c / tᵀt
//!     X_c = X_{c−1} − t_c p_cᵀ,   Y_c = Y_{c−1} − t_c q_cᵀ
//! B = W (PᵀW)⁻¹ Qᵀ  scaled back:  β_jt = B_jt s_y,t / s_x,j,   ŷ = (x − x̄) β + ȳ
//! ```
//!
//! scikit-learn finds `w_c` by a power iteration (NIPALS, stopping at `tol`); here it is the exact
//! singular vector, from the eigenvectors of the smaller of `CᵀC` and `CCᵀ` (`C = XᵀY`), so the
//! two agree to the power iteration's tolerance (checked against scikit-learn run with
//! `tol = 1e-28` in `tests/golden/analysis/make_pls_golden.py`).

use crate::crossval::{mul, sym_eigen};
use crate::error::{AnalysisError, Result};
use faer::linalg::solvers::Solve;
use faer::{Mat, MatRef};

/// A fitted PLS regression: `ŷ = (x − x̄) β + ȳ`.
#[derive(Clone, Debug, PartialEq)]
pub struct Pls {
    /// Coefficients `(d, t)` on the original units.
    pub coef: Mat<f64>,
    /// Column means of `X`.
    pub x_mean: Vec<f64>,
    /// Column means of `Y` (the intercepts).
    pub y_mean: Vec<f64>,
    /// Components used (fewer than asked when `X`'s residual vanished first).
    pub n_components: usize,
}

/// Column means and sample standard deviations (1 where a column is constant).
fn mean_std(m: MatRef<'_, f64>) -> (Vec<f64>, Vec<f64>) {
    let n = m.nrows() as f64;
    (0..m.ncols())
        .map(|j| {
            let mu = (0..m.nrows()).map(|i| m[(i, j)]).sum::<f64>() / n;
            let var = (0..m.nrows())
                .map(|i| (m[(i, j)] - mu).powi(2))
                .sum::<f64>()
                / (n - 1.0);
            let s = var.sqrt();
            (mu, if s > 0.0 { s } else { 1.0 })
        })
        .unzip()
}

/// The first left singular vector of `c` (`(d, t)`), or `None` when `c` is zero.
fn first_left_singular(c: MatRef<'_, f64>) -> Result<Option<Vec<f64>>> {
    let (d, t) = (c.nrows(), c.ncols());
    let mut u = if d <= t {
        let (vals, vecs) = sym_eigen(mul(c, c.transpose()).as_ref(), "PLS weights")?;
        if vals[d - 1] <= 0.0 {
            return Ok(None);
        }
        (0..d).map(|i| vecs[(i, d - 1)]).collect::<Vec<f64>>()
    } else {
        let (vals, vecs) = sym_eigen(mul(c.transpose(), c).as_ref(), "PLS weights")?;
        if vals[t - 1] <= 0.0 {
            return Ok(None);
        }
        let v = Mat::from_fn(t, 1, |i, _| vecs[(i, t - 1)]);
        let cv = mul(c, v.as_ref());
        (0..d).map(|i| cv[(i, 0)]).collect()
    };
    let norm = u.iter().map(|v| v * v).sum::<f64>().sqrt();
    if norm <= 0.0 || !norm.is_finite() {
        return Ok(None);
    }
    let big = u
        .iter()
        .copied()
        .fold(0.0f64, |b, v| if v.abs() > b.abs() { v } else { b });
    let sign = if big < 0.0 { -1.0 } else { 1.0 };
    u.iter_mut().for_each(|v| *v *= sign / norm);
    Ok(Some(u))
}

impl Pls {
    /// Fit `y (n, t)` on `x (n, d)` with `k ≥ 1` components (at most `min(n − 1, d)`).
    pub fn fit(x: MatRef<'_, f64>, y: MatRef<'_, f64>, k: usize) -> Result<Pls> {
        let (n, d, t) = (x.nrows(), x.ncols(), y.ncols());
        if y.nrows() != n || n < 2 || d == 0 || t == 0 {
            return Err(AnalysisError::shape(
                "PLS data (x rows = y rows ≥ 2)",
                &[n, d],
                &[y.nrows(), t],
            ));
        }
        if k == 0 || k > d.min(n - 1) {
            return Err(AnalysisError::config(
                "components",
                format!("1 ..= min(features {d}, samples − 1 = {}), got {k}", n - 1),
            ));
        }
        let (x_mean, x_std) = mean_std(x);
        let (y_mean, y_std) = mean_std(y);
        let mut xk = Mat::from_fn(n, d, |i, j| (x[(i, j)] - x_mean[j]) / x_std[j]);
        let mut yk = Mat::from_fn(n, t, |i, j| (y[(i, j)] - y_mean[j]) / y_std[j]);
        let mut w = Mat::<f64>::zeros(d, k);
        let mut p = Mat::<f64>::zeros(d, k);
        let mut q = Mat::<f64>::zeros(t, k);
        let mut used = 0;
        for c in 0..k {
            let cross = mul(xk.transpose(), yk.as_ref());
            let Some(wc) = first_left_singular(cross.as_ref())? else {
                break;
            };
            let wm = Mat::from_fn(d, 1, |i, _| wc[i]);
            let sc = mul(xk.as_ref(), wm.as_ref());
            let tt: f64 = (0..n).map(|i| sc[(i, 0)] * sc[(i, 0)]).sum();
            if tt <= f64::EPSILON * n as f64 {
                break;
            }
            let pc = mul(xk.transpose(), sc.as_ref());
            let qc = mul(yk.transpose(), sc.as_ref());
            for j in 0..d {
                w[(j, c)] = wc[j];
                p[(j, c)] = pc[(j, 0)] / tt;
            }
            for j in 0..t {
                q[(j, c)] = qc[(j, 0)] / tt;
            }
            for i in 0..n {
                let s = sc[(i, 0)];
                for j in 0..d {
                    xk[(i, j)] -= s * p[(j, c)];
                }
                for j in 0..t {
                    yk[(i, j)] -= s * q[(j, c)];
                }
            }
            used = c + 1;
        }
        if used == 0 {
            return Err(AnalysisError::empty(
                "PLS: X and Y do not covary (every cross-covariance is zero)",
            ));
        }
        let w = w.as_ref().subcols(0, used);
        let p = p.as_ref().subcols(0, used);
        let q = q.as_ref().subcols(0, used);
        // R = W (PᵀW)⁻¹, then B = R Qᵀ.
        let ptw = mul(p.transpose(), w);
        let lu = ptw.partial_piv_lu();
        let mut rt = w.transpose().to_owned();
        lu.solve_transpose_in_place(rt.as_mut());
        let b = mul(rt.transpose(), q.transpose());
        let coef = Mat::from_fn(d, t, |j, c| b[(j, c)] * y_std[c] / x_std[j]);
        Ok(Pls {
            coef,
            x_mean,
            y_mean,
            n_components: used,
        })
    }

    /// Predictions `(m, t)` for `x (m, d)`.
    pub fn predict(&self, x: MatRef<'_, f64>) -> Mat<f64> {
        let xc = Mat::from_fn(x.nrows(), x.ncols(), |i, j| x[(i, j)] - self.x_mean[j]);
        let mut out = mul(xc.as_ref(), self.coef.as_ref());
        for i in 0..out.nrows() {
            for (c, m) in self.y_mean.iter().enumerate() {
                out[(i, c)] += m;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_components_of_a_full_rank_problem_give_least_squares() {
        // With k = d, PLS spans all of X: its fit is the ordinary least-squares fit.
        let (n, d) = (12, 3);
        let x = Mat::from_fn(n, d, |i, j| {
            (i as f64 * (0.37 + 0.29 * j as f64) + j as f64).sin()
        });
        let y = Mat::from_fn(n, 2, |i, c| {
            1.5 * x[(i, 0)] - 0.5 * x[(i, 2)] + c as f64 * x[(i, 1)] + 0.01 * (i as f64).cos()
        });
        let pls = Pls::fit(x.as_ref(), y.as_ref(), d).expect("pls");
        let ridge = crate::ridge::Ridge::fit(x.as_ref(), y.as_ref(), 1e-12).expect("ols");
        for j in 0..d {
            for c in 0..2 {
                let (a, b) = (pls.coef[(j, c)], ridge.w[(j, c)]);
                assert!((a - b).abs() < 1e-8, "{j} {c}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn bad_component_counts_and_shapes_are_refused() {
        let x = Mat::from_fn(4, 3, |i, j| (i + j) as f64);
        let y = Mat::from_fn(4, 1, |i, _| i as f64);
        assert!(Pls::fit(x.as_ref(), y.as_ref(), 0).is_err());
        assert!(Pls::fit(x.as_ref(), y.as_ref(), 4).is_err());
        let y3 = Mat::from_fn(3, 1, |i, _| i as f64);
        assert!(Pls::fit(x.as_ref(), y3.as_ref(), 1).is_err());
    }
}
