//! What the three leaky rate cells ([`super::Ctrnn`], [`super::StpCtrnn`], [`super::HebbCtrnn`])
//! share: sizes, nonlinearity, recurrent noise, the input and recurrent weights with their
//! constraints and initial values, and the code between those parameters and the effective
//! weights. Each cell holds a [`RateCore`] and dereferences to it, so `cell.c_rec`,
//! `cell.w_rec_init` and the other shared fields read the same on all three.
//!
//! ```text
//! params:   [w_in (H, n_in) | w_rec (H, H) | b_rec (H) | the cell's own …]
//! eff:      [w_in (H, n_in) | b (H) | w_rec (H, H) | the cell's own …]   (constraints applied)
//! ```

use crate::activation::Activation;
use crate::constraint::Constraint;
use crate::kernels::strided::{gemm_s, sv};
use crate::linalg::Trans;
use crate::params::ParamSpec;
use crate::real::Real;
use neurodyn_core::Rng;

/// The shared part of a leaky rate cell. See the module documentation.
pub struct RateCore<T> {
    /// Inputs.
    pub n_in: usize,
    /// Units.
    pub n_rec: usize,
    /// Nonlinearity.
    pub activation: Activation,
    /// Time step (ms).
    pub dt_ms: f64,
    /// Recurrent noise σ: `√(2α) σ ξ` per unit and step, in training only.
    pub sigma_rec: f64,
    /// Constraint on `w_in (n_rec, n_in)`.
    pub c_in: Constraint<T>,
    /// Constraint on `w_rec (n_rec, n_rec)` (Dale's law, masks, fixed weights).
    pub c_rec: Constraint<T>,
    /// Initial `w_rec` (raw parameter values before constraints), `(n_rec, n_rec)`.
    pub w_rec_init: Vec<f64>,
    /// Initial `w_in`, `(n_rec, n_in)`.
    pub w_in_init: Vec<f64>,
    /// Initial bias.
    pub b_init: Vec<f64>,
}

impl<T: Real> RateCore<T> {
    /// ReLU units, PyTorch-default initial weights drawn from `rng` (`w_rec`, then `w_in`, then
    /// the bias), no constraints, no noise.
    pub fn new(n_in: usize, n_rec: usize, dt_ms: f64, rng: &mut Rng) -> Self {
        RateCore {
            n_in,
            n_rec,
            activation: Activation::Relu,
            dt_ms,
            sigma_rec: 0.0,
            c_in: Constraint::none(n_rec, n_in),
            c_rec: Constraint::none(n_rec, n_rec),
            w_rec_init: crate::init::uniform_fan_in(n_rec, n_rec, rng),
            w_in_init: crate::init::uniform_fan_in(n_rec, n_in, rng),
            b_init: crate::init::uniform_fan_in(1, n_rec, rng),
        }
    }

    /// Offsets in `eff` of `w_in`, `b`, `w_rec` and the end of `w_rec`.
    pub(crate) fn offs(&self) -> [usize; 4] {
        let h = self.n_rec;
        let a = h * self.n_in;
        [0, a, a + h, a + h + h * h]
    }

    /// The shared parameters, in order; a cell appends its own.
    pub(crate) fn param_specs(&self) -> Vec<ParamSpec> {
        let h = self.n_rec;
        vec![
            ParamSpec::new("w_in", h, self.n_in),
            ParamSpec::new("w_rec", h, h),
            ParamSpec::new("b_rec", 1, h),
        ]
    }

    /// Initial values of the shared parameters, in [`RateCore::param_specs`] order.
    pub(crate) fn initial(&self) -> [&[f64]; 3] {
        [&self.w_in_init, &self.w_rec_init, &self.b_init]
    }

    /// Per-step noise values a cell draws (one per unit when `sigma_rec > 0`).
    pub(crate) fn noise_len(&self) -> usize {
        if self.sigma_rec > 0.0 {
            self.n_rec
        } else {
            0
        }
    }

    /// Write the effective `w_in`, `b` and `w_rec` into the start of `eff`; returns the
    /// parameters after the shared ones (the cell's own).
    pub(crate) fn prepare<'p>(&self, params: &'p [T], eff: &mut [T]) -> &'p [T] {
        let h = self.n_rec;
        let o = self.offs();
        let (p_in, rest) = params.split_at(h * self.n_in);
        let (p_rec, rest) = rest.split_at(h * h);
        let (p_b, own) = rest.split_at(h);
        self.c_in.apply(p_in, &mut eff[o[0]..o[1]]);
        eff[o[1]..o[2]].copy_from_slice(p_b);
        self.c_rec.apply(p_rec, &mut eff[o[2]..o[3]]);
        own
    }

    /// Add the gradients of the shared parameters from those of the effective weights; returns
    /// the cell's own parameters and their gradients.
    pub(crate) fn backprop<'p, 'g>(
        &self,
        params: &'p [T],
        d_eff: &[T],
        d_params: &'g mut [T],
    ) -> (&'p [T], &'g mut [T]) {
        let h = self.n_rec;
        let o = self.offs();
        let (p_in, rest) = params.split_at(h * self.n_in);
        let (p_rec, rest) = rest.split_at(h * h);
        let own = &rest[h..];
        let (g_in, rest) = d_params.split_at_mut(h * self.n_in);
        let (g_rec, rest) = rest.split_at_mut(h * h);
        let (g_b, g_own) = rest.split_at_mut(h);
        self.c_in.backprop(p_in, &d_eff[o[0]..o[1]], g_in);
        self.c_rec.backprop(p_rec, &d_eff[o[2]..o[3]], g_rec);
        for (g, &d) in g_b.iter_mut().zip(&d_eff[o[1]..o[2]]) {
            *g += d;
        }
        (own, g_own)
    }

    /// `∂W_rec += Σ_t ∂pre_tᵀ q_t` over all `rows = T·B` rows at once, where `q` is what the
    /// recurrent weights multiply (the previous rates, or STP's effective drive): row `k` of it
    /// starts at `q[k · stride]`.
    pub(crate) fn add_w_rec_grad(
        &self,
        d_eff: &mut [T],
        d_pre: &[T],
        (q, stride): (&[T], usize),
        rows: usize,
        threads: usize,
    ) {
        let h = self.n_rec;
        let o = self.offs();
        gemm_s(
            &mut d_eff[o[2]..o[3]],
            h,
            h,
            h,
            sv(d_pre, rows, h, h),
            Trans::T,
            sv(q, rows, h, stride),
            Trans::N,
            true,
            threads,
        );
    }
}

/// `Deref`/`DerefMut` from a rate cell to its [`RateCore`] (field `core`).
macro_rules! deref_to_core {
    ($ty:ident) => {
        impl<T> std::ops::Deref for $ty<T> {
            type Target = crate::cells::rate_core::RateCore<T>;
            fn deref(&self) -> &Self::Target {
                &self.core
            }
        }
        impl<T> std::ops::DerefMut for $ty<T> {
            fn deref_mut(&mut self) -> &mut Self::Target {
                &mut self.core
            }
        }
    };
}
pub(crate) use deref_to_core;
