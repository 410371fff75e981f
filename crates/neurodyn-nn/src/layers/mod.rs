//! Feed-forward layers: the vision half of the engine (CNNs and MLPs, the convolutional front
//! ends of multi-area networks).
//!
//! Every layer maps a batch of `(C, H, W)` tensors (row-major, sample after sample: PyTorch's
//! NCHW) to another, with a hand-derived backward to its input and its parameters, checked by
//! central differences in f64 (`tests/layers.rs`) and against PyTorch
//! (`tests/golden/nn/make_layers_golden.py`). A feature vector of `n` is the shape `(n, 1, 1)`.
//!
//! ```text
//! forward:   y = layer(x; θ)                      x (N, C, H, W) → y (N, C', H', W')
//! backward:  ∂L/∂θ = Σ_n (∂y/∂θ)ᵀ ∂L/∂y,   ∂L/∂x = (∂y/∂x)ᵀ ∂L/∂y
//! ```
//!
//! | layer | file | parameters (PyTorch's layout) |
//! |---|---|---|
//! | [`Linear`] | `linear.rs` | `weight (out, in)`, `bias (out)` |
//! | [`Conv2d`] | `conv2d.rs` | `weight (out, in, kh, kw)`, `bias (out)` |
//! | [`Pool2d`] (max / average), [`GlobalAvgPool`] | `pool.rs` | none |
//! | [`Act`] (any [`crate::Activation`]), [`Flatten`] | `pointwise.rs` | none |
//! | [`Dropout`] (training only, seeded masks) | `dropout.rs` | none |
//! | [`BatchNorm`] (1-d over features, 2-d over channels) | `batch_norm.rs` | `weight (C)`, `bias (C)`; buffers `running_mean (C)`, `running_var (C)`, `num_batches_tracked (1)` |
//! | [`WeightNorm`] of a [`Linear`] or [`Conv2d`] | `weight_norm.rs` | `weight_g (out)`, `weight_v` (the weight's shape), `bias (out)` |
//!
//! Parameters get gradients and optimizer updates; *buffers* ([`Layer::buffers`]: batch norm's
//! running statistics) are state the forward pass keeps, updated in training and read in
//! evaluation, never differentiated. [`LayerCtx::training`] switches dropout and batch norm
//! between their two modes; [`LayerCtx::seed`] fixes dropout's masks.
//!
//! [`ConvCtrnn`] (`conv_ctrnn/`) is the recurrent one: a continuous-time convolutional RNN
//! (CordsNet) built from these layers, with its own time loop and backpropagation through time.
//!
//! [`FeedForward`] (`stack.rs`) runs layers in order over one flat parameter buffer (and one of
//! buffers) and keeps every layer's output (what the representation analyses read).
//!
//! Products go through [`crate::linalg::gemm`] (the engine's kernel for f32 where the CPU has
//! one, faer otherwise); a convolution is lowered onto it by im2col, a chunk of samples side by
//! side, into a scratch buffer the caller keeps between calls (no allocation once it has grown).
//! Parameters are initialised as PyTorch does by default: U(−1/√fan_in, 1/√fan_in).

mod batch_norm;
mod conv2d;
pub mod conv_ctrnn;
mod dropout;
mod linear;
mod pointwise;
mod pool;
mod stack;
pub mod weight_norm;

pub use batch_norm::BatchNorm;
pub use conv2d::{Conv2d, WinogradTile};
pub use conv_ctrnn::{
    AreaSpec, ConvCtrnn, ConvCtrnnWorkspace, InitState, Readout, ReturnPhase, StemSpec, StepMap,
};
pub use dropout::Dropout;
pub use linear::Linear;
pub use pointwise::{Act, Flatten};
pub use pool::{GlobalAvgPool, Pool2d, PoolKind};
pub use stack::{argmax, FeedForward, StackWorkspace};
pub use weight_norm::{WeightNorm, Weighted};

use crate::real::Real;
use neurodyn_core::Rng;

/// The shape of one sample: `(channels, height, width)`.
pub type Shape = [usize; 3];

/// Elements of one sample of `shape`.
pub fn numel(shape: Shape) -> usize {
    shape[0] * shape[1] * shape[2]
}

/// What a layer's forward and backward pass is told besides its tensors.
#[derive(Clone, Copy, Debug)]
pub struct LayerCtx {
    /// Samples in the batch.
    pub batch: usize,
    /// Training (dropout and batch statistics act) or evaluation.
    pub training: bool,
    /// Threads a product may use.
    pub threads: usize,
    /// Seed of the pass's random masks (dropout, training only): the mask of element `i` is a
    /// function of `(seed, i)`, so the backward pass regenerates it and no thread count changes
    /// it. [`FeedForward`] gives each layer its own, derived from the pass's seed and the
    /// layer's index.
    pub seed: u64,
}

