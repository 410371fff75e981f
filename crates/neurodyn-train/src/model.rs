//! Build a [`Network`] from a [`ModelConfig`] for a task's sizes, validating every value once.
//!
//! Model kinds:
//! - `ctrnn`: leaky rate network (see `neurodyn_nn::cells::ctrnn`);
//! - `ei-ctrnn`: the same with Dale's law (80 % excitatory by default, `W_eff = |W| ⊙ sign`, no
//!   autapses, E/I-balanced initialisation, readout from E units);
//! - `vanilla`, `gru`, `lstm`: PyTorch's `nn.RNN` (activation from the config), `nn.GRU`, `nn.LSTM`;
//! - `light-gru`, `enu-light-gru`, `ei-light-gru`: light-GRU with batch norm, its variant whose
//!   units are private 2-layer embeddings (`embed` hidden units each), and its Dale variant. Their
//!   running batch-norm statistics are kept per time step (see `neurodyn_nn::cells::light_gru`).
//!
//! - `stp-ctrnn`: a rate-form CTRNN whose recurrent synapses facilitate and depress (see
//!   `neurodyn_nn::cells::stp`; units alternate facilitating and depressing synapses). It takes
//!   `tau_ms`, `activation`, `init`, `sigma_rec`, Dale's law (`[model.dale]`, as Masse et al.
//!   2019 train it) and sparse `connectivity` (the synaptic factors are ≥ 0, so the effective
//!   weights keep the signs and zeros of `W_rec`). Learned τ and the state form are refused (not
//!   built yet).
//!
//! - `hebb-ctrnn`: a rate-form CTRNN with Hebbian fast weights, `W_rec + P ⊙ A` with the trace
//!   `A ← clip(λA + (1−λ) r rᵀ)` per trial and a trained per-synapse plasticity `P` starting at
//!   zero (see `neurodyn_nn::cells::hebb`); the `[model.hebb]` table sets `tau_ms` (λ = 1 − dt/τ,
//!   default 400) and `clip` (1). It takes `tau_ms`, `activation`, `init` and `sigma_rec` of the
//!   CTRNN options; Dale's law and sparse connectivity are refused, because `P ⊙ A` would change the
//!   signs and fill the zeros of `W_rec`.
//!
//! Leaky-integrator options (`tau_ms`, `form`, `sigma_rec`, `learn_tau`) apply to the rate CTRNNs
//! only (`form` and `learn_tau` to `ctrnn` and `ei-ctrnn`).

use crate::config::{DaleConfig, ModelConfig};
use crate::error::{config, Result};
use neurodyn_core::Rng;
use neurodyn_nn::cells::rate_core::RateCore;
use neurodyn_nn::cells::{Ctrnn, Gru, HebbCtrnn, LightGru, Lstm, StpCtrnn, VanillaRnn};
use neurodyn_nn::constraint::{dale_signs, no_autapse_mask};
use neurodyn_nn::init::RecInit;
use neurodyn_nn::params::cast;
use neurodyn_nn::{init, Constraint, InitialState, Network, Real};

/// Model kinds `build` accepts.
pub const MODEL_KINDS: &[&str] = &[
    "ctrnn",
    "ei-ctrnn",
    "stp-ctrnn",
    "hebb-ctrnn",
    "vanilla",
    "gru",
    "lstm",
    "light-gru",
    "enu-light-gru",
    "ei-light-gru",
];

