//! The conv-ctrnn configuration of `neurodyn bench` (CRNN): the network of the default
//! `conv-ctrnn` recipe (`neurodyn train --task Mnist --model conv-ctrnn`; stem 16 channels 5×5
//! pad 2 + average pool 2, areas 16×14×14 and 32×7×7, readout `last`, α = dt/τ = 0.2) on a batch
//! of the recipe's size of random 1×28×28 images with random labels.
//!
//! One training step is what a training run does per batch: [`ConvRnnNet::loss_grad`] (the
//! spontaneous state under a blank image, batch of one, no gradient; the image phase from it;
//! the log-ramp cross-entropy of the last steps; BPTT through every step and convolution) and
//! one Adam update at the recipe's base learning rate. The references get the same numbers from
//! [`reference_spec`], so that a change of the recipe reaches both sides.
//!
//! FLOPs ([`step_flops`]), counted as for the CNN configurations (products only, 2 per
//! multiply-add, a convolution lowered by im2col: forward 2·N·C_out·C_in·k²·H·W, backward twice
//! that, the stem's once since the image needs no gradient), as the engine runs them:
//! - once per pass (the image does not change): the stem, `ff_0(s)` and `skip_0(s)`;
//! - every step: each area's recurrent convolution and, from area 1 on, its input convolution
//!   (and the 1×1 skips of odd areas ≥ 3);
//! - but at the first step, whose states are the spontaneous state shared by every image: the
//!   recurrent convolutions once per batch in the forward pass, and in the backward pass no
//!   ∂x into that state (the recurrent convolutions', and an area ≥ 2's input or skip
//!   convolution's where it only feeds the state);
//! - every read step: the readout's 2·C·classes;
//! - the spontaneous phase: the forward pass alone, batch of one, no read steps.
//!
//! The default recipe: 627,200 FLOPs per image in the stem, 903,168 in each of `ff_0`, `skip_0`
//! and `rec_0`, 451,584 in `ff_1`, 903,168 in `rec_1` (2,257,920 a step), 640 in the readout;
//! forward 34,499,200 per image over 15 steps and 5 reads (the first step's `rec_0` and `rec_1`,
//! 1,806,336, once per batch), backward 70,177,536; the spontaneous phase 47,591,936 (20 steps):
//! 6.75 GFLOP per step at batch 64.

use super::Config;
use neurodyn_core::Rng;
use neurodyn_nn::layers::numel;
use neurodyn_nn::{Optimizer, OptimizerConfig};
use neurodyn_train::vision::config::{StemConfig, VisionConfig};
use neurodyn_train::vision::conv_rnn::{self, ConvRnnNet, Protocol, Workspaces};
use std::time::Instant;

/// The default `conv-ctrnn` recipe with every model default filled in, and its protocol.
pub(super) fn recipe() -> (VisionConfig, Protocol) {
    let mut cfg = conv_rnn::recipe();
    let protocol = conv_rnn::resolve(&mut cfg.model).expect("the default conv-ctrnn resolves");
    (cfg, protocol)
}

/// Whether configuration `c` computes the recipe's 3×3 stride-1 convolutions by Winograd's
/// F(m×m, 3×3) (`CRNNW`, as the recipe trains by default) or every convolution by im2col
/// (`CRNN`, `winograd = false`); the same network and the same references.
pub(super) fn winograd(c: &Config) -> bool {
    c.name == "CRNNW"
}

/// `"; its 3×3 stride-1 convolutions by Winograd F(4×4, 3×3) on 14×14 and 7×7 maps (the
/// default)"` (each tile with the maps it takes), or, by im2col, `"; every convolution by
/// im2col (winograd = false)"`.
fn winograd_text(net: &neurodyn_nn::layers::ConvCtrnn) -> String {
    let maps = net.winograd_maps();
    if maps.is_empty() {
        return "; every convolution by im2col (winograd = false)".into();
    }
    // Each tile once, in the order first met.
    let mut tiles = Vec::new();
    for &(_, t) in &maps {
        if !tiles.contains(&t) {
            tiles.push(t);
        }
    }
    let each: Vec<String> = tiles
        .iter()
        .map(|&t| {
            let sizes: Vec<String> = maps
                .iter()
                .filter(|&&(_, u)| u == t)
                .map(|&((h, w), _)| format!("{h}×{w}"))
                .collect();
            format!("F({m}×{m}, 3×3) on {} maps", sizes.join(" and "), m = t.m())
        })
        .collect();
    format!(
        "; its 3×3 stride-1 convolutions by Winograd {} (the default)",
        each.join(", ")
    )
}

