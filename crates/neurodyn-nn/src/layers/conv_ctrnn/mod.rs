//! A continuous-time convolutional RNN (Soo, Battista, Wang & Wong 2024, CordsNet: seed 002):
//! areas whose state is a `(C, H, W)` map of rates, each leaking towards a rectified sum of a
//! recurrent 3×3 convolution of itself, a per-unit bias and a convolution of its input.
//!
//! ```text
//! stem    s   = avgpool(conv_stem(x))                          (no bias: a blank image gives 0)
//! area l  r_l ← (1 − α) r_l + α ReLU(rec_l(r_l) + b_l + ff_l(in_l)),   α = dt/τ
//! inputs  in_0 = s
//!         in_1 = ReLU(r_0) + skip_0(s)                          skip_0: 3×3, pad 1, area 0's stride
//!         in_l = ReLU(r_{l−1}) + ReLU(r_{l−2})                  l ≥ 2 even (two maps of one shape)
//!         in_l = ReLU(r_{l−1}) + skip_l(ReLU(r_{l−2}))          l ≥ 3 odd; skip_l: 1×1, area l−1's stride
//! readout logits = fc(GAP(ReLU(r_L) + ReLU(r_{L−1})))             `Readout::LastTwo`
//!         logits = fc(GAP(ReLU(r_L)))                             `Readout::Last`
//! ```
//!
//! `rec_l` is 3×3 with padding 1 and no bias; `ff_l` is 3×3, padding 1, stride `s_l` (area l's
//! `stride`), no bias; `b_l` has one value per unit (`C·H·W`). Every area reads the states of the
//! previous step (the reference code updates the areas from the last to the first, in place).
//! The stem is a function of the image alone, so for a static image it is computed once per
//! pass, and so are `ff_0(s)` and `skip_0(s)`.
//!
//! Protocol: the network first settles to its spontaneous state under a blank (zero) image
//! ([`ConvCtrnn::spontaneous`], no gradient, as the reference's `torch.no_grad`), then sees the
//! image for `n_steps` steps from that state; the logits are read at the last `n_read` steps
//! and the loss weights them (by [`log_ramp`] in training). [`ConvCtrnn::forward_return`] adds
//! blank steps after the image and a penalty on the distance of the last of them from the
//! spontaneous state (activity should return to rest once the image is gone). Backpropagation runs through time
//! and through every convolution ([`ConvCtrnn::backward`]); the convolutions, pools and the
//! readout are the engine's own [`Conv2d`], [`Pool2d`], [`GlobalAvgPool`] and [`Linear`].
//!
//! [`StepMap`] is the one-step map under a static image with its Jacobian-vector products, for
//! matrix-free spectra and Newton–Krylov fixed points.
//!
//! Parameters live in one flat buffer, tensor after tensor in [`ConvCtrnn::tensors`] order:
//! `stem.weight`, then per area (`stem_skip.weight` first for area 1) `area{l}.ff.weight`,
//! `area{l}.rec.weight`, `area{l}.bias` and, for odd `l ≥ 3`, `area{l}.skip.weight`, then
//! `fc.weight`, `fc.bias`; PyTorch's shapes. Initialisation: PyTorch's default for the
//! convolutions and the readout, zero biases `b_l` (as the reference). The reference's weight
//! normalisation is not used.

mod backward;
mod forward;
mod jacobian;
mod pointwise;
mod workspace;

pub use jacobian::StepMap;
pub use workspace::{ConvCtrnnWorkspace, InitState, ReturnPhase};

use super::{numel, Conv2d, GlobalAvgPool, Layer, Linear, Pool2d, Shape, WinogradTile};
use crate::error::NnError;
use crate::real::Real;
use neurodyn_core::Rng;

/// The stem: a convolution of the image without bias, then an average pool of window
/// `pool_window`, stride `pool` and `pool_padding` zeros on each side (none when both are 1; the
/// reference's `AvgPool2d(3, 2, 1)` is window 3, stride 2, padding 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StemSpec {
    /// Output channels.
    pub channels: usize,
    /// Square kernel side.
    pub kernel: usize,
    /// Stride.
    pub stride: usize,
    /// Zero padding on each side.
    pub padding: usize,
    /// Average-pool stride (1 with a window of 1: no pool).
    pub pool: usize,
    /// Average-pool window (usually `pool`).
    pub pool_window: usize,
    /// Zeros on each side before pooling, counted in the mean (at most half the window).
    pub pool_padding: usize,
}

