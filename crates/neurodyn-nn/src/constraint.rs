//! Biological constraints on a weight matrix, composed rather than subclassed.
//!
//! The effective weight a cell uses is
//!
//! ```text
//! W_eff = C ⊙ (s ⊙ ρ(W)) + W_fix
//! ```
//!
//! - `C`: a 0/1 connectivity mask (sparse wiring, no autapses, block structure of multi-area or
//!   per-unit-MLP networks);
//! - `s`: a ±1 sign per presynaptic unit (column) for Dale's law, with `ρ` making the trained
//!   magnitude non-negative: `|W|` (nn-brain's choice) or `max(0, W)` (PsychRNN's);
//! - `W_fix`: fixed weights added to the trained ones (`W = W_train + W_fix`);
//! - a trainable mask: elements with 0 there receive no gradient and keep their initial value.
//!
//! The gradient follows by the chain rule: `∂L/∂W = ∂L/∂W_eff ⊙ C ⊙ s ⊙ ρ'(W) ⊙ T`.

use crate::real::Real;
use serde::{Deserialize, Serialize};

/// How Dale's-law magnitudes are made non-negative.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Rectify {
    /// |W| (nn-brain).
    #[default]
    Abs,
    /// max(0, W) (PsychRNN).
    Relu,
}

/// The constraints on one weight matrix `(rows, cols)` (row = postsynaptic, column = presynaptic).
#[derive(Clone, Debug, PartialEq)]
pub struct Constraint<T> {
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// 0/1 connectivity, row-major.
    pub conn: Option<Vec<T>>,
    /// ±1 per column (Dale).
    pub col_sign: Option<Vec<T>>,
    /// Rectifier for signed magnitudes.
    pub rectify: Rectify,
    /// Added fixed weights.
    pub fixed: Option<Vec<T>>,
    /// 1 where trainable, 0 where frozen.
    pub trainable: Option<Vec<T>>,
}

impl<T: Real> Constraint<T> {
    /// No constraint: `W_eff = W`.
    pub fn none(rows: usize, cols: usize) -> Self {
        Constraint {
            rows,
            cols,
            conn: None,
            col_sign: None,
            rectify: Rectify::Abs,
            fixed: None,
            trainable: None,
        }
    }

    /// Whether `W_eff = W` exactly.
    pub fn is_identity(&self) -> bool {
        self.conn.is_none() && self.col_sign.is_none() && self.fixed.is_none()
    }

    /// `out = W_eff(w)`.
    pub fn apply(&self, w: &[T], out: &mut [T]) {
        let zero = T::c(0.0);
        let c = self.cols;
        for (k, (o, &x)) in out.iter_mut().zip(w).enumerate() {
            let mut v = x;
            if let Some(s) = &self.col_sign {
                let mag = match self.rectify {
                    Rectify::Abs => x.abs(),
                    Rectify::Relu => x.max(zero),
                };
                v = s[k % c] * mag;
            }
            if let Some(m) = &self.conn {
                v *= m[k];
            }
            if let Some(f) = &self.fixed {
                v += f[k];
            }
            *o = v;
        }
    }

    /// `d_w += ∂L/∂W` given `d_eff = ∂L/∂W_eff`.
    pub fn backprop(&self, w: &[T], d_eff: &[T], d_w: &mut [T]) {
        let zero = T::c(0.0);
        let one = T::c(1.0);
        let c = self.cols;
        for (k, (dw, (&x, &g))) in d_w.iter_mut().zip(w.iter().zip(d_eff)).enumerate() {
            let mut v = g;
            if let Some(m) = &self.conn {
                v *= m[k];
            }
            if let Some(s) = &self.col_sign {
                let dr = match self.rectify {
                    Rectify::Abs => {
                        if x >= zero {
                            one
                        } else {
                            -one
                        }
                    }
                    Rectify::Relu => {
                        if x > zero {
                            one
                        } else {
                            zero
                        }
                    }
                };
                v *= s[k % c] * dr;
            }
            if let Some(t) = &self.trainable {
                v *= t[k];
            }
            *dw += v;
        }
    }

    /// Zero the gradient where elements are frozen (used for unconstrained matrices that still
    /// carry a trainable mask).
    pub fn mask_grad(&self, d_w: &mut [T]) {
        if let Some(t) = &self.trainable {
            for (d, &m) in d_w.iter_mut().zip(t) {
                *d *= m;
            }
        }
    }
}

/// Dale signs for `n` units with the first `round(frac_exc · n)` excitatory (+1), the rest −1.
pub fn dale_signs<T: Real>(n: usize, frac_exc: f64) -> Vec<T> {
    let n_exc = n_excitatory(n, frac_exc);
    (0..n)
        .map(|i| if i < n_exc { T::c(1.0) } else { T::c(-1.0) })
        .collect()
}

/// Number of excitatory units for a fraction.
pub fn n_excitatory(n: usize, frac_exc: f64) -> usize {
    ((n as f64) * frac_exc).round() as usize
}

/// A mask of ones with a zero diagonal (no autapses).
pub fn no_autapse_mask<T: Real>(n: usize) -> Vec<T> {
    let mut m = vec![T::c(1.0); n * n];
    for i in 0..n {
        m[i * n + i] = T::c(0.0);
    }
    m
}
