//! The `[model]` section: [`ModelConfig`], the catalogue of cell kinds ([`ModelKind`]), and
//! [`build`], which makes a [`Network`] from them for a task's sizes, validating every value once.
//!
//! The catalogue (the `catalogue!` invocation below) is one entry per kind: its config name, a
//! one-line description (its doc), the `[model]` keys it takes ([`ModelKey`]) and how its cell is
//! built. `n_rec`, `sigma_in` and `train_h0` apply to every kind. A key that the chosen kind does
//! not take is refused when it differs from its [`ModelConfig::default`] value (so a resolved
//! `config.toml`, every key written out, re-runs), naming the key and the kinds that take it:
//! `model.dale: does not apply to kind 'gru' (it applies to ctrnn, ei-ctrnn, stp-ctrnn,
//! ei-light-gru)`.
//!
//! | kind | keys besides `n_rec`, `sigma_in`, `train_h0` |
//! |---|---|
//! | `ctrnn` | `tau_ms`, `sigma_rec`, `form`, `learn_tau`, `activation`, `init`, `connectivity`, `dale` |
//! | `ei-ctrnn` | `tau_ms`, `sigma_rec`, `form`, `learn_tau`, `activation`, `connectivity`, `dale` |
//! | `stp-ctrnn` | `tau_ms`, `sigma_rec`, `activation`, `init`, `connectivity`, `dale` |
//! | `hebb-ctrnn` | `tau_ms`, `sigma_rec`, `activation`, `init`, `hebb` |
//! | `vanilla` | `activation`, `init` |
//! | `gru`, `lstm`, `light-gru` | — |
//! | `enu-light-gru` | `embed` |
//! | `ei-light-gru` | `dale.frac_exc` |
//!
//! - The rate CTRNNs (`ctrnn`, `ei-ctrnn`, `stp-ctrnn`, `hebb-ctrnn`) share a [`RateCore`]:
//!   `activation`, `sigma_rec`, the initial `W_rec` (`init`) and the recurrent constraint
//!   (`connectivity`, Dale's law) are set on it after the cell is made. `form` and `learn_tau`
//!   exist in `ctrnn` and `ei-ctrnn` only.
//! - Dale's law (`[model.dale]`, always on in `ei-ctrnn`): 80 % excitatory by default,
//!   `W_eff = |W| ⊙ sign`, no autapses, E/I-balanced initialisation of spectral radius
//!   `dale.radius`, readout from E units. That start replaces `init`, so `init` is refused with
//!   Dale's law.
//! - `stp-ctrnn`: recurrent synapses that facilitate and depress (see `neurodyn_nn::cells::stp`;
//!   units alternate facilitating and depressing synapses); with Dale's law as Masse et al. 2019
//!   train it, and sparse `connectivity` (the synaptic factors are ≥ 0, so the effective weights
//!   keep the signs and zeros of `W_rec`).
//! - `hebb-ctrnn`: Hebbian fast weights, `W_rec + P ⊙ A` with the trace
//!   `A ← clip(λA + (1−λ) r rᵀ)` per trial and a trained per-synapse plasticity `P` starting at
//!   zero (see `neurodyn_nn::cells::hebb`); `[model.hebb]` sets `tau_ms` (λ = 1 − dt/τ, default
//!   400) and `clip` (1). It does not take Dale's law or sparse connectivity: `P ⊙ A` would
//!   change the signs and fill the zeros of `W_rec`.
//! - `vanilla`, `gru`, `lstm`: PyTorch's `nn.RNN` (activation and `init` from the config),
//!   `nn.GRU`, `nn.LSTM`.
//! - `light-gru`, `enu-light-gru`, `ei-light-gru`: light-GRU with batch norm, its variant whose
//!   units are private 2-layer embeddings (`embed` hidden units each), and its Dale variant (only
//!   `dale.frac_exc` applies). Their running batch-norm statistics are kept per time step (see
//!   `neurodyn_nn::cells::light_gru`).
//!
//! Adding a kind: the cell in `neurodyn_nn::cells` (its file and its line in `cells/mod.rs`) and
//! one entry in the catalogue here.