/// Check a model config against a time step.
pub fn validate(m: &ModelConfig, dt_ms: f64) -> Result<()> {
    if !MODEL_KINDS.contains(&m.kind.as_str()) {
        return Err(config(
            "model.kind",
            format!(
                "unknown kind '{}'; allowed: {}",
                m.kind,
                MODEL_KINDS.join(", ")
            ),
        ));
    }
    // An LSTM of 8192 units holds 2.7·10⁸ recurrent weights: with their gradients and Adam's
    // f64 moments, about 6.4 GB before any activity is stored.
    if m.n_rec == 0 || m.n_rec > 8192 {
        return Err(config(
            "model.n_rec",
            format!("must be between 1 and 8192, got {}", m.n_rec),
        ));
    }
    if !(m.tau_ms.is_finite() && m.tau_ms > 0.0) {
        return Err(config(
            "model.tau_ms",
            format!("must be a positive number of ms, got {}", m.tau_ms),
        ));
    }
    if m.kind.ends_with("ctrnn") && dt_ms > m.tau_ms {
        return Err(config(
            "model.tau_ms",
            format!(
                "τ = {} ms is shorter than dt = {dt_ms} ms; Euler needs dt ≤ τ (α = dt/τ ≤ 1)",
                m.tau_ms
            ),
        ));
    }
    if !(m.sigma_rec >= 0.0
        && m.sigma_rec.is_finite()
        && m.sigma_in >= 0.0
        && m.sigma_in.is_finite())
    {
        return Err(config(
            "model.sigma_rec",
            "noise levels must be finite and ≥ 0",
        ));
    }
    if !(m.connectivity > 0.0 && m.connectivity <= 1.0) {
        return Err(config(
            "model.connectivity",
            format!("must be in (0, 1], got {}", m.connectivity),
        ));
    }
    if let Some(d) = &m.dale {
        if !(d.frac_exc > 0.0 && d.frac_exc < 1.0) {
            return Err(config(
                "model.dale.frac_exc",
                format!("must be in (0, 1), got {}", d.frac_exc),
            ));
        }
        if !(d.radius > 0.0 && d.radius.is_finite()) {
            return Err(config("model.dale.radius", "must be a positive number"));
        }
    }
    if m.hebb.is_some() && m.kind != "hebb-ctrnn" {
        return Err(config(
            "model.hebb",
            format!("applies to kind 'hebb-ctrnn' only, not '{}'", m.kind),
        ));
    }
    if m.kind == "hebb-ctrnn" {
        let hb = m.hebb.clone().unwrap_or_default();
        if !(hb.tau_ms.is_finite() && hb.tau_ms >= dt_ms) {
            return Err(config(
                "model.hebb.tau_ms",
                format!(
                    "must be a number of ms ≥ dt = {dt_ms} ms (λ = 1 − dt/τ ≥ 0), got {}",
                    hb.tau_ms
                ),
            ));
        }
        if hb.clip.is_nan() || hb.clip <= 0.0 {
            return Err(config(
                "model.hebb.clip",
                format!("must be > 0 (inf for no clip), got {}", hb.clip),
            ));
        }
    }
    if m.kind == "stp-ctrnn" || m.kind == "hebb-ctrnn" {
        let refused = [
            ("model.learn_tau", m.learn_tau),
            ("model.form", m.form != neurodyn_nn::cells::CtrnnForm::Rate),
        ];
        if let Some((key, _)) = refused.iter().find(|(_, set)| *set) {
            return Err(config(
                key,
                format!("not available for kind '{}' yet", m.kind),
            ));
        }
    }
    if m.kind == "hebb-ctrnn" {
        let refused = [
            ("model.dale", m.dale.is_some()),
            ("model.connectivity", m.connectivity != 1.0),
        ];
        if let Some((key, _)) = refused.iter().find(|(_, set)| *set) {
            return Err(config(
                key,
                "not available for kind 'hebb-ctrnn': the fast weights P ⊙ A would change the \
                 signs and fill the zeros of W_rec",
            ));
        }
    }
    if m.embed == 0 || m.embed > 64 {
        return Err(config(
            "model.embed",
            format!("must be between 1 and 64, got {}", m.embed),
        ));
    }
    Ok(())
}

/// A rate CTRNN (plain, STP, Hebbian), whose shared part ([`RateCore`]: activation, noise,
/// initial weights, recurrent constraint) the config sets before the network is built.
trait RateCell<T: Real> {
    fn core(&mut self) -> &mut RateCore<T>;
    fn into_cell(self: Box<Self>) -> Box<dyn neurodyn_nn::Cell<T>>;
}

impl<T: Real, C> RateCell<T> for C
where
    C: neurodyn_nn::Cell<T> + std::ops::DerefMut<Target = RateCore<T>> + 'static,
{
    fn core(&mut self) -> &mut RateCore<T> {
        self
    }
    fn into_cell(self: Box<Self>) -> Box<dyn neurodyn_nn::Cell<T>> {
        self
    }
}

fn frac_exc(m: &ModelConfig) -> f64 {
    m.dale.as_ref().map_or(0.8, |d| d.frac_exc)
}

