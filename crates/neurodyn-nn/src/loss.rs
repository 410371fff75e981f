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
/// returns CE. Runs in the engine's precision: with `e_j = exp(y_j − max y)` and `p = e / Σe`,
/// the row's loss is `ln Σe − (y_c − max y)`, one `exp` per output and one `ln` per row; the
/// loss itself is summed in f64.
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
        let mut sum = T::c(0.0);
        for (d, &v) in dy.iter_mut().zip(row) {
            let e = (v - mx).exp();
            *d = e;
            sum += e;
        }
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
