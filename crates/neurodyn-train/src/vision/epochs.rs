//! The training loop every vision run shares (a CNN's or MLP's layer stack, a conv-ctrnn), with
//! its checkpoints and `--resume`.
//!
//! Each epoch the run's generator shuffles the training images' order, which is cut into
//! batches; each batch is normalised (and augmented), the network gives its loss and gradient,
//! and the optimizer takes one step. `checkpoint.safetensors` keeps everything the loop needs to
//! go on as if never stopped, written atomically at the end of every epoch (or every
//! `train.checkpoint_every` steps):
//!
//! ```text
//! params (f32), buffers (f32: batch norm's running statistics, when the network has any),
//! optim.m, optim.v (f64), order (i64: this epoch's shuffled image order)
//! metadata: format, step, epoch, batches done in the epoch, optimizer step, the generator's
//!           state, the wall time so far, and the resolved config
//! ```
//!
//! Resuming reads it, refuses a `config.toml` changed since (naming the keys; `train.epochs`,
//! `train.threads`, `train.checkpoint_every` and `[eval]` may change with
//! `--allow-config-change`), cuts `metrics.csv` back to the checkpoint's step, and continues:
//! the same config and seed give the same bits as an uninterrupted run.

use crate::checkpoint::{
    bytes_f32, bytes_f64, read_f32, read_f64, read_file, serialize, write_atomic, Entry,
};
use crate::error::{config, file, io, Result, TrainError};
use crate::vision::config::VisionConfig;
use crate::vision::data;
use crate::vision::eval::Normalize;
use crate::vision::files::METRICS_HEADER;
use crate::vision::outcome::VisionStep;
use neurodyn_core::Rng;
use neurodyn_data::{Augmenter, ImageSet};
use neurodyn_nn::{Optimizer, Regularizer};
use safetensors::{Dtype, SafeTensors};
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

/// The `format` of a vision checkpoint's metadata.
pub const CHECKPOINT_FORMAT: &str = "neurodyn-vision-checkpoint-1";

/// Config keys (dotted; a prefix ending in `.` covers a table) that `--allow-config-change` lets
/// a resumed vision run change.
pub const RESUMABLE_VISION_CHANGES: &[&str] = &[
    "train.epochs",
    "train.threads",
    "train.checkpoint_every",
    "eval.",
];

/// A network the loop trains: a flat parameter vector, optional non-trainable buffers, and
/// one training pass's loss and gradient.
pub(crate) trait Trainable {
    /// Buffers of a pass, kept between batches.
    type Workspace: Default;
    /// The parameters, in the optimizer's order.
    fn params_mut(&mut self) -> &mut Vec<f32>;
    /// Every parameter tensor: its name (as `model.safetensors` has it), its range in the
    /// parameters, and whether it is a weight (of a convolution or a linear map, not a bias
    /// or a normalisation's scale): what `[train] regularizers` may name.
    fn tensors(&self) -> Vec<(String, std::ops::Range<usize>, bool)>;
    /// Non-trainable state a training pass updates (batch norm's running statistics): saved in
    /// checkpoints, never touched by the optimizer.
    fn buffers_mut(&mut self) -> &mut [f32] {
        &mut []
    }
    /// One training batch `x` (normalised, `(N, C, H, W)`) with its `labels` on `threads`:
    /// the mean loss, the number classified correctly, and the gradient into `grads`. `seed`
    /// (the step's, [`crate::vision::network::step_seed`]) seeds whatever a training pass
    /// draws (dropout masks).
    fn loss_grad(
        &mut self,
        ws: &mut Self::Workspace,
        x: &[f32],
        labels: &[i64],
        threads_seed: (usize, u64),
        grads: &mut [f32],
    ) -> (f64, usize);
}

/// How the loop starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Begin {
    /// A new run: `config.toml` and the `metrics.csv` header are written first.
    Fresh,
    /// From `checkpoint.safetensors` (from the start when there is none), allowing the
    /// [`RESUMABLE_VISION_CHANGES`] when `true`.
    Resume(bool),
}

/// What the loop did.
pub(crate) struct Trained {
    /// Optimizer steps in all (over resumed segments).
    pub steps: u64,
    /// Wall time of training, summed over resumed segments (s).
    pub seconds: f64,
}

