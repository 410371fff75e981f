//! A feed-forward network: layers applied in order, parameters in one flat buffer (each layer's
//! tensors one after the other, in its [`Layer::params`] order), every layer's output kept for
//! the backward pass and for analyses of the representations.
//!
//! ```text
//! a_0 = x,  a_{l+1} = layer_l(a_l; θ_l)         logits = a_L
//! ∂a_L given (e.g. from the loss), then for l = L−1 … 0:  ∂θ_l, ∂a_l = layer_l.backward(∂a_{l+1})
//! ```
//!
//! Layers with state (batch norm's running statistics) keep it in a second flat buffer,
//! [`FeedForward::buffers`], which no gradient or optimizer touches. A pass copies it into its
//! workspace, so an evaluation or [`FeedForward::forward`] never changes the network;
//! [`FeedForward::forward_train`], the training step's pass, keeps the updated statistics.
//! Dropout's masks come from the pass's seed: layer `l` gets `mix(seed, l)`, and its backward
//! pass the same.

use super::dropout::mix64;
use super::{numel, Layer, LayerCtx, Shape};
use crate::error::NnError;
use crate::loss::{Loss, LossTargets};
use crate::real::Real;
use neurodyn_core::Rng;

/// Layers in order, with their parameters.
pub struct FeedForward<T: Real> {
    /// The layers, input first.
    pub layers: Vec<Box<dyn Layer<T>>>,
    /// All parameters, layer after layer.
    pub params: Vec<T>,
    offsets: Vec<usize>,
    /// All state buffers ([`Layer::buffers`]), layer after layer: not parameters.
    pub buffers: Vec<T>,
    buffer_offsets: Vec<usize>,
}

/// Buffers of one forward and backward pass, grown once and reused.
#[derive(Default)]
pub struct StackWorkspace<T> {
    /// `acts[l]`: the input of layer `l` (`acts[0]` the batch, the last the output), `(N, …)`.
    pub acts: Vec<Vec<T>>,
    /// `∂L/∂acts[l]` for `l ≥ 1`.
    grads: Vec<Vec<T>>,
    scratch: Vec<T>,
    /// Samples in the last pass.
    pub batch: usize,
    /// Threads of the last pass (the backward pass uses as many).
    threads: usize,
    /// Whether the last pass was in training mode (the backward pass follows it).
    training: bool,
    /// Seed of the dropout masks of a training pass (see [`FeedForward::forward_train`]).
    pub seed: u64,
    /// The buffers as the last pass left them.
    buffers: Vec<T>,
}

impl<T: Real> FeedForward<T> {
    /// Stack `layers` (each layer's input shape must be the previous one's output shape) and
    /// initialise their parameters from `rng`.
    pub fn new(layers: Vec<Box<dyn Layer<T>>>, rng: &mut Rng) -> Result<Self, NnError> {
        if layers.is_empty() {
            return Err(NnError::Shape(
                "a feed-forward network needs at least one layer".to_string(),
            ));
        }
        for (l, pair) in layers.windows(2).enumerate() {
            if pair[0].out_shape() != pair[1].in_shape() {
                return Err(NnError::Shape(format!(
                    "layer {} ({}) gives {:?} but layer {} ({}) takes {:?}",
                    l,
                    pair[0].kind(),
                    pair[0].out_shape(),
                    l + 1,
                    pair[1].kind(),
                    pair[1].in_shape()
                )));
            }
        }
        let mut offsets = vec![0];
        let mut params = Vec::new();
        let mut buffer_offsets = vec![0];
        let mut buffers = Vec::new();
        for layer in &layers {
            let p = layer.init_params(rng);
            assert_eq!(p.len(), layer.n_params(), "{}: init length", layer.kind());
            params.extend(p.into_iter().map(T::c));
            offsets.push(params.len());
            let b = layer.init_buffers();
            assert_eq!(
                b.len(),
                layer.n_buffers(),
                "{}: buffer length",
                layer.kind()
            );
            buffers.extend(b.into_iter().map(T::c));
            buffer_offsets.push(buffers.len());
        }
        Ok(FeedForward {
            layers,
            params,
            offsets,
            buffers,
            buffer_offsets,
        })
    }

    /// Shape of one input sample.
    pub fn in_shape(&self) -> Shape {
        self.layers[0].in_shape()
    }

    /// Shape of one output sample.
    pub fn out_shape(&self) -> Shape {
        self.layers[self.layers.len() - 1].out_shape()
    }

    /// The parameter range of layer `l`.
    pub fn param_range(&self, l: usize) -> std::ops::Range<usize> {
        self.offsets[l]..self.offsets[l + 1]
    }

    /// The buffer range of layer `l`.
    pub fn buffer_range(&self, l: usize) -> std::ops::Range<usize> {
        self.buffer_offsets[l]..self.buffer_offsets[l + 1]
    }