/// A feed-forward layer with its hand-derived backward pass. Parameters live outside the layer
/// (one flat buffer per network, each layer reading its slice), so that optimizers, checkpoints
/// and gradient checks treat a CNN like any other network.
pub trait Layer<T: Real>: Send + Sync {
    /// The kind, as configs name it (`"conv2d"`).
    fn kind(&self) -> &'static str;
    /// Shape of one input sample.
    fn in_shape(&self) -> Shape;
    /// Shape of one output sample.
    fn out_shape(&self) -> Shape;
    /// Parameter tensors in order, with their lengths (empty for a layer without parameters).
    fn params(&self) -> Vec<(&'static str, usize)> {
        Vec::new()
    }
    /// Number of parameters (the sum of [`Layer::params`]).
    fn n_params(&self) -> usize {
        self.params().iter().map(|p| p.1).sum()
    }
    /// Initial parameters, PyTorch's default where it has one.
    fn init_params(&self, _rng: &mut Rng) -> Vec<f64> {
        Vec::new()
    }
    /// State buffers in order, with their lengths: values a layer keeps between passes that are
    /// not parameters (no gradient; optimizers never see them), such as batch norm's running
    /// statistics. Empty for most layers.
    fn buffers(&self) -> Vec<(&'static str, usize)> {
        Vec::new()
    }
    /// Number of buffer values (the sum of [`Layer::buffers`]).
    fn n_buffers(&self) -> usize {
        self.buffers().iter().map(|b| b.1).sum()
    }
    /// Initial buffers (PyTorch's).
    fn init_buffers(&self) -> Vec<f64> {
        Vec::new()
    }
    /// `y (N, out) = layer(x (N, in))`; `scratch` is working space the layer may grow.
    fn forward(&self, params: &[T], x: &[T], y: &mut [T], scratch: &mut Vec<T>, ctx: LayerCtx);
    /// Given `dy = ∂L/∂y`, write `∂L/∂θ` into `d_params` (overwritten) and, when asked,
    /// `∂L/∂x` into `dx` (overwritten). `x` and `y` are the forward pass's.
    #[allow(clippy::too_many_arguments)]
    fn backward(
        &self,
        params: &[T],
        x: &[T],
        y: &[T],
        dy: &[T],
        dx: Option<&mut [T]>,
        d_params: &mut [T],
        scratch: &mut Vec<T>,
        ctx: LayerCtx,
    );
    /// [`Layer::forward`] of a layer with state buffers: evaluation reads them, training may
    /// update them (batch norm's running statistics). A layer without buffers need not
    /// implement it; [`FeedForward`] always calls this one.
    fn forward_buffered(
        &self,
        params: &[T],
        _buffers: &mut [T],
        x: &[T],
        y: &mut [T],
        scratch: &mut Vec<T>,
        ctx: LayerCtx,
    ) {
        self.forward(params, x, y, scratch, ctx);
    }
    /// [`Layer::backward`] of a layer with state buffers, given the buffers as its forward pass
    /// left them (in evaluation, the ones it read; a training pass's backward must not need the
    /// values before its update: batch norm's uses the batch statistics).
    #[allow(clippy::too_many_arguments)]
    fn backward_buffered(
        &self,
        params: &[T],
        _buffers: &[T],
        x: &[T],
        y: &[T],
        dy: &[T],
        dx: Option<&mut [T]>,
        d_params: &mut [T],
        scratch: &mut Vec<T>,
        ctx: LayerCtx,
    ) {
        self.backward(params, x, y, dy, dx, d_params, scratch, ctx);
    }
}

/// Check the lengths of a layer call's buffers (programmer errors, so a panic with a message).
pub(crate) fn check_lengths<T>(
    kind: &str,
    (in_len, out_len, n_params): (usize, usize, usize),
    x: &[T],
    y: &[T],
    params: &[T],
    batch: usize,
) {
    assert!(
        x.len() == batch * in_len && y.len() == batch * out_len && params.len() == n_params,
        "{kind}: x {} (want {}), y {} (want {}), params {} (want {n_params})",
        x.len(),
        batch * in_len,
        y.len(),
        batch * out_len,
        params.len()
    );
}

/// Grow `scratch` to at least `len` (once; kept between calls).
pub(crate) fn grow<T: Real>(scratch: &mut Vec<T>, len: usize) {
    if scratch.len() < len {
        scratch.resize(len, T::c(0.0));
    }
}

/// PyTorch's default initialisation of a weight and its bias: both U(−b, b), b = 1/√fan_in.
pub(crate) fn torch_default(
    n_weight: usize,
    n_bias: usize,
    fan_in: usize,
    rng: &mut Rng,
) -> Vec<f64> {
    let b = 1.0 / (fan_in.max(1) as f64).sqrt();
    (0..n_weight + n_bias)
        .map(|_| rng.uniform_range(-b, b))
        .collect()
}
