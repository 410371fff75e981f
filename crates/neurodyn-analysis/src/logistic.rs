//! Multinomial (softmax) logistic regression with an L2 penalty, fitted by L-BFGS in f64.
//!
//! The objective is scikit-learn's `LogisticRegression(C)` with the multinomial loss:
//!
//! ```text
//! minimise over W (d, k), b (k):   C · Σ_i [ logsumexp(x_i W + b) − (x_i W + b)_{y_i} ] + ½ ‖W‖²
//! ```
//!
//! with the intercept `b` unpenalised. The softmax is unchanged by adding one constant to every
//! intercept; the solver starts at 0 and every step keeps `Σ_c b_c = 0`, the intercepts
//! scikit-learn's solvers return. `W` is the transpose of scikit-learn's `coef_` (one column per
//! class). With two classes this is still the symmetric softmax form, which equals scikit-learn's
//! binary (binomial) fit with `2C`: `coef_ = w₁ − w₀`. Tested against scikit-learn to 1e-6
//! (tests/golden/analysis/make_representation_golden.py).
//!
//! Internally the objective is divided by `C·n` (mean loss + `‖W‖²/(2Cn)`, the same minimiser),
//! and the solver stops when the largest gradient entry of that scaled objective is at most
//! `tol`. Features are taken as given: standardise them first when their scales differ a lot
//! ([`crate::crossval::FoldTransform`]); L-BFGS converges slowly on badly scaled features.

use crate::crossval::mul;
use crate::error::{AnalysisError, Result};
use faer::{Mat, MatRef};

/// A fitted multinomial logistic regression: `scores = x W + b`.
#[derive(Clone, Debug, PartialEq)]
pub struct Logistic {
    /// Weights `(d, k)`, one column per class.
    pub w: Mat<f64>,
    /// Intercepts `(k)`, summing to 0.
    pub b: Vec<f64>,
    /// L-BFGS iterations used.
    pub iterations: usize,
    /// Largest gradient entry of the scaled objective at the end.
    pub gradient: f64,
    /// Whether `gradient ≤ tol` was reached within `max_iter` iterations.
    pub converged: bool,
}

/// Solver settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogisticFit {
    /// Inverse penalty `C` (> 0).
    pub c: f64,
    /// Stop when the largest gradient entry of the scaled objective is at most this.
    pub tol: f64,
    /// Iteration limit.
    pub max_iter: usize,
}

impl Default for LogisticFit {
    fn default() -> Self {
        LogisticFit {
            c: 1.0,
            tol: 1e-6,
            max_iter: 1000,
        }
    }
}

/// Objective and gradient of the scaled problem at `(W, b)` packed as `θ = [W column-major, b]`.
struct Problem<'a> {
    x: MatRef<'a, f64>,
    y: &'a [usize],
    k: usize,
    lambda: f64,
}

