//! `[model] kind = "conv-ctrnn"`: the continuous-time convolutional RNN of seed 002 (Soo et al.
//! 2024, CordsNet; [`neurodyn_nn::layers::ConvCtrnn`]) as an image classifier: its keys, their
//! defaults, the network they build and the protocol it is trained and scored with.
//!
//! ```toml
//! [model]
//! kind = "conv-ctrnn"
//! stem = { channels = 16, kernel = 5, stride = 1, padding = 2, pool = 2 }   # 28×28 → 16×14×14
//! # the reference's stem: { channels = 64, kernel = 7, stride = 2, padding = 3, pool = 2,
//! #                         pool_window = 3, pool_padding = 1 }               # 224 → 112 → 56
//! areas = [{ channels = 16, stride = 1 }, { channels = 32, stride = 2 }]  # 16×14×14, 32×7×7
//! readout = "last"          # or "last-two" (the last two areas must have one shape)
//! tau_ms = 10.0
//! dt_ms = 2.0               # α = dt/τ = 0.2
//! spont_steps = 20          # blank image: the spontaneous state (no gradient)
//! steps = 15                # then the image
//! loss_steps = 5            # cross-entropy of the last 5 steps, weighted by a log ramp
//! ramp_decades = 3.0        # over 3 decades (the reference's logspace(−3, 0))
//! # return_penalty = { steps = 15, last = 5, weight = 0.01 }   # off unless given
//! weight_norm = false       # true: every weight trained as g · v/‖v‖, as the reference's
//! winograd = true           # 3×3 stride-1 convolutions by Winograd F(m×m, 3×3); false: im2col
//! ```
//!
//! `return_penalty` continues each training pass for `steps` steps under the blank image after
//! the image and adds `weight` × the mean squared distance of the last `last` of them from the
//! spontaneous state (mean over the batch, each area's units, the areas and those steps) to
//! the loss, so that activity returns to rest once the image is gone, as the reference's
//! spontaneous-activity term asks; without it nothing constrains the network's dynamics beyond
//! the trained steps.
//!
//! Each training step: the spontaneous state under a blank (all-zero, i.e. mean-grey after
//! normalisation) image from rest, computed once for the batch; the batch's images from that
//! state; `L = Σ_k w_k CE_k` over the last `loss_steps` steps with `w` = [`log_ramp`]; BPTT;
//! one optimizer update. A prediction is the argmax of the last step's logits. With `[train]
//! threads` > 1 the batch is cut into that many consecutive parts, each run on its own thread;
//! each part runs in chunks of at most [`ConvRnnNet::chunk_len`] samples (whose stored pass
//! stays in cache), and the gradients are added chunk by chunk, part by part, in order (the
//! same bits for the same thread count).

use crate::error::{config, Result};
use crate::vision::config::{
    AreaConfig, NetKind, ReadoutKind, StemConfig, VisionConfig, VisionModelConfig,
};
use crate::vision::weight_norm::WnLayout;
use neurodyn_core::Rng;
use neurodyn_nn::layers::conv_ctrnn::log_ramp;
use neurodyn_nn::layers::{
    numel, AreaSpec, ConvCtrnn, ConvCtrnnWorkspace, InitState, Readout, ReturnPhase, Shape,
    StemSpec,
};
use neurodyn_nn::{Loss, LossTargets, Schedule};

/// The default stem: 5×5 convolution to 16 channels, padding 2, then average pool 2.
pub const DEFAULT_STEM: StemConfig = StemConfig {
    channels: 16,
    kernel: 5,
    stride: 1,
    padding: 2,
    pool: 2,
    pool_window: None,
    pool_padding: 0,
};

/// The default areas: 16 channels at the stem's size, then 32 channels at half of it.
pub const DEFAULT_AREAS: [AreaConfig; 2] = [
    AreaConfig {
        channels: 16,
        stride: 1,
    },
    AreaConfig {
        channels: 32,
        stride: 2,
    },
];

/// The default recipe (`neurodyn train --task Mnist --model conv-ctrnn`): the default network
/// on the embedded digits, 10 epochs of batch 64 with Adam at 3e-3 annealed (cosine) to 1e-4.
/// A config file that sets `kind = "conv-ctrnn"` takes the `[train]` defaults of every vision
/// run instead (1e-3, constant), unless it says otherwise.
pub fn recipe() -> VisionConfig {
    let mut cfg = VisionConfig::default();
    cfg.model.kind = NetKind::ConvCtrnn;
    cfg.train.lr = 3e-3;
    cfg.train.schedule = Schedule::Cosine { lr_end: 1e-4 };
    cfg
}