/// One area: its channels and the stride of its feed-forward convolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AreaSpec {
    /// Channels of the area's state.
    pub channels: usize,
    /// Stride of the 3×3 convolution of the area's input (2 halves the map).
    pub stride: usize,
}

/// What the readout pools.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Readout {
    /// `ReLU(r_L)` alone.
    Last,
    /// `ReLU(r_L) + ReLU(r_{L−1})` (the reference); the two areas must have one shape.
    LastTwo,
}

/// A parameter tensor: its name, its PyTorch shape and its range in the flat buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorSpec {
    /// `stem.weight`, `area0.rec.weight`, `fc.bias`, ….
    pub name: String,
    /// PyTorch's shape.
    pub shape: Vec<usize>,
    /// Where the values lie in the flat parameter buffer.
    pub range: std::ops::Range<usize>,
}

/// One area's layers and where their parameters lie.
#[derive(Clone, Debug)]
pub(crate) struct Area {
    pub(crate) shape: Shape,
    pub(crate) ff: Conv2d,
    pub(crate) rec: Conv2d,
    /// For odd `l ≥ 3`: the 1×1 convolution of `ReLU(r_{l−2})`.
    pub(crate) skip: Option<Conv2d>,
    pub(crate) ff_at: std::ops::Range<usize>,
    pub(crate) rec_at: std::ops::Range<usize>,
    pub(crate) bias_at: std::ops::Range<usize>,
    pub(crate) skip_at: std::ops::Range<usize>,
}

/// A built convolutional CTRNN; its invariants (shapes that chain) hold once [`ConvCtrnn::new`]
/// returns.
#[derive(Clone, Debug)]
pub struct ConvCtrnn {
    in_shape: Shape,
    alpha: f64,
    readout: Readout,
    n_classes: usize,
    pub(crate) stem: Conv2d,
    pub(crate) pool: Option<Pool2d>,
    pub(crate) stem_shape: Shape,
    pub(crate) stem_at: std::ops::Range<usize>,
    /// `skip_0` (two areas or more).
    pub(crate) stem_skip: Option<(Conv2d, std::ops::Range<usize>)>,
    pub(crate) areas: Vec<Area>,
    pub(crate) gap: GlobalAvgPool,
    pub(crate) fc: Linear,
    pub(crate) fc_at: std::ops::Range<usize>,
    tensors: Vec<TensorSpec>,
}

fn conv(
    in_shape: Shape,
    c_out: usize,
    k: usize,
    stride: usize,
    pad: usize,
) -> Result<Conv2d, NnError> {
    Conv2d::new(
        in_shape,
        c_out,
        (k, k),
        (stride, stride),
        (pad, pad),
        (1, 1),
        false,
    )
}

fn out_shape(c: &Conv2d) -> Shape {
    Layer::<f64>::out_shape(c)
}

fn n_params(c: &Conv2d) -> usize {
    Layer::<f64>::n_params(c)
}

impl ConvCtrnn {
    /// Compute every 3×3 stride-1 convolution (each area's recurrent one, a stride-1 area's
    /// input and `skip_0`) by Winograd's F(m×m, 3×3) when `on` ([`Conv2d::with_winograd`]: the
    /// tile chosen for each map, F(4×4) on the recipe's 14×14 and 7×7): about 3 times fewer
    /// multiply-adds; the same function, its f32 sums rounded otherwise.
    pub fn with_winograd(self, on: bool) -> Self {
        self.map_convs(|c| c.with_winograd(on))
    }

    /// Compute every 3×3 stride-1 convolution by Winograd with `tile` (`None`: by im2col).
    pub fn with_winograd_tile(self, tile: Option<WinogradTile>) -> Self {
        self.map_convs(|c| c.with_winograd_tile(tile))
    }

