//! `[model] weight_norm = true` of a `conv-ctrnn`: every weight (the stem's, each area's
//! feed-forward, recurrent and skip convolutions, the readout's) is trained as a direction `v`
//! and a length `g` per output channel, `W[o] = g[o] · v[o] / ‖v[o]‖`, as the reference
//! network's `torch.nn.utils.parametrizations.weight_norm` layers (dim 0) are. Biases stay as
//! they are.
//!
//! The network itself always runs on the effective weights: [`WnLayout::effective`] recomputes
//! them from the trained parameters before each pass, and [`WnLayout::grad`] turns the
//! gradient of the effective weights into that of `g` and `v`
//! ([`neurodyn_nn::layers::weight_norm`], the same formulas as the CNN's weight-normalised
//! layers). `model.safetensors` then holds `X.weight_g` (PyTorch's shape: `(out, 1, 1, 1)` for a
//! convolution, `(out, 1)` for the readout) and `X.weight_v` in place of `X.weight`. At the
//! start `v` is the plain network's weight and `g = ‖v‖` per row, so the initial function is the
//! plain one's.

use neurodyn_nn::layers::conv_ctrnn::TensorSpec;
use neurodyn_nn::layers::weight_norm::{backward, effective};
use neurodyn_nn::Real;
use std::ops::Range;

/// Where each effective tensor's trained parameters lie.
#[derive(Clone, Debug, PartialEq)]
pub struct WnLayout {
    slots: Vec<Slot>,
    raw_len: usize,
}

#[derive(Clone, Debug, PartialEq)]
struct Slot {
    /// The effective tensor.
    eff: TensorSpec,
    /// Its trained values: `g` (`rows`) then `v` for a weight, the tensor itself otherwise.
    raw: Range<usize>,
    /// Output rows of a normalised weight; 0 for a tensor kept as it is.
    rows: usize,
}

impl WnLayout {
    /// Normalise every tensor of `specs` (the network's, in order) whose name ends in `.weight`.
    pub fn new(specs: &[TensorSpec]) -> WnLayout {
        let mut at = 0;
        let slots = specs
            .iter()
            .map(|t| {
                let rows = if t.name.ends_with(".weight") {
                    t.shape[0]
                } else {
                    0
                };
                let len = rows + t.range.len();
                let s = Slot {
                    eff: t.clone(),
                    raw: at..at + len,
                    rows,
                };
                at += len;
                s
            })
            .collect();
        WnLayout { slots, raw_len: at }
    }

    /// Number of trained parameters.
    pub fn raw_len(&self) -> usize {
        self.raw_len
    }

    /// The trained tensors: name, PyTorch's shape, range in the trained parameters, and
    /// whether it is a weight's direction (what `[train] regularizers` may name as a weight).
    pub fn tensors(&self) -> Vec<(String, Vec<usize>, Range<usize>, bool)> {
        let mut out = Vec::new();
        for s in &self.slots {
            if s.rows == 0 {
                out.push((
                    s.eff.name.clone(),
                    s.eff.shape.clone(),
                    s.raw.clone(),
                    false,
                ));
                continue;
            }
            let mut g_shape = vec![1; s.eff.shape.len()];
            g_shape[0] = s.rows;
            out.push((
                format!("{}_g", s.eff.name),
                g_shape,
                s.raw.start..s.raw.start + s.rows,
                false,
            ));
            out.push((
                format!("{}_v", s.eff.name),
                s.eff.shape.clone(),
                s.raw.start + s.rows..s.raw.end,
                true,
            ));
        }
        out
    }

    /// The trained parameters that give the effective parameters `eff`: `v = W`, `g = ‖W[o]‖`.
    pub fn raw_from<T: Real>(&self, eff: &[T]) -> Vec<T> {
        let mut raw = vec![T::c(0.0); self.raw_len];
        for s in &self.slots {
            let w = &eff[s.eff.range.clone()];
            let r = &mut raw[s.raw.clone()];
            if s.rows == 0 {
                r.copy_from_slice(w);
                continue;
            }
            let len = w.len() / s.rows;
            let (g, v) = r.split_at_mut(s.rows);
            v.copy_from_slice(w);
            for (go, row) in g.iter_mut().zip(w.chunks_exact(len)) {
                *go = row.iter().fold(T::c(0.0), |a, &x| a + x * x).sqrt();
            }
        }
        raw
    }

