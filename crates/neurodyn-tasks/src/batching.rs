//! Batching: trial-aligned batches ([`sample_trials`], [`sample_batch`]) and a continuous stream of
//! back-to-back trials ([`Stream`], like neurogym's `Dataset`).
//!
//! Determinism: trial `i` of [`sample_trials`] is drawn from `Rng::with_stream(seed, i)`, so the
//! output depends only on `(task, n, seed)`, never on the thread count
//! ([`sample_trials_threads`] returns the same trials). In a [`Stream`], row `r` draws its trials
//! in sequence from `Rng::with_stream(seed, r)`.
//!
//! Unlike neurogym's `Dataset`, a stream is seeded, rows are not phase-locked (each row starts at a
//! random step of its first trial unless `phase_lock` is set), and no part of a trial is dropped at a
//! refill: a trial cut by a window boundary continues in the next window.

use crate::error::TaskError;
use crate::task::Task;
use neurodyn_core::{Batch, BatchTargets, Rng, Targets, Trial};

/// `n` trials; trial `i` is drawn from `Rng::with_stream(seed, i)`.
pub fn sample_trials(task: &dyn Task, n: usize, seed: u64) -> Vec<Trial> {
    (0..n)
        .map(|i| task.trial(&mut Rng::with_stream(seed, i as u64)))
        .collect()
}

/// [`sample_trials`] on `threads` threads; the result is identical for any thread count.
pub fn sample_trials_threads(task: &dyn Task, n: usize, seed: u64, threads: usize) -> Vec<Trial> {
    let threads = threads.clamp(1, n.max(1));
    if threads == 1 {
        return sample_trials(task, n, seed);
    }
    let chunk = n.div_ceil(threads);
    let mut parts: Vec<Vec<Trial>> = Vec::with_capacity(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|k| {
                s.spawn(move || {
                    (k * chunk..((k + 1) * chunk).min(n))
                        .map(|i| task.trial(&mut Rng::with_stream(seed, i as u64)))
                        .collect::<Vec<Trial>>()
                })
            })
            .collect();
        for h in handles {
            match h.join() {
                Ok(p) => parts.push(p),
                Err(e) => std::panic::resume_unwind(e),
            }
        }
    });
    parts.into_iter().flatten().collect()
}

/// A time-major batch of `n` trials (see [`Batch`]), padded to the longest with mask 0.
pub fn sample_batch(task: &dyn Task, n: usize, seed: u64) -> Result<Batch, TaskError> {
    if n == 0 {
        return Err(TaskError::InvalidRequest(
            "a batch needs at least one trial".into(),
        ));
    }
    Ok(Batch::from_trials(&sample_trials(task, n, seed))?)
}

/// Axis order of a [`Window`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// `(seq_len, batch, …)` — neurogym's default.
    TimeMajor,
    /// `(batch, seq_len, …)` — neurogym's `batch_first=True`.
    BatchMajor,
}

/// One window of a [`Stream`].
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    /// Steps per window.
    pub seq_len: usize,
    /// Rows.
    pub batch_size: usize,
    /// Input channels.
    pub n_in: usize,
    /// Output channels.
    pub n_out: usize,
    /// Axis order of every array below.
    pub layout: Layout,
    /// `(seq_len, batch, n_in)` or `(batch, seq_len, n_in)`.
    pub inputs: Vec<f32>,
    /// Class indices `(…, …)` or values `(…, …, n_out)` in the same layout.
    pub targets: BatchTargets,
    /// Loss weights (the task's mask).
    pub mask: Vec<f32>,
    /// 1 where a new trial begins, else 0.
    pub trial_start: Vec<u8>,
}

struct Row {
    rng: Rng,
    trial: Trial,
    pos: usize,
}

/// An endless, seeded stream of back-to-back trials cut into fixed-length windows.
pub struct Stream<'a> {
    task: &'a dyn Task,
    rows: Vec<Row>,
    seq_len: usize,
    layout: Layout,
}

impl<'a> Stream<'a> {
    /// A stream of `batch_size` rows and windows of `seq_len` steps. With `phase_lock = false`
    /// each row starts at a uniformly drawn step of its first trial, so trial boundaries are not
    /// aligned across rows.
    pub fn new(
        task: &'a dyn Task,
        batch_size: usize,
        seq_len: usize,
        seed: u64,
        layout: Layout,
        phase_lock: bool,
    ) -> Result<Self, TaskError> {
        if batch_size == 0 || seq_len == 0 {
            return Err(TaskError::InvalidRequest(
                "a stream needs batch_size ≥ 1 and seq_len ≥ 1".into(),
            ));
        }
        let rows = (0..batch_size)
            .map(|r| {
                let mut rng = Rng::with_stream(seed, r as u64);
                let trial = task.trial(&mut rng);
                let pos = if phase_lock || trial.n_steps() == 0 {
                    0
                } else {
                    rng.below(trial.n_steps() as u64) as usize
                };
                Row { rng, trial, pos }
            })
            .collect();
        Ok(Stream {
            task,
            rows,
            seq_len,
            layout,
        })
    }

    /// The next window.
    pub fn next_window(&mut self) -> Window {
        let spec = self.task.spec();
        let (n_in, n_out, b, l) = (spec.n_in, spec.n_out, self.rows.len(), self.seq_len);
        let continuous = !spec.categorical;
        let mut inputs = vec![0.0f32; l * b * n_in];
        let mut mask = vec![0.0f32; l * b];
        let mut start = vec![0u8; l * b];
        let mut cls = if continuous {
            Vec::new()
        } else {
            vec![0i64; l * b]
        };
        let mut val = if continuous {
            vec![0.0f32; l * b * n_out]
        } else {
            Vec::new()
        };
        let tm = self.layout == Layout::TimeMajor;
        for (r, row) in self.rows.iter_mut().enumerate() {
            for t in 0..l {
                // Skip empty trials (a task never makes them, but stay total).
                let mut guard = 0;
                while row.pos >= row.trial.n_steps() && guard < 1000 {
                    row.trial = self.task.trial(&mut row.rng);
                    row.pos = 0;
                    guard += 1;
                }
                let k = if tm { t * b + r } else { r * l + t };
                let s = row.pos;
                let tr = &row.trial;
                if s < tr.n_steps() {
                    inputs[k * n_in..(k + 1) * n_in]
                        .copy_from_slice(&tr.inputs[s * n_in..(s + 1) * n_in]);
                    mask[k] = tr.mask[s];
                    start[k] = u8::from(s == 0);
                    match &tr.targets {
                        Targets::Class(c) => {
                            if let Some(x) = cls.get_mut(k) {
                                *x = c[s];
                            }
                        }
                        Targets::Continuous(v) => {
                            if k < l * b && !val.is_empty() {
                                val[k * n_out..(k + 1) * n_out]
                                    .copy_from_slice(&v[s * n_out..(s + 1) * n_out]);
                            }
                        }
                    }
                }
                row.pos += 1;
            }
        }
        Window {
            seq_len: l,
            batch_size: b,
            n_in,
            n_out,
            layout: self.layout,
            inputs,
            targets: if continuous {
                BatchTargets::Continuous(val)
            } else {
                BatchTargets::Class(cls)
            },
            mask,
            trial_start: start,
        }
    }
}

impl Iterator for Stream<'_> {
    type Item = Window;
    fn next(&mut self) -> Option<Window> {
        Some(self.next_window())
    }
}