/// A discrete (non-CTRNN) cell for `kind`.
fn discrete_cell<T: Real>(
    m: &ModelConfig,
    n_in: usize,
    rng: &mut Rng,
) -> Option<Box<dyn neurodyn_nn::Cell<T>>> {
    let h = m.n_rec;
    Some(match m.kind.as_str() {
        "vanilla" => {
            let mut c = VanillaRnn::<T>::new(n_in, h, rng);
            c.activation = m.activation;
            c.w_rec_init = match m.init {
                RecInit::PytorchUniform => c.w_rec_init,
                other => init::recurrent(h, other, rng),
            };
            Box::new(c)
        }
        "gru" => Box::new(Gru::<T>::new(n_in, h, rng)),
        "lstm" => Box::new(Lstm::<T>::new(n_in, h, rng)),
        "light-gru" => Box::new(LightGru::<T>::new(n_in, h, rng)),
        "enu-light-gru" => Box::new(LightGru::<T>::enu(n_in, h, m.embed, rng)),
        "ei-light-gru" => Box::new(LightGru::<T>::ei(n_in, h, frac_exc(m), rng)),
        _ => return None,
    })
}

/// Build the network for `n_in` inputs, `n_out` outputs and time step `dt_ms`, drawing all
/// initial values from `rng`.
pub fn build<T: Real>(
    m: &ModelConfig,
    n_in: usize,
    n_out: usize,
    dt_ms: f64,
    rng: &mut Rng,
) -> Result<Network<T>> {
    validate(m, dt_ms)?;
    let h = m.n_rec;
    let initial = if m.train_h0 {
        InitialState::Trainable
    } else {
        InitialState::Zero
    };
    let mut cell: Box<dyn RateCell<T>> = match m.kind.as_str() {
        "stp-ctrnn" => Box::new(StpCtrnn::<T>::new(n_in, h, dt_ms, m.tau_ms, rng)),
        "hebb-ctrnn" => {
            let mut c = HebbCtrnn::<T>::new(n_in, h, dt_ms, m.tau_ms, rng);
            let hb = m.hebb.clone().unwrap_or_default();
            c.hebb_tau_ms = hb.tau_ms;
            c.a_max = hb.clip;
            Box::new(c)
        }
        "ctrnn" | "ei-ctrnn" => {
            let mut c = Ctrnn::<T>::new(n_in, h, dt_ms, m.tau_ms, rng);
            c.form = m.form;
            c.learn_tau = m.learn_tau;
            Box::new(c)
        }
        _ => {
            let cell = discrete_cell::<T>(m, n_in, rng)
                .ok_or_else(|| config("model.kind", format!("unknown kind '{}'", m.kind)))?;
            let mut net = Network::new(cell, n_out, Constraint::none(n_out, h), initial, rng);
            net.input_noise = m.sigma_in;
            return Ok(net);
        }
    };
    let w = cell.core();
    w.activation = m.activation;
    w.sigma_rec = m.sigma_rec;
    w.w_rec_init = init::recurrent(h, m.init, rng);
    let conn: Option<Vec<f64>> = (m.connectivity < 1.0).then(|| {
        (0..h * h)
            .map(|_| {
                if rng.uniform() < m.connectivity {
                    1.0
                } else {
                    0.0
                }
            })
            .collect()
    });
    let dale = match (m.kind.as_str(), &m.dale) {
        ("ei-ctrnn", None) => Some(DaleConfig::default()),
        (_, d) => d.clone(),
    };
    let mut readout = Constraint::none(n_out, h);
    if let Some(d) = &dale {
        let signs = dale_signs::<f64>(h, d.frac_exc);
        let mut mask = no_autapse_mask::<f64>(h);
        if let Some(c) = &conn {
            mask.iter_mut().zip(c).for_each(|(a, b)| *a *= b);
        }
        w.w_rec_init = init::dale_balanced(&signs, &mask, d.radius, rng);
        w.c_rec = Constraint {
            conn: Some(cast::<f64, T>(&mask)),
            col_sign: Some(cast::<f64, T>(&signs)),
            rectify: d.rectify,
            ..Constraint::none(h, h)
        };
        // Inputs excite (positive weights), as in Song et al. 2016.
        w.w_in_init.iter_mut().for_each(|v| *v = v.abs());
        if d.readout_from_exc {
            readout.conn = Some(
                (0..n_out * h)
                    .map(|k| {
                        if signs[k % h] > 0.0 {
                            T::c(1.0)
                        } else {
                            T::c(0.0)
                        }
                    })
                    .collect(),
            );
        }
    } else if let Some(c) = conn {
        w.c_rec.conn = Some(cast::<f64, T>(&c));
    }
    let mut net = Network::new(cell.into_cell(), n_out, readout, initial, rng);
    net.input_noise = m.sigma_in;
    Ok(net)
}