/// The keys that only `conv-ctrnn` takes, with whether `model` sets each.
fn rnn_keys(m: &VisionModelConfig) -> [(&'static str, bool); 12] {
    [
        ("stem", m.stem.is_some()),
        ("areas", m.areas.is_some()),
        ("readout", m.readout.is_some()),
        ("tau_ms", m.tau_ms.is_some()),
        ("dt_ms", m.dt_ms.is_some()),
        ("spont_steps", m.spont_steps.is_some()),
        ("steps", m.steps.is_some()),
        ("loss_steps", m.loss_steps.is_some()),
        ("ramp_decades", m.ramp_decades.is_some()),
        ("return_penalty", m.return_penalty.is_some()),
        ("weight_norm", m.weight_norm.is_some()),
        ("winograd", m.winograd.is_some()),
    ]
}

/// For `cnn` and `mlp`: refuse every key that belongs to `conv-ctrnn`, by name.
pub fn reject_rnn_keys(m: &VisionModelConfig) -> Result<()> {
    if let Some((key, _)) = rnn_keys(m).into_iter().find(|k| k.1) {
        return Err(config(
            &format!("model.{key}"),
            format!(
                "applies to kind = \"conv-ctrnn\", not to kind = \"{}\"",
                m.kind.name()
            ),
        ));
    }
    Ok(())
}

/// The protocol of a resolved config.
#[derive(Clone, Debug, PartialEq)]
pub struct Protocol {
    /// Steps under the blank image.
    pub spont_steps: usize,
    /// Steps with the image.
    pub steps: usize,
    /// Loss weights of the last `weights.len()` steps (sum 1).
    pub weights: Vec<f64>,
    /// The return phase: blank steps after the image, the penalised last of them, the weight.
    pub ret: Option<(usize, usize, f64)>,
}

/// Fill every `conv-ctrnn` default into `m` and check the values; returns the protocol.
pub fn resolve(m: &mut VisionModelConfig) -> Result<Protocol> {
    debug_assert_eq!(m.kind, NetKind::ConvCtrnn);
    if m.layers.is_some() {
        return Err(config(
            "model.layers",
            "kind = \"conv-ctrnn\" is configured by stem and areas, not layers",
        ));
    }
    let stem = *m.stem.get_or_insert(DEFAULT_STEM);
    let areas = m
        .areas
        .get_or_insert_with(|| DEFAULT_AREAS.to_vec())
        .clone();
    if areas.is_empty() {
        return Err(config("model.areas", "needs at least one area"));
    }
    if stem.channels == 0
        || stem.kernel == 0
        || stem.stride == 0
        || stem.pool == 0
        || stem.pool_window == Some(0)
    {
        return Err(config(
            "model.stem",
            "channels, kernel, stride, pool and pool_window must be ≥ 1",
        ));
    }
    if m.readout.is_none() {
        m.readout = Some(ReadoutKind::Last);
    }
    let tau = *m.tau_ms.get_or_insert(10.0);
    let dt = *m.dt_ms.get_or_insert(2.0);
    if !(tau.is_finite() && tau > 0.0) {
        return Err(config("model.tau_ms", format!("must be > 0, got {tau}")));
    }
    if !(dt.is_finite() && dt > 0.0 && dt <= tau) {
        return Err(config(
            "model.dt_ms",
            format!("must be in (0, tau_ms = {tau}], got {dt}"),
        ));
    }
    let spont_steps = *m.spont_steps.get_or_insert(20);
    m.weight_norm.get_or_insert(false);
    m.winograd.get_or_insert(true);
    let steps = *m.steps.get_or_insert(15);
    let loss_steps = *m.loss_steps.get_or_insert(5.min(steps));
    let decades = *m.ramp_decades.get_or_insert(3.0);
    if steps == 0 {
        return Err(config("model.steps", "must be ≥ 1"));
    }
    if loss_steps == 0 || loss_steps > steps {
        return Err(config(
            "model.loss_steps",
            format!("must be in 1..={steps} (model.steps), got {loss_steps}"),
        ));
    }
    if !(decades.is_finite() && decades >= 0.0) {
        return Err(config(
            "model.ramp_decades",
            format!("must be ≥ 0, got {decades}"),
        ));
    }
    let ret = match m.return_penalty.as_mut() {
        None => None,
        Some(r) => {
            let last = *r.last.get_or_insert(5.min(r.steps));
            let weight = *r.weight.get_or_insert(0.01);
            if r.steps == 0 || last == 0 || last > r.steps {
                return Err(config(
                    "model.return_penalty",
                    format!(
                        "needs steps ≥ 1 and last in 1..=steps, got steps {} and last {last}",
                        r.steps
                    ),
                ));
            }
            if !(weight.is_finite() && weight >= 0.0) {
                return Err(config(
                    "model.return_penalty.weight",
                    format!("must be ≥ 0, got {weight}"),
                ));
            }
            Some((r.steps, last, weight))
        }
    };
    Ok(Protocol {
        spont_steps,
        steps,
        weights: log_ramp(loss_steps, decades),
        ret,
    })
}

/// A built `conv-ctrnn` with its parameters and protocol.
pub struct ConvRnnNet {
    /// The network.
    pub net: ConvCtrnn,
    /// Its parameters (f32), in [`ConvCtrnn::tensors`] order: with `weight_norm`, the effective
    /// ones, recomputed from [`WeightNormed::raw`] ([`ConvRnnNet::sync`]).
    pub params: Vec<f32>,
    /// How it is run.
    pub protocol: Protocol,
    /// With `[model] weight_norm = true`: the trained parameters.
    pub wn: Option<WeightNormed>,
}

/// The trained parameters of a weight-normalised `conv-ctrnn` ([`crate::vision::weight_norm`]).
pub struct WeightNormed {
    /// Where each tensor's trained values lie.
    pub layout: WnLayout,
    /// Every weight as `g` then `v`, the biases as they are.
    pub raw: Vec<f32>,
    /// The gradient of the effective parameters (a step's buffer).
    d_eff: Vec<f32>,
}

/// Build the network of a resolved `[model]` over images of `in_shape`.
pub fn build(
    m: &VisionModelConfig,
    protocol: Protocol,
    in_shape: Shape,
    n_classes: usize,
    rng: &mut Rng,
) -> Result<ConvRnnNet> {
    let (Some(stem), Some(areas), Some(readout), Some(tau), Some(dt)) =
        (m.stem, m.areas.as_ref(), m.readout, m.tau_ms, m.dt_ms)
    else {
        return Err(config("model", "conv-ctrnn config not resolved (a bug)"));
    };
    let spec = StemSpec {
        channels: stem.channels,
        kernel: stem.kernel,
        stride: stem.stride,
        padding: stem.padding,
        pool: stem.pool,
        pool_window: stem.pool_window.unwrap_or(stem.pool),
        pool_padding: stem.pool_padding,
    };
    let areas: Vec<AreaSpec> = areas
        .iter()
        .map(|a| AreaSpec {
            channels: a.channels,
            stride: a.stride,
        })
        .collect();
    let readout = match readout {
        ReadoutKind::Last => Readout::Last,
        ReadoutKind::LastTwo => Readout::LastTwo,
    };
    let net =
        ConvCtrnn::new(in_shape, spec, &areas, readout, n_classes, dt / tau).map_err(|e| {
            config(
                "model",
                format!("for images of {in_shape:?} (C, H, W): {e}"),
            )
        })?;
    let net = net.with_winograd(m.winograd == Some(true));
    let params: Vec<f32> = net.init_params(rng).into_iter().map(|v| v as f32).collect();
    let wn = (m.weight_norm == Some(true)).then(|| {
        let layout = WnLayout::new(net.tensors());
        WeightNormed {
            raw: layout.raw_from(&params),
            layout,
            d_eff: Vec::new(),
        }
    });
    let mut out = ConvRnnNet {
        net,
        params,
        protocol,
        wn,
    };
    // The effective weights as they will be recomputed each step (g · v/‖v‖ rounds).
    out.sync();
    Ok(out)
}

/// What one chunk of a training step's samples may keep for its backward pass, in bytes: a
/// thread's part of the batch runs in chunks of [`ConvRnnNet::chunk_len`] samples, so that
/// the states each chunk's backward pass reads back are still in cache (the default recipe: 16
/// samples, 12.3 MB; its step by batch 64 at once took 8–10 % longer).
pub const CHUNK_BYTES: usize = 12 << 20;

/// Per-thread buffers of a pass over a batch, kept between steps.
#[derive(Default)]
pub struct Workspaces {
    parts: Vec<Part>,
    spont: ConvCtrnnWorkspace<f32>,
}

#[derive(Default)]
struct Part {
    ws: ConvCtrnnWorkspace<f32>,
    /// The part's gradient: its chunks' added in order.
    grads: Vec<f32>,
    /// One chunk's gradient.
    chunk: Vec<f32>,
    d_logits: Vec<f32>,
    d_step: Vec<f32>,
}

/// Cut `n` samples into `parts` consecutive ranges, as even as can be.
fn cut(n: usize, parts: usize) -> Vec<std::ops::Range<usize>> {
    let parts = parts.clamp(1, n.max(1));
    (0..parts)
        .map(|p| p * n / parts..(p + 1) * n / parts)
        .collect()
}

impl ConvRnnNet {
    /// With `weight_norm`: recompute the effective parameters from the trained ones.
    pub fn sync(&mut self) {
        if let Some(w) = &self.wn {
            w.layout.effective(&w.raw, &mut self.params);
        }
    }

    /// The trained parameters: [`WeightNormed::raw`] with `weight_norm`, else the parameters.
    pub fn trained_mut(&mut self) -> &mut Vec<f32> {
        match &mut self.wn {
            Some(w) => &mut w.raw,
            None => &mut self.params,
        }
    }

    /// The trained tensors as `model.safetensors` holds them: name, shape, range in
    /// [`ConvRnnNet::trained_mut`]'s values, and whether it is a weight.
    pub fn trained_tensors(&self) -> Vec<(String, Vec<usize>, std::ops::Range<usize>, bool)> {
        match &self.wn {
            Some(w) => w.layout.tensors(),
            None => self
                .net
                .tensors()
                .iter()
                .map(|t| {
                    let weight = !t.name.ends_with(".bias");
                    (t.name.clone(), t.shape.clone(), t.range.clone(), weight)
                })
                .collect(),
        }
    }

    /// [`ConvRnnNet::loss_grad`] with the gradient of the trained parameters: with
    /// `weight_norm`, the effective ones are recomputed first and their gradient mapped onto
    /// `g` and `v`.
    pub fn trained_loss_grad(
        &mut self,
        ws: &mut Workspaces,
        x: &[f32],
        labels: &[i64],
        threads: usize,
        grads: &mut [f32],
    ) -> (f64, usize) {
        let Some(mut w) = self.wn.take() else {
            return self.loss_grad(ws, x, labels, threads, grads);
        };
        w.layout.effective(&w.raw, &mut self.params);
        w.d_eff.resize(self.params.len(), 0.0);
        let out = self.loss_grad(ws, x, labels, threads, &mut w.d_eff);
        w.layout.grad(&w.raw, &w.d_eff, grads);
        self.wn = Some(w);
        out
    }

    /// Samples a training step runs through its pass at once: the most whose stored pass
    /// ([`ConvCtrnn::stored_len`]) fits [`CHUNK_BYTES`], at least one.
    pub fn chunk_len(&self) -> usize {
        let p = &self.protocol;
        let steps = p.steps + p.ret.map_or(0, |(s, _, _)| s);
        let per = self.net.stored_len(steps) * std::mem::size_of::<f32>();
        (CHUNK_BYTES / per.max(1)).max(1)
    }

    /// The spontaneous state for the current parameters.
    pub fn spontaneous(&self, ws: &mut Workspaces) -> Vec<f32> {
        self.net
            .spontaneous(&self.params, &mut ws.spont, self.protocol.spont_steps)
    }

    /// One training batch: the ramp-weighted cross-entropy (mean over the batch) and its
    /// gradient into `grads`; returns the loss and the number of images whose last-step logits
    /// pick their label. `x` is the normalised batch `(N, C, H, W)`. Each thread's part of the
    /// batch runs in chunks of at most [`ConvRnnNet::chunk_len`] samples.
    pub fn loss_grad(
        &self,
        ws: &mut Workspaces,
        x: &[f32],
        labels: &[i64],
        threads: usize,
        grads: &mut [f32],
    ) -> (f64, usize) {
        self.loss_grad_chunked(ws, x, labels, threads, self.chunk_len(), grads)
    }

    /// [`ConvRnnNet::loss_grad`] with chunks of at most `max` samples (≥ 1): each thread's
    /// part is cut into as few chunks as that allows, as even as can be, and their gradients
    /// are added in order (the same bits for the same thread count and `max`).
    pub fn loss_grad_chunked(
        &self,
        ws: &mut Workspaces,
        x: &[f32],
        labels: &[i64],
        threads: usize,
        max: usize,
        grads: &mut [f32],
    ) -> (f64, usize) {
        let spont = self.spontaneous(ws);
        let n = labels.len();
        let img = numel(self.net.in_shape());
        let ranges = cut(n, threads);
        ws.parts.resize_with(ranges.len(), Part::default);
        let max = max.max(1);
        // A thread's part in chunks of at most `max` samples, their gradients added in order.
        let run = |part: &mut Part, r: std::ops::Range<usize>| {
            let mut total = (0.0, 0);
            for (i, c) in cut(r.len(), r.len().div_ceil(max)).into_iter().enumerate() {
                let c = r.start + c.start..r.start + c.end;
                let x = &x[c.start * img..c.end * img];
                let (l, k) = self.part_loss_grad(part, x, &labels[c], n, &spont);
                total = (total.0 + l, total.1 + k);
                if i == 0 {
                    std::mem::swap(&mut part.grads, &mut part.chunk);
                } else {
                    for (g, &v) in part.grads.iter_mut().zip(&part.chunk) {
                        *g += v;
                    }
                }
            }
            total
        };
        let results: Vec<(f64, usize)> = if ranges.len() == 1 {
            vec![run(&mut ws.parts[0], ranges[0].clone())]
        } else {
            std::thread::scope(|s| {
                let handles: Vec<_> = ws
                    .parts
                    .iter_mut()
                    .zip(ranges.iter().cloned())
                    .map(|(part, r)| s.spawn(|| run(part, r)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or((f64::NAN, 0)))
                    .collect()
            })
        };
        grads.copy_from_slice(&ws.parts[0].grads);
        for part in &ws.parts[1..] {
            for (g, &v) in grads.iter_mut().zip(&part.grads) {
                *g += v;
            }
        }
        results
            .into_iter()
            .fold((0.0, 0), |(l, c), (pl, pc)| (l + pl, c + pc))
    }

    /// A part of a batch of `n_total`: its share of the mean loss and its gradient.
    fn part_loss_grad(
        &self,
        part: &mut Part,
        x: &[f32],
        labels: &[i64],
        n_total: usize,
        spont: &[f32],
    ) -> (f64, usize) {
        let _ftz = neurodyn_nn::kernels::FlushDenormals::new();
        let n = labels.len();
        let p = &self.protocol;
        let k = p.weights.len();
        let classes = self.net.n_classes();
        let share = n as f64 / n_total as f64;
        match p.ret {
            None => self.net.forward(
                &self.params,
                &mut part.ws,
                x,
                InitState::Shared(spont),
                n,
                p.steps,
                k,
            ),
            Some((steps, last, weight)) => {
                // The part's penalty is a mean over its images: its share of the batch's.
                let ret = ReturnPhase {
                    steps,
                    last,
                    weight: (weight * share) as f32,
                    baseline: spont,
                };
                self.net.forward_return(
                    &self.params,
                    &mut part.ws,
                    x,
                    InitState::Shared(spont),
                    n,
                    p.steps,
                    k,
                    ret,
                );
            }
        }
        part.d_logits.resize(k * n * classes, 0.0);
        part.d_step.resize(n * classes, 0.0);
        let mask = vec![1.0f32; n];
        let mut loss = f64::from(part.ws.return_penalty());
        for (i, &w) in p.weights.iter().enumerate() {
            let ce = Loss::CrossEntropy.value_grad(
                part.ws.logits(i),
                classes,
                LossTargets::Class(labels),
                &mask,
                &mut part.d_step,
            );
            loss += w * ce * share;
            let scale = (w * share) as f32;
            for (d, &g) in part.d_logits[i * n * classes..(i + 1) * n * classes]
                .iter_mut()
                .zip(&part.d_step)
            {
                *d = g * scale;
            }
        }
        let correct = count_correct(part.ws.logits(k - 1), labels, classes);
        part.chunk.resize(self.params.len(), 0.0);
        self.net.backward(
            &self.params,
            &mut part.ws,
            &part.d_logits,
            &mut part.chunk,
            None,
            None,
        );
        (loss, correct)
    }
}

/// Images whose largest logit is their label.
pub fn count_correct(logits: &[f32], labels: &[i64], classes: usize) -> usize {
    logits
        .chunks_exact(classes)
        .zip(labels)
        .filter(|(row, &c)| neurodyn_nn::layers::argmax(row) == c as usize)
        .count()
}
