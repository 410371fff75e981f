//! Losses over the readout `Y (N, n_out)` (N = T·B rows, time-major) with per-row mask weights.
//!
//! - Cross-entropy: `L = Σ_n m_n w_{c_n} CE_n / Σ_n m_n w_{c_n}` with `CE_n = −log softmax(y_n)[c_n]`
//!   and optional class weights `w_c` (PyTorch's weighted mean when m ∈ {0, 1}). Class weights
//!   from label frequencies are `w_c = N / (K · count_c)` ([`class_weights_from_counts`]).
//! - MSE: `L = Σ_n m_n ‖y_n − t_n‖² / (n_out · Σ_n m_n)`.
//! - Mutual information (the batch plug-in estimator): with `p_n = softmax(y_n)`, the joint
//!   distribution of true class c and predicted class k over the masked batch is
//!   `J_ck = Σ_n m_n [c_n = c] p_nk / Σ_n m_n`; `I = Σ_ck J_ck log(J_ck / (P_c Q_k))` with its
//!   marginals P, Q. The loss is `λ_ce · CE − I`: maximising I alone is blind to which output
//!   stands for which class, so a cross-entropy term (λ_ce = 1 by default) keeps the labels anchored.
//!   The gradient is exact for this estimator: `∂I/∂p_nk = m_n (log J_{c_n k} − log Q_k) / Σ m`.

use crate::real::Real;
use serde::{Deserialize, Serialize};

/// Targets for a loss, aligned row by row with `Y`.
#[derive(Clone, Copy, Debug)]
pub enum LossTargets<'a> {
    /// One class index per row.
    Class(&'a [i64]),
    /// One `n_out` vector per row.
    Continuous(&'a [f32]),
}

impl<'a> LossTargets<'a> {
    /// View the targets of a batch or window.
    pub fn of(t: &'a neurodyn_core::BatchTargets) -> Self {
        match t {
            neurodyn_core::BatchTargets::Class(c) => LossTargets::Class(c),
            neurodyn_core::BatchTargets::Continuous(v) => LossTargets::Continuous(v),
        }
    }
}

/// Which loss.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Loss {
    /// Masked (optionally class-weighted) cross-entropy.
    #[default]
    CrossEntropy,
    /// Cross-entropy with class weights (`w_c` per class; see module docs for the frequency rule).
    /// An empty list asks the trainer to set them from the label frequencies of the task's
    /// training data (`neurodyn_train` counts the masked steps of sampled batches).
    WeightedCrossEntropy {
        /// One weight per class (empty: from label frequencies).
        #[serde(default)]
        weights: Vec<f64>,
    },
    /// Mean squared error.
    Mse,
    /// `λ_ce · CE − I(label; prediction)`.
    MutualInformation {
        /// Weight of the cross-entropy term.
        #[serde(default = "one")]
        ce_weight: f64,
    },
}

fn one() -> f64 {
    1.0
}

/// Class weights `N / (K · count_c)` from label counts (classes never seen get weight 0).
pub fn class_weights_from_counts(counts: &[u64]) -> Vec<f64> {
    let n: u64 = counts.iter().sum();
    let k = counts.iter().filter(|&&c| c > 0).count().max(1);
    counts
        .iter()
        .map(|&c| {
            if c == 0 {
                0.0
            } else {
                n as f64 / (k as f64 * c as f64)
            }
        })
        .collect()
}

fn softmax_row<T: Real>(y: &[T], p: &mut [f64]) {
    let mx = y.iter().fold(f64::NEG_INFINITY, |a, v| a.max(v.f()));
    let mut s = 0.0;
    for (pi, v) in p.iter_mut().zip(y) {
        *pi = (v.f() - mx).exp();
        s += *pi;
    }
    p.iter_mut().for_each(|v| *v /= s);
}