/// The recipe's network over `c`'s images (1×28×28, `c.n_out` classes), weights from `rng`.
fn network(c: &Config, rng: &mut Rng) -> (VisionConfig, ConvRnnNet) {
    let (mut cfg, protocol) = recipe();
    cfg.model.winograd = Some(winograd(c));
    let net = conv_rnn::build(&cfg.model, protocol, [1, 28, 28], c.n_out, rng)
        .expect("the default conv-ctrnn builds");
    (cfg, net)
}

/// The recipe's network, a batch of random images and labels, and the recipe's optimizer.
pub(super) struct ConvRnnEngine {
    net: ConvRnnNet,
    ws: Workspaces,
    opt: Optimizer,
    lr: f64,
    g: Vec<f32>,
    x: Vec<f32>,
    labels: Vec<i64>,
    threads: usize,
}

impl ConvRnnEngine {
    /// Build configuration `c` for `threads` threads (the batch cut into as many parts, as in
    /// training) and take three untimed steps.
    pub(super) fn new(c: &Config, threads: usize) -> ConvRnnEngine {
        let mut rng = Rng::new(0);
        let (cfg, net) = network(c, &mut rng);
        let x: Vec<f32> = (0..c.batch * c.n_in).map(|_| rng.normal() as f32).collect();
        let labels: Vec<i64> = (0..c.batch)
            .map(|_| rng.below(c.n_out as u64) as i64)
            .collect();
        let opt = Optimizer::new(cfg.train.optimizer.clone(), net.params.len());
        let g = vec![0.0f32; net.params.len()];
        let mut e = ConvRnnEngine {
            net,
            ws: Workspaces::default(),
            opt,
            lr: cfg.train.lr,
            g,
            x,
            labels,
            threads,
        };
        e.run(3);
        e
    }

    /// Time `k` training steps (`loss_grad` and the optimizer's update), in milliseconds.
    pub(super) fn run(&mut self, k: usize) -> Vec<f64> {
        (0..k)
            .map(|_| {
                let t0 = Instant::now();
                self.net.loss_grad(
                    &mut self.ws,
                    &self.x,
                    &self.labels,
                    self.threads,
                    &mut self.g,
                );
                self.opt.update(&mut self.net.params, &self.g, self.lr);
                t0.elapsed().as_secs_f64() * 1e3
            })
            .collect()
    }
}

/// What the references build (the `"crnn"` object of their JSON config): the recipe's stem
/// `[channels, kernel, stride, padding, pool]`, areas `[[channels, stride], …]`, α, step counts,
/// loss weights and learning rate. The references implement two areas and readout `last`, the
/// recipe's; a recipe that leaves them fails here rather than timing another network.
pub(super) fn reference_spec() -> serde_json::Value {
    use neurodyn_train::vision::config::ReadoutKind;
    let (cfg, p) = recipe();
    let m = &cfg.model;
    let (Some(s), Some(areas), Some(tau), Some(dt)) = (m.stem, m.areas.as_ref(), m.tau_ms, m.dt_ms)
    else {
        unreachable!("a resolved conv-ctrnn config has its stem, areas, tau and dt")
    };
    assert!(
        areas.len() == 2
            && m.readout == Some(ReadoutKind::Last)
            && cfg.train.optimizer == OptimizerConfig::default(),
        "the bench's references implement the default conv-ctrnn (two areas, readout `last`, Adam)"
    );
    serde_json::json!({
        "stem": [s.channels, s.kernel, s.stride, s.padding, s.pool],
        "areas": areas.iter().map(|a| [a.channels, a.stride]).collect::<Vec<_>>(),
        "alpha": dt / tau,
        "spont_steps": p.spont_steps,
        "steps": p.steps,
        "loss_weights": p.weights,
        "lr": cfg.train.lr,
    })
}

