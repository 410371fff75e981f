//! ReachingDelayResponse (neurogym `ReachingDelayResponse-v0`): remember a position on a line over
//! a delay and reach to it on a go cue, with continuous outputs. The memory-guided (oculomotor
//! delayed-response) paradigm of Funahashi, Bruce & Goldman-Rakic 1989, *J Neurophysiol* 61:331,
//! in neurogym's one-dimensional form (neurogym cites no paper for it).
//!
//! ```text
//!  period          | stimulus 500 | delay {0, 1000, 2000} | decision 500 |
//!  go              | 0            | 0                     | 1            |
//!  stimulus        | s            | −0.5                  | −0.5         |
//!  target go       | −1           | −1                    | 1            |
//!  target position | −0.5         | −0.5                  | s            |
//! ```
//! `s ~ U(lowbound, highbound)`, by default U(0, 1); −0.5 is the "nothing shown" value of the
//! stimulus input and the resting position of the reach. Inputs 2 (`go`, `stimulus`), outputs 2,
//! continuous (neurogym's `Box(2)`): `go` (−1 hold, +1 respond) and `position` (where to reach).
//! The go input is the response cue. No noise.
//!
//! Parameters: `lowbound` (0), `highbound` (1; > `lowbound`), `stimulus_ms` (500), `delay_ms`
//! ([0, 1000, 2000]; one number or a list drawn uniformly), `decision_ms` (500). Labels:
//! `ground_truth` (`s`), `delay_ms` (the drawn delay).
//!
//! Deviations from neurogym 2.3.1: none (its go input already marks the response period, and its
//! float targets are usable as they are).

use super::prelude::*;

/// The ReachingDelayResponse task.
pub struct ReachingDelayResponse {
    spec: TaskSpec,
    setup: Setup,
    low: f64,
    high: f64,
    timing: Vec<(&'static str, Duration)>,
}

/// One ReachingDelayResponse condition.
#[derive(Clone, Debug, PartialEq)]
pub struct DelayedReachCondition {
    /// The position to remember and reach to.
    pub position: f64,
    /// Periods.
    pub timeline: Timeline,
}

const NAME: &str = "ReachingDelayResponse";
/// Stimulus input with nothing shown, and the resting position of the reach.
const REST: f32 = -0.5;

impl FromConfig for ReachingDelayResponse {
    fn from_config(cfg: &TaskConfig) -> Result<Self, TaskError> {
        let p = Params::new(
            NAME,
            cfg,
            &[
                "lowbound",
                "highbound",
                "stimulus_ms",
                "delay_ms",
                "decision_ms",
            ],
        )?;
        let setup = Setup::new(NAME, cfg, 100.0)?;
        let (low, high) = (p.f64("lowbound", 0.0)?, p.f64("highbound", 1.0)?);
        if low >= high {
            return Err(TaskError::InvalidParam {
                task: NAME.into(),
                key: "highbound".into(),
                message: format!("must be greater than lowbound ({low}), got {high}"),
            });
        }
        let mut spec = make_spec(
            NAME,
            &setup,
            names(&["go", "stimulus"]),
            names(&["go", "position"]),
            &["ground_truth", "delay_ms"],
            None,
            &[
                "perceptual",
                "working memory",
                "delayed response",
                "continuous",
                "supervised",
                "neurogym",
            ],
            "Funahashi, Bruce & Goldman-Rakic (1989) Mnemonic coding of visual space in the monkey's dorsolateral prefrontal cortex. J Neurophysiol 61:331 (neurogym's one-dimensional, continuous-output version)",
            "Remember a position shown before a variable delay; when the go input comes on, output go = +1 and reach to that position (go = −1 and the rest position −0.5 before).",
        );
        spec.categorical = false;
        Ok(ReachingDelayResponse {
            spec,
            low,
            high,
            timing: vec![
                ("stimulus", Duration::Fixed(p.nonneg("stimulus_ms", 500.0)?)),
                ("delay", p.duration("delay_ms", &[0.0, 1000.0, 2000.0])?),
                ("decision", Duration::Fixed(p.nonneg("decision_ms", 500.0)?)),
            ],
            setup,
        })
    }
}

impl ReachingDelayResponse {
    /// Draw a condition (neurogym order: the position, then the periods).
    pub fn sample(&self, rng: &mut Rng) -> DelayedReachCondition {
        let position = rng.uniform_range(self.low, self.high);
        DelayedReachCondition {
            position,
            timeline: lay_out(&self.setup, &self.timing, rng),
        }
    }

    /// Render a condition.
    pub fn render(&self, c: &DelayedReachCondition, _rng: &mut Rng) -> Trial {
        let tl = &c.timeline;
        let (stim, dec) = (tl.range("stimulus"), tl.range("decision"));
        let s = c.position as f32;
        let mut cv = Canvas::continuous(tl.clone(), 2, 2);
        cv.set(stim.clone(), 1, s);
        cv.set(stim.end..dec.end, 1, REST);
        cv.set(dec.clone(), 0, 1.0);
        cv.value(0..dec.start, 0, -1.0);
        cv.value(0..dec.start, 1, REST);
        cv.value(dec.clone(), 0, 1.0);
        cv.value(dec.clone(), 1, s);
        cv.respond_from(dec.start);
        let delay_ms = tl.sampled_ms("delay").unwrap_or(0.0);
        let labels = Labels::new()
            .float("ground_truth", c.position)
            .float("delay_ms", delay_ms);
        cv.finish(&self.setup, labels)
    }
}

impl_task!(ReachingDelayResponse);
