//! The [`Timeline`] builder: typed period durations ([`Duration`]) sampled, floored to dt and laid
//! back to back into step ranges.
//!
//! Discretisation follows neurogym 2.3.1 (`core.py`, spec §1.1): a sampled duration `d` ms becomes
//! `floor(d / dt)` steps and periods follow each other, so period `k` covers
//! `[Σ_{j<k} n_j, Σ_{j≤k} n_j)`. neurogym lets a duration shorter than dt floor to 0 steps, so a short
//! cue silently disappears (ReadySetGo's 83 ms cues at dt = 100, MotorTiming's 50 ms set at dt = 80,
//! PulseDecisionMaking's 10 ms pulses at dt ≥ 20). With [`Compat::Default`] a period whose duration
//! is positive keeps **at least one step**; with [`Compat::Neurogym`] it floors to 0 as neurogym does.
//!
//! ```
//! use neurodyn_tasks::{Compat, Duration, Timeline};
//! use neurodyn_core::Rng;
//! let mut rng = Rng::new(0);
//! let mut tl = Timeline::new(100.0, Compat::Default);
//! tl.push("fixation", 300.0);
//! let cue = tl.push_sampled("cue", &Duration::Fixed(50.0), &mut rng);
//! assert_eq!(cue, 3..4); // kept at one step; Compat::Neurogym would give 3..3
//! ```

use crate::config::Compat;
use neurodyn_core::{Period, Rng};
use std::ops::Range;

/// How long a period lasts, in ms.
#[derive(Clone, Debug, PartialEq)]
pub enum Duration {
    /// Always this many ms.
    Fixed(f64),
    /// One of these values, uniformly.
    Choice(Vec<f64>),
    /// Uniform in `[lo, hi)`.
    Uniform {
        /// Lower bound (ms).
        lo: f64,
        /// Upper bound (ms).
        hi: f64,
    },
    /// Exponential with `mean`, redrawn until it falls in `[min, max)` (rejection sampling, not
    /// clipping, as neurogym's `trunc_exp`); `max` if `min >= max`.
    TruncExp {
        /// Mean of the untruncated exponential (ms).
        mean: f64,
        /// Lower bound, inclusive (ms).
        min: f64,
        /// Upper bound, exclusive (ms).
        max: f64,
    },
}

impl Duration {
    /// Draw one duration in ms.
    pub fn sample(&self, rng: &mut Rng) -> f64 {
        match self {
            Duration::Fixed(v) => *v,
            Duration::Choice(v) => {
                if v.is_empty() {
                    0.0
                } else {
                    *rng.choose(v)
                }
            }
            Duration::Uniform { lo, hi } => rng.uniform_range(*lo, *hi),
            Duration::TruncExp { mean, min, max } => {
                if min >= max {
                    return *max;
                }
                // Rejection sampling; the cap only guards against absurd user parameters (a
                // window far in the tail), where the midpoint is returned.
                for _ in 0..100_000 {
                    let x = rng.exponential(*mean);
                    if *min <= x && x < *max {
                        return x;
                    }
                }
                0.5 * (min + max)
            }
        }
    }

    /// The largest value this duration can take (ms).
    pub fn max_ms(&self) -> f64 {
        match self {
            Duration::Fixed(v) => *v,
            Duration::Choice(v) => v.iter().cloned().fold(0.0, f64::max),
            Duration::Uniform { hi, .. } => *hi,
            Duration::TruncExp { max, .. } => *max,
        }
    }
}

/// Periods laid back to back on a grid of `dt_ms`.
#[derive(Clone, Debug, PartialEq)]
pub struct Timeline {
    dt_ms: f64,
    compat: Compat,
    periods: Vec<Period>,
    ms: Vec<f64>,
}

impl Timeline {
    /// An empty timeline.
    pub fn new(dt_ms: f64, compat: Compat) -> Self {
        Timeline {
            dt_ms,
            compat,
            periods: Vec::with_capacity(8),
            ms: Vec::with_capacity(8),
        }
    }

    /// The step size in ms.
    pub fn dt_ms(&self) -> f64 {
        self.dt_ms
    }

    /// Steps for a duration of `ms`: floored to dt; at least 1 for a positive duration unless
    /// the compat mode is neurogym.
    pub fn steps_for(&self, ms: f64) -> usize {
        let k = (ms / self.dt_ms + 1e-9).floor().max(0.0) as usize;
        if k == 0 && ms > 0.0 && self.compat == Compat::Default {
            1
        } else {
            k
        }
    }

    /// Append a period of `ms` and return its step range.
    pub fn push(&mut self, name: &str, ms: f64) -> Range<usize> {
        let n = self.steps_for(ms);
        self.push_steps(name, n, ms)
    }

    /// Append a period of exactly `n` steps (`ms` is recorded as given).
    pub fn push_steps(&mut self, name: &str, n: usize, ms: f64) -> Range<usize> {
        let start = self.n_steps();
        self.periods.push(Period {
            name: name.to_string(),
            start,
            end: start + n,
        });
        self.ms.push(ms);
        start..start + n
    }

    /// Sample a duration, append the period, return its step range.
    pub fn push_sampled(&mut self, name: &str, d: &Duration, rng: &mut Rng) -> Range<usize> {
        let ms = d.sample(rng);
        self.push(name, ms)
    }

    /// Total steps so far.
    pub fn n_steps(&self) -> usize {
        self.periods.last().map_or(0, |p| p.end)
    }

    /// Step range of a period (an empty range at 0 if there is none of that name).
    pub fn range(&self, name: &str) -> Range<usize> {
        self.periods
            .iter()
            .find(|p| p.name == name)
            .map_or(0..0, |p| p.start..p.end)
    }

    /// The sampled duration of a period in ms, before flooring.
    pub fn sampled_ms(&self, name: &str) -> Option<f64> {
        self.periods
            .iter()
            .position(|p| p.name == name)
            .map(|i| self.ms[i])
    }

    /// The periods, tiling `0..n_steps` in order.
    pub fn periods(&self) -> &[Period] {
        &self.periods
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flooring_and_vanishing_cues() {
        let mut a = Timeline::new(20.0, Compat::Neurogym);
        assert_eq!(a.push("stimulus", 1150.0), 0..57);
        assert_eq!(a.push("cue", 10.0), 57..57);
        let mut b = Timeline::new(20.0, Compat::Default);
        b.push("stimulus", 1150.0);
        assert_eq!(b.push("cue", 10.0), 57..58);
        assert_eq!(b.push("none", 0.0), 58..58);
        assert_eq!(b.n_steps(), 58);
    }

    #[test]
    fn trunc_exp_rejects_not_clips() {
        let mut rng = Rng::new(1);
        let d = Duration::TruncExp {
            mean: 600.0,
            min: 300.0,
            max: 3000.0,
        };
        let xs: Vec<f64> = (0..20_000).map(|_| d.sample(&mut rng)).collect();
        assert!(xs.iter().all(|&x| (300.0..3000.0).contains(&x)));
        // Memoryless: the mean of an exponential truncated at [a, b) is a + mean − tail term.
        let m = xs.iter().sum::<f64>() / xs.len() as f64;
        let (a, b, mu) = (300.0f64, 3000.0f64, 600.0f64);
        let expect = a + mu - (b - a) * (-(b - a) / mu).exp() / (1.0 - (-(b - a) / mu).exp());
        assert!((m - expect).abs() < 10.0, "{m} vs {expect}");
        let at_max = Duration::TruncExp {
            mean: 1.0,
            min: 5.0,
            max: 5.0,
        };
        assert_eq!(at_max.sample(&mut rng), 5.0);
    }
}