/// A short description of the recipe's network and protocol for the output line.
pub(super) fn describe(c: &Config) -> String {
    let (cfg, net) = network(c, &mut Rng::new(0));
    let s = cfg.model.stem.unwrap_or(conv_rnn::DEFAULT_STEM);
    let shapes: Vec<String> = net
        .net
        .area_shapes()
        .iter()
        .map(|a| format!("{}×{}×{}", a[0], a[1], a[2]))
        .collect();
    let p = &net.protocol;
    format!(
        "the default conv-ctrnn (stem {}@{}×{}, pool {}; areas {}) on 1×28×28 images, {} spontaneous + {} steps, loss over the last {}{}",
        s.channels,
        s.kernel,
        s.kernel,
        s.pool,
        shapes.join(", "),
        p.spont_steps,
        p.steps,
        p.weights.len(),
        winograd_text(&net.net)
    )
}

/// FLOPs of one image through the products of one pass (see the module's header).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct PassFlops {
    /// Once per pass: the stem, `ff_0` and `skip_0`, forward.
    pub(super) image: f64,
    /// The stem's share of `image` (its backward runs once, the others' twice).
    pub(super) stem: f64,
    /// Every step's forward products.
    pub(super) per_step: f64,
    /// Every read step's forward product.
    pub(super) per_read: f64,
    /// The recurrent convolutions' share of `per_step`: at the first step, once per batch.
    pub(super) rec: f64,
    /// The ∂x the backward pass skips at the first step (into the shared initial state).
    pub(super) first_dx: f64,
}

impl PassFlops {
    /// Count the network built from `stem` over `in_shape`.
    fn of(net: &ConvRnnNet, stem: &StemConfig, in_shape: [usize; 3]) -> PassFlops {
        let areas = net.net.area_shapes();
        let hw = |s: [usize; 3]| (s[1] * s[2]) as f64;
        // 2·C_out·C_in·k²·H·W for one image, H×W the output's.
        let conv = |c_out: usize, c_in: usize, k: usize, out_hw: f64| {
            2.0 * (c_out * c_in * k * k) as f64 * out_hw
        };
        let side = |n: usize| (n + 2 * stem.padding - stem.kernel) / stem.stride + 1;
        let stem_hw = (side(in_shape[1]) * side(in_shape[2])) as f64;
        let stem_f = conv(stem.channels, in_shape[0], stem.kernel, stem_hw);
        let a0 = areas[0];
        let mut image = stem_f + conv(a0[0], stem.channels, 3, hw(a0));
        if areas.len() > 1 {
            image += conv(a0[0], stem.channels, 3, hw(a0));
        }
        let (mut per_step, mut rec, mut first_dx) = (0.0, 0.0, 0.0);
        for (l, &a) in areas.iter().enumerate() {
            let r = conv(a[0], a[0], 3, hw(a));
            per_step += r;
            rec += r;
            first_dx += r;
            if l >= 1 {
                let ff = conv(a[0], areas[l - 1][0], 3, hw(a));
                per_step += ff;
                if l >= 3 && l % 2 == 1 {
                    // The skip's input ReLU(r_{l−2}) is a state; its ∂ff feeds the skip.
                    let skip = conv(areas[l - 1][0], areas[l - 2][0], 1, hw(areas[l - 1]));
                    per_step += skip;
                    first_dx += skip;
                } else if l >= 2 {
                    first_dx += ff;
                }
            }
        }
        let last = areas[areas.len() - 1];
        PassFlops {
            image,
            stem: stem_f,
            per_step,
            per_read: 2.0 * (last[0] * net.net.n_classes()) as f64,
            rec,
            first_dx,
        }
    }

    /// Forward FLOPs of one image over `steps` steps with `reads` read steps, every product
    /// counted per image.
    fn forward(&self, steps: usize, reads: usize) -> f64 {
        self.image + steps as f64 * self.per_step + reads as f64 * self.per_read
    }

    /// Backward FLOPs of one image: twice the forward but the stem's (which runs once) and the
    /// first step's ∂x into the initial state.
    fn backward(&self, steps: usize, reads: usize) -> f64 {
        2.0 * self.forward(steps, reads) - self.stem - self.first_dx
    }
}