/// A weight penalty on parameter ranges: λ Σ|w| (`l1`) or λ Σ w².
struct Penalty {
    l1: bool,
    weight: f64,
    ranges: Vec<std::ops::Range<usize>>,
}

/// `[train] regularizers` on the network's tensors; errors name the entry.
fn penalties(
    regs: &[Regularizer],
    tensors: &[(String, std::ops::Range<usize>, bool)],
) -> Result<Vec<Penalty>> {
    regs.iter()
        .enumerate()
        .map(|(i, r)| {
            let key = format!("train.regularizers[{i}]");
            let (l1, param, weight) =
                match r {
                    Regularizer::L1 { param, weight } => (true, param, *weight),
                    Regularizer::L2 { param, weight } => (false, param, *weight),
                    _ => return Err(config(
                        &key,
                        "a vision run takes weight penalties only: kind = \"l1\" or \"l2\" with a \
                         param",
                    )),
                };
            if !(weight.is_finite() && weight >= 0.0) {
                return Err(config(
                    &format!("{key}.weight"),
                    format!("must be ≥ 0, got {weight}"),
                ));
            }
            let ranges: Vec<_> = tensors
                .iter()
                .filter(|(name, _, is_weight)| {
                    if param == "weights" {
                        *is_weight
                    } else {
                        name == param
                    }
                })
                .map(|(_, r, _)| r.clone())
                .collect();
            if ranges.is_empty() {
                let names: Vec<&str> = tensors.iter().map(|t| t.0.as_str()).collect();
                return Err(config(
                    &format!("{key}.param"),
                    format!(
                        "no tensor '{param}' (\"weights\" for every weight, or one of: {})",
                        names.join(", ")
                    ),
                ));
            }
            Ok(Penalty { l1, weight, ranges })
        })
        .collect()
}

/// Add the penalties' value to nothing but the returned sum, and their gradient to `grads`.
fn apply_penalties(penalties: &[Penalty], params: &[f32], grads: &mut [f32]) -> f64 {
    let mut total = 0.0;
    for p in penalties {
        let lambda = p.weight;
        for r in &p.ranges {
            for (g, &w) in grads[r.clone()].iter_mut().zip(&params[r.clone()]) {
                let w64 = f64::from(w);
                if p.l1 {
                    total += lambda * w64.abs();
                    *g += (lambda
                        * if w64 > 0.0 {
                            1.0
                        } else if w64 < 0.0 {
                            -1.0
                        } else {
                            0.0
                        }) as f32;
                } else {
                    total += lambda * w64 * w64;
                    *g += (2.0 * lambda * w64) as f32;
                }
            }
        }
    }
    total
}

/// Where the loop stands, as a checkpoint keeps it.
struct Position {
    step: u64,
    epoch: usize,
    /// Batches of `epoch` done.
    batch: usize,
    optimizer_step: u64,
    rng: [u64; 6],
    spare: bool,
    wall: f64,
}

fn save(
    path: &Path,
    net: &mut impl Trainable,
    opt: &Optimizer,
    order: &[usize],
    at: &Position,
    config_text: &str,
) -> Result<()> {
    let params = net.params_mut().clone();
    let buffers = net.buffers_mut().to_vec();
    let f64_entry = |name: &str, v: &[f64]| Entry {
        name: name.into(),
        dtype: Dtype::F64,
        shape: vec![v.len()],
        data: bytes_f64(v),
    };
    let mut e = vec![
        Entry {
            name: "params".into(),
            dtype: Dtype::F32,
            shape: vec![params.len()],
            data: bytes_f32(&params),
        },
        f64_entry("optim.m", &opt.m),
        f64_entry("optim.v", &opt.v),
        Entry {
            name: "order".into(),
            dtype: Dtype::I64,
            shape: vec![order.len()],
            data: order
                .iter()
                .flat_map(|&i| (i as i64).to_le_bytes())
                .collect(),
        },
    ];
    if !buffers.is_empty() {
        e.push(Entry {
            name: "buffers".into(),
            dtype: Dtype::F32,
            shape: vec![buffers.len()],
            data: bytes_f32(&buffers),
        });
    }
    let mut meta = HashMap::new();
    meta.insert("format".into(), CHECKPOINT_FORMAT.into());
    meta.insert("step".into(), at.step.to_string());
    meta.insert("epoch".into(), at.epoch.to_string());
    meta.insert("batch".into(), at.batch.to_string());
    meta.insert("optimizer_step".into(), at.optimizer_step.to_string());
    let rng: Vec<String> = at.rng.iter().map(u64::to_string).collect();
    meta.insert("rng".into(), rng.join(","));
    meta.insert("rng_spare".into(), at.spare.to_string());
    meta.insert("wall_s".into(), format!("{:.3}", at.wall));
    meta.insert("config".into(), config_text.to_string());
    meta.insert("neurodyn_version".into(), env!("CARGO_PKG_VERSION").into());
    let bytes = serialize(&e, meta, path)?;
    write_atomic(path, &bytes)
}

