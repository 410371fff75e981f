//! Penalties added to the task loss: on weights and on activity.
//!
//! ```text
//! l1 / l2 on a parameter:   λ Σ|w|          λ Σ w²
//! activity l1 / l2:         λ Σ_{t,b,i} m_tb |r| / (H Σ m)     λ Σ m r² / (H Σ m)
//! anchor:                   β Σ M ⊙ (W − W_anchor)²           (keep trained weights near given ones)
//! wiring cost:              λ Σ_ij |W_ij| d_ij                  (units at positions in space,
//!                                                                 d = Euclidean distance; Achterberg et al. 2023)
//! ```
//!
//! Weight penalties act on the stored (raw) parameters named by `param` (e.g. `cell.w_rec`); for
//! Dale's law with |W| they are the same as on the effective weights up to sign.

use crate::error::NnError;
use crate::params::Layout;
use crate::real::Real;
use serde::{Deserialize, Serialize};

/// One penalty.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Regularizer {
    /// λ Σ|w| on one parameter.
    L1 {
        /// Parameter name.
        param: String,
        /// λ.
        weight: f64,
    },
    /// λ Σw² on one parameter.
    L2 {
        /// Parameter name.
        param: String,
        /// λ.
        weight: f64,
    },
    /// λ · mean |r| over masked steps and units.
    ActivityL1 {
        /// λ.
        weight: f64,
    },
    /// λ · mean r² over masked steps and units.
    ActivityL2 {
        /// λ.
        weight: f64,
    },
    /// β Σ M ⊙ (W − W_anchor)².
    Anchor {
        /// Parameter name.
        param: String,
        /// β.
        weight: f64,
        /// Anchor values (same shape as the parameter).
        anchor: Vec<f64>,
        /// Optional 0/1 mask (same shape); all ones when absent.
        #[serde(default)]
        mask: Option<Vec<f64>>,
    },
    /// λ Σ |W_ij| ‖p_i − p_j‖ for a square parameter with unit positions.
    Wiring {
        /// Parameter name (square, `(n, n)`).
        param: String,
        /// λ.
        weight: f64,
        /// Unit positions, `n × dim` row-major.
        positions: Vec<f64>,
        /// Spatial dimension.
        dim: usize,
    },
}

/// Units on a regular grid in the unit square (or cube for `dim = 3`), row-major positions.
pub fn grid_positions(n: usize, dim: usize) -> Vec<f64> {
    let side = (n as f64).powf(1.0 / dim as f64).ceil().max(1.0) as usize;
    let step = if side > 1 {
        1.0 / (side - 1) as f64
    } else {
        0.0
    };
    let mut out = Vec::with_capacity(n * dim);
    for i in 0..n {
        let mut r = i;
        for _ in 0..dim {
            out.push((r % side) as f64 * step);
            r /= side;
        }
    }
    out
}

impl Regularizer {
    /// Name of the parameter a weight penalty acts on.
    pub fn param(&self) -> Option<&str> {
        match self {
            Regularizer::L1 { param, .. }
            | Regularizer::L2 { param, .. }
            | Regularizer::Anchor { param, .. }
            | Regularizer::Wiring { param, .. } => Some(param),
            _ => None,
        }
    }

    /// Its strength (λ or β).
    pub fn weight(&self) -> f64 {
        match *self {
            Regularizer::L1 { weight, .. }
            | Regularizer::L2 { weight, .. }
            | Regularizer::ActivityL1 { weight }
            | Regularizer::ActivityL2 { weight }
            | Regularizer::Anchor { weight, .. }
            | Regularizer::Wiring { weight, .. } => weight,
        }
    }

