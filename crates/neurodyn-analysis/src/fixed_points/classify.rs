//! Linearisation at a fixed point: Jacobian spectrum, stability in both conventions, and the
//! slowest (line-attractor) direction.
//!
//! Near a fixed point `x*`, `δx_{t+1} ≈ J δx_t` with `J = ∂F/∂x (x*)`. faer's non-symmetric
//! eigendecomposition gives complex eigenvalues `μ` and unit eigenvectors (columns).
//! - **Discrete map** (FixedPointFinder's convention): stable iff `max |μ| < 1`.
//! - **Continuous time** (networks with `Dynamics::dt_ms() = Some(dt)`, Euler steps
//!   `x + dt·G(x)` of an ODE `ẋ = G(x)`): `J = I + dt·∂G/∂x`, so `λ = (μ − 1)/dt` exactly, here in
//!   1/s, whatever the time constants of the state's components (per-unit τ, synaptic
//!   variables); stable iff `max Re λ < 0`. The two differ for eigenvalues with `Re μ < 1` but
//!   `|μ| > 1` (an overshooting Euler step). A mode with `Re λ < 0` decays with time constant
//!   `−1/Re λ`: for the slowest mode of a line attractor, how long the memory lasts.
//! - **Marginal mode**: the eigenvalue with `|μ|` nearest 1; the real part of its eigenvector,
//!   unit-normalised with its largest-magnitude entry positive, is the line-attractor direction
//!   (Mante et al. 2013; Sussillo & Barak 2013).
//!
//! Eigenvalues are sorted by `|μ|` descending (ties by real part, then imaginary part, descending).

use crate::error::{AnalysisError, Result};
use crate::pca::fix_sign;
use faer::Mat;
use neurodyn_core::Dynamics;
use serde::Serialize;

/// The eigenvalue nearest marginal stability and its direction.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MarginalMode {
    /// Index into the sorted eigenvalues.
    pub index: usize,
    /// Discrete eigenvalue `μ` as `[re, im]`.
    pub mu: [f64; 2],
    /// Continuous eigenvalue `λ = (μ − 1)/dt` in 1/s, when the network is an Euler map.
    #[serde(rename = "lambda_per_s")]
    pub lambda: Option<[f64; 2]>,
    /// `−1/Re λ` in ms when `Re λ < 0`: the time constant of this mode's decay. (On a line
    /// attractor `Re λ` is zero up to rounding, so this reads either as none or as very long.)
    pub time_constant_ms: Option<f64>,
    /// Real part of the eigenvector, unit norm, largest-magnitude entry positive.
    pub direction: Vec<f64>,
}

/// Spectrum and stability at one point.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Linearization {
    /// `∂F/∂x`, row-major `n × n`.
    #[serde(skip)]
    pub jacobian: Vec<f64>,
    /// Discrete eigenvalues `μ` as `[re, im]`, sorted by `|μ|` descending.
    pub eigenvalues: Vec<[f64; 2]>,
    /// Continuous eigenvalues `λ = (μ − 1)/dt` in 1/s, same order, when dt is known.
    #[serde(rename = "continuous_eigenvalues_per_s")]
    pub continuous_eigenvalues: Option<Vec<[f64; 2]>>,
    /// Real parts of the eigenvectors, `n × n` row-major, column `j` ↔ eigenvalue `j`.
    #[serde(skip)]
    pub eigenvectors_re: Vec<f64>,
    /// Imaginary parts of the eigenvectors, same layout.
    #[serde(skip)]
    pub eigenvectors_im: Vec<f64>,
    /// `max |μ| < 1`.
    pub stable_discrete: bool,
    /// `max Re λ < 0`, when dt is known.
    pub stable_continuous: Option<bool>,
    /// Eigenvalues with `|μ| > 1`.
    pub n_unstable: usize,
    /// The slowest mode.
    pub marginal: MarginalMode,
}