use crate::error::{config, Result, TrainError};
use neurodyn_core::Rng;
use neurodyn_nn::cells::rate_core::RateCore;
use neurodyn_nn::cells::{Ctrnn, CtrnnForm, Gru, HebbCtrnn, LightGru, Lstm, StpCtrnn, VanillaRnn};
use neurodyn_nn::constraint::{dale_signs, no_autapse_mask};
use neurodyn_nn::init::RecInit;
use neurodyn_nn::params::cast;
use neurodyn_nn::{init, Activation, Constraint, InitialState, Network, Real, Rectify};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Defines [`ModelKind`] (its variants, [`ModelKind::ALL`], names, descriptions, keys) and the
/// cell each kind builds, from one entry per kind.
macro_rules! catalogue {
    ($(
        $(#[doc = $doc:literal])+
        $variant:ident = $name:literal {
            keys: [$($key:ident),* $(,)?],
            build: $build:expr $(,)?
        }
    )+) => {
        /// A recurrent cell kind, as `[model] kind` names it (`ctrnn`, `ei-light-gru`, …). It
        /// compares equal to its name (`kind == "ei-ctrnn"`) and dereferences to it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum ModelKind {
            $($(#[doc = $doc])+ $variant,)+
        }

        impl ModelKind {
            /// Every kind, in catalogue order.
            pub const ALL: &'static [ModelKind] = &[$(ModelKind::$variant),+];

            /// The kind as configs name it.
            pub fn name(self) -> &'static str {
                match self {
                    $(ModelKind::$variant => $name,)+
                }
            }

            /// One line on what the kind is.
            pub fn about(self) -> &'static str {
                match self {
                    $(ModelKind::$variant => [$($doc),+][0].trim(),)+
                }
            }

            /// The `[model]` keys this kind takes besides `n_rec`, `sigma_in` and `train_h0`
            /// (`Dale` stands for the whole `[model.dale]` table).
            pub fn keys(self) -> &'static [ModelKey] {
                match self {
                    $(ModelKind::$variant => &[$(ModelKey::$key),*],)+
                }
            }

            /// The kind's cell for `n_in` inputs and time step `dt_ms`.
            fn cell<T: Real>(
                self,
                m: &ModelConfig,
                n_in: usize,
                dt_ms: f64,
                rng: &mut Rng,
            ) -> Built<T> {
                match self {
                    $(ModelKind::$variant => {
                        let f: fn(&ModelConfig, usize, f64, &mut Rng) -> Built<T> = $build;
                        f(m, n_in, dt_ms, rng)
                    })+
                }
            }
        }
    };
}

