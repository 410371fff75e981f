//! MotorTiming (neurogym `MotorTiming-v0`): produce one of two cued intervals after a set signal.
//! Wang, Narain, Hosseini & Jazayeri 2018, *Nat Neurosci* 21:102.
//!
//! ```text
//!  period   | fixation 500 | cue U(1000,3000) | set 50 | production 2·interval |
//!  fixation | 1            | 1                | 1      | 0                     |
//!  cue[ind] | 0            | 1                | 1      | 0                     |
//!  set      | 0            | 0                | 1      | 0                     |
//!  target   | 0 ………………………………………………………………………… | 1 on the step `interval` after set offset |
//! ```
//! Intervals 800 / 1500 ms. Default dt 80 ms. Inputs 4, outputs 2. Labels: `interval_index`,
//! `interval_ms`.
//!
//! Deviations from neurogym 2.3.1: the 50 ms set cue floors to 0 steps at dt ≥ 80 in neurogym
//! (its default dt included), so the go signal vanishes; by default it keeps one step.
//! `compat = "neurogym"` floors it.

use super::prelude::*;

const INTERVALS: [f64; 2] = [800.0, 1500.0];

/// The MotorTiming task.
pub struct MotorTiming {
    spec: TaskSpec,
    setup: Setup,
}

/// One condition.
#[derive(Clone, Debug, PartialEq)]
pub struct MotorTimingCondition {
    /// Which interval (0 = 800 ms, 1 = 1500 ms).
    pub interval_index: usize,
    /// Periods.
    pub timeline: Timeline,
}

const NAME: &str = "MotorTiming";

impl FromConfig for MotorTiming {
    fn from_config(cfg: &TaskConfig) -> Result<Self, TaskError> {
        Params::new(NAME, cfg, &[])?;
        let setup = Setup::new(NAME, cfg, 80.0)?;
        Ok(MotorTiming {
            spec: make_spec(
                NAME,
                &setup,
                names(&["fixation", "cue_short", "cue_long", "set"]),
                names(&["wait", "go"]),
                &["interval_index", "interval_ms"],
                None,
                &["timing", "go/no-go", "supervised", "neurogym"],
                "Wang, Narain, Hosseini & Jazayeri (2018) Flexible timing by temporal scaling of cortical responses. Nat Neurosci 21:102",
                "Respond the cued interval after the set signal.",
            ),
            setup,
        })
    }
}

impl MotorTiming {
    /// Draw a condition.
    pub fn sample(&self, rng: &mut Rng) -> MotorTimingCondition {
        let interval_index = rng.below(2) as usize;
        let mut tl = self.setup.timeline();
        tl.push("fixation", 500.0);
        tl.push_sampled(
            "cue",
            &Duration::Uniform {
                lo: 1000.0,
                hi: 3000.0,
            },
            rng,
        );
        tl.push("set", 50.0);
        tl.push("production", 2.0 * INTERVALS[interval_index]);
        MotorTimingCondition {
            interval_index,
            timeline: tl,
        }
    }

    /// Render a condition.
    pub fn render(&self, c: &MotorTimingCondition, _rng: &mut Rng) -> Trial {
        let tl = &c.timeline;
        let (cue, set, prod) = (tl.range("cue"), tl.range("set"), tl.range("production"));
        let mut cv = Canvas::new(tl.clone(), 4, 2);
        cv.set(0..prod.start, 0, 1.0);
        cv.set(cue.start..set.end, 1 + c.interval_index, 1.0);
        cv.set(set, 3, 1.0);
        let interval = INTERVALS[c.interval_index];
        let at = prod.start + (interval / self.setup.dt_ms + 1e-9).floor() as usize;
        if at < prod.end {
            cv.class(at..at + 1, 1);
        }
        cv.respond_from(prod.start);
        let labels = Labels::new()
            .int("interval_index", c.interval_index as i64)
            .float("interval_ms", interval);
        cv.finish(&self.setup, labels)
    }
}

impl_task!(MotorTiming);