    /// Each area's recurrent and input convolutions and `skip_0` through `f`.
    fn map_convs(mut self, f: impl Fn(Conv2d) -> Conv2d) -> Self {
        for a in &mut self.areas {
            a.rec = f(a.rec.clone());
            a.ff = f(a.ff.clone());
        }
        if let Some((c, _)) = &mut self.stem_skip {
            *c = f(c.clone());
        }
        self
    }

    /// The Winograd tile of each output map size among the convolutions that use one, in the
    /// order first met (`skip_0`, then area by area: input, recurrent), `(H, W)` once each.
    pub fn winograd_maps(&self) -> Vec<((usize, usize), WinogradTile)> {
        let convs = self.stem_skip.iter().map(|(c, _)| c);
        let convs = convs.chain(self.areas.iter().flat_map(|a| [&a.ff, &a.rec]));
        let mut out: Vec<((usize, usize), WinogradTile)> = Vec::new();
        for c in convs {
            if let Some(tile) = c.winograd_tile() {
                let [_, h, w] = out_shape(c);
                if !out.iter().any(|&(hw, _)| hw == (h, w)) {
                    out.push(((h, w), tile));
                }
            }
        }
        out
    }

    /// Whether any convolution computes by Winograd's F(m×m, 3×3).
    pub fn uses_winograd(&self) -> bool {
        self.areas.iter().any(|a| a.rec.uses_winograd())
    }