    /// The training step's pass: [`FeedForward::forward`] in training mode with dropout masks
    /// from `seed` (give each step its own), keeping the updated running statistics.
    pub fn forward_train<'w>(
        &mut self,
        ws: &'w mut StackWorkspace<T>,
        x: &[T],
        batch: usize,
        threads: usize,
        seed: u64,
    ) -> &'w [T] {
        ws.seed = seed;
        self.forward(ws, x, batch, true, threads);
        self.buffers.copy_from_slice(&ws.buffers);
        &ws.acts[self.layers.len()]
    }

    /// Run `x (N, in)`; every layer's input and the output stay in `ws.acts`. Returns the output.
    /// In training mode dropout masks come from `ws.seed` and batch norm uses the batch's
    /// statistics, whose running averages are updated in `ws` only (the network is not
    /// changed: [`FeedForward::forward_train`] keeps them); in evaluation dropout is the
    /// identity and batch norm uses the running statistics.
    pub fn forward<'w>(
        &self,
        ws: &'w mut StackWorkspace<T>,
        x: &[T],
        batch: usize,
        training: bool,
        threads: usize,
    ) -> &'w [T] {
        let _ftz = crate::kernels::FlushDenormals::new();
        let mut ctx = LayerCtx {
            batch,
            training,
            threads,
            seed: 0,
        };
        let n = self.layers.len();
        ws.acts.resize_with(n + 1, Vec::new);
        ws.batch = batch;
        ws.threads = threads;
        ws.training = training;
        ws.buffers.clear();
        ws.buffers.extend_from_slice(&self.buffers);
        assert_eq!(
            x.len(),
            batch * numel(self.in_shape()),
            "feed-forward input"
        );
        ws.acts[0].clear();
        ws.acts[0].extend_from_slice(x);
        for (l, layer) in self.layers.iter().enumerate() {
            let (done, rest) = ws.acts.split_at_mut(l + 1);
            let y = &mut rest[0];
            y.resize(batch * numel(layer.out_shape()), T::c(0.0));
            ctx.seed = layer_seed(ws.seed, l);
            layer.forward_buffered(
                &self.params[self.param_range(l)],
                &mut ws.buffers[self.buffer_range(l)],
                &done[l],
                y,
                &mut ws.scratch,
                ctx,
            );
        }
        &ws.acts[n]
    }

    /// Backpropagate `d_out = ∂L/∂output` through the last forward pass into `grads`
    /// (overwritten, the layout of `params`).
    pub fn backward(&self, ws: &mut StackWorkspace<T>, d_out: &[T], grads: &mut [T]) {
        self.backward_from(ws, self.layers.len() - 1, d_out, grads, None);
    }

    /// Backpropagate `d_top = ∂L/∂(output of layer top)` through layers `top, top − 1, …, 0` of
    /// the last forward pass: `∂L/∂θ` into `grads` (overwritten, the layout of `params`; zero
    /// for the layers above `top`) and, when asked, `∂L/∂x` into `d_input` (the batch's shape,
    /// overwritten). With `top` a hidden layer this is the gradient of a unit's activation
    /// with respect to the image, what activation maximisation climbs.
    pub fn backward_from(
        &self,
        ws: &mut StackWorkspace<T>,
        top: usize,
        d_top: &[T],
        grads: &mut [T],
        mut d_input: Option<&mut [T]>,
    ) {
        let _ftz = crate::kernels::FlushDenormals::new();
        let n = self.layers.len();
        let batch = ws.batch;
        assert!(
            top < n && ws.acts.len() == n + 1 && d_top.len() == ws.acts[top + 1].len(),
            "feed-forward backward without its forward pass (or a layer {top} of {n})"
        );
        assert_eq!(
            grads.len(),
            self.params.len(),
            "feed-forward gradient length"
        );
        if let Some(d) = d_input.as_deref() {
            assert_eq!(
                d.len(),
                ws.acts[0].len(),
                "feed-forward input gradient length"
            );
        }
        let mut ctx = LayerCtx {
            batch,
            training: ws.training,
            threads: ws.threads.max(1),
            seed: 0,
        };
        grads[self.offsets[top + 1]..]
            .iter_mut()
            .for_each(|g| *g = T::c(0.0));
        ws.grads.resize_with(n + 1, Vec::new);
        ws.grads[top + 1].clear();
        ws.grads[top + 1].extend_from_slice(d_top);
        for l in (0..=top).rev() {
            let layer = &self.layers[l];
            let (lower, upper) = ws.grads.split_at_mut(l + 1);
            let dx = if l > 0 {
                let d = &mut lower[l];
                d.resize(ws.acts[l].len(), T::c(0.0));
                Some(&mut d[..])
            } else {
                d_input.as_deref_mut()
            };
            let range = self.param_range(l);
            ctx.seed = layer_seed(ws.seed, l);
            layer.backward_buffered(
                &self.params[range.clone()],
                &ws.buffers[self.buffer_range(l)],
                &ws.acts[l],
                &ws.acts[l + 1],
                &upper[0],
                dx,
                &mut grads[range],
                &mut ws.scratch,
                ctx,
            );
        }
    }

    /// Mean cross-entropy of the outputs against `labels` (one class per sample), with its
    /// gradient to the output written into `d_out`; also the number of samples whose largest
    /// output is their label.
    pub fn cross_entropy(
        &self,
        ws: &StackWorkspace<T>,
        labels: &[i64],
        d_out: &mut Vec<T>,
    ) -> (f64, usize) {
        let out = &ws.acts[self.layers.len()];
        let k = numel(self.out_shape());
        d_out.resize(out.len(), T::c(0.0));
        let mask = vec![1.0f32; labels.len()];
        let loss = Loss::CrossEntropy.value_grad(out, k, LossTargets::Class(labels), &mask, d_out);
        let correct = out
            .chunks_exact(k)
            .zip(labels)
            .filter(|(row, &c)| argmax(row) == c as usize)
            .count();
        (loss, correct)
    }
}

/// The mask seed of layer `l` in a pass seeded `seed`.
fn layer_seed(seed: u64, l: usize) -> u64 {
    mix64(seed ^ mix64(l as u64 + 1))
}

/// Index of the largest value (the first of equals).
pub fn argmax<T: Real>(row: &[T]) -> usize {
    let mut best = 0;
    for (i, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = i;
        }
    }
    best
}
