//! Checking a hand-derived `Dynamics::jacobian` against central finite differences.
//!
//! `J_fd[i, j] = (F_i(x + ε e_j, u) − F_i(x − ε e_j, u)) / 2ε`, error `O(ε²)`; with f64 and
//! `ε ≈ 1e-6` agreement to ~1e-8 is expected for smooth networks. The engine's tests use this too.

use neurodyn_core::Dynamics;

/// Central finite-difference Jacobian of `dynamics` at `(x, u)`, row-major `n × n`
/// (`out[i*n + j] = ∂F_i/∂x_j`), the layout of `Dynamics::jacobian`.
pub fn fd_jacobian(dynamics: &dyn Dynamics, x: &[f64], u: &[f64], eps: f64) -> Vec<f64> {
    let n = dynamics.n_state();
    assert_eq!(
        x.len(),
        n,
        "fd_jacobian: x has length {}, the network's state {n}",
        x.len()
    );
    assert!(eps > 0.0, "fd_jacobian: eps must be > 0");
    let mut out = vec![0.0; n * n];
    let (mut xp, mut fp, mut fm) = (x.to_vec(), vec![0.0; n], vec![0.0; n]);
    for j in 0..n {
        xp[j] = x[j] + eps;
        dynamics.step(&xp, u, &mut fp);
        xp[j] = x[j] - eps;
        dynamics.step(&xp, u, &mut fm);
        xp[j] = x[j];
        for i in 0..n {
            out[i * n + j] = (fp[i] - fm[i]) / (2.0 * eps);
        }
    }
    out
}

/// Largest `|J − J_fd| / max(1, |J_fd|)` over entries, comparing `Dynamics::jacobian` with
/// [`fd_jacobian`].
pub fn jacobian_error(dynamics: &dyn Dynamics, x: &[f64], u: &[f64], eps: f64) -> f64 {
    let n = dynamics.n_state();
    let mut analytic = vec![0.0; n * n];
    dynamics.jacobian(x, u, &mut analytic);
    fd_jacobian(dynamics, x, u, eps)
        .iter()
        .zip(&analytic)
        .map(|(f, a)| (a - f).abs() / f.abs().max(1.0))
        .fold(0.0, f64::max)
}