catalogue! {
    /// Leaky rate network, `ctrnn` (see `neurodyn_nn::cells::ctrnn`).
    Ctrnn = "ctrnn" {
        keys: [TauMs, SigmaRec, Form, LearnTau, Activation, Init, Connectivity, Dale],
        build: |m, n_in, dt_ms, rng| {
            let mut c = Ctrnn::<T>::new(n_in, m.n_rec, dt_ms, m.tau_ms, rng);
            c.form = m.form;
            c.learn_tau = m.learn_tau;
            rate(c, false)
        },
    }
    /// The leaky rate network with Dale's law (`[model.dale]` or its defaults).
    EiCtrnn = "ei-ctrnn" {
        keys: [TauMs, SigmaRec, Form, LearnTau, Activation, Connectivity, Dale],
        build: |m, n_in, dt_ms, rng| {
            let mut c = Ctrnn::<T>::new(n_in, m.n_rec, dt_ms, m.tau_ms, rng);
            c.form = m.form;
            c.learn_tau = m.learn_tau;
            rate(c, true)
        },
    }
    /// Rate network whose recurrent synapses facilitate and depress (`neurodyn_nn::cells::stp`).
    StpCtrnn = "stp-ctrnn" {
        keys: [TauMs, SigmaRec, Activation, Init, Connectivity, Dale],
        build: |m, n_in, dt_ms, rng| {
            rate(StpCtrnn::<T>::new(n_in, m.n_rec, dt_ms, m.tau_ms, rng), false)
        },
    }
    /// Rate network with Hebbian fast weights `W_rec + P ⊙ A` (`neurodyn_nn::cells::hebb`).
    HebbCtrnn = "hebb-ctrnn" {
        keys: [TauMs, SigmaRec, Activation, Init, Hebb],
        build: |m, n_in, dt_ms, rng| {
            let mut c = HebbCtrnn::<T>::new(n_in, m.n_rec, dt_ms, m.tau_ms, rng);
            let hb = m.hebb.clone().unwrap_or_default();
            c.hebb_tau_ms = hb.tau_ms;
            c.a_max = hb.clip;
            rate(c, false)
        },
    }
    /// Elman RNN, PyTorch's `nn.RNN` (`neurodyn_nn::cells::vanilla`).
    Vanilla = "vanilla" {
        keys: [Activation, Init],
        build: |m, n_in, _, rng| {
            let h = m.n_rec;
            let mut c = VanillaRnn::<T>::new(n_in, h, rng);
            c.activation = m.activation;
            c.w_rec_init = match m.init {
                RecInit::PytorchUniform => c.w_rec_init,
                other => init::recurrent(h, other, rng),
            };
            Built::Done(Box::new(c))
        },
    }
    /// Gated recurrent unit, PyTorch's `nn.GRU` (`neurodyn_nn::cells::gru`).
    Gru = "gru" {
        keys: [],
        build: |m, n_in, _, rng| Built::Done(Box::new(Gru::<T>::new(n_in, m.n_rec, rng))),
    }
    /// Long short-term memory, PyTorch's `nn.LSTM` (`neurodyn_nn::cells::lstm`).
    Lstm = "lstm" {
        keys: [],
        build: |m, n_in, _, rng| Built::Done(Box::new(Lstm::<T>::new(n_in, m.n_rec, rng))),
    }
    /// Light GRU with batch norm (`neurodyn_nn::cells::light_gru`).
    LightGru = "light-gru" {
        keys: [],
        build: |m, n_in, _, rng| Built::Done(Box::new(LightGru::<T>::new(n_in, m.n_rec, rng))),
    }
    /// Light GRU whose units are private 2-layer embeddings of `embed` hidden units each.
    EnuLightGru = "enu-light-gru" {
        keys: [Embed],
        build: |m, n_in, _, rng| {
            Built::Done(Box::new(LightGru::<T>::enu(n_in, m.n_rec, m.embed, rng)))
        },
    }
    /// Light GRU with Dale's law (`dale.frac_exc` excitatory units, 0.8 by default).
    EiLightGru = "ei-light-gru" {
        keys: [DaleFracExc],
        build: |m, n_in, _, rng| {
            let frac_exc = m.dale.clone().unwrap_or_default().frac_exc;
            Built::Done(Box::new(LightGru::<T>::ei(n_in, m.n_rec, frac_exc, rng)))
        },
    }
}

impl ModelKind {
    /// Whether this kind takes `key`: listed in [`ModelKind::keys`], a `dale.*` key of a kind
    /// that takes the whole `dale` table, or the `dale` table of a kind that takes one of its keys.
    pub fn takes(self, key: ModelKey) -> bool {
        let keys = self.keys();
        keys.contains(&key)
            || (key.in_dale() && keys.contains(&ModelKey::Dale))
            || (key == ModelKey::Dale && keys.iter().any(|k| k.in_dale()))
    }
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ModelKind {
    type Err = TrainError;

    /// A kind by its config name; the error lists the allowed ones.
    fn from_str(s: &str) -> Result<ModelKind> {
        ModelKind::ALL
            .iter()
            .copied()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                let allowed: Vec<&str> = ModelKind::ALL.iter().map(|k| k.name()).collect();
                config(
                    "model.kind",
                    format!("unknown kind '{s}'; allowed: {}", allowed.join(", ")),
                )
            })
    }
}

impl AsRef<str> for ModelKind {
    fn as_ref(&self) -> &str {
        self.name()
    }
}

impl PartialEq<str> for ModelKind {
    fn eq(&self, other: &str) -> bool {
        self.name() == other
    }
}

