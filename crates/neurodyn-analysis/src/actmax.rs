//! Activation maximisation: gradient ascent on a network's input to drive one unit, the
//! in-silico counterpart of stimulating a neuron with the image it likes most.
//!
//! ```text
//! J(x) = a(x) − λ₂ · mean(x²) − λ_tv · mean over neighbour pairs of (x_p − x_q)²
//! x ← clamp(x + lr · m̂ / (√v̂ + 1e-8), lower_c, upper_c)          Adam (β 0.9, 0.999) on ∂J/∂x
//! jitter j: at each step the image is shifted by (dy, dx) ∈ [−j, j]² (circularly), the gradient
//!           taken there and shifted back
//! ```
//!
//! `a(x)` comes from a [`Probe`]: anything that returns one value per sample and its gradient
//! with respect to the sample (a feed-forward network's hidden unit or channel, through the
//! network's own backward pass). Several starts run side by side as one batch; each start is
//! independent (the probe must not mix samples, e.g. no batch statistics). The bounds are per
//! channel, the valid pixel range in the network's input units. The value at every step (on the
//! jittered image the step used) is kept as a trace; `before` and `after` are the values on the
//! un-shifted start and end images.

use crate::error::{AnalysisError, Result};
use neurodyn_core::{Npz, Rng};
use serde::{Deserialize, Serialize};

/// A differentiable read-out of one unit: a batch of inputs in, one value per sample out.
pub trait Probe {
    /// Length of one input sample.
    fn input_len(&self) -> usize;
    /// The unit's value for each sample of `x` `(batch, input_len)` into `values` (`batch`
    /// long) and `∂value_i/∂x_i` into `grad` (the shape of `x`, overwritten).
    fn value_grad(&mut self, x: &[f32], batch: usize, values: &mut [f64], grad: &mut [f32]);
}

/// How to climb.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ActmaxConfig {
    /// `(C, H, W)` of one sample (for the smoothness penalty and the jitter).
    pub shape: [usize; 3],
    /// Adam steps.
    pub steps: usize,
    /// Adam step size, in input units.
    pub lr: f64,
    /// Weight of the mean squared input (pulls towards 0, the data mean after normalisation).
    pub l2: f64,
    /// Weight of the mean squared difference between neighbouring pixels (smooth images).
    pub tv: f64,
    /// Largest shift, in pixels, of the per-step jitter (0: none).
    pub jitter: usize,
    /// Lowest valid value per channel.
    pub lower: Vec<f64>,
    /// Highest valid value per channel.
    pub upper: Vec<f64>,
    /// Seed of the jitter.
    pub seed: u64,
}

/// What the climb gave, one row per start.
#[derive(Clone, Debug, Serialize)]
pub struct ActmaxResult {
    /// Starts.
    pub n_starts: usize,
    /// The unit's value on each start image.
    pub before: Vec<f64>,
    /// The unit's value on each final image.
    pub after: Vec<f64>,
    /// `(start, step)`: the value at each step, `steps` long.
    #[serde(skip)]
    pub trace: Vec<f64>,
    /// The start images `(start, input_len)`.
    #[serde(skip)]
    pub start_images: Vec<f32>,
    /// The final images `(start, input_len)`.
    #[serde(skip)]
    pub images: Vec<f32>,
}

impl ActmaxResult {
    /// `before`, `after`, `trace (start, step)`, `start_images` and `images` (`(start, C, H, W)`).
    pub fn to_npz(&self, shape: [usize; 3]) -> Result<Npz> {
        let s = self.n_starts;
        let mut z = Npz::new();
        z.f64("before", &[s], self.before.clone())?;
        z.f64("after", &[s], self.after.clone())?;
        let steps = self.trace.len() / s.max(1);
        z.f64("trace", &[s, steps], self.trace.clone())?;
        let dims = [s, shape[0], shape[1], shape[2]];
        z.f32("start_images", &dims, self.start_images.clone())?;
        z.f32("images", &dims, self.images.clone())?;
        Ok(z)
    }
}