/// FLOPs of one training step of configuration `c` at its batch: (per image forward, per image
/// backward, the spontaneous phase, the whole step). The first step's recurrent convolutions
/// run once per batch, not per image: they are in the step's total, not in the forward's.
pub(super) fn step_flops(c: &Config) -> (f64, f64, f64, f64) {
    let (cfg, net) = network(c, &mut Rng::new(0));
    let stem = cfg.model.stem.unwrap_or(conv_rnn::DEFAULT_STEM);
    let in_shape = [1, 28, 28];
    debug_assert_eq!(numel(in_shape), c.n_in);
    let f = PassFlops::of(&net, &stem, in_shape);
    let p = &net.protocol;
    let (steps, reads) = (p.steps, p.weights.len());
    let fwd = f.forward(steps, reads) - f.rec;
    let bwd = f.backward(steps, reads);
    let spont = if p.spont_steps == 0 {
        0.0
    } else {
        f.forward(p.spont_steps, 0)
    };
    (
        fwd,
        bwd,
        spont,
        c.batch as f64 * (fwd + bwd) + f.rec + spont,
    )
}

#[cfg(test)]
mod tests {
    use super::super::{Kind, CONFIGS};
    use super::*;

    fn crnn() -> &'static Config {
        CONFIGS
            .iter()
            .find(|c| c.kind == Kind::ConvRnn)
            .expect("a conv-ctrnn configuration")
    }

    /// The default recipe's network, counted by hand (see the module's header).
    #[test]
    fn conv_rnn_flops_match_the_hand_count() {
        let c = crnn();
        let stem = 2.0 * 16.0 * 25.0 * 784.0; // 627,200
        let c3 = |o: f64, i: f64, hw: f64| 2.0 * o * i * 9.0 * hw;
        let (ff0, skip0, rec0) = (c3(16., 16., 196.), c3(16., 16., 196.), c3(16., 16., 196.));
        let (ff1, rec1) = (c3(32., 16., 49.), c3(32., 32., 49.));
        assert_eq!(
            (ff0, ff1, rec1, rec0 + ff1 + rec1),
            (903_168.0, 451_584.0, 903_168.0, 2_257_920.0)
        );
        let all = stem + ff0 + skip0 + 15.0 * (rec0 + ff1 + rec1) + 5.0 * 2.0 * 32.0 * 10.0;
        // The first step's rec_0 and rec_1 once per batch; no ∂x into the initial state.
        let fwd = all - (rec0 + rec1);
        let bwd = stem + 2.0 * (all - stem) - (rec0 + rec1);
        let spont = stem + ff0 + skip0 + 20.0 * (rec0 + ff1 + rec1);
        assert_eq!(
            (fwd, bwd, spont),
            (34_499_200.0, 70_177_536.0, 47_591_936.0)
        );
        let total = 64.0 * (fwd + bwd) + (rec0 + rec1) + spont;
        assert_eq!(step_flops(c), (fwd, bwd, spont, total));
        assert_eq!(total, 6_748_709_376.0);
    }

    /// The configuration is the recipe's: its batch size, its images, what the references get.
    #[test]
    fn conv_rnn_config_is_the_recipes() {
        let c = crnn();
        let (cfg, p) = recipe();
        assert_eq!(c.batch, cfg.train.batch_size);
        assert_eq!((c.n_in, c.n_out, c.steps), (784, 10, p.steps));
        let spec = reference_spec();
        assert_eq!(spec["stem"], serde_json::json!([16, 5, 1, 2, 2]));
        assert_eq!(spec["areas"], serde_json::json!([[16, 1], [32, 2]]));
        assert_eq!(spec["alpha"].as_f64(), Some(0.2));
        assert_eq!(
            (spec["spont_steps"].as_u64(), spec["steps"].as_u64()),
            (Some(20), Some(15))
        );
        assert_eq!(spec["lr"].as_f64(), Some(3e-3));
        let w: Vec<f64> = serde_json::from_value(spec["loss_weights"].clone()).expect("weights");
        assert_eq!(w.len(), 5);
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12 && (w[4] / w[0] - 1e3).abs() < 1e-6);
    }
}