impl PartialEq<&str> for ModelKind {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

/// A `[model]` key that only some kinds take (see [`ModelKind::keys`]); `n_rec`, `sigma_in` and
/// `train_h0` apply to every kind and are not listed. The `Dale*` keys are the fields of
/// `[model.dale]`, for a kind that takes some of them only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ModelKey {
    /// `tau_ms`.
    TauMs,
    /// `sigma_rec`.
    SigmaRec,
    /// `form`.
    Form,
    /// `learn_tau`.
    LearnTau,
    /// `activation`.
    Activation,
    /// `init`.
    Init,
    /// `connectivity`.
    Connectivity,
    /// The whole `[model.dale]` table.
    Dale,
    /// `dale.frac_exc`.
    DaleFracExc,
    /// `dale.rectify`.
    DaleRectify,
    /// `dale.readout_from_exc`.
    DaleReadoutFromExc,
    /// `dale.radius`.
    DaleRadius,
    /// `embed`.
    Embed,
    /// The `[model.hebb]` table.
    Hebb,
}

impl ModelKey {
    /// Every key, a table before its fields.
    pub const ALL: &'static [ModelKey] = &[
        ModelKey::TauMs,
        ModelKey::SigmaRec,
        ModelKey::Form,
        ModelKey::LearnTau,
        ModelKey::Activation,
        ModelKey::Init,
        ModelKey::Connectivity,
        ModelKey::Dale,
        ModelKey::DaleFracExc,
        ModelKey::DaleRectify,
        ModelKey::DaleReadoutFromExc,
        ModelKey::DaleRadius,
        ModelKey::Embed,
        ModelKey::Hebb,
    ];

    /// The dotted key as errors name it (`model.dale.radius`).
    pub fn key(self) -> &'static str {
        match self {
            ModelKey::TauMs => "model.tau_ms",
            ModelKey::SigmaRec => "model.sigma_rec",
            ModelKey::Form => "model.form",
            ModelKey::LearnTau => "model.learn_tau",
            ModelKey::Activation => "model.activation",
            ModelKey::Init => "model.init",
            ModelKey::Connectivity => "model.connectivity",
            ModelKey::Dale => "model.dale",
            ModelKey::DaleFracExc => "model.dale.frac_exc",
            ModelKey::DaleRectify => "model.dale.rectify",
            ModelKey::DaleReadoutFromExc => "model.dale.readout_from_exc",
            ModelKey::DaleRadius => "model.dale.radius",
            ModelKey::Embed => "model.embed",
            ModelKey::Hebb => "model.hebb",
        }
    }

    /// A field of `[model.dale]`.
    fn in_dale(self) -> bool {
        matches!(
            self,
            ModelKey::DaleFracExc
                | ModelKey::DaleRectify
                | ModelKey::DaleReadoutFromExc
                | ModelKey::DaleRadius
        )
    }

    /// Whether `m` sets this key: its value differs from [`ModelConfig::default`]'s (a table:
    /// it is present; a table's field: the table is present and the field differs from the
    /// table's default).
    pub fn is_set(self, m: &ModelConfig) -> bool {
        let d = ModelConfig::default();
        let dd = DaleConfig::default();
        let dale = |f: &dyn Fn(&DaleConfig) -> bool| m.dale.as_ref().is_some_and(f);
        match self {
            ModelKey::TauMs => m.tau_ms != d.tau_ms,
            ModelKey::SigmaRec => m.sigma_rec != d.sigma_rec,
            ModelKey::Form => m.form != d.form,
            ModelKey::LearnTau => m.learn_tau != d.learn_tau,
            ModelKey::Activation => m.activation != d.activation,
            ModelKey::Init => m.init != d.init,
            ModelKey::Connectivity => m.connectivity != d.connectivity,
            ModelKey::Dale => m.dale.is_some(),
            ModelKey::DaleFracExc => dale(&|x| x.frac_exc != dd.frac_exc),
            ModelKey::DaleRectify => dale(&|x| x.rectify != dd.rectify),
            ModelKey::DaleReadoutFromExc => dale(&|x| x.readout_from_exc != dd.readout_from_exc),
            ModelKey::DaleRadius => dale(&|x| x.radius != dd.radius),
            ModelKey::Embed => m.embed != d.embed,
            ModelKey::Hebb => m.hebb.is_some(),
        }
    }

    /// Set this key of `m` back to its default.
    fn reset(self, m: &mut ModelConfig) {
        let d = ModelConfig::default();
        let dd = DaleConfig::default();
        match self {
            ModelKey::TauMs => m.tau_ms = d.tau_ms,
            ModelKey::SigmaRec => m.sigma_rec = d.sigma_rec,
            ModelKey::Form => m.form = d.form,
            ModelKey::LearnTau => m.learn_tau = d.learn_tau,
            ModelKey::Activation => m.activation = d.activation,
            ModelKey::Init => m.init = d.init,
            ModelKey::Connectivity => m.connectivity = d.connectivity,
            ModelKey::Dale => m.dale = None,
            ModelKey::DaleFracExc => m.dale.iter_mut().for_each(|x| x.frac_exc = dd.frac_exc),
            ModelKey::DaleRectify => m.dale.iter_mut().for_each(|x| x.rectify = dd.rectify),
            ModelKey::DaleReadoutFromExc => m
                .dale
                .iter_mut()
                .for_each(|x| x.readout_from_exc = dd.readout_from_exc),
            ModelKey::DaleRadius => m.dale.iter_mut().for_each(|x| x.radius = dd.radius),
            ModelKey::Embed => m.embed = d.embed,
            ModelKey::Hebb => m.hebb = None,
        }
    }
}