    /// A network over images of `in_shape` with `stem`, `areas` (at least one), `readout` into
    /// `n_classes` logits, and leak `alpha = dt/τ` in (0, 1]. Errors name the part that does not
    /// fit and the shapes involved.
    pub fn new(
        in_shape: Shape,
        stem: StemSpec,
        areas: &[AreaSpec],
        readout: Readout,
        n_classes: usize,
        alpha: f64,
    ) -> Result<Self, NnError> {
        if areas.is_empty() {
            return Err(NnError::Invalid(
                "conv-ctrnn: needs at least one area".into(),
            ));
        }
        if !(alpha > 0.0 && alpha <= 1.0) {
            return Err(NnError::Invalid(format!(
                "conv-ctrnn: alpha = dt/tau must be in (0, 1], got {alpha}"
            )));
        }
        if n_classes == 0 || stem.pool == 0 || stem.pool_window == 0 {
            return Err(NnError::Invalid(format!(
                "conv-ctrnn: n_classes ({n_classes}) and the stem's pool stride ({}) and window \
                 ({}) must be ≥ 1",
                stem.pool, stem.pool_window
            )));
        }
        let mut tensors = Vec::new();
        let mut at = 0usize;
        let mut take = |name: String, shape: Vec<usize>| {
            let len: usize = shape.iter().product();
            let range = at..at + len;
            at += len;
            tensors.push(TensorSpec {
                name,
                shape,
                range: range.clone(),
            });
            range
        };
        let named = |what: &str, e: NnError| NnError::Invalid(format!("conv-ctrnn {what}: {e}"));
        let stem_conv = conv(
            in_shape,
            stem.channels,
            stem.kernel,
            stem.stride,
            stem.padding,
        )
        .map_err(|e| named("stem", e))?;
        let stem_at = take(
            "stem.weight".into(),
            vec![stem.channels, in_shape[0], stem.kernel, stem.kernel],
        );
        let (pool, stem_shape) = if stem.pool > 1 || stem.pool_window > 1 {
            let p = Pool2d::avg_padded(
                out_shape(&stem_conv),
                stem.pool_window,
                stem.pool,
                stem.pool_padding,
            )
            .map_err(|e| named("stem pool", e))?;
            let s = Layer::<f64>::out_shape(&p);
            (Some(p), s)
        } else {
            (None, out_shape(&stem_conv))
        };
        let mut built: Vec<Area> = Vec::with_capacity(areas.len());
        let mut stem_skip = None;
        for (l, a) in areas.iter().enumerate() {
            let what = format!("area {l}");
            if a.channels == 0 || a.stride == 0 {
                return Err(NnError::Invalid(format!(
                    "conv-ctrnn {what}: channels ({}) and stride ({}) must be ≥ 1",
                    a.channels, a.stride
                )));
            }
            let in_shape_l = match l {
                0 => stem_shape,
                _ => built[l - 1].shape,
            };
            if l == 1 {
                let s0 = &areas[0];
                let c = conv(stem_shape, s0.channels, 3, s0.stride, 1)
                    .map_err(|e| named("stem skip", e))?;
                let r = take(
                    "stem_skip.weight".into(),
                    vec![s0.channels, stem_shape[0], 3, 3],
                );
                stem_skip = Some((c, r));
            }
            if l >= 2 && l % 2 == 0 && built[l - 1].shape != built[l - 2].shape {
                return Err(NnError::Shape(format!(
                    "conv-ctrnn {what} sums the rates of areas {} {:?} and {} {:?}, which must \
                     have one shape (C, H, W): give area {} stride 1 and area {}'s channels",
                    l - 1,
                    built[l - 1].shape,
                    l - 2,
                    built[l - 2].shape,
                    l - 1,
                    l - 2
                )));
            }
            let ff = conv(in_shape_l, a.channels, 3, a.stride, 1).map_err(|e| named(&what, e))?;
            let shape = out_shape(&ff);
            let rec = conv(shape, a.channels, 3, 1, 1).map_err(|e| named(&what, e))?;
            let ff_at = take(
                format!("area{l}.ff.weight"),
                vec![a.channels, in_shape_l[0], 3, 3],
            );
            let rec_at = take(
                format!("area{l}.rec.weight"),
                vec![a.channels, a.channels, 3, 3],
            );
            let bias_at = take(format!("area{l}.bias"), shape.to_vec());
            let (skip, skip_at) = if l >= 3 && l % 2 == 1 {
                let (from, to, s) = (built[l - 2].shape, built[l - 1].shape, areas[l - 1].stride);
                let c = conv(from, to[0], 1, s, 0).map_err(|e| named(&what, e))?;
                if out_shape(&c) != to {
                    return Err(NnError::Shape(format!(
                        "conv-ctrnn {what}: the 1×1 skip of area {} {from:?} with stride {s} \
                         gives {:?}, but area {} is {to:?}",
                        l - 2,
                        out_shape(&c),
                        l - 1
                    )));
                }
                let r = take(format!("area{l}.skip.weight"), vec![to[0], from[0], 1, 1]);
                (Some(c), r)
            } else {
                (None, 0..0)
            };
            built.push(Area {
                shape,
                ff,
                rec,
                skip,
                ff_at,
                rec_at,
                bias_at,
                skip_at,
            });
        }
        let last = built[built.len() - 1].shape;
        if readout == Readout::LastTwo {
            let n = built.len();
            if n < 2 || built[n - 2].shape != last {
                return Err(NnError::Shape(format!(
                    "conv-ctrnn readout `last-two` sums the last two areas, which need one shape; \
                     the areas are {:?} (use readout `last`)",
                    built.iter().map(|a| a.shape).collect::<Vec<_>>()
                )));
            }
        }
        let gap = GlobalAvgPool::new(last);
        let fc = Linear::new([last[0], 1, 1], n_classes, true);
        let fc_w = take("fc.weight".into(), vec![n_classes, last[0]]);
        let fc_b = take("fc.bias".into(), vec![n_classes]);
        Ok(ConvCtrnn {
            in_shape,
            alpha,
            readout,
            n_classes,
            stem: stem_conv,
            pool,
            stem_shape,
            stem_at,
            stem_skip,
            areas: built,
            gap,
            fc,
            fc_at: fc_w.start..fc_b.end,
            tensors,
        })
    }

    /// Shape of one image.
    pub fn in_shape(&self) -> Shape {
        self.in_shape
    }

    /// Shape of the stem's output.
    pub fn stem_shape(&self) -> Shape {
        self.stem_shape
    }

    /// Shape of each area's state, first area first.
    pub fn area_shapes(&self) -> Vec<Shape> {
        self.areas.iter().map(|a| a.shape).collect()
    }

    /// Values of one sample's full state: every area's map, first area first.
    pub fn state_len(&self) -> usize {
        self.areas.iter().map(|a| numel(a.shape)).sum()
    }

