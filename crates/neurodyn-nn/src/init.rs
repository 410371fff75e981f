//! Weight initialisers.
//!
//! - `pytorch-uniform`: U(−1/√fan_in, 1/√fan_in), PyTorch's `nn.Linear`/`nn.RNN` default.
//! - `gaussian`: N(0, ρ²/n), whose spectral radius tends to ρ for large n (circular law).
//! - `orthogonal`: Q from the QR decomposition of a Gaussian matrix (signs fixed by R's
//!   diagonal), times a gain (Saxe et al. 2014).
//! - `identity`: γ·I (Le et al. 2015; Yang et al. 2019 use γ = 0.5 for ReLU units).
//! - Dale networks: non-negative magnitudes with each row's excitatory and inhibitory input
//!   balanced (Song et al. 2016), then scaled to a spectral radius ρ.

use neurodyn_core::Rng;
use serde::{Deserialize, Serialize};

/// How a recurrent matrix is initialised.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum RecInit {
    /// U(−1/√n, 1/√n).
    #[default]
    PytorchUniform,
    /// N(0, ρ²/n).
    Gaussian {
        /// Target spectral radius ρ.
        radius: f64,
    },
    /// Orthogonal times `gain`.
    Orthogonal {
        /// Multiplier.
        gain: f64,
    },
    /// `scale`·I.
    Identity {
        /// Diagonal value.
        scale: f64,
    },
}

/// Uniform U(−1/√fan_in, 1/√fan_in) for a `(rows, fan_in)` matrix.
pub fn uniform_fan_in(rows: usize, fan_in: usize, rng: &mut Rng) -> Vec<f64> {
    let b = 1.0 / (fan_in.max(1) as f64).sqrt();
    (0..rows * fan_in)
        .map(|_| rng.uniform_range(-b, b))
        .collect()
}

/// An `n × n` recurrent matrix by `init`.
pub fn recurrent(n: usize, init: RecInit, rng: &mut Rng) -> Vec<f64> {
    match init {
        RecInit::PytorchUniform => uniform_fan_in(n, n, rng),
        RecInit::Gaussian { radius } => {
            let s = radius / (n as f64).sqrt();
            (0..n * n).map(|_| s * rng.normal()).collect()
        }
        RecInit::Orthogonal { gain } => {
            let mut q = orthogonal(n, rng);
            q.iter_mut().for_each(|v| *v *= gain);
            q
        }
        RecInit::Identity { scale } => {
            let mut w = vec![0.0; n * n];
            for i in 0..n {
                w[i * n + i] = scale;
            }
            w
        }
    }
}

/// A random orthogonal matrix (row-major).
pub fn orthogonal(n: usize, rng: &mut Rng) -> Vec<f64> {
    let a = faer::Mat::<f64>::from_fn(n, n, |_, _| rng.normal());
    let qr = a.qr();
    let q = qr.compute_Q();
    let r = qr.R();
    let mut out = vec![0.0; n * n];
    for j in 0..n {
        let s = if r[(j, j)] < 0.0 { -1.0 } else { 1.0 };
        for i in 0..n {
            out[i * n + j] = q[(i, j)] * s;
        }
    }
    out
}

/// Spectral radius (largest |eigenvalue|) of a row-major `n × n` matrix.
pub fn spectral_radius(w: &[f64], n: usize) -> f64 {
    let a = faer::Mat::<f64>::from_fn(n, n, |i, j| w[i * n + j]);
    match a.eigenvalues() {
        Ok(ev) => ev.iter().map(|z| z.norm()).fold(0.0, f64::max),
        Err(_) => f64::NAN,
    }
}

/// Non-negative magnitudes for a Dale recurrent matrix with E/I balance per row: each row's
/// summed inhibitory magnitude equals its summed excitatory magnitude, then the signed matrix is
/// scaled to spectral radius `radius`. `signs` are ±1 per presynaptic unit; `conn` 0/1.
pub fn dale_balanced(signs: &[f64], conn: &[f64], radius: f64, rng: &mut Rng) -> Vec<f64> {
    let n = signs.len();
    let mut w: Vec<f64> = (0..n * n)
        .map(|k| conn[k] * rng.uniform_range(0.0, 1.0))
        .collect();
    for i in 0..n {
        let row = &mut w[i * n..(i + 1) * n];
        let (mut e, mut inh) = (0.0, 0.0);
        for (j, v) in row.iter().enumerate() {
            if signs[j] > 0.0 {
                e += v;
            } else {
                inh += v;
            }
        }
        if inh > 0.0 && e > 0.0 {
            for (j, v) in row.iter_mut().enumerate() {
                if signs[j] < 0.0 {
                    *v *= e / inh;
                }
            }
        }
    }
    let signed: Vec<f64> = w
        .iter()
        .enumerate()
        .map(|(k, v)| v * signs[k % n])
        .collect();
    let rho = spectral_radius(&signed, n);
    if rho.is_finite() && rho > 1e-12 {
        w.iter_mut().for_each(|v| *v *= radius / rho);
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orthogonal_is_orthogonal_and_radius_is_hit() {
        let mut rng = Rng::new(0);
        let q = orthogonal(6, &mut rng);
        for i in 0..6 {
            for j in 0..6 {
                let d: f64 = (0..6).map(|k| q[k * 6 + i] * q[k * 6 + j]).sum();
                assert!((d - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12);
            }
        }
        let signs: Vec<f64> = (0..20).map(|i| if i < 16 { 1.0 } else { -1.0 }).collect();
        let conn = vec![1.0; 400];
        let w = dale_balanced(&signs, &conn, 1.5, &mut rng);
        assert!(w.iter().all(|&v| v >= 0.0));
        let signed: Vec<f64> = w
            .iter()
            .enumerate()
            .map(|(k, v)| v * signs[k % 20])
            .collect();
        assert!((spectral_radius(&signed, 20) - 1.5).abs() < 1e-9);
        for i in 0..20 {
            let s: f64 = signed[i * 20..(i + 1) * 20].iter().sum();
            assert!(s.abs() < 1e-9, "row {i} unbalanced: {s}");
        }
    }
}