/// Dale's law options.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DaleConfig {
    /// Fraction of excitatory units.
    pub frac_exc: f64,
    /// How magnitudes are made non-negative.
    pub rectify: Rectify,
    /// Read out from excitatory units only.
    pub readout_from_exc: bool,
    /// Spectral radius of the E/I-balanced initial recurrent matrix. The default, 1.5, is Song et
    /// al. 2016's ρ₀: with half the ReLU units silent, the effective recurrence then starts near
    /// 1, so gradients survive a delay (at 1.0, DelayMatchSample stayed at chance on 6 seeds of 6;
    /// at 1.5 it learned on 2; BENCHMARKS.md, session 6). The tasks without a delay train as well
    /// from either.
    pub radius: f64,
}

impl Default for DaleConfig {
    fn default() -> Self {
        DaleConfig {
            frac_exc: 0.8,
            rectify: Rectify::Abs,
            readout_from_exc: true,
            radius: 1.5,
        }
    }
}

/// Hebbian fast weights (`hebb-ctrnn`; see `neurodyn_nn::cells::hebb`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HebbConfig {
    /// Time constant of the Hebbian trace (ms): λ = 1 − dt/τ.
    pub tau_ms: f64,
    /// Bound on each trace value (`inf`: none).
    pub clip: f64,
}

impl Default for HebbConfig {
    fn default() -> Self {
        HebbConfig {
            tau_ms: neurodyn_nn::cells::hebb::DEFAULT_HEBB_TAU_MS,
            clip: 1.0,
        }
    }
}

/// The network: `[model]`. Which keys a kind takes is in [`ModelKind::keys`]; [`validate`] refuses
/// a key set (different from its default here) on a kind that does not take it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelConfig {
    /// Cell kind (see [`ModelKind`]); the other keys apply as [`ModelKind::keys`] says.
    pub kind: ModelKind,
    /// Recurrent units.
    pub n_rec: usize,
    /// Membrane time constant (ms) of the rate CTRNNs.
    pub tau_ms: f64,
    /// Learn one τ per unit (`ctrnn`, `ei-ctrnn`).
    pub learn_tau: bool,
    /// CTRNN discretisation (`ctrnn`, `ei-ctrnn`).
    pub form: CtrnnForm,
    /// Nonlinearity (the rate CTRNNs and `vanilla`).
    pub activation: Activation,
    /// Recurrent noise σ (training only; the rate CTRNNs).
    pub sigma_rec: f64,
    /// Input noise σ (training only).
    pub sigma_in: f64,
    /// Recurrent initialisation (not with Dale's law, whose E/I-balanced start replaces it).
    pub init: RecInit,
    /// Fraction of recurrent connections present (1 = dense); the mask is drawn from the seed
    /// (`ctrnn`, `ei-ctrnn`, `stp-ctrnn`).
    pub connectivity: f64,
    /// Dale's law: `ei-ctrnn` has it (these defaults when absent); set it on a `ctrnn` or
    /// `stp-ctrnn` to turn it on; `ei-light-gru` takes its `frac_exc` only.
    pub dale: Option<DaleConfig>,
    /// Train the initial state.
    pub train_h0: bool,
    /// Hidden units of each unit's private embedding (`enu-light-gru`).
    pub embed: usize,
    /// Hebbian fast weights (`hebb-ctrnn`; its defaults when absent).
    pub hebb: Option<HebbConfig>,
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig {
            kind: ModelKind::Ctrnn,
            n_rec: 64,
            tau_ms: 100.0,
            learn_tau: false,
            form: CtrnnForm::Rate,
            activation: Activation::Relu,
            sigma_rec: 0.0,
            sigma_in: 0.0,
            init: RecInit::PytorchUniform,
            connectivity: 1.0,
            dale: None,
            train_h0: false,
            embed: 4,
            hebb: None,
        }
    }
}

