//! A batch of trials laid out for the engine: time-major, padded to the longest trial.
//!
//! Layout: `inputs (n_steps, batch_size, n_in)`, `mask (n_steps, batch_size)`, targets
//! `(n_steps, batch_size)` class indices or `(n_steps, batch_size, n_out)` values. Time-major means
//! the slice for one step is a contiguous `(batch_size, n_in)` matrix, which is what a recurrent
//! step consumes. Padding steps have input 0, target 0 and mask 0, so the loss ignores them.

use crate::error::{CoreError, Result};
use crate::trial::{Targets, Trial};

/// Targets of a batch, time-major.
#[derive(Clone, Debug, PartialEq)]
pub enum BatchTargets {
    /// `(n_steps, batch_size)` class indices.
    Class(Vec<i64>),
    /// `(n_steps, batch_size, n_out)` values.
    Continuous(Vec<f32>),
}

/// A time-major, padded batch of trials.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    /// Steps (the longest trial).
    pub n_steps: usize,
    /// Trials in the batch.
    pub batch_size: usize,
    /// Input channels.
    pub n_in: usize,
    /// Output channels.
    pub n_out: usize,
    /// `(n_steps, batch_size, n_in)`.
    pub inputs: Vec<f32>,
    /// Targets, time-major.
    pub targets: BatchTargets,
    /// `(n_steps, batch_size)` loss weights; 0 on padding.
    pub mask: Vec<f32>,
    /// Real length of each trial.
    pub trial_len: Vec<usize>,
}

impl Batch {
    /// Stack trials into a padded time-major batch. All trials must share `n_in`, `n_out` and
    /// target kind.
    pub fn from_trials(trials: &[Trial]) -> Result<Batch> {
        let first = trials
            .first()
            .ok_or_else(|| CoreError::invalid("batch", "no trials"))?;
        let (n_in, n_out) = (first.n_in, first.n_out);
        let n_steps = trials.iter().map(Trial::n_steps).max().unwrap_or(0);
        let b = trials.len();
        let continuous = matches!(first.targets, Targets::Continuous(_));
        let mut inputs = vec![0.0f32; n_steps * b * n_in];
        let mut mask = vec![0.0f32; n_steps * b];
        let mut cls = if continuous {
            Vec::new()
        } else {
            vec![0i64; n_steps * b]
        };
        let mut cont = if continuous {
            vec![0.0f32; n_steps * b * n_out]
        } else {
            Vec::new()
        };
        for (j, tr) in trials.iter().enumerate() {
            if tr.n_in != n_in || tr.n_out != n_out {
                return Err(CoreError::shape(
                    "trial (n_in, n_out) in batch",
                    &[n_in, n_out],
                    &[tr.n_in, tr.n_out],
                ));
            }
            tr.validate()?;
            for t in 0..tr.n_steps() {
                let dst = (t * b + j) * n_in;
                inputs[dst..dst + n_in].copy_from_slice(&tr.inputs[t * n_in..(t + 1) * n_in]);
                mask[t * b + j] = tr.mask[t];
            }
            match (&tr.targets, continuous) {
                (Targets::Class(c), false) => {
                    for (t, &v) in c.iter().enumerate() {
                        cls[t * b + j] = v;
                    }
                }
                (Targets::Continuous(v), true) => {
                    for t in 0..tr.n_steps() {
                        let dst = (t * b + j) * n_out;
                        cont[dst..dst + n_out].copy_from_slice(&v[t * n_out..(t + 1) * n_out]);
                    }
                }
                _ => {
                    return Err(CoreError::invalid(
                        "batch",
                        "trials mix categorical and continuous targets",
                    ))
                }
            }
        }
        Ok(Batch {
            n_steps,
            batch_size: b,
            n_in,
            n_out,
            inputs,
            targets: if continuous {
                BatchTargets::Continuous(cont)
            } else {
                BatchTargets::Class(cls)
            },
            mask,
            trial_len: trials.iter().map(Trial::n_steps).collect(),
        })
    }

    /// Input slice `(batch_size, n_in)` at step `t`.
    pub fn inputs_at(&self, t: usize) -> &[f32] {
        let w = self.batch_size * self.n_in;
        &self.inputs[t * w..(t + 1) * w]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trial::{Labels, Period};

    fn trial(n: usize, v: f32) -> Trial {
        Trial {
            n_in: 2,
            n_out: 3,
            inputs: vec![v; n * 2],
            targets: Targets::Class(vec![1; n]),
            mask: vec![1.0; n],
            periods: vec![Period {
                name: "all".into(),
                start: 0,
                end: n,
            }],
            labels: Labels::new(),
        }
    }

    #[test]
    fn pads_with_zero_mask_and_is_time_major() {
        let b = Batch::from_trials(&[trial(3, 1.0), trial(5, 2.0)]).expect("batch");
        assert_eq!((b.n_steps, b.batch_size), (5, 2));
        assert_eq!(b.inputs_at(0), &[1.0, 1.0, 2.0, 2.0]);
        assert_eq!(b.inputs_at(4), &[0.0, 0.0, 2.0, 2.0]);
        assert_eq!(&b.mask[8..10], &[0.0, 1.0]);
        let BatchTargets::Class(c) = &b.targets else {
            panic!("class targets")
        };
        assert_eq!(&c[6..8], &[0, 1]);
    }

    #[test]
    fn mismatched_trials_are_an_error() {
        let mut t = trial(3, 1.0);
        t.n_in = 4;
        t.inputs = vec![0.0; 12];
        let err = Batch::from_trials(&[trial(3, 1.0), t]).unwrap_err();
        assert!(err.to_string().contains("[2, 3]"), "{err}");
    }
}