impl Problem<'_> {
    fn eval(&self, theta: &[f64], grad: &mut [f64]) -> f64 {
        let (n, d, k) = (self.x.nrows(), self.x.ncols(), self.k);
        let w = MatRef::from_column_major_slice(&theta[..d * k], d, k);
        let b = &theta[d * k..];
        let mut z = mul(self.x, w);
        if z.col_iter().any(|c| c.iter().any(|v| !v.is_finite())) {
            return f64::INFINITY;
        }
        let mut loss = 0.0;
        for i in 0..n {
            let mut m = f64::NEG_INFINITY;
            for c in 0..k {
                z[(i, c)] += b[c];
                m = m.max(z[(i, c)]);
            }
            let zy = z[(i, self.y[i])];
            let mut s = 0.0;
            for c in 0..k {
                // Below e^-60 a term changes neither the sum (≥ 1) nor any gradient entry
                // measurably, so its exp is skipped.
                let t = z[(i, c)] - m;
                let e = if t < -60.0 { 0.0 } else { t.exp() };
                z[(i, c)] = e;
                s += e;
            }
            // Residuals p − onehot(y), each divided by n, in place of z.
            for c in 0..k {
                z[(i, c)] /= s;
            }
            loss += m + s.ln() - zy;
            z[(i, self.y[i])] -= 1.0;
            for c in 0..k {
                z[(i, c)] /= n as f64;
            }
        }
        let gw = mul(self.x.transpose(), z.as_ref());
        let mut pen = 0.0;
        for c in 0..k {
            for j in 0..d {
                let v = w[(j, c)];
                pen += v * v;
                grad[c * d + j] = gw[(j, c)] + self.lambda * v;
            }
            grad[d * k + c] = (0..n).map(|i| z[(i, c)]).sum();
        }
        loss / n as f64 + 0.5 * self.lambda * pen
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn max_abs(a: &[f64]) -> f64 {
    a.iter().fold(0.0, |m, v| m.max(v.abs()))
}

impl Logistic {
    /// Fit on `x (n, d)` with classes `y` in `0..k` (every class should occur; a class that does
    /// not gets an intercept that keeps falling, and the fit does not converge).
    pub fn fit(x: MatRef<'_, f64>, y: &[usize], k: usize, fit: &LogisticFit) -> Result<Logistic> {
        let (n, d) = (x.nrows(), x.ncols());
        if y.len() != n || n == 0 {
            return Err(AnalysisError::shape("logistic labels", &[n], &[y.len()]));
        }
        if k < 2 || y.iter().any(|&c| c >= k) {
            return Err(AnalysisError::config(
                "classes",
                format!("need ≥ 2 classes and labels in 0..{k}"),
            ));
        }
        if !(fit.c.is_finite() && fit.c > 0.0) {
            return Err(AnalysisError::config(
                "C",
                format!("must be a positive number, got {}", fit.c),
            ));
        }
        let p = Problem {
            x,
            y,
            k,
            lambda: 1.0 / (fit.c * n as f64),
        };
        let m = (d + 1) * k;
        let mut theta = vec![0.0; m];
        let mut g = vec![0.0; m];
        let mut f = p.eval(&theta, &mut g);
        if !f.is_finite() {
            return Err(AnalysisError::config(
                "features",
                "the logistic loss is not finite (non-finite features?)",
            ));
        }
        let reach = 2.0 * (2.0 * f / p.lambda).sqrt() + 10.0;
        const MEMORY: usize = 10;
        let mut hist: std::collections::VecDeque<(Vec<f64>, Vec<f64>, f64)> =
            std::collections::VecDeque::new();
        let (mut g_new, mut t_new) = (vec![0.0; m], vec![0.0; m]);
        let mut it = 0;
        while it < fit.max_iter && max_abs(&g) > fit.tol {
            it += 1;
            // Two-loop recursion: direction = −H g.
            let mut q: Vec<f64> = g.clone();
            let mut alphas = Vec::with_capacity(hist.len());
            for (s, yv, rho) in hist.iter().rev() {
                let a = rho * dot(s, &q);
                q.iter_mut().zip(yv).for_each(|(qi, yi)| *qi -= a * yi);
                alphas.push(a);
            }
            let gamma = match hist.back() {
                Some((s, yv, _)) => dot(s, yv) / dot(yv, yv),
                None => 1.0 / max_abs(&g).max(1.0),
            };
            q.iter_mut().for_each(|v| *v *= gamma);
            for ((s, yv, rho), a) in hist.iter().zip(alphas.iter().rev()) {
                let beta = rho * dot(yv, &q);
                q.iter_mut()
                    .zip(s)
                    .for_each(|(qi, si)| *qi += (a - beta) * si);
            }
            let mut slope = -dot(&g, &q);
            if slope >= 0.0 {
                // Not a descent direction (rounding): restart from steepest descent.
                hist.clear();
                q.clone_from(&g);
                q.iter_mut().for_each(|v| *v /= max_abs(&g).max(1.0));
                slope = -dot(&g, &q);
            }
            // Backtracking (Armijo) with slack for rounding near the optimum. Any point with
            // a weight beyond `reach` has a larger objective than θ = 0 (the penalty alone
            // exceeds f(0)); the first trial stays within it, a guard against a long L-BFGS
            // step overflowing the scores (intercepts get the same room).
            let mut step = (reach / max_abs(&q)).min(1.0);
            let mut f_new;
            loop {
                t_new
                    .iter_mut()
                    .zip(&theta)
                    .zip(&q)
                    .for_each(|((t, th), qi)| *t = th - step * qi);
                f_new = p.eval(&t_new, &mut g_new);
                if f_new <= f + 1e-4 * step * slope + 4.0 * f64::EPSILON * f.abs() {
                    break;
                }
                step *= 0.5;
                if step < 1e-12 {
                    break;
                }
            }
            if step < 1e-12 {
                break;
            }
            let s: Vec<f64> = t_new.iter().zip(&theta).map(|(a, b)| a - b).collect();
            let yv: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
            let sy = dot(&s, &yv);
            if sy > 1e-300 {
                if hist.len() == MEMORY {
                    hist.pop_front();
                }
                hist.push_back((s, yv, 1.0 / sy));
            }
            std::mem::swap(&mut theta, &mut t_new);
            std::mem::swap(&mut g, &mut g_new);
            f = f_new;
        }
        let w = Mat::from_fn(d, k, |j, c| theta[c * d + j]);
        let mut b = theta[d * k..].to_vec();
        let mean = b.iter().sum::<f64>() / k as f64;
        b.iter_mut().for_each(|v| *v -= mean);
        let gradient = max_abs(&g);
        Ok(Logistic {
            w,
            b,
            iterations: it,
            gradient,
            converged: gradient <= fit.tol,
        })
    }

    /// The class scores `(n, k)` of `x (n, d)`.
    pub fn decision(&self, x: MatRef<'_, f64>) -> Mat<f64> {
        let mut z = mul(x, self.w.as_ref());
        for i in 0..z.nrows() {
            for c in 0..z.ncols() {
                z[(i, c)] += self.b[c];
            }
        }
        z
    }

    /// The class of each row of `x` (the first of equal scores).
    pub fn predict(&self, x: MatRef<'_, f64>) -> Vec<usize> {
        let z = self.decision(x);
        (0..z.nrows())
            .map(|i| {
                (1..z.ncols()).fold(0, |best, c| if z[(i, c)] > z[(i, best)] { c } else { best })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_matches_finite_differences() {
        let (n, d, k) = (7, 3, 3);
        let x = Mat::from_fn(n, d, |i, j| ((i * 3 + j) as f64 * 0.71).sin());
        let y: Vec<usize> = (0..n).map(|i| i % k).collect();
        let p = Problem {
            x: x.as_ref(),
            y: &y,
            k,
            lambda: 0.3,
        };
        let theta: Vec<f64> = (0..(d + 1) * k).map(|i| (i as f64 * 0.37).cos()).collect();
        let mut g = vec![0.0; theta.len()];
        p.eval(&theta, &mut g);
        let mut scratch = g.clone();
        for i in 0..theta.len() {
            let (mut a, mut b) = (theta.clone(), theta.clone());
            a[i] += 1e-6;
            b[i] -= 1e-6;
            let fd = (p.eval(&a, &mut scratch) - p.eval(&b, &mut scratch)) / 2e-6;
            assert!((fd - g[i]).abs() < 1e-8, "entry {i}: {fd} vs {}", g[i]);
        }
    }

    #[test]
    fn separable_classes_are_predicted_and_intercepts_sum_to_zero() {
        let x = Mat::from_fn(30, 2, |i, j| {
            let c = (i % 3) as f64;
            if j == 0 {
                c + 0.1 * (i as f64).sin()
            } else {
                (i as f64).cos()
            }
        });
        let y: Vec<usize> = (0..30).map(|i| i % 3).collect();
        let m = Logistic::fit(x.as_ref(), &y, 3, &LogisticFit::default()).expect("fit");
        assert!(m.converged, "{m:?}");
        assert!(m.b.iter().sum::<f64>().abs() < 1e-12);
        let acc = m
            .predict(x.as_ref())
            .iter()
            .zip(&y)
            .filter(|(a, b)| a == b)
            .count();
        assert!(acc >= 28, "{acc}");
    }
}
