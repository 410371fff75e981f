//! Optimizers, learning-rate schedules and gradient clipping over the flat parameter buffer.
//!
//! ```text
//! Adam:   m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²;  w ← w − lr · m̂ / (√v̂ + ε)
//! AdamW:  as Adam, plus decoupled decay w ← w − lr · λ w (Loshchilov & Hutter 2019)
//! SGD:    b ← μ b + g;  w ← w − lr · b  (PyTorch's momentum convention)
//! ```
//! Schedules give the learning rate at step k of n: constant; exponential from `lr` to `lr_end`
//! (`lr · (lr_end/lr)^(k/n)`, e.g. 0.01 → 1e-4 over a run); step (`lr · γ^⌊k/every⌋`); cosine
//! (`lr_end + ½(lr − lr_end)(1 + cos πk/n)`). Clipping: global L2 norm or element value.

use crate::error::NnError;
use crate::real::Real;
use serde::{Deserialize, Serialize};

/// Which optimizer, with its hyper-parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum OptimizerConfig {
    /// Adam.
    Adam {
        /// β1.
        #[serde(default = "b1")]
        beta1: f64,
        /// β2.
        #[serde(default = "b2")]
        beta2: f64,
        /// ε.
        #[serde(default = "eps")]
        eps: f64,
    },
    /// AdamW.
    Adamw {
        /// β1.
        #[serde(default = "b1")]
        beta1: f64,
        /// β2.
        #[serde(default = "b2")]
        beta2: f64,
        /// ε.
        #[serde(default = "eps")]
        eps: f64,
        /// Decoupled weight decay λ.
        #[serde(default = "wd")]
        weight_decay: f64,
    },
    /// SGD with momentum.
    Sgd {
        /// Momentum μ (0 = plain SGD).
        #[serde(default)]
        momentum: f64,
    },
}
fn b1() -> f64 {
    0.9
}
fn b2() -> f64 {
    0.999
}
fn eps() -> f64 {
    1e-8
}
fn wd() -> f64 {
    0.01
}

impl Default for OptimizerConfig {
    fn default() -> Self {
        OptimizerConfig::Adam {
            beta1: b1(),
            beta2: b2(),
            eps: eps(),
        }
    }
}

impl OptimizerConfig {
    /// Check the numbers: β1, β2 and the momentum in [0, 1), ε > 0, weight decay ≥ 0.
    pub fn validate(&self) -> Result<(), NnError> {
        let unit = |name: &str, v: f64| {
            if (0.0..1.0).contains(&v) {
                Ok(())
            } else {
                Err(NnError::Invalid(format!(
                    "{name} must lie in [0, 1), got {v}"
                )))
            }
        };
        let positive = |name: &str, v: f64, zero: bool| {
            if v.is_finite() && (v > 0.0 || (zero && v == 0.0)) {
                Ok(())
            } else {
                let bound = if zero { "≥ 0" } else { "> 0" };
                Err(NnError::Invalid(format!(
                    "{name} must be a finite number {bound}, got {v}"
                )))
            }
        };
        match *self {
            OptimizerConfig::Adam { beta1, beta2, eps } => {
                unit("beta1", beta1)?;
                unit("beta2", beta2)?;
                positive("eps", eps, false)
            }
            OptimizerConfig::Adamw {
                beta1,
                beta2,
                eps,
                weight_decay,
            } => {
                unit("beta1", beta1)?;
                unit("beta2", beta2)?;
                positive("eps", eps, false)?;
                positive("weight_decay", weight_decay, true)
            }
            OptimizerConfig::Sgd { momentum } => unit("momentum", momentum),
        }
    }
}

/// Optimizer state: moment buffers and the step count (all saved in checkpoints).
#[derive(Clone, Debug, PartialEq)]
pub struct Optimizer {
    /// Configuration.
    pub config: OptimizerConfig,
    /// First moment (or momentum buffer).
    pub m: Vec<f64>,
    /// Second moment.
    pub v: Vec<f64>,
    /// Steps taken.
    pub step: u64,
}

