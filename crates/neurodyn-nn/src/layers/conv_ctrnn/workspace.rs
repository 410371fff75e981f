//! The buffers of a [`ConvCtrnn`](super::ConvCtrnn) pass, grown on the first call and reused, the
//! initial state it starts from, and the element-wise steps the forward and backward passes
//! share.

use crate::layers::LayerCtx;
use crate::real::Real;

/// The state the image phase starts from.
#[derive(Clone, Copy, Debug)]
pub enum InitState<'a, T> {
    /// All rates zero.
    Zero,
    /// One state `(state_len)` for every sample (the spontaneous state, which is the same for
    /// all: the blank image does not depend on the sample).
    Shared(&'a [T]),
    /// One state per sample, `(batch, state_len)`.
    PerSample(&'a [T]),
}

/// Steps under the blank image after the image, and the penalty on the last of them (see
/// [`ConvCtrnn::forward_return`](super::ConvCtrnn::forward_return)).
#[derive(Clone, Copy, Debug)]
pub struct ReturnPhase<'a, T> {
    /// Blank steps after the image (≥ 1).
    pub steps: usize,
    /// The penalty covers the last `last` of them (`1 ≤ last ≤ steps`).
    pub last: usize,
    /// Its weight `w`.
    pub weight: T,
    /// The state to return to, `(state_len)`, one for the batch (the spontaneous state).
    pub baseline: &'a [T],
}

/// Buffers of one forward and backward pass of a [`ConvCtrnn`], grown once and reused.
#[derive(Default)]
pub struct ConvCtrnnWorkspace<T> {
    pub(crate) batch: usize,
    /// Every step of the pass (the image's and the blank ones after it).
    pub(crate) n_steps: usize,
    /// Steps with the image.
    pub(crate) n_image: usize,
    pub(crate) n_read: usize,
    /// The return phase's `(last, weight)`, if the pass had one.
    pub(crate) ret: Option<(usize, T)>,
    pub(crate) baseline: Vec<T>,
    pub(crate) penalty: T,
    /// Whether the last pass had a new image at every step.
    pub(crate) per_step: bool,
    pub(crate) image: Vec<T>,
    pub(crate) stem_pre: Vec<T>,
    pub(crate) stem: Vec<T>,
    /// `ff_0(s) + b_0`.
    pub(crate) ff0: Vec<T>,
    /// `skip_0(s)`.
    pub(crate) skip0: Vec<T>,
    /// Per area: states at steps 0..=T, `(T + 1, N, len)`.
    pub(crate) r: Vec<Vec<T>>,
    /// Per area: pre-activations at steps 1..=T, `(T, N, len)`.
    pub(crate) z: Vec<Vec<T>>,
    /// Per area `l ≥ 1`: the input of `ff_l` at steps 1..=T, `(T, N, in_len)`.
    pub(crate) inp: Vec<Vec<T>>,
    /// Per area: what its recurrent and (from area 1 on) its input convolution compute from
    /// their weights alone ([`crate::layers::Conv2d::prepare`]), once per pass instead of every
    /// step.
    pub(crate) pre_rec: Vec<Vec<T>>,
    pub(crate) pre_ff: Vec<Vec<T>>,
    pub(crate) tmp: Vec<T>,
    pub(crate) read_sum: Vec<T>,
    /// Pooled readout features of the read steps, `(n_read, N, C_L)`.
    pub(crate) feat: Vec<T>,
    /// Logits of the read steps, `(n_read, N, n_classes)`.
    pub(crate) logits: Vec<T>,
    pub(crate) scratch: Vec<T>,
    pub(crate) bwd: BackwardBuffers<T>,
}

impl<T: Real> ConvCtrnnWorkspace<T> {
    /// Logits of read step `k` (0 = the first read step, `n_read − 1` the last step),
    /// `(N, n_classes)`.
    pub fn logits(&self, k: usize) -> &[T] {
        let per = self.logits.len() / self.n_read.max(1);
        &self.logits[k * per..(k + 1) * per]
    }

    /// All read steps' logits, `(n_read, N, n_classes)`.
    pub fn all_logits(&self) -> &[T] {
        &self.logits
    }

    /// Area `l`'s state after step `t` (0 = the initial state), `(N, C, H, W)`.
    pub fn state(&self, l: usize, t: usize) -> &[T] {
        let per = self.r[l].len() / (self.n_steps + 1);
        &self.r[l][t * per..(t + 1) * per]
    }

    /// The stem's output `(N, C, H, W)` for the last pass's images.
    pub fn stem(&self) -> &[T] {
        &self.stem
    }

    /// Steps of the last pass (with a return phase: the image's and the blank ones).
    pub fn n_steps(&self) -> usize {
        self.n_steps
    }

    /// The return phase's penalty `P` of the last pass (0 without one).
    pub fn return_penalty(&self) -> T {
        match self.ret {
            Some(_) => self.penalty,
            None => T::c(0.0),
        }
    }
}

pub(crate) fn resize<T: Real>(v: &mut Vec<T>, len: usize) {
    v.resize(len, T::c(0.0));
}

pub(crate) fn ctx(batch: usize) -> LayerCtx {
    LayerCtx {
        batch,
        training: true,
        threads: 1,
        seed: 0,
    }
}

/// The backward pass's own buffers.
#[derive(Default)]
pub(crate) struct BackwardBuffers<T> {
    pub(crate) g: Vec<Vec<T>>,
    pub(crate) g_prev: Vec<Vec<T>>,
    pub(crate) dz: Vec<T>,
    pub(crate) d_in: Vec<T>,
    pub(crate) dx: Vec<T>,
    pub(crate) relu: Vec<T>,
    pub(crate) dp: Vec<T>,
    /// Per area: its recurrent and its input convolution's weight gradients, summed over the
    /// steps in each one's own layout ([`crate::layers::Conv2d::grad_acc_len`]).
    pub(crate) acc_rec: Vec<Vec<T>>,
    pub(crate) acc_ff: Vec<Vec<T>>,
    pub(crate) d_ff0: Vec<T>,
    pub(crate) d_skip0: Vec<T>,
    /// Area 0's pre-activation gradients summed over the blank steps after the image.
    pub(crate) d_b0_blank: Vec<T>,
    pub(crate) d_stem: Vec<T>,
    pub(crate) d_stem_pre: Vec<T>,
    pub(crate) d_feat: Vec<T>,
    pub(crate) d_sum: Vec<T>,
}