/// Load a checkpoint into `net`, `opt` and `order`; returns where it stands and its config.
fn load(
    path: &Path,
    net: &mut impl Trainable,
    opt: &mut Optimizer,
    order: &mut [usize],
) -> Result<(Position, String)> {
    let bytes = read_file(path)?;
    let st = SafeTensors::deserialize(&bytes)
        .map_err(|e| file(path, format!("not a valid checkpoint: {e}")))?;
    let (_, meta) = SafeTensors::read_metadata(&bytes).map_err(|e| file(path, e))?;
    let md = meta.metadata().clone().unwrap_or_default();
    if md.get("format").map(String::as_str) != Some(CHECKPOINT_FORMAT) {
        return Err(file(
            path,
            format!("not a vision run's checkpoint (format {CHECKPOINT_FORMAT} expected)"),
        ));
    }
    let get = |k: &str| {
        md.get(k)
            .ok_or_else(|| file(path, format!("checkpoint metadata lacks '{k}'")))
    };
    let num = |k: &str| -> Result<u64> {
        get(k)?
            .parse()
            .map_err(|_| file(path, format!("checkpoint metadata '{k}' is not a number")))
    };
    let n = net.params_mut().len();
    let params = read_f32(&st, "params", n, path)?;
    net.params_mut().copy_from_slice(&params);
    let nb = net.buffers_mut().len();
    if nb > 0 {
        let b = read_f32(&st, "buffers", nb, path)?;
        net.buffers_mut().copy_from_slice(&b);
    }
    opt.m = read_f64(&st, "optim.m", n, path)?;
    opt.v = read_f64(&st, "optim.v", n, path)?;
    let t = st
        .tensor("order")
        .map_err(|e| file(path, format!("tensor 'order': {e}")))?;
    if t.dtype() != Dtype::I64 || t.data().len() != order.len() * 8 {
        return Err(file(
            path,
            format!("'order' is not {} int64 image indices", order.len()),
        ));
    }
    let mut seen = vec![false; order.len()];
    let original: Vec<usize> = order.to_vec();
    for (o, b) in order.iter_mut().zip(t.data().chunks_exact(8)) {
        let i = i64::from_le_bytes(b.try_into().expect("8 bytes"));
        *o = usize::try_from(i)
            .ok()
            .filter(|i| original.binary_search(i).is_ok())
            .ok_or_else(|| file(path, format!("'order' holds {i}, not a training image")))?;
        let k = original.binary_search(o).unwrap_or(0);
        if std::mem::replace(&mut seen[k], true) {
            return Err(file(path, format!("'order' holds image {o} twice")));
        }
    }
    let rng: Vec<u64> = get("rng")?
        .split(',')
        .map(|v| v.parse())
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| file(path, "checkpoint metadata 'rng' is not six numbers"))?;
    let rng: [u64; 6] = rng
        .try_into()
        .map_err(|_| file(path, "checkpoint metadata 'rng' is not six numbers"))?;
    let at = Position {
        step: num("step")?,
        epoch: num("epoch")? as usize,
        batch: num("batch")? as usize,
        optimizer_step: num("optimizer_step")?,
        rng,
        spare: get("rng_spare")? == "true",
        wall: get("wall_s")?.parse().unwrap_or(0.0),
    };
    Ok((at, get("config")?.clone()))
}

