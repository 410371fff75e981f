//! MemorizeReport: the simple memory task of Yang & Wang 2020, *Neuron* 107:1048 ("Artificial
//! neural networks for neuroscientists: a primer", Figure 8), where a one-unit LSTM learns to
//! open its input gate and close its forget gate on "memorize" and open its output gate on
//! "report".
//!
//! ```text
//!  frame      | 0    1    2    3    4    5    6    7    8    9  | 10 …   (one cycle of 10 frames)
//!  period     | stream  memorize  delay       report  stream      | next cycle …
//!  stimulus   | .3  −.8   .5  −.1   .9  −.4   .2   .7  −.6   .0 |        (U(−1, 1) per frame)
//!  memorize   | 0    0    1    0    0    0    0    0    0    0  |
//!  report     | 0    0    0    0    0    0    0    1    0    0  |
//!  target     | 0    0    0    0    0    0    0   .5    0    0  |        (stimulus at memorize)
//! ```
//! Inputs 3: `stimulus`, `memorize`, `report`. Output 1, continuous: the stimulus value seen at the
//! most recent memorize cue during each report cue, 0 everywhere else.
//!
//! The paper gives no numbers; the defaults follow the authors' notebook for the figure
//! (`LSTMVisualization.ipynb` in github.com/gyyang/nn-brain), with time made explicit:
//! - Time is cut into frames of `frame_ms` (100 ms). The stimulus takes a new value, drawn
//!   independently and uniformly from `[−amplitude, amplitude]` (`amplitude` 1), every frame; the
//!   memorize and report cues last one frame each and are 1 while on. At the default dt (100 ms)
//!   a frame is one step, as in the notebook, where everything is in steps. At another dt a frame
//!   is `floor(frame_ms / dt)` steps (at least one), so the stimulus holds its value for the
//!   whole cue and "the value at the memorize cue" stays well defined.
//! - A trial is `n_cycles` (3) memorize → report cycles back to back (the notebook's
//!   `n_repeat = 3`), so the network must also overwrite an old memory with a new one. Each
//!   cycle's length is drawn uniformly from `cycle_ms` (500, 600, …, 1900 ms: the notebook's
//!   5–19 steps), floored to whole frames (at least 3). In a cycle of `L` frames the memorize
//!   frame is uniform in `0 .. ⌊L/2⌋` and the report frame uniform in `⌊L/2⌋ .. L−1`, so a report
//!   always follows its memorize cue and at least one frame of stream ends the cycle. The memory
//!   duration (memorize onset to report onset) is 1 to `L − 2` frames: 100 ms to 1.7 s at the
//!   defaults. Mean trial length 3.6 s.
//! - The target is 0 outside report frames and the loss mask is 1 everywhere (the notebook's
//!   unmasked MSE): the network must also stay silent between reports. Periods are named
//!   `stream`, `memorize`, `delay` (left out when the report directly follows) and `report`, so
//!   `mask.period_weights = { report = 10 }` (or `{ stream = 0, delay = 0, memorize = 0 }`)
//!   weights or restricts the loss to the reports.
//!
//! Parameters: `frame_ms` (100), `n_cycles` (3), `cycle_ms` (list, 500–1900 by 100), `amplitude`
//! (1). Default dt 100 ms. No input noise. Labels, per cycle k = 1..n_cycles: `memorized{k}` (the
//! value to report) then `delay{k}_ms` (memory duration on the step grid).
//!
//! No neurogym counterpart: `compat` changes nothing.

use super::prelude::*;
use std::ops::Range;

/// The MemorizeReport task.
pub struct MemorizeReport {
    spec: TaskSpec,
    setup: Setup,
    frame_ms: f64,
    n_cycles: usize,
    /// Cycle lengths to draw from, in frames (each ≥ 3).
    cycle_frames: Vec<usize>,
    amplitude: f64,
}

/// One memorize → report cycle.
#[derive(Clone, Debug, PartialEq)]
pub struct MemorizeCycle {
    /// Steps of the memorize cue.
    pub memorize: Range<usize>,
    /// Steps of the report cue.
    pub report: Range<usize>,
    /// The stimulus during the memorize cue: the value to report.
    pub value: f32,
}

/// One MemorizeReport condition: the stimulus stream and the cues.
#[derive(Clone, Debug, PartialEq)]
pub struct MemorizeReportCondition {
    /// The stimulus value of each frame.
    pub stimulus: Vec<f32>,
    /// Steps per frame.
    pub frame_steps: usize,
    /// The cycles, in time order.
    pub cycles: Vec<MemorizeCycle>,
    /// Periods.
    pub timeline: Timeline,
}

const NAME: &str = "MemorizeReport";