    /// [`Conv2d::prepare`] of `params` into `ws` for the convolutions that run at every step:
    /// each area's recurrent one and, from area 1 on, its input one (area 0's input convolution
    /// reads the stem, once a pass; its `pre_ff` stays empty).
    pub(crate) fn prepare<T: Real>(&self, params: &[T], ws: &mut ConvCtrnnWorkspace<T>) {
        ws.pre_rec.resize_with(self.areas.len(), Vec::new);
        ws.pre_ff.resize_with(self.areas.len(), Vec::new);
        for (l, a) in self.areas.iter().enumerate() {
            a.rec.prepare(
                &params[a.rec_at.clone()],
                &mut ws.pre_rec[l],
                &mut ws.scratch,
            );
            if l > 0 {
                a.ff.prepare(&params[a.ff_at.clone()], &mut ws.pre_ff[l], &mut ws.scratch);
            }
        }
    }

    /// Values one sample's pass of `n_steps` steps keeps for the backward pass: every step's
    /// states (and the initial one), pre-activations and area inputs. A training step that
    /// sizes its chunks of samples by this keeps their pass in cache.
    pub fn stored_len(&self, n_steps: usize) -> usize {
        let inputs: usize = self.areas[1..]
            .iter()
            .map(|a| numel(Layer::<f32>::in_shape(&a.ff)))
            .sum();
        (2 * n_steps + 1) * self.state_len() + n_steps * inputs
    }

    /// Logits per sample.
    pub fn n_classes(&self) -> usize {
        self.n_classes
    }

    /// The leak α = dt/τ.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// What the readout pools.
    pub fn readout(&self) -> Readout {
        self.readout
    }

    /// Every parameter tensor, in the order of the flat buffer.
    pub fn tensors(&self) -> &[TensorSpec] {
        &self.tensors
    }

    /// Length of the flat parameter buffer.
    pub fn n_params(&self) -> usize {
        self.tensors.last().map_or(0, |t| t.range.end)
    }

    /// Initial parameters: PyTorch's default uniform for every convolution and the readout
    /// (in [`ConvCtrnn::tensors`] order), zeros for the per-unit biases.
    pub fn init_params(&self, rng: &mut Rng) -> Vec<f64> {
        let mut p = vec![0.0; self.n_params()];
        for t in &self.tensors {
            if t.name.ends_with(".bias") && t.name.starts_with("area") {
                continue;
            }
            // fc.bias shares fc.weight's fan-in; every other tensor is a weight.
            let fan_in = if t.name == "fc.bias" {
                self.areas[self.areas.len() - 1].shape[0]
            } else {
                t.shape[1..].iter().product()
            };
            let b = 1.0 / (fan_in.max(1) as f64).sqrt();
            for v in &mut p[t.range.clone()] {
                *v = rng.uniform_range(-b, b);
            }
        }
        p
    }

    /// Where each area starts in a sample's state, and (last) the state's length:
    /// `areas + 1` offsets, area `l` at `off[l]..off[l + 1]`.
    pub fn area_offsets(&self) -> Vec<usize> {
        let mut off = vec![0];
        for a in &self.areas {
            off.push(off[off.len() - 1] + numel(a.shape));
        }
        off
    }
}

/// Loss weights of the last `k` steps on a logarithmic ramp over `decades` decades, summing to 1:
/// `w_i ∝ 10^(−decades·(k−1−i)/(k−1))` (the reference's `logspace(−3, 0, 30)` is `decades = 3`,
/// `k = 30`, there divided by 30 instead of normalised). One step gets weight 1.
pub fn log_ramp(k: usize, decades: f64) -> Vec<f64> {
    if k <= 1 {
        return vec![1.0; k];
    }
    let raw: Vec<f64> = (0..k)
        .map(|i| 10f64.powf(-decades * (k - 1 - i) as f64 / (k - 1) as f64))
        .collect();
    let s: f64 = raw.iter().sum();
    raw.into_iter().map(|v| v / s).collect()
}

/// Number of parameters of a convolution (no bias), for the workspace's temporary gradients.
pub(crate) fn conv_len(c: &Conv2d) -> usize {
    n_params(c)
}