impl ModelConfig {
    /// The keys set (see [`ModelKey::is_set`]) that the kind does not take, in [`ModelKey::ALL`]
    /// order (a table's fields are not listed when the table itself is).
    pub fn inapplicable(&self) -> Vec<ModelKey> {
        let mut m = self.clone();
        let mut keys = Vec::new();
        for &k in ModelKey::ALL {
            if k.is_set(&m) && !m.kind.takes(k) {
                keys.push(k);
                k.reset(&mut m);
            }
        }
        keys
    }

    /// `init` set on a network with Dale's law, whose E/I-balanced start replaces it.
    fn init_replaced_by_dale(&self) -> bool {
        self.dale.is_some() && ModelKey::Init.is_set(self)
    }

    /// Reset every key that [`validate`] would refuse as not applying to the kind (see
    /// [`ModelConfig::inapplicable`]; and `init` with Dale's law) to its default, keeping the
    /// others: for a recipe written for one kind and trained with another.
    pub fn reset_inapplicable(&mut self) {
        for k in self.inapplicable() {
            k.reset(self);
        }
        if self.init_replaced_by_dale() {
            ModelKey::Init.reset(self);
        }
    }
}

/// Check a model config against a time step: every key set applies to the kind (the error names
/// the first key that does not, the kinds that take it, and any further such keys), and every
/// value is possible.
pub fn validate(m: &ModelConfig, dt_ms: f64) -> Result<()> {
    let takers = |k: ModelKey| {
        let kinds: Vec<&str> = ModelKind::ALL
            .iter()
            .filter(|o| o.takes(k))
            .map(|o| o.name())
            .collect();
        kinds.join(", ")
    };
    if let [first, rest @ ..] = &m.inapplicable()[..] {
        let mut msg = format!(
            "does not apply to kind '{}' (it applies to {})",
            m.kind,
            takers(*first)
        );
        for k in rest {
            msg += &format!("; nor does {} (it applies to {})", k.key(), takers(*k));
        }
        return Err(config(first.key(), msg));
    }
    if m.init_replaced_by_dale() {
        return Err(config(
            ModelKey::Init.key(),
            "does not apply with Dale's law ([model.dale]): the E/I-balanced start of spectral \
             radius model.dale.radius replaces it",
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
    if m.kind.takes(ModelKey::TauMs) && dt_ms > m.tau_ms {
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
    if m.kind.takes(ModelKey::Hebb) {
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

/// A kind's cell as its catalogue entry builds it.
enum Built<T: Real> {
    /// A rate CTRNN, whose shared options [`build`] sets next; `dale`: Dale's law even without
    /// `[model.dale]` (its defaults).
    Rate {
        /// The cell.
        cell: Box<dyn RateCell<T>>,
        /// Dale's law by default.
        dale: bool,
    },
    /// Any other cell, complete.
    Done(Box<dyn neurodyn_nn::Cell<T>>),
}

/// A rate cell for the catalogue.
fn rate<T: Real, C: RateCell<T> + 'static>(cell: C, dale: bool) -> Built<T> {
    Built::Rate {
        cell: Box::new(cell),
        dale,
    }
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
    let (mut cell, dale_by_default) = match m.kind.cell::<T>(m, n_in, dt_ms, rng) {
        Built::Rate { cell, dale } => (cell, dale),
        Built::Done(cell) => {
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
    let dale = match &m.dale {
        None if dale_by_default => Some(DaleConfig::default()),
        d => d.clone(),
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