impl Optimizer {
    /// Fresh state for `n` parameters.
    pub fn new(config: OptimizerConfig, n: usize) -> Self {
        Optimizer {
            config,
            m: vec![0.0; n],
            v: vec![0.0; n],
            step: 0,
        }
    }

    /// One update with learning rate `lr`.
    pub fn update<T: Real>(&mut self, params: &mut [T], grads: &[T], lr: f64) {
        let _ftz = crate::kernels::FlushDenormals::new();
        assert_eq!(params.len(), self.m.len(), "optimizer state size");
        self.step += 1;
        let k = self.step as f64;
        match self.config {
            OptimizerConfig::Adam { beta1, beta2, eps }
            | OptimizerConfig::Adamw {
                beta1, beta2, eps, ..
            } => {
                let decay = match self.config {
                    OptimizerConfig::Adamw { weight_decay, .. } => weight_decay,
                    _ => 0.0,
                };
                crate::kernels::vectorized(AdamStep {
                    params,
                    grads,
                    m: &mut self.m,
                    v: &mut self.v,
                    beta: (beta1, beta2),
                    correction: (1.0 - beta1.powf(k), 1.0 - beta2.powf(k)),
                    eps,
                    lr,
                    decay,
                });
            }
            OptimizerConfig::Sgd { momentum } => {
                for i in 0..params.len() {
                    let g = grads[i].f();
                    let step = if momentum > 0.0 {
                        self.m[i] = if self.step == 1 {
                            g
                        } else {
                            momentum * self.m[i] + g
                        };
                        self.m[i]
                    } else {
                        g
                    };
                    params[i] = T::c(params[i].f() - lr * step);
                }
            }
        }
    }
}

/// One Adam(W) update over all parameters, for [`crate::kernels::vectorized`] (the loop is plain
/// f64 arithmetic and `sqrt`, four lanes wide with AVX2, with the same result either way).
struct AdamStep<'a, T> {
    params: &'a mut [T],
    grads: &'a [T],
    m: &'a mut [f64],
    v: &'a mut [f64],
    beta: (f64, f64),
    correction: (f64, f64),
    eps: f64,
    lr: f64,
    decay: f64,
}

impl<T: Real> crate::kernels::Pointwise for AdamStep<'_, T> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        let ((beta1, beta2), (c1, c2)) = (self.beta, self.correction);
        let (lr, decay, eps) = (self.lr, self.decay, self.eps);
        let n = self.params.len();
        let (grads, m, v) = (&self.grads[..n], &mut self.m[..n], &mut self.v[..n]);
        for (i, p) in self.params.iter_mut().enumerate() {
            let g = grads[i].f();
            m[i] = beta1 * m[i] + (1.0 - beta1) * g;
            v[i] = beta2 * v[i] + (1.0 - beta2) * g * g;
            let mh = m[i] / c1;
            let vh = v[i] / c2;
            let mut w = p.f();
            w -= lr * decay * w;
            w -= lr * mh / (vh.sqrt() + eps);
            *p = T::c(w);
        }
    }
}

/// Learning-rate schedule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Schedule {
    /// Constant.
    #[default]
    Constant,
    /// `lr · (lr_end/lr)^(k/n)`.
    Exponential {
        /// Final learning rate.
        lr_end: f64,
    },
    /// `lr · γ^⌊k/every⌋`.
    Step {
        /// Steps between decays.
        every: u64,
        /// Factor γ.
        gamma: f64,
    },
    /// Cosine annealing to `lr_end`.
    Cosine {
        /// Final learning rate.
        #[serde(default)]
        lr_end: f64,
    },
}

impl Schedule {
    /// Check the schedule's numbers: a final rate, when there is one, is positive (exponential)
    /// or ≥ 0 (cosine); a step decay's factor lies in (0, 1].
    pub fn validate(&self) -> Result<(), NnError> {
        match *self {
            Schedule::Constant => Ok(()),
            Schedule::Exponential { lr_end } if !(lr_end.is_finite() && lr_end > 0.0) => {
                Err(NnError::Invalid(format!(
                    "exponential lr_end must be a positive number, got {lr_end}"
                )))
            }
            Schedule::Cosine { lr_end } if !(lr_end.is_finite() && lr_end >= 0.0) => {
                Err(NnError::Invalid(format!(
                    "cosine lr_end must be a finite number ≥ 0, got {lr_end}"
                )))
            }
            Schedule::Step { gamma, .. } if !(gamma > 0.0 && gamma <= 1.0) => Err(
                NnError::Invalid(format!("step gamma must lie in (0, 1], got {gamma}")),
            ),
            _ => Ok(()),
        }
    }

