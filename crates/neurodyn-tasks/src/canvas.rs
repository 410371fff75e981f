//! [`Canvas`]: the scratch trial a task renders into (neurogym's `add_ob` / `add_randn` /
//! `set_groundtruth`), turned into a [`Trial`] with its loss mask by [`Canvas::finish`].
//!
//! Allocation-light: one buffer each for inputs, targets and mask, sized once from the timeline.

use crate::task::Setup;
use crate::timeline::Timeline;
use neurodyn_core::{Labels, Period, Rng, Targets, Trial};
use std::ops::Range;

/// A trial being rendered.
pub(crate) struct Canvas {
    n_in: usize,
    n_out: usize,
    n_steps: usize,
    inputs: Vec<f32>,
    classes: Vec<i64>,
    values: Vec<f32>,
    continuous: bool,
    periods: Vec<Period>,
    response: Option<usize>,
}

impl Canvas {
    /// A categorical canvas over a timeline's periods (which tile the trial).
    pub fn new(tl: Timeline, n_in: usize, n_out: usize) -> Self {
        Self::make(tl.periods().to_vec(), tl.n_steps(), n_in, n_out, false)
    }

    /// A canvas with continuous `(n_steps, n_out)` targets.
    pub fn continuous(tl: Timeline, n_in: usize, n_out: usize) -> Self {
        Self::make(tl.periods().to_vec(), tl.n_steps(), n_in, n_out, true)
    }

    fn make(periods: Vec<Period>, n: usize, n_in: usize, n_out: usize, continuous: bool) -> Self {
        Canvas {
            n_in,
            n_out,
            n_steps: n,
            inputs: vec![0.0; n * n_in],
            classes: if continuous { Vec::new() } else { vec![0; n] },
            values: if continuous {
                vec![0.0; n * n_out]
            } else {
                Vec::new()
            },
            continuous,
            periods,
            response: None,
        }
    }

    /// Number of steps.
    pub fn n_steps(&self) -> usize {
        self.n_steps
    }

    /// Set channel `ch` to `v` over steps `r`.
    pub fn set(&mut self, r: Range<usize>, ch: usize, v: f32) {
        for t in r {
            self.inputs[t * self.n_in + ch] = v;
        }
    }

    /// Add the vector `v` to channels `ch0..ch0+v.len()` over steps `r`.
    pub fn add_vec(&mut self, r: Range<usize>, ch0: usize, v: &[f32]) {
        for t in r {
            let row = &mut self.inputs[t * self.n_in + ch0..t * self.n_in + ch0 + v.len()];
            for (x, y) in row.iter_mut().zip(v) {
                *x += *y;
            }
        }
    }

    /// Add i.i.d. `N(0, sd²)` noise to channels `chs` over steps `r` (time outer, channel inner).
    pub fn noise(&mut self, r: Range<usize>, chs: Range<usize>, sd: f32, rng: &mut Rng) {
        if sd == 0.0 {
            return;
        }
        for t in r {
            for ch in chs.clone() {
                self.inputs[t * self.n_in + ch] += sd * rng.normal() as f32;
            }
        }
    }

    /// Target class `c` over steps `r` (categorical canvases).
    pub fn class(&mut self, r: Range<usize>, c: i64) {
        if !self.continuous {
            self.classes[r].fill(c);
        }
    }

    /// Continuous target `v` on output `ch` over steps `r` (continuous canvases).
    pub fn value(&mut self, r: Range<usize>, ch: usize, v: f32) {
        if self.continuous {
            for t in r {
                self.values[t * self.n_out + ch] = v;
            }
        }
    }

    /// Mark the response onset (for the response weight and grace window of the mask).
    pub fn respond_from(&mut self, step: usize) {
        self.response = Some(step.min(self.n_steps));
    }

    /// Build the trial with its mask (see [`crate::MaskConfig`]).
    pub fn finish(self, setup: &Setup, labels: Labels) -> Trial {
        let mut mask = vec![1.0f32; self.n_steps];
        let m = &setup.mask;
        if !m.period_weights.is_empty() {
            for p in &self.periods {
                if let Some(w) = m.period_weights.get(&p.name) {
                    mask[p.start..p.end].fill(*w);
                }
            }
        }
        if let Some(r) = self.response {
            if m.response_weight != 1.0 || m.grace_ms > 0.0 {
                let grace = (m.grace_ms / setup.dt_ms + 1e-9).floor() as usize;
                for (t, w) in mask.iter_mut().enumerate().skip(r) {
                    *w *= if t < r.saturating_add(grace) {
                        0.0
                    } else {
                        m.response_weight
                    };
                }
            }
        }
        Trial {
            n_in: self.n_in,
            n_out: self.n_out,
            inputs: self.inputs,
            targets: if self.continuous {
                Targets::Continuous(self.values)
            } else {
                Targets::Class(self.classes)
            },
            mask,
            periods: self.periods,
            labels,
        }
    }
}
