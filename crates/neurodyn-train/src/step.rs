//! One optimizer step: forward, loss, backward, clipping and the update for backpropagation
//! through time, or one batch of recursive least squares for FORCE; and what the step reports.

use crate::config::RunConfig;
use crate::error::{Result, TrainError};
use crate::seeds::NOISE;
use neurodyn_core::{Batch, BatchTargets, Rng};
use neurodyn_nn::force::Force;
use neurodyn_nn::objective::BatchRef;
use neurodyn_nn::NnError;
use neurodyn_nn::{Network, Objective, Optimizer, Workspace};

/// What one step did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepReport {
    /// Steps completed after this one (1-based).
    pub step: u64,
    /// Total loss.
    pub loss: f64,
    /// Task loss.
    pub task_loss: f64,
    /// Penalties.
    pub reg: f64,
    /// Trial accuracy on this training batch (NaN in stream mode).
    pub accuracy: f64,
    /// Learning rate used (FORCE: the mean RLS gain `1/(1/m + rᵀPr)` of the batch's updates).
    pub lr: f64,
    /// Gradient norm before clipping (FORCE: the norm of the batch's change of `W_out`).
    pub grad_norm: f64,
    /// The curriculum stage this step trained on (0-based); `None`: the task itself.
    pub stage: Option<usize>,
    /// The stop rule (`train.stop`) ends training after this step.
    pub stop: bool,
}

/// Trial accuracy of a time-major batch's outputs (see `score` for the rule).
pub(crate) fn batch_accuracy(y: &[f32], n_out: usize, b: &Batch) -> f64 {
    let BatchTargets::Class(c) = &b.targets else {
        return f64::NAN;
    };
    let bs = b.batch_size;
    let mut ok = 0usize;
    for j in 0..bs {
        let len = b.trial_len[j];
        let step = (0..len)
            .rev()
            .find(|&t| c[t * bs + j] != 0)
            .or_else(|| (0..len).rev().find(|&t| b.mask[t * bs + j] > 0.0));
        if let Some(t) = step {
            let row = &y[(t * bs + j) * n_out..(t * bs + j + 1) * n_out];
            let mut best = 0;
            for k in 1..n_out {
                if row[k] > row[best] {
                    best = k;
                }
            }
            ok += usize::from(best as i64 == c[t * bs + j]);
        }
    }
    ok as f64 / bs.max(1) as f64
}

/// One batch of FORCE learning (see [`neurodyn_nn::force`]).
#[allow(clippy::too_many_arguments)]
pub(crate) fn force_step(
    force: &mut Force,
    net: &mut Network<f32>,
    y: &mut Vec<f32>,
    cfg: &RunConfig,
    k: u64,
    b: BatchRef<'_>,
    s0: Option<&[f32]>,
    trials: Option<&Batch>,
) -> Result<(StepReport, Vec<f32>)> {
    let step = k + 1;
    let mut noise = Rng::with_stream(cfg.seed, NOISE + k);
    let (report, last) =
        force
            .train_batch(net, b, s0, Some(&mut noise), y)
            .map_err(|e| match e {
                NnError::NonFinite(_) => TrainError::NonFinite {
                    checkpoint: None,
                    step,
                    what: "readout".into(),
                },
                other => TrainError::Shape {
                    what: "FORCE batch".into(),
                    expected: "what the network takes".into(),
                    got: other.to_string(),
                },
            })?;
    if !report.loss.is_finite() || net.params.iter().any(|w| !w.is_finite()) {
        return Err(TrainError::NonFinite {
            checkpoint: None,
            step,
            what: if report.loss.is_finite() {
                "weights"
            } else {
                "loss"
            }
            .into(),
        });
    }
    let accuracy = trials.map_or(f64::NAN, |t| batch_accuracy(y, net.n_out, t));
    Ok((
        StepReport {
            step,
            loss: report.loss,
            task_loss: report.loss,
            reg: 0.0,
            accuracy,
            lr: report.mean_gain,
            grad_norm: report.dw_norm,
            stage: None,
            stop: false,
        },
        if trials.is_none() { last } else { Vec::new() },
    ))
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn step_once(
    net: &mut Network<f32>,
    opt: &mut Optimizer,
    obj: &Objective,
    ws: &mut Workspace<f32>,
    grads: &mut [f32],
    cfg: &RunConfig,
    k: u64,
    b: BatchRef<'_>,
    s0: Option<&[f32]>,
    trials: Option<&Batch>,
) -> Result<(StepReport, Vec<f32>)> {
    // Flush-to-zero for the whole step (loss, penalties, clipping, update), not only the passes.
    let _ftz = neurodyn_nn::kernels::FlushDenormals::new();
    let n_in = net.cell.n_in();
    if b.inputs.len() != b.n_steps * b.batch * n_in {
        return Err(TrainError::Shape {
            what: "batch inputs".into(),
            expected: format!("({}, {}, {n_in})", b.n_steps, b.batch),
            got: format!("{} values", b.inputs.len()),
        });
    }
    let mut noise = Rng::with_stream(cfg.seed, NOISE + k);
    let terms = obj.evaluate(net, ws, b, s0, Some(&mut noise), true, Some(grads));
    let step = k + 1;
    if !terms.total().is_finite() {
        return Err(TrainError::NonFinite {
            checkpoint: None,
            step,
            what: "loss".into(),
        });
    }
    if grads.iter().any(|g| !g.is_finite()) {
        return Err(TrainError::NonFinite {
            checkpoint: None,
            step,
            what: "gradient".into(),
        });
    }
    let grad_norm = match &cfg.train.clip {
        Some(c) => c.apply(grads),
        None => neurodyn_nn::optim::grad_norm(grads),
    };
    let mut lr = cfg.train.schedule.lr(cfg.train.lr, k, cfg.train.steps);
    if k < cfg.train.warmup_steps {
        // Linear warm-up: the first Adam steps move every weight by ≈ lr whatever the gradient's
        // size, which on a network that starts out exploding can kill most ReLU units at once.
        lr *= (k + 1) as f64 / cfg.train.warmup_steps as f64;
    }
    opt.update(&mut net.params, grads, lr);
    net.clamp();
    if net.params.iter().any(|w| !w.is_finite()) {
        return Err(TrainError::NonFinite {
            checkpoint: None,
            step,
            what: "weights".into(),
        });
    }
    let accuracy = trials.map_or(f64::NAN, |t| batch_accuracy(&ws.y, net.n_out, t));
    let carry = if trials.is_none() {
        net.final_state(ws).to_vec()
    } else {
        Vec::new()
    };
    Ok((
        StepReport {
            step,
            loss: terms.total(),
            task_loss: terms.task,
            reg: terms.reg,
            accuracy,
            lr,
            grad_norm,
            stage: None,
            stop: false,
        },
        carry,
    ))
}