    /// Learning rate at step `k` (0-based) of `n` with base rate `lr`.
    pub fn lr(&self, lr: f64, k: u64, n: u64) -> f64 {
        let frac = if n > 1 {
            k as f64 / (n - 1) as f64
        } else {
            0.0
        };
        match *self {
            Schedule::Constant => lr,
            Schedule::Exponential { lr_end } => lr * (lr_end / lr).powf(frac),
            Schedule::Step { every, gamma } => lr * gamma.powi((k / every.max(1)) as i32),
            Schedule::Cosine { lr_end } => {
                lr_end + 0.5 * (lr - lr_end) * (1.0 + (std::f64::consts::PI * frac).cos())
            }
        }
    }
}

/// Gradient clipping.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Clip {
    /// Rescale so the global L2 norm is at most `max_norm`.
    Norm {
        /// Maximum norm.
        max_norm: f64,
    },
    /// Clamp every element to ±`max_value`.
    Value {
        /// Maximum magnitude.
        max_value: f64,
    },
}

/// Global L2 norm of a gradient.
pub fn grad_norm<T: Real>(g: &[T]) -> f64 {
    g.iter().map(|v| v.f() * v.f()).sum::<f64>().sqrt()
}

impl Clip {
    /// Check that the bound is a positive number.
    pub fn validate(&self) -> Result<(), NnError> {
        let (name, v) = match *self {
            Clip::Norm { max_norm } => ("max_norm", max_norm),
            Clip::Value { max_value } => ("max_value", max_value),
        };
        if v.is_finite() && v > 0.0 {
            Ok(())
        } else {
            Err(NnError::Invalid(format!(
                "{name} must be a positive number, got {v}"
            )))
        }
    }

    /// Clip in place; returns the norm before clipping.
    pub fn apply<T: Real>(&self, g: &mut [T]) -> f64 {
        let norm = grad_norm(g);
        match *self {
            Clip::Norm { max_norm } => {
                if norm > max_norm && norm > 0.0 {
                    let s = T::c(max_norm / norm);
                    g.iter_mut().for_each(|v| *v *= s);
                }
            }
            Clip::Value { max_value } => {
                let mv = T::c(max_value);
                g.iter_mut().for_each(|v| *v = v.max(-mv).min(mv));
            }
        }
        norm
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adam_first_step_moves_by_lr_and_schedules_hit_ends() {
        let mut o = Optimizer::new(OptimizerConfig::default(), 2);
        let mut w = vec![1.0f64, -1.0];
        o.update(&mut w, &[0.5, -2.0], 0.1);
        assert!((w[0] - 0.9).abs() < 1e-6 && (w[1] + 0.9).abs() < 1e-6);
        let s = Schedule::Exponential { lr_end: 1e-4 };
        assert!((s.lr(0.01, 0, 100) - 0.01).abs() < 1e-15);
        assert!((s.lr(0.01, 99, 100) - 1e-4).abs() < 1e-15);
        let c = Schedule::Cosine { lr_end: 0.0 };
        assert!(c.lr(1.0, 99, 100).abs() < 1e-12);
        let mut g = vec![3.0f64, 4.0];
        assert_eq!(Clip::Norm { max_norm: 1.0 }.apply(&mut g), 5.0);
        assert!((grad_norm(&g) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn sgd_momentum_matches_pytorch_convention() {
        let mut o = Optimizer::new(OptimizerConfig::Sgd { momentum: 0.9 }, 1);
        let mut w = vec![0.0f64];
        o.update(&mut w, &[1.0], 1.0);
        o.update(&mut w, &[1.0], 1.0);
        assert!((w[0] + 2.9).abs() < 1e-12);
    }
}