fn check(cfg: &ActmaxConfig, len: usize, init: &[f32]) -> Result<usize> {
    let [c, h, w] = cfg.shape;
    if c * h * w != len || len == 0 {
        return Err(AnalysisError::shape(
            "actmax sample (C, H, W)",
            &[len],
            &cfg.shape,
        ));
    }
    if init.is_empty() || !init.len().is_multiple_of(len) {
        return Err(AnalysisError::shape(
            "actmax start images",
            &[init.len().div_ceil(len).max(1), len],
            &[init.len()],
        ));
    }
    if cfg.lower.len() != c || cfg.upper.len() != c {
        return Err(AnalysisError::config(
            "lower/upper",
            format!(
                "one bound per channel ({c}), got {} and {}",
                cfg.lower.len(),
                cfg.upper.len()
            ),
        ));
    }
    if cfg
        .lower
        .iter()
        .zip(&cfg.upper)
        .any(|(l, u)| l.partial_cmp(u) != Some(std::cmp::Ordering::Less))
    {
        return Err(AnalysisError::config(
            "lower/upper",
            "each lower bound must lie below its upper bound",
        ));
    }
    for (name, v) in [("lr", cfg.lr), ("l2", cfg.l2), ("tv", cfg.tv)] {
        if !v.is_finite() || v < 0.0 || (name == "lr" && v == 0.0) {
            return Err(AnalysisError::config(
                name,
                format!("must be a finite number ≥ 0 (lr > 0), got {v}"),
            ));
        }
    }
    if cfg.steps == 0 {
        return Err(AnalysisError::config("steps", "must be ≥ 1"));
    }
    if init.iter().any(|v| !v.is_finite()) {
        return Err(AnalysisError::config(
            "start images",
            "hold a NaN or an infinity",
        ));
    }
    Ok(init.len() / len)
}

/// Shift every `(C, H, W)` sample of `src` by `(dy, dx)` pixels, circularly, into `dst`.
fn roll(src: &[f32], dst: &mut [f32], [c, h, w]: [usize; 3], dy: isize, dx: isize) {
    let (hh, ww) = (h as isize, w as isize);
    for (s, d) in src.chunks_exact(h * w).zip(dst.chunks_exact_mut(h * w)) {
        for y in 0..h {
            let ty = (y as isize + dy).rem_euclid(hh) as usize;
            for x in 0..w {
                let tx = (x as isize + dx).rem_euclid(ww) as usize;
                d[ty * w + tx] = s[y * w + x];
            }
        }
    }
    debug_assert_eq!(src.len() % (c * h * w), 0);
}

/// Add `−∂P/∂x` of the penalties to `grad` for every sample of `x`.
fn penalty_grad(x: &[f32], grad: &mut [f32], cfg: &ActmaxConfig) {
    let [_, h, w] = cfg.shape;
    let n = (cfg.shape[0] * h * w) as f64;
    if cfg.l2 > 0.0 {
        let k = (2.0 * cfg.l2 / n) as f32;
        for (g, &v) in grad.iter_mut().zip(x) {
            *g -= k * v;
        }
    }
    if cfg.tv > 0.0 {
        let pairs = (cfg.shape[0] * (h * w.saturating_sub(1) + w * h.saturating_sub(1))).max(1);
        let k = (2.0 * cfg.tv / pairs as f64) as f32;
        for (xs, gs) in x.chunks_exact(h * w).zip(grad.chunks_exact_mut(h * w)) {
            for y in 0..h {
                for c in 0..w {
                    let p = y * w + c;
                    if c + 1 < w {
                        let d = k * (xs[p] - xs[p + 1]);
                        gs[p] -= d;
                        gs[p + 1] += d;
                    }
                    if y + 1 < h {
                        let d = k * (xs[p] - xs[p + w]);
                        gs[p] -= d;
                        gs[p + w] += d;
                    }
                }
            }
        }
    }
}