    /// The effective parameters of the trained ones.
    pub fn effective<T: Real>(&self, raw: &[T], eff: &mut [T]) {
        for s in &self.slots {
            let (r, w) = (&raw[s.raw.clone()], &mut eff[s.eff.range.clone()]);
            if s.rows == 0 {
                w.copy_from_slice(r);
            } else {
                let (g, v) = r.split_at(s.rows);
                effective(g, v, w, v.len() / s.rows);
            }
        }
    }

    /// The gradient of the trained parameters `raw` from that of the effective ones.
    pub fn grad<T: Real>(&self, raw: &[T], d_eff: &[T], d_raw: &mut [T]) {
        for s in &self.slots {
            let (r, dr) = (&raw[s.raw.clone()], &mut d_raw[s.raw.clone()]);
            let de = &d_eff[s.eff.range.clone()];
            if s.rows == 0 {
                dr.copy_from_slice(de);
                continue;
            }
            let (g, v) = r.split_at(s.rows);
            let (dg, dv) = dr.split_at_mut(s.rows);
            dv.copy_from_slice(de);
            backward(g, v, dg, dv, v.len() / s.rows);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, shape: &[usize], at: usize) -> TensorSpec {
        let n: usize = shape.iter().product();
        TensorSpec {
            name: name.into(),
            shape: shape.to_vec(),
            range: at..at + n,
        }
    }

    fn layout() -> WnLayout {
        WnLayout::new(&[
            spec("stem.weight", &[3, 2, 2, 2], 0),
            spec("area0.bias", &[3, 2, 2], 24),
            spec("fc.weight", &[4, 3], 36),
            spec("fc.bias", &[4], 48),
        ])
    }

    #[test]
    fn names_shapes_and_the_start_keep_the_plain_function() {
        let l = layout();
        assert_eq!(l.raw_len(), 3 + 24 + 12 + 4 + 12 + 4);
        let t = l.tensors();
        let names: Vec<&str> = t.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(
            names,
            [
                "stem.weight_g",
                "stem.weight_v",
                "area0.bias",
                "fc.weight_g",
                "fc.weight_v",
                "fc.bias"
            ]
        );
        assert_eq!(t[0].1, [3, 1, 1, 1]);
        assert_eq!(t[3].1, [4, 1]);
        assert!(t[1].3 && t[4].3 && !t[0].3 && !t[2].3);
        let eff: Vec<f64> = (0..52).map(|i| ((i * 7 % 11) as f64 - 5.0) / 3.0).collect();
        let raw = l.raw_from(&eff);
        let mut back = vec![0.0; 52];
        l.effective(&raw, &mut back);
        for (a, b) in eff.iter().zip(&back) {
            assert!((a - b).abs() < 1e-14);
        }
    }

    #[test]
    fn the_gradient_of_g_and_v_matches_central_differences() {
        let l = layout();
        let eff0: Vec<f64> = (0..52).map(|i| ((i * 5 % 13) as f64 - 6.0) / 4.0).collect();
        let mut raw = l.raw_from(&eff0);
        // Lengths away from ‖v‖, so that g and v both matter.
        for (i, x) in raw.iter_mut().enumerate() {
            *x *= 1.0 + 0.1 * (i % 3) as f64;
        }
        let c: Vec<f64> = (0..52).map(|i| ((i * 3 % 7) as f64 - 3.0) / 2.0).collect();
        // L = Σ c_i W_i + ½ Σ W_i²: ∂L/∂W = c + W.
        let loss = |raw: &[f64]| {
            let mut w = vec![0.0; 52];
            l.effective(raw, &mut w);
            w.iter()
                .zip(&c)
                .map(|(w, c)| c * w + 0.5 * w * w)
                .sum::<f64>()
        };
        let mut w = vec![0.0; 52];
        l.effective(&raw, &mut w);
        let d_eff: Vec<f64> = w.iter().zip(&c).map(|(w, c)| c + w).collect();
        let mut d_raw = vec![0.0; l.raw_len()];
        l.grad(&raw, &d_eff, &mut d_raw);
        let h = 1e-6;
        for i in 0..raw.len() {
            let mut p = raw.clone();
            p[i] += h;
            let mut m = raw.clone();
            m[i] -= h;
            let fd = (loss(&p) - loss(&m)) / (2.0 * h);
            assert!(
                (fd - d_raw[i]).abs() < 1e-7 * (1.0 + fd.abs()),
                "parameter {i}: {fd} vs {}",
                d_raw[i]
            );
        }
    }
}
