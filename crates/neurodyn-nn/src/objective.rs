//! The training objective: task loss over the readout plus penalties, with its full gradient.
//!
//! This is the one function both training and the finite-difference gradient checks call, so the
//! checks cover exactly what trains.

use crate::bptt::{Network, Workspace};
use crate::loss::{Loss, LossTargets};
use crate::real::Real;
use crate::regularizer::Regularizer;
use neurodyn_core::Rng;

/// Loss plus penalties.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Objective {
    /// Task loss.
    pub loss: Loss,
    /// Penalties.
    pub regularizers: Vec<Regularizer>,
}

/// The parts of one evaluation of the objective.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Terms {
    /// Task loss.
    pub task: f64,
    /// Sum of penalties.
    pub reg: f64,
}

impl Terms {
    /// task + reg.
    pub fn total(&self) -> f64 {
        self.task + self.reg
    }
}

/// One batch as the objective sees it: time-major inputs, row-aligned targets and mask.
#[derive(Clone, Copy, Debug)]
pub struct BatchRef<'a> {
    /// `(T, B, n_in)`.
    pub inputs: &'a [f32],
    /// Targets aligned with `(T, B)` rows.
    pub targets: LossTargets<'a>,
    /// `(T, B)`.
    pub mask: &'a [f32],
    /// Steps.
    pub n_steps: usize,
    /// Batch size.
    pub batch: usize,
}

impl<'a> BatchRef<'a> {
    /// View a core [`neurodyn_core::Batch`].
    pub fn of(b: &'a neurodyn_core::Batch) -> Self {
        BatchRef {
            inputs: &b.inputs,
            targets: LossTargets::of(&b.targets),
            mask: &b.mask,
            n_steps: b.n_steps,
            batch: b.batch_size,
        }
    }
}

impl Objective {
    /// Forward, loss, penalties and (when `grads` is given) the full backward pass.
    pub fn evaluate<T: Real>(
        &self,
        net: &mut Network<T>,
        ws: &mut Workspace<T>,
        batch: BatchRef<'_>,
        s0: Option<&[T]>,
        rng: Option<&mut Rng>,
        training: bool,
        grads: Option<&mut [T]>,
    ) -> Terms {
        net.forward(
            ws,
            batch.inputs,
            batch.n_steps,
            batch.batch,
            s0,
            rng,
            training,
        );
        let h = net.n_units();
        let tb = batch.n_steps * batch.batch;
        ws.d_y.resize(tb * net.n_out, T::c(0.0));
        // Zeroed extra ∂L/∂R only when an activity penalty will add to it.
        ws.d_r_extra = self.regularizers.iter().any(Regularizer::acts_on_rates);
        if ws.d_r_extra {
            ws.d_r.clear();
            ws.d_r.resize(tb * h, T::c(0.0));
        }
        let task = self
            .loss
            .value_grad(&ws.y, net.n_out, batch.targets, batch.mask, &mut ws.d_y);
        let mut reg = 0.0;
        for r in &self.regularizers {
            reg += r.activity(&ws.rates[batch.batch * h..], h, batch.mask, &mut ws.d_r);
        }
        if let Some(g) = grads {
            net.backward(ws, g);
            for r in &self.regularizers {
                reg += r.weights(&net.layout, &net.params, g);
            }
        } else {
            let mut scratch = vec![T::c(0.0); net.params.len()];
            for r in &self.regularizers {
                reg += r.weights(&net.layout, &net.params, &mut scratch);
            }
        }
        Terms { task, reg }
    }
}

/// Result of a finite-difference gradient check.
#[derive(Clone, Debug)]
pub struct GradCheck {
    /// Largest relative error `|a − n| / max(1e-6, |a| + |n|)` over checked entries.
    pub max_rel_err: f64,
    /// Parameter name and index where it occurred.
    pub worst: (String, usize),
    /// Entries checked.
    pub checked: usize,
}

/// The central difference `(L(θ + ε e_k) − L(θ − ε e_k)) / 2ε` of `obj` along parameter entry
/// `k`, in evaluation mode without noise; the entry is restored afterwards.
pub fn central_difference(
    net: &mut Network<f64>,
    ws: &mut Workspace<f64>,
    obj: &Objective,
    batch: BatchRef<'_>,
    s0: Option<&[f64]>,
    k: usize,
    eps: f64,
) -> f64 {
    let w0 = net.params[k];
    net.params[k] = w0 + eps;
    let lp = obj.evaluate(net, ws, batch, s0, None, false, None).total();
    net.params[k] = w0 - eps;
    let lm = obj.evaluate(net, ws, batch, s0, None, false, None).total();
    net.params[k] = w0;
    (lp - lm) / (2.0 * eps)
}

/// Compare the analytic gradient of `obj` with central differences (step `eps`) for every
/// parameter entry (or every `stride`-th one for larger networks). Runs in evaluation mode
/// without noise (noise makes the objective non-deterministic).
pub fn grad_check(
    net: &mut Network<f64>,
    obj: &Objective,
    batch: BatchRef<'_>,
    s0: Option<&[f64]>,
    eps: f64,
    stride: usize,
) -> GradCheck {
    let mut ws = Workspace::default();
    let mut g = vec![0.0; net.params.len()];
    obj.evaluate(net, &mut ws, batch, s0, None, false, Some(&mut g));
    let mut out = GradCheck {
        max_rel_err: 0.0,
        worst: (String::new(), 0),
        checked: 0,
    };
    for (pi, spec) in net.layout.specs.clone().iter().enumerate() {
        let r = net.layout.range(pi);
        for k in r.clone().step_by(stride.max(1)) {
            let num = central_difference(net, &mut ws, obj, batch, s0, k, eps);
            let rel = (g[k] - num).abs() / (g[k].abs() + num.abs()).max(1e-6);
            out.checked += 1;
            if rel > out.max_rel_err {
                out.max_rel_err = rel;
                out.worst = (spec.name.clone(), k - r.start);
            }
        }
    }
    out
}