/// Climb from each start image in `init` (`(start, input_len)`, in the probe's input units).
pub fn maximize(probe: &mut dyn Probe, cfg: &ActmaxConfig, init: &[f32]) -> Result<ActmaxResult> {
    let len = probe.input_len();
    let s = check(cfg, len, init)?;
    let [c, h, w] = cfg.shape;
    let mut x = init.to_vec();
    for (v, ch) in x.iter_mut().zip((0..).map(|i| (i / (h * w)) % c)) {
        *v = v.clamp(cfg.lower[ch] as f32, cfg.upper[ch] as f32);
    }
    let start_images = x.clone();
    let mut values = vec![0.0; s];
    let mut grad = vec![0.0f32; x.len()];
    let mut shifted = vec![0.0f32; x.len()];
    let mut back = vec![0.0f32; x.len()];
    probe.value_grad(&x, s, &mut values, &mut grad);
    let before = values.clone();
    let (mut m, mut v) = (vec![0.0f64; x.len()], vec![0.0f64; x.len()]);
    let (b1, b2, eps) = (0.9f64, 0.999f64, 1e-8);
    let mut trace = vec![0.0; s * cfg.steps];
    let mut rng = Rng::new(cfg.seed);
    let j = cfg.jitter as isize;
    for step in 0..cfg.steps {
        let (dy, dx) = if j > 0 {
            let span = 2 * j as u64 + 1;
            (rng.below(span) as isize - j, rng.below(span) as isize - j)
        } else {
            (0, 0)
        };
        if j > 0 {
            roll(&x, &mut shifted, cfg.shape, dy, dx);
            probe.value_grad(&shifted, s, &mut values, &mut back);
            roll(&back, &mut grad, cfg.shape, -dy, -dx);
        } else {
            probe.value_grad(&x, s, &mut values, &mut grad);
        }
        for (i, &val) in values.iter().enumerate() {
            trace[i * cfg.steps + step] = val;
        }
        penalty_grad(&x, &mut grad, cfg);
        let t = (step + 1) as i32;
        let (c1, c2) = (1.0 - b1.powi(t), 1.0 - b2.powi(t));
        for (k, xv) in x.iter_mut().enumerate() {
            let g = f64::from(grad[k]);
            m[k] = b1 * m[k] + (1.0 - b1) * g;
            v[k] = b2 * v[k] + (1.0 - b2) * g * g;
            let step = cfg.lr * (m[k] / c1) / ((v[k] / c2).sqrt() + eps);
            let ch = (k / (h * w)) % c;
            *xv = (f64::from(*xv) + step).clamp(cfg.lower[ch], cfg.upper[ch]) as f32;
        }
    }
    probe.value_grad(&x, s, &mut values, &mut grad);
    Ok(ActmaxResult {
        n_starts: s,
        before,
        after: values,
        trace,
        start_images,
        images: x,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `a(x) = Σ w ⊙ x`: the maximum over a box lies at the bound each weight's sign picks.
    struct Linear(Vec<f32>);

    impl Probe for Linear {
        fn input_len(&self) -> usize {
            self.0.len()
        }
        fn value_grad(&mut self, x: &[f32], _: usize, values: &mut [f64], grad: &mut [f32]) {
            for ((xs, gs), v) in x
                .chunks_exact(self.0.len())
                .zip(grad.chunks_exact_mut(self.0.len()))
                .zip(values)
            {
                *v = xs.iter().zip(&self.0).map(|(a, b)| f64::from(a * b)).sum();
                gs.copy_from_slice(&self.0);
            }
        }
    }

    /// `a(x) = −Σ (x − c)²`: the maximum is `c` inside the box.
    struct Bowl(Vec<f32>);

    impl Probe for Bowl {
        fn input_len(&self) -> usize {
            self.0.len()
        }
        fn value_grad(&mut self, x: &[f32], _: usize, values: &mut [f64], grad: &mut [f32]) {
            for ((xs, gs), v) in x
                .chunks_exact(self.0.len())
                .zip(grad.chunks_exact_mut(self.0.len()))
                .zip(values)
            {
                *v = -xs
                    .iter()
                    .zip(&self.0)
                    .map(|(a, b)| f64::from((a - b) * (a - b)))
                    .sum::<f64>();
                for ((g, a), b) in gs.iter_mut().zip(xs).zip(&self.0) {
                    *g = -2.0 * (a - b);
                }
            }
        }
    }

    fn cfg(shape: [usize; 3]) -> ActmaxConfig {
        ActmaxConfig {
            shape,
            steps: 300,
            lr: 0.05,
            l2: 0.0,
            tv: 0.0,
            jitter: 0,
            lower: vec![-1.0; shape[0]],
            upper: vec![2.0; shape[0]],
            seed: 0,
        }
    }

    #[test]
    fn a_linear_unit_drives_every_pixel_to_the_bound_its_weight_picks() {
        let w: Vec<f32> = (0..12)
            .map(|i| {
                if i % 3 == 0 {
                    -0.5
                } else {
                    0.25 + i as f32 * 0.1
                }
            })
            .collect();
        let mut p = Linear(w.clone());
        let init = vec![0.5f32; 24];
        let r = maximize(&mut p, &cfg([1, 3, 4]), &init).unwrap();
        assert_eq!(r.n_starts, 2);
        for xs in r.images.chunks_exact(12) {
            for (x, wk) in xs.iter().zip(&w) {
                let want = if *wk < 0.0 { -1.0 } else { 2.0 };
                assert_eq!(*x, want);
            }
        }
        let best: f64 = w
            .iter()
            .map(|&wk| f64::from(wk) * if wk < 0.0 { -1.0 } else { 2.0 })
            .sum();
        assert!((r.after[0] - best).abs() < 1e-5 && r.after[0] > r.before[0]);
        assert_eq!(r.trace.len(), 2 * 300);
    }

    #[test]
    fn a_bowl_is_climbed_to_its_centre_and_penalties_pull_away_from_it() {
        let c: Vec<f32> = (0..16).map(|i| ((i * 7) % 5) as f32 * 0.3 - 0.5).collect();
        let init: Vec<f32> = (0..16).map(|i| (i % 4) as f32 * 0.1).collect();
        let mut cf = cfg([1, 4, 4]);
        cf.steps = 2000;
        cf.lr = 0.01;
        let r = maximize(&mut Bowl(c.clone()), &cf, &init).unwrap();
        for (x, want) in r.images.iter().zip(&c) {
            assert!((x - want).abs() < 1e-3, "{x} vs {want}");
        }
        // With an L2 penalty λ the optimum of −Σ(x−c)² − λ Σx²/n is c / (1 + λ/n).
        cf.l2 = 16.0;
        let r = maximize(&mut Bowl(c.clone()), &cf, &init).unwrap();
        for (x, want) in r.images.iter().zip(&c) {
            assert!((x - want / 2.0).abs() < 1e-3, "{x} vs {}", want / 2.0);
        }
        // A smoothness penalty shrinks the differences between neighbours.
        cf.l2 = 0.0;
        cf.tv = 24.0;
        let r = maximize(&mut Bowl(c.clone()), &cf, &init).unwrap();
        let rough = |x: &[f32]| -> f32 { x.windows(2).map(|p| (p[1] - p[0]).abs()).sum() };
        assert!(rough(&r.images) < 0.8 * rough(&c));
    }

    #[test]
    fn jitter_is_seeded_and_rolling_round_trips() {
        let shape = [2, 3, 5];
        let x: Vec<f32> = (0..30).map(|i| i as f32).collect();
        let (mut a, mut b) = (vec![0.0; 30], vec![0.0; 30]);
        roll(&x, &mut a, shape, 2, -3);
        assert_eq!(a[2 * 5], x[3]);
        roll(&a, &mut b, shape, -2, 3);
        assert_eq!(b, x);
        let mut cf = cfg([1, 4, 4]);
        cf.jitter = 2;
        cf.steps = 20;
        let c: Vec<f32> = (0..16).map(|i| i as f32 * 0.05).collect();
        let r1 = maximize(&mut Bowl(c.clone()), &cf, &[0.0; 16]).unwrap();
        let r2 = maximize(&mut Bowl(c.clone()), &cf, &[0.0; 16]).unwrap();
        assert_eq!(r1.images, r2.images);
        cf.seed = 1;
        let r3 = maximize(&mut Bowl(c), &cf, &[0.0; 16]).unwrap();
        assert_ne!(r1.images, r3.images);
    }

    #[test]
    fn bad_settings_are_refused_by_name() {
        let mut p = Linear(vec![1.0; 4]);
        let mut cf = cfg([1, 2, 2]);
        cf.lr = f64::NAN;
        assert!(maximize(&mut p, &cf, &[0.0; 4])
            .unwrap_err()
            .to_string()
            .contains("lr"));
        let cf = cfg([1, 3, 2]);
        assert!(maximize(&mut p, &cf, &[0.0; 4])
            .unwrap_err()
            .to_string()
            .contains("(C, H, W)"));
        let cf = cfg([1, 2, 2]);
        assert!(maximize(&mut p, &cf, &[0.0; 6])
            .unwrap_err()
            .to_string()
            .contains("start images"));
        assert!(maximize(&mut p, &cf, &[f32::NAN; 4])
            .unwrap_err()
            .to_string()
            .contains("NaN"));
    }
}