    /// Check the strength (finite, ≥ 0), and names and sizes against a parameter layout.
    pub fn validate(&self, layout: &Layout) -> Result<(), NnError> {
        let w = self.weight();
        if !(w.is_finite() && w >= 0.0) {
            return Err(NnError::Invalid(format!(
                "a penalty's weight must be a finite number ≥ 0, got {w}"
            )));
        }
        let Some(p) = self.param() else { return Ok(()) };
        let Some(i) = layout.index(p) else {
            return Err(NnError::Invalid(format!(
                "regularizer parameter '{p}' does not exist (parameters: {})",
                layout
                    .specs
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        };
        let spec = &layout.specs[i];
        match self {
            Regularizer::Anchor { anchor, mask, .. }
                if anchor.len() != spec.len()
                    || mask.as_ref().is_some_and(|m| m.len() != spec.len()) =>
            {
                return Err(NnError::Invalid(format!(
                    "anchor for '{p}' must have {} values",
                    spec.len()
                )));
            }
            Regularizer::Wiring { positions, dim, .. }
                if spec.rows != spec.cols || positions.len() != spec.rows * dim =>
            {
                return Err(NnError::Invalid(format!(
                    "wiring cost on '{p}' needs a square matrix and {}×{dim} positions",
                    spec.rows
                )));
            }
            _ => {}
        }
        Ok(())
    }

    /// Add the weight penalty to `grads` and return its value (0 for activity penalties).
    pub fn weights<T: Real>(&self, layout: &Layout, params: &[T], grads: &mut [T]) -> f64 {
        let Some(r) = self.param().and_then(|p| layout.range_of(p)) else {
            return 0.0;
        };
        let w = &params[r.clone()];
        let g = &mut grads[r.clone()];
        let mut l = 0.0;
        match self {
            Regularizer::L1 { weight, .. } => {
                for (gi, &wi) in g.iter_mut().zip(w) {
                    l += weight * wi.f().abs();
                    *gi += T::c(weight * wi.f().signum() * (wi.f() != 0.0) as i32 as f64);
                }
            }
            Regularizer::L2 { weight, .. } => {
                for (gi, &wi) in g.iter_mut().zip(w) {
                    l += weight * wi.f() * wi.f();
                    *gi += T::c(2.0 * weight * wi.f());
                }
            }
            Regularizer::Anchor {
                weight,
                anchor,
                mask,
                ..
            } => {
                for (k, (gi, &wi)) in g.iter_mut().zip(w).enumerate() {
                    let mk = mask.as_ref().map_or(1.0, |m| m[k]);
                    let e = wi.f() - anchor[k];
                    l += weight * mk * e * e;
                    *gi += T::c(2.0 * weight * mk * e);
                }
            }
            Regularizer::Wiring {
                weight,
                positions,
                dim,
                ..
            } => {
                let n = (w.len() as f64).sqrt() as usize;
                for i in 0..n {
                    for j in 0..n {
                        let d: f64 = (0..*dim)
                            .map(|a| (positions[i * dim + a] - positions[j * dim + a]).powi(2))
                            .sum::<f64>()
                            .sqrt();
                        let wi = w[i * n + j].f();
                        l += weight * d * wi.abs();
                        g[i * n + j] += T::c(weight * d * wi.signum() * (wi != 0.0) as i32 as f64);
                    }
                }
            }
            _ => {}
        }
        l
    }

    /// Whether this is an activity penalty (a term of [`Regularizer::activity`]).
    pub fn acts_on_rates(&self) -> bool {
        matches!(
            self,
            Regularizer::ActivityL1 { .. } | Regularizer::ActivityL2 { .. }
        )
    }

    /// Add the activity penalty's `∂/∂r` to `d_r` (rates `(N, H)` with mask `(N)`), return value.
    pub fn activity<T: Real>(&self, rates: &[T], h: usize, mask: &[f32], d_r: &mut [T]) -> f64 {
        let (weight, squared) = match self {
            Regularizer::ActivityL1 { weight } => (*weight, false),
            Regularizer::ActivityL2 { weight } => (*weight, true),
            _ => return 0.0,
        };
        let msum: f64 = mask.iter().map(|&v| v as f64).sum();
        if msum <= 0.0 {
            return 0.0;
        }
        let norm = weight / (msum * h as f64);
        let mut l = 0.0;
        for (n, &mw) in mask.iter().enumerate() {
            if mw == 0.0 {
                continue;
            }
            for k in n * h..(n + 1) * h {
                let r = rates[k].f();
                if squared {
                    l += mw as f64 * r * r;
                    d_r[k] += T::c(2.0 * mw as f64 * r * norm);
                } else {
                    l += mw as f64 * r.abs();
                    d_r[k] += T::c(mw as f64 * r.signum() * (r != 0.0) as i32 as f64 * norm);
                }
            }
        }
        l * norm
    }
}
