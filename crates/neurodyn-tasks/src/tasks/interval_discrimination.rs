//! IntervalDiscrimination (neurogym `IntervalDiscrimination-v0`): which of two intervals was
//! longer. Genovesio, Tsujimoto & Wise 2009, *Neuron* 63:254.
//!
//! ```text
//!  period   | fixation 300 | stim1 U(300,600) | delay1 U(800,1500) | stim2 U(300,600) | delay2 500 | decision 300 |
//!  fixation | 1            | 1                | 1                  | 1                | 1          | 0            |
//!  stim1    | 0            | 1                | 0                  | 0                | 0          | 0            |
//!  stim2    | 0            | 0                | 0                  | 1                | 0          | 0            |
//!  target   | 0 ………………………………………………………………………………………………………………………………………… | 1 if d1 > d2 else 2 |
//! ```
//! Default dt 80 ms. No noise. Inputs 3, outputs 3. Labels: `ground_truth`, `duration1`,
//! `duration2` (ms as shown, i.e. steps × dt), `duration_difference` (evidence label).
//!
//! Deviations from neurogym 2.3.1: neurogym compares the durations after flooring to dt and gives
//! ties to class 2, so at coarse dt class 2 is over-represented (at dt = 100: 6.7 % vs 3.3 % of
//! steps). By default the label compares the sampled durations before flooring (no tie bias; at a
//! coarse dt a few trials with equal displayed lengths are then not decidable from the input).
//! `compat = "neurogym"` restores the floored comparison.

use super::prelude::*;

/// The IntervalDiscrimination task.
pub struct IntervalDiscrimination {
    spec: TaskSpec,
    setup: Setup,
    timing: Vec<(&'static str, Duration)>,
}

/// One condition.
#[derive(Clone, Debug, PartialEq)]
pub struct IntervalCondition {
    /// 1 if the first interval is longer, else 2.
    pub ground_truth: i64,
    /// Periods (their sampled durations decide the label in the default mode).
    pub timeline: Timeline,
}

const NAME: &str = "IntervalDiscrimination";

impl FromConfig for IntervalDiscrimination {
    fn from_config(cfg: &TaskConfig) -> Result<Self, TaskError> {
        Params::new(NAME, cfg, &[])?;
        let setup = Setup::new(NAME, cfg, 80.0)?;
        Ok(IntervalDiscrimination {
            spec: make_spec(
                NAME,
                &setup,
                names(&["fixation", "stim1", "stim2"]),
                names(&["fixate", "first longer", "second longer"]),
                &["ground_truth", "duration1", "duration2", "duration_difference"],
                Some("duration_difference"),
                &["timing", "working memory", "two-alternative", "supervised", "neurogym"],
                "Genovesio, Tsujimoto & Wise (2009) Feature- and order-based timing representations in the frontal cortex. Neuron 63:254",
                "Report whether the first stimulus lasted longer than the second.",
            ),
            timing: vec![
                ("fixation", Duration::Fixed(300.0)),
                ("stim1", Duration::Uniform { lo: 300.0, hi: 600.0 }),
                ("delay1", Duration::Uniform { lo: 800.0, hi: 1500.0 }),
                ("stim2", Duration::Uniform { lo: 300.0, hi: 600.0 }),
                ("delay2", Duration::Fixed(500.0)),
                ("decision", Duration::Fixed(300.0)),
            ],
            setup,
        })
    }
}

impl IntervalDiscrimination {
    /// Draw a condition.
    pub fn sample(&self, rng: &mut Rng) -> IntervalCondition {
        let timeline = lay_out(&self.setup, &self.timing, rng);
        let (d1, d2) = if self.setup.neurogym() {
            (
                timeline.range("stim1").len() as f64,
                timeline.range("stim2").len() as f64,
            )
        } else {
            (
                timeline.sampled_ms("stim1").unwrap_or(0.0),
                timeline.sampled_ms("stim2").unwrap_or(0.0),
            )
        };
        IntervalCondition {
            ground_truth: if d1 > d2 { 1 } else { 2 },
            timeline,
        }
    }

    /// Render a condition.
    pub fn render(&self, c: &IntervalCondition, _rng: &mut Rng) -> Trial {
        let tl = &c.timeline;
        let (s1, s2, dec) = (tl.range("stim1"), tl.range("stim2"), tl.range("decision"));
        let (d1, d2) = (s1.len() as f64 * tl.dt_ms(), s2.len() as f64 * tl.dt_ms());
        let mut cv = Canvas::new(tl.clone(), 3, 3);
        cv.set(0..dec.start, 0, 1.0);
        cv.set(s1, 1, 1.0);
        cv.set(s2, 2, 1.0);
        cv.class(dec.clone(), c.ground_truth);
        cv.respond_from(dec.start);
        let labels = Labels::new()
            .int("ground_truth", c.ground_truth)
            .float("duration1", d1)
            .float("duration2", d2)
            .float("duration_difference", d1 - d2);
        cv.finish(&self.setup, labels)
    }
}

impl_task!(IntervalDiscrimination);
