//! GoNogo (neurogym `GoNogo-v0`): respond to a go stimulus, withhold to a no-go stimulus after a
//! delay. Classic go/no-go paradigm (e.g. Donders 1869; neurogym's version).
//!
//! ```text
//!  period   | fixation (0) | stimulus 500 | delay 500 | decision 500 |
//!  fixation | 1            | 1            | 1         | 0            |
//!  nogo/go  | 0            | one-hot      | 0         | 0            |
//!  target   | 0            | 0            | 0         | 1 go / 0 nogo|
//! ```
//! Inputs 3 (`fixation`, `nogo`, `go`), outputs 2 (0 = withhold, 1 = go). No noise.
//! Labels: `ground_truth` (1 = go, 0 = no-go).
//!
//! Deviations from neurogym 2.3.1: none (its fixation input already goes off at the decision).

use super::prelude::*;

/// The GoNogo task.
pub struct GoNogo {
    spec: TaskSpec,
    setup: Setup,
    timing: Vec<(&'static str, Duration)>,
}

/// One GoNogo condition.
#[derive(Clone, Debug, PartialEq)]
pub struct GoNogoCondition {
    /// `true` on go trials.
    pub go: bool,
    /// Periods.
    pub timeline: Timeline,
}

const NAME: &str = "GoNogo";

impl FromConfig for GoNogo {
    fn from_config(cfg: &TaskConfig) -> Result<Self, TaskError> {
        let p = Params::new(NAME, cfg, &["delay_ms"])?;
        let setup = Setup::new(NAME, cfg, 100.0)?;
        Ok(GoNogo {
            spec: make_spec(
                NAME,
                &setup,
                names(&["fixation", "nogo", "go"]),
                names(&["withhold", "go"]),
                &["ground_truth"],
                None,
                &["go/no-go", "supervised", "neurogym"],
                "Donders (1869); neurogym GoNogo-v0 (Molano-Mazón et al. 2022, NeuroGym)",
                "Respond in the decision period after a go stimulus, withhold after a no-go stimulus.",
            ),
            timing: vec![
                ("fixation", Duration::Fixed(0.0)),
                ("stimulus", Duration::Fixed(500.0)),
                ("delay", Duration::Fixed(p.nonneg("delay_ms", 500.0)?)),
                ("decision", Duration::Fixed(500.0)),
            ],
            setup,
        })
    }
}

impl GoNogo {
    /// Draw a condition.
    pub fn sample(&self, rng: &mut Rng) -> GoNogoCondition {
        let go = rng.below(2) == 1;
        GoNogoCondition {
            go,
            timeline: lay_out(&self.setup, &self.timing, rng),
        }
    }

    /// Render a condition.
    pub fn render(&self, c: &GoNogoCondition, _rng: &mut Rng) -> Trial {
        let tl = &c.timeline;
        let (stim, dec) = (tl.range("stimulus"), tl.range("decision"));
        let mut cv = Canvas::new(tl.clone(), 3, 2);
        cv.set(0..dec.start, 0, 1.0);
        cv.set(stim, if c.go { 2 } else { 1 }, 1.0);
        cv.class(dec.clone(), i64::from(c.go));
        cv.respond_from(dec.start);
        cv.finish(
            &self.setup,
            Labels::new().int("ground_truth", i64::from(c.go)),
        )
    }
}

impl_task!(GoNogo);