/// `metrics.csv` cut back to the rows of steps ≤ `step`.
fn truncate_metrics(path: &Path, step: u64) -> Result<()> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut out = String::from(METRICS_HEADER);
    for line in text.lines().skip(1) {
        let s: Option<u64> = line.split(',').nth(1).and_then(|v| v.parse().ok());
        if s.is_some_and(|s| s <= step) && line.split(',').count() == 6 {
            out.push_str(line);
            out.push('\n');
        }
    }
    write_atomic(path, out.as_bytes())
}

/// Train `net` on `set`'s images at `order` (the run's generator `rng` shuffles it each epoch)
/// under `cfg`, writing `metrics.csv` and checkpoints into `dir` (whose `config.toml` holds
/// `config_text`); `on_step` sees each step (and keeps the run's lock alive).
#[allow(clippy::too_many_arguments)]
pub(crate) fn train_epochs<N: Trainable>(
    net: &mut N,
    cfg: &VisionConfig,
    config_text: &str,
    dir: &Path,
    (set, norm): (&ImageSet, &Normalize),
    order: &mut [usize],
    rng: &mut Rng,
    begin: Begin,
    mut on_step: impl FnMut(&VisionStep),
) -> Result<Trained> {
    let t = &cfg.train;
    let penalties = penalties(&t.regularizers, &net.tensors())?;
    let per_epoch = order.len().div_ceil(t.batch_size);
    let total_steps = (per_epoch * t.epochs) as u64;
    let n_params = net.params_mut().len();
    let mut opt = Optimizer::new(t.optimizer.clone(), n_params);
    let metrics_path = dir.join("metrics.csv");
    let ckpt = dir.join("checkpoint.safetensors");
    let mut at = Position {
        step: 0,
        epoch: 1,
        batch: 0,
        optimizer_step: 0,
        rng: rng.to_state(),
        spare: rng.has_spare(),
        wall: 0.0,
    };
    match begin {
        Begin::Resume(allow) if ckpt.exists() => {
            order.sort_unstable();
            let (loaded, old_config) = load(&ckpt, net, &mut opt, order)?;
            crate::resume::check_resume_with(
                &old_config,
                config_text,
                RESUMABLE_VISION_CHANGES,
                allow,
                (
                    "train.epochs",
                    "epochs the checkpoint has begun",
                    loaded.epoch as u64,
                    t.epochs as u64,
                ),
            )?;
            opt.step = loaded.optimizer_step;
            *rng = Rng::from_state(loaded.rng, loaded.spare);
            truncate_metrics(&metrics_path, loaded.step)?;
            at = loaded;
        }
        Begin::Resume(_) => write_atomic(&metrics_path, METRICS_HEADER.as_bytes())?,
        Begin::Fresh => {
            std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
            write_atomic(&dir.join("config.toml"), config_text.as_bytes())?;
            write_atomic(&metrics_path, METRICS_HEADER.as_bytes())?;
        }
    }
    let mut metrics = std::fs::OpenOptions::new()
        .append(true)
        .open(&metrics_path)
        .map_err(|e| io(&metrics_path, e))?;
    let mut ws = N::Workspace::default();
    let (mut grads, mut x) = (vec![0.0f32; n_params], Vec::new());
    let mut labels: Vec<i64> = Vec::with_capacity(t.batch_size);
    let mut augmenter = t
        .augment
        .clone()
        .filter(|a| !a.is_off())
        .map(Augmenter::new);
    let mut pixels = Vec::new();
    let every = t.checkpoint_every.unwrap_or(0);
    let start = Instant::now();
    let wall0 = at.wall;
    // A checkpoint at the end of an epoch resumes with the next one.
    if at.batch >= per_epoch {
        at.epoch += 1;
        at.batch = 0;
    }
    let mut step = at.step;
    for epoch in at.epoch..=t.epochs {
        let first = if epoch == at.epoch { at.batch } else { 0 };
        if first == 0 {
            rng.shuffle(order);
        }
        for (b, chunk) in order.chunks(t.batch_size).enumerate().skip(first) {
            let aug = augmenter.as_mut().map(|a| (a, &mut pixels));
            data::training_batch(set, chunk, norm, aug, (cfg.seed, epoch), &mut x);
            labels.clear();
            labels.extend(chunk.iter().map(|&i| i64::from(set.labels()[i])));
            let seed = crate::vision::network::step_seed(cfg.seed, step);
            step += 1;
            let (loss, correct) =
                net.loss_grad(&mut ws, &x, &labels, (t.threads, seed), &mut grads);
            let loss = if penalties.is_empty() {
                loss
            } else {
                loss + apply_penalties(&penalties, net.params_mut(), &mut grads)
            };
            if !loss.is_finite() {
                return Err(TrainError::NonFiniteLoss { epoch, step, loss });
            }
            if let Some(c) = &t.clip {
                c.apply(&mut grads);
            }
            let lr = t.schedule.lr(t.lr, step - 1, total_steps);
            opt.update(net.params_mut(), &grads, lr);
            let wall = wall0 + start.elapsed().as_secs_f64();
            let r = VisionStep {
                epoch,
                step,
                total_steps,
                loss,
                accuracy: correct as f64 / chunk.len() as f64,
                lr,
                wall_s: wall,
            };
            writeln!(metrics, "{}", r.csv_row()).map_err(|e| io(&metrics_path, e))?;
            let end_of_epoch = b + 1 == per_epoch;
            if (every > 0 && step.is_multiple_of(every)) || (every == 0 && end_of_epoch) {
                metrics.flush().map_err(|e| io(&metrics_path, e))?;
                let here = Position {
                    step,
                    epoch,
                    batch: b + 1,
                    optimizer_step: opt.step,
                    rng: rng.to_state(),
                    spare: rng.has_spare(),
                    wall,
                };
                save(&ckpt, net, &opt, order, &here, config_text)?;
            }
            on_step(&r);
        }
    }
    metrics.sync_all().map_err(|e| io(&metrics_path, e))?;
    Ok(Trained {
        steps: step,
        seconds: wall0 + start.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The penalties' gradient is the derivative of their value: central differences in f64
    /// (the value is summed in f64 from the f32 weights, so a step of 2⁻⁸ is exact).
    #[test]
    fn penalty_gradients_match_central_differences() {
        let tensors = vec![
            ("a.weight".to_string(), 0..4, true),
            ("a.bias".to_string(), 4..6, false),
        ];
        let regs = vec![
            Regularizer::L1 {
                param: "weights".into(),
                weight: 0.3,
            },
            Regularizer::L2 {
                param: "a.bias".into(),
                weight: 0.7,
            },
        ];
        let p = penalties(&regs, &tensors).expect("resolved");
        let w = vec![0.75f32, -1.25, 0.5, -0.375, 2.0, -0.5];
        let mut g = vec![0.0f32; w.len()];
        let total = apply_penalties(&p, &w, &mut g);
        let want = 0.3 * (0.75 + 1.25 + 0.5 + 0.375) + 0.7 * (4.0 + 0.25);
        assert!((total - want).abs() < 1e-12, "{total} vs {want}");
        let h = 1.0 / 256.0;
        for i in 0..w.len() {
            let at = |d: f32| {
                let mut v = w.clone();
                v[i] += d;
                apply_penalties(&p, &v, &mut vec![0.0f32; w.len()])
            };
            let fd = (at(h) - at(-h)) / (2.0 * f64::from(h));
            assert!((fd - f64::from(g[i])).abs() < 1e-6, "{i}: {fd} vs {}", g[i]);
        }
        // Unknown names and activity penalties are named.
        let bad = penalties(
            &[Regularizer::L2 {
                param: "b.weight".into(),
                weight: 1.0,
            }],
            &tensors,
        )
        .err()
        .expect("unknown tensor")
        .to_string();
        assert!(
            bad.contains("train.regularizers[0].param") && bad.contains("a.weight"),
            "{bad}"
        );
        let bad = penalties(&[Regularizer::ActivityL2 { weight: 1.0 }], &tensors)
            .err()
            .expect("activity")
            .to_string();
        assert!(bad.contains("train.regularizers[0]"), "{bad}");
    }
}