impl FromConfig for MemorizeReport {
    fn from_config(cfg: &TaskConfig) -> Result<Self, TaskError> {
        let p = Params::new(
            NAME,
            cfg,
            &["frame_ms", "n_cycles", "cycle_ms", "amplitude"],
        )?;
        let setup = Setup::new(NAME, cfg, 100.0)?;
        let invalid = |key: &str, message: String| TaskError::InvalidParam {
            task: NAME.into(),
            key: key.into(),
            message,
        };
        let frame_ms = p.nonneg("frame_ms", 100.0)?;
        if frame_ms <= 0.0 {
            return Err(invalid("frame_ms", "must be > 0 ms".into()));
        }
        let n_cycles = p.usize("n_cycles", 3, 1, 1000)?;
        let default_cycles: Vec<f64> = (5..20).map(|k| f64::from(k) * 100.0).collect();
        let cycle_ms = p.list("cycle_ms", &default_cycles)?;
        let mut cycle_frames = Vec::with_capacity(cycle_ms.len());
        for &ms in &cycle_ms {
            let frames = (ms / frame_ms + 1e-9).floor();
            if frames < 3.0 {
                return Err(invalid(
                    "cycle_ms",
                    format!(
                        "{ms} ms is {frames} frames of {frame_ms} ms; a cycle needs at least 3 \
                         (memorize, report, and a frame after the report)"
                    ),
                ));
            }
            cycle_frames.push(frames as usize);
        }
        let amplitude = p.nonneg("amplitude", 1.0)?;
        let mut spec = make_spec(
            NAME,
            &setup,
            names(&["stimulus", "memorize", "report"]),
            names(&["value"]),
            &[],
            None,
            &["memory", "working memory", "continuous", "supervised", "primer"],
            "Yang & Wang (2020) Artificial neural networks for neuroscientists: a primer. Neuron 107:1048 (Figure 8)",
            "Remember the value of a randomly changing stimulus when the memorize cue is on, and output it when the report cue next comes on; output 0 otherwise.",
        );
        spec.categorical = false;
        spec.label_names = (1..=n_cycles)
            .flat_map(|k| [format!("memorized{k}"), format!("delay{k}_ms")])
            .collect();
        Ok(MemorizeReport {
            spec,
            setup,
            frame_ms,
            n_cycles,
            cycle_frames,
            amplitude,
        })
    }
}

impl MemorizeReport {
    /// Draw a condition: per cycle its length and cue frames, then the stimulus of every frame.
    pub fn sample(&self, rng: &mut Rng) -> MemorizeReportCondition {
        let mut timeline = self.setup.timeline();
        let frame_steps = timeline.steps_for(self.frame_ms).max(1);
        // Frames of stream not yet laid out (adjacent stream stretches merge into one period).
        let mut stream = 0usize;
        let push = |tl: &mut Timeline, name: &str, frames: usize| {
            tl.push_steps(name, frames * frame_steps, frames as f64 * self.frame_ms)
        };
        let mut cycles = Vec::with_capacity(self.n_cycles);
        let mut n_frames = 0usize;
        for _ in 0..self.n_cycles {
            let len = *rng.choose(&self.cycle_frames);
            let half = len / 2;
            let m = rng.below(half as u64) as usize;
            let r = half + rng.below((len - 1 - half) as u64) as usize;
            stream += m;
            if stream > 0 {
                push(&mut timeline, "stream", stream);
            }
            let memorize = push(&mut timeline, "memorize", 1);
            if r > m + 1 {
                push(&mut timeline, "delay", r - m - 1);
            }
            let report = push(&mut timeline, "report", 1);
            stream = len - r - 1;
            cycles.push(MemorizeCycle {
                memorize,
                report,
                value: 0.0,
            });
            n_frames += len;
        }
        push(&mut timeline, "stream", stream);
        let a = self.amplitude;
        let stimulus: Vec<f32> = (0..n_frames)
            .map(|_| rng.uniform_range(-a, a) as f32)
            .collect();
        for c in &mut cycles {
            c.value = stimulus[c.memorize.start / frame_steps];
        }
        MemorizeReportCondition {
            stimulus,
            frame_steps,
            cycles,
            timeline,
        }
    }

    /// Render a condition (deterministic: no noise).
    pub fn render(&self, c: &MemorizeReportCondition, _rng: &mut Rng) -> Trial {
        let mut cv = Canvas::continuous(c.timeline.clone(), 3, 1);
        for (f, &s) in c.stimulus.iter().enumerate() {
            cv.set(f * c.frame_steps..(f + 1) * c.frame_steps, 0, s);
        }
        let mut labels = Labels::new();
        for (k, cyc) in c.cycles.iter().enumerate() {
            cv.set(cyc.memorize.clone(), 1, 1.0);
            cv.set(cyc.report.clone(), 2, 1.0);
            cv.value(cyc.report.clone(), 0, cyc.value);
            let delay_ms = (cyc.report.start - cyc.memorize.start) as f64 * self.setup.dt_ms;
            labels = labels
                .float(&format!("memorized{}", k + 1), f64::from(cyc.value))
                .float(&format!("delay{}_ms", k + 1), delay_ms);
        }
        cv.finish(&self.setup, labels)
    }
}

impl_task!(MemorizeReport);