/// Linearise `dynamics` at `x` under input `u`.
pub fn linearize(dynamics: &dyn Dynamics, x: &[f64], u: &[f64]) -> Result<Linearization> {
    let n = x.len();
    let mut jacobian = vec![0.0; n * n];
    dynamics.jacobian(x, u, &mut jacobian);
    if jacobian.iter().any(|v| !v.is_finite()) {
        return Err(AnalysisError::LinearAlgebra {
            what: "fixed-point Jacobian".into(),
            message: "non-finite entries".into(),
        });
    }
    let m = Mat::<f64>::from_fn(n, n, |i, j| jacobian[i * n + j]);
    let evd = m.eigen().map_err(|e| AnalysisError::LinearAlgebra {
        what: "fixed-point Jacobian eigendecomposition".into(),
        message: format!("{e:?}"),
    })?;
    let (s, v) = (evd.S(), evd.U());
    let mut order: Vec<usize> = (0..n).collect();
    let key = |k: usize| {
        let z = s[k];
        (z.re.hypot(z.im), z.re, z.im)
    };
    order.sort_by(|&a, &b| {
        let (ka, kb) = (key(a), key(b));
        kb.0.total_cmp(&ka.0)
            .then(kb.1.total_cmp(&ka.1))
            .then(kb.2.total_cmp(&ka.2))
    });
    let eigenvalues: Vec<[f64; 2]> = order.iter().map(|&k| [s[k].re, s[k].im]).collect();
    let mut eigenvectors_re = vec![0.0; n * n];
    let mut eigenvectors_im = vec![0.0; n * n];
    for (c, &k) in order.iter().enumerate() {
        for i in 0..n {
            eigenvectors_re[i * n + c] = v[(i, k)].re;
            eigenvectors_im[i * n + c] = v[(i, k)].im;
        }
    }
    // μ − 1 = dt·λ, with dt in seconds for λ in 1/s.
    let dt_s = dynamics.dt_ms().map(|dt| dt / 1000.0);
    let to_lambda = |[re, im]: [f64; 2], dt: f64| [(re - 1.0) / dt, im / dt];
    let continuous_eigenvalues = dt_s.map(|dt| {
        eigenvalues
            .iter()
            .map(|&z| to_lambda(z, dt))
            .collect::<Vec<_>>()
    });
    let abs = |z: &[f64; 2]| z[0].hypot(z[1]);
    let max_abs = eigenvalues.iter().map(abs).fold(0.0, f64::max);
    let stable_continuous = continuous_eigenvalues
        .as_ref()
        .map(|l| l.iter().all(|z| z[0] < 0.0));
    let n_unstable = eigenvalues.iter().filter(|z| abs(z) > 1.0).count();
    let mut index = 0;
    for (k, z) in eigenvalues.iter().enumerate() {
        if (abs(z) - 1.0).abs() < (abs(&eigenvalues[index]) - 1.0).abs() {
            index = k;
        }
    }
    let mut direction: Vec<f64> = (0..n).map(|i| eigenvectors_re[i * n + index]).collect();
    let norm = direction.iter().map(|v| v * v).sum::<f64>().sqrt();
    if norm > 0.0 {
        direction.iter_mut().for_each(|v| *v /= norm);
    }
    fix_sign(&mut direction);
    let mu = eigenvalues.get(index).copied().unwrap_or([0.0, 0.0]);
    let lambda = dt_s.map(|dt| to_lambda(mu, dt));
    let marginal = MarginalMode {
        index,
        mu,
        lambda,
        time_constant_ms: lambda.filter(|l| l[0] < 0.0).map(|l| -1000.0 / l[0]),
        direction,
    };
    Ok(Linearization {
        jacobian,
        eigenvalues,
        continuous_eigenvalues,
        eigenvectors_re,
        eigenvectors_im,
        stable_discrete: max_abs < 1.0,
        stable_continuous,
        n_unstable,
        marginal,
    })
}
