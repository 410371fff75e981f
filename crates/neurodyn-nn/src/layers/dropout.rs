//! Dropout (Srivastava et al. 2014; `nn.Dropout(p)`), inverted: in training each element is
//! zeroed with probability `p` and the survivors scaled by `1/(1 − p)`, so evaluation (the
//! identity) needs no rescaling.
//!
//! ```text
//! training:    y_i = x_i · m_i,   m_i = keep(seed, i) / (1 − p)      ∂x_i = m_i ∂y_i
//! evaluation:  y = x,             ∂x = ∂y
//! ```
//!
//! The mask is not stored: `keep(seed, i)` is a counter-based hash of the pass's seed
//! ([`LayerCtx::seed`]) and the element's index in the batch, so the backward pass regenerates
//! it, the same seed gives the same mask, and the thread count cannot change it. PyTorch's masks
//! come from its own generator, so only the statistics can be compared with it.

use super::{check_lengths, numel, Layer, LayerCtx, Shape};
use crate::error::NnError;
use crate::real::Real;

/// Zero each element with probability `p` in training (scaling the rest by `1/(1 − p)`); the
/// identity in evaluation.
#[derive(Clone, Debug)]
pub struct Dropout {
    shape: Shape,
    p: f64,
}

impl Dropout {
    /// Over inputs of `shape`, dropping with probability `p` in `[0, 1)`.
    pub fn new(shape: Shape, p: f64) -> Result<Self, NnError> {
        if !(0.0..1.0).contains(&p) {
            return Err(NnError::Invalid(format!(
                "dropout: p = {p} is not a probability in [0, 1)"
            )));
        }
        Ok(Dropout { shape, p })
    }

    /// The probability of dropping an element.
    pub fn p(&self) -> f64 {
        self.p
    }

    /// The multiplier of each element of a training pass seeded `seed` (0 or `1/(1 − p)`),
    /// handed to `f` in order.
    fn for_mask<T: Real>(&self, seed: u64, n: usize, mut f: impl FnMut(usize, T)) {
        // keep iff hash ≥ p·2⁶⁴: probability 1 − p to within 2⁻⁶⁴, and p = 0 keeps all.
        let threshold = (self.p * 18_446_744_073_709_551_616.0) as u64;
        let scale = T::c(1.0 / (1.0 - self.p));
        let key = mix64(seed);
        for i in 0..n {
            let keep = mix64(key.wrapping_add((i as u64).wrapping_mul(GOLDEN))) >= threshold;
            f(i, if keep { scale } else { T::c(0.0) });
        }
    }
}

/// 2⁶⁴ / φ, the Weyl increment that spreads consecutive counters over the hash's input.
const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

/// A 64-bit mixing function (SplitMix64's output stage): a bijection whose output bits each
/// depend on every input bit.
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl<T: Real> Layer<T> for Dropout {
    fn kind(&self) -> &'static str {
        "dropout"
    }
    fn in_shape(&self) -> Shape {
        self.shape
    }
    fn out_shape(&self) -> Shape {
        self.shape
    }

    fn forward(&self, params: &[T], x: &[T], y: &mut [T], _scratch: &mut Vec<T>, ctx: LayerCtx) {
        let n = numel(self.shape);
        check_lengths("dropout", (n, n, 0), x, y, params, ctx.batch);
        if !ctx.training {
            y.copy_from_slice(x);
            return;
        }
        self.for_mask(ctx.seed, x.len(), |i, m: T| y[i] = x[i] * m);
    }

    fn backward(
        &self,
        params: &[T],
        x: &[T],
        y: &[T],
        dy: &[T],
        dx: Option<&mut [T]>,
        _d_params: &mut [T],
        _scratch: &mut Vec<T>,
        ctx: LayerCtx,
    ) {
        let n = numel(self.shape);
        check_lengths("dropout", (n, n, 0), x, y, params, ctx.batch);
        let Some(dx) = dx else { return };
        if !ctx.training {
            dx.copy_from_slice(dy);
            return;
        }
        self.for_mask(ctx.seed, dy.len(), |i, m: T| dx[i] = dy[i] * m);
    }
}