impl Loss {
    /// Loss value and `∂L/∂Y` (written to `d_y`, same shape as `y`).
    pub fn value_grad<T: Real>(
        &self,
        y: &[T],
        n_out: usize,
        targets: LossTargets<'_>,
        mask: &[f32],
        d_y: &mut [T],
    ) -> f64 {
        assert_eq!(y.len(), mask.len() * n_out, "loss: y must be (N, n_out)");
        assert_eq!(d_y.len(), y.len(), "loss: d_y must be (N, n_out)");
        // Cross-entropy writes every row of d_y; the other terms add to zeros.
        let zero = |d_y: &mut [T]| d_y.iter_mut().for_each(|v| *v = T::c(0.0));
        match (self, targets) {
            (Loss::Mse, LossTargets::Continuous(t)) => {
                zero(d_y);
                mse(y, n_out, t, mask, d_y)
            }
            (Loss::CrossEntropy, LossTargets::Class(c)) => {
                cross_entropy(y, n_out, c, mask, None, 1.0, d_y)
            }
            (Loss::WeightedCrossEntropy { weights }, LossTargets::Class(c)) => {
                cross_entropy(y, n_out, c, mask, Some(weights), 1.0, d_y)
            }
            (Loss::MutualInformation { ce_weight }, LossTargets::Class(c)) => {
                let ce = if *ce_weight != 0.0 {
                    cross_entropy(y, n_out, c, mask, None, *ce_weight, d_y)
                } else {
                    zero(d_y);
                    0.0
                };
                ce * ce_weight - mutual_information(y, n_out, c, mask, d_y)
            }
            (l, LossTargets::Class(_)) => panic!("loss {l:?} needs continuous targets"),
            (l, LossTargets::Continuous(_)) => panic!("loss {l:?} needs class targets"),
        }
    }

    /// Whether the loss takes class targets.
    pub fn is_categorical(&self) -> bool {
        !matches!(self, Loss::Mse)
    }
}

fn mse<T: Real>(y: &[T], o: usize, t: &[f32], mask: &[f32], d_y: &mut [T]) -> f64 {
    let msum: f64 = mask.iter().map(|&v| v as f64).sum();
    if msum <= 0.0 {
        return 0.0;
    }
    let norm = 1.0 / (msum * o as f64);
    let mut l = 0.0;
    for (n, &mw) in mask.iter().enumerate() {
        if mw == 0.0 {
            continue;
        }
        for j in 0..o {
            let e = y[n * o + j].f() - t[n * o + j] as f64;
            l += mw as f64 * e * e;
            d_y[n * o + j] = T::c(2.0 * mw as f64 * e * norm);
        }
    }
    l * norm
}

/// Writes `scale ·` ∂CE/∂Y into every row of `d_y` (zeros where the row's weight is 0) and
/// returns CE. Runs in the engine's precision, in three passes over `d_y`: `y_j − max y` per row,
/// the exponentials of all of them at once ([`exp_all`], vectorised for f32), then per row
/// `p = e / Σe` and the loss `ln Σe − (y_c − max y)` (summed in f64).
fn cross_entropy<T: Real>(
    y: &[T],
    o: usize,
    c: &[i64],
    mask: &[f32],
    weights: Option<&Vec<f64>>,
    scale: f64,
    d_y: &mut [T],
) -> f64 {
    let w = |k: usize| weights.map_or(1.0, |w| w.get(k).copied().unwrap_or(0.0));
    let denom: f64 = mask
        .iter()
        .zip(c)
        .map(|(&mw, &k)| mw as f64 * w(k as usize))
        .sum();
    for (row, dy) in y.chunks_exact(o).zip(d_y.chunks_exact_mut(o)) {
        let mx = row.iter().fold(row[0], |a, &v| a.max(v));
        for (d, &v) in dy.iter_mut().zip(row) {
            *d = v - mx;
        }
    }
    exp_all(d_y);
    let mut l = 0.0;
    for ((row, dy), (&mw, &k)) in y
        .chunks_exact(o)
        .zip(d_y.chunks_exact_mut(o))
        .zip(mask.iter().zip(c))
    {
        let wn = mw as f64 * w(k as usize);
        if wn == 0.0 || denom <= 0.0 {
            dy.iter_mut().for_each(|d| *d = T::c(0.0));
            continue;
        }
        let k = k as usize;
        let mx = row.iter().fold(row[0], |a, &v| a.max(v));
        let sum = dy.iter().fold(T::c(0.0), |a, &e| a + e);
        l += wn * (sum.ln() - (row[k] - mx)).f();
        let g = T::c(scale * wn / denom);
        let gs = g / sum;
        for d in dy.iter_mut() {
            *d *= gs;
        }
        dy[k] -= g;
    }
    if denom <= 0.0 {
        0.0
    } else {
        l / denom
    }
}

/// `v ← e^v` over a buffer: for f32 with [`exp_f32`] in one vectorised pass, otherwise with the
/// precision's own `exp` (f64 keeps libm's, for the gradient checks).
fn exp_all<T: Real>(v: &mut [T]) {
    match T::as_f32_mut(v) {
        Some(v32) => crate::kernels::vectorized(ExpAll(v32)),
        None => v.iter_mut().for_each(|x| *x = x.exp()),
    }
}

/// The pass of [`exp_all`] for f32.
struct ExpAll<'a>(&'a mut [f32]);

impl crate::kernels::Pointwise for ExpAll<'_> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        for x in self.0.iter_mut() {
            *x = exp_f32(*x);
        }
    }
}

/// e^x in f32 to about one ulp, branch-free so that a loop of it vectorises (libm's `expf` is a
/// call per value): x = n ln 2 + r with |r| ≤ ln 2 / 2, e^r by Cephes' degree-6 polynomial, 2^n
/// written into the exponent bits. Inputs are clamped to [−87.3, 88.7] (results stay normal).
#[inline(always)]
fn exp_f32(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Adding 1.5·2^23 rounds to an integer, which then sits in the low mantissa bits.
    const SHIFT: f32 = 12_582_912.0;
    let x = x.clamp(-87.3, 88.7);
    let t = x * LOG2E + SHIFT;
    let n = t - SHIFT;
    let r = x - n * LN2_HI - n * LN2_LO;
    let p = ((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 1.666_666_5e-1)
        * r
        + 0.5;
    let e_r = p * r * r + r + 1.0;
    let n_int = (t.to_bits() as i32) - (SHIFT.to_bits() as i32);
    e_r * f32::from_bits(((n_int + 127) << 23) as u32)
}

fn mutual_information<T: Real>(y: &[T], o: usize, c: &[i64], mask: &[f32], d_y: &mut [T]) -> f64 {
    let msum: f64 = mask.iter().map(|&v| v as f64).sum();
    if msum <= 0.0 {
        return 0.0;
    }
    let n_rows = mask.len();
    let mut probs = vec![0.0; n_rows * o];
    let mut joint = vec![0.0; o * o];
    for n in 0..n_rows {
        if mask[n] == 0.0 {
            continue;
        }
        softmax_row(&y[n * o..(n + 1) * o], &mut probs[n * o..(n + 1) * o]);
        let cn = c[n] as usize;
        for k in 0..o {
            joint[cn * o + k] += mask[n] as f64 * probs[n * o + k] / msum;
        }
    }
    let pc: Vec<f64> = (0..o)
        .map(|a| joint[a * o..(a + 1) * o].iter().sum())
        .collect();
    let qk: Vec<f64> = (0..o)
        .map(|k| (0..o).map(|a| joint[a * o + k]).sum())
        .collect();
    let tiny = 1e-300;
    let mut mi = 0.0;
    for a in 0..o {
        for k in 0..o {
            let j = joint[a * o + k];
            if j > 0.0 {
                mi += j * (j / (pc[a] * qk[k]).max(tiny)).ln();
            }
        }
    }
    // ∂(−I)/∂y through the softmax.
    let mut g = vec![0.0; o];
    for n in 0..n_rows {
        if mask[n] == 0.0 {
            continue;
        }
        let cn = c[n] as usize;
        let p = &probs[n * o..(n + 1) * o];
        for k in 0..o {
            g[k] =
                mask[n] as f64 * ((joint[cn * o + k].max(tiny)).ln() - qk[k].max(tiny).ln()) / msum;
        }
        let dot: f64 = (0..o).map(|k| p[k] * g[k]).sum();
        for j in 0..o {
            d_y[n * o + j] += T::c(-p[j] * (g[j] - dot));
        }
    }
    mi
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vectorisable exp against f64's over the range the softmax uses and beyond.
    #[test]
    fn exp_f32_is_within_two_ulp() {
        let mut worst = 0.0f64;
        for i in 0..=200_000 {
            let x = -87.0 + 175.0 * i as f64 / 200_000.0;
            let got = exp_f32(x as f32) as f64;
            let want = (x as f32 as f64).exp();
            let ulp = (want as f32).to_bits().abs_diff((got as f32).to_bits());
            worst = worst.max(ulp as f64);
        }
        assert!(worst <= 2.0, "worst error {worst} ulp");
        assert_eq!(exp_f32(0.0), 1.0);
        assert!(exp_f32(f32::NAN).is_nan());
    }
}
