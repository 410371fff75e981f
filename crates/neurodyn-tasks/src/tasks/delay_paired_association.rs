//! DelayPairedAssociation (neurogym `DelayPairedAssociation-v0`): go if two sequential stimuli form
//! a learned pair. Cf. Sakai & Miyashita 1991, *Nature* 354:152.
//!
//! ```text
//!  period   | fixation 0 | stim1 1000 | delay_btw_stim 1000 | stim2 1000 | delay_aft_stim 1000 | decision 500 |
//!  fixation | 1          | 1          | 1                   | 1          | 1                   | 0            |
//!  ch[p1]   | 0          | 1          | 0                   | 0          | 0                   | 0            |
//!  ch[p2]   | 0          | 0          | 0                   | 1          | 0                   | 0            |
//!  target   | 0 ……………………………………………………………………………………………………………………………………… | 1 go / 0     |
//! ```
//! Pairs (1,3), (1,4), (2,3), (2,4); (1,3) and (2,4) are go pairs. No noise. Inputs 5, outputs 2.
//! Labels: `ground_truth` (1 go), `stim1`, `stim2` (channel indices).
//!
//! Deviations from neurogym 2.3.1: none.

use super::prelude::*;

const PAIRS: [(usize, usize); 4] = [(1, 3), (1, 4), (2, 3), (2, 4)];

/// The DelayPairedAssociation task.
pub struct DelayPairedAssociation {
    spec: TaskSpec,
    setup: Setup,
    timing: Vec<(&'static str, Duration)>,
}

/// One condition.
#[derive(Clone, Debug, PartialEq)]
pub struct PairCondition {
    /// The two stimulus channels shown.
    pub pair: (usize, usize),
    /// Periods.
    pub timeline: Timeline,
}

const NAME: &str = "DelayPairedAssociation";

impl FromConfig for DelayPairedAssociation {
    fn from_config(cfg: &TaskConfig) -> Result<Self, TaskError> {
        Params::new(NAME, cfg, &[])?;
        let setup = Setup::new(NAME, cfg, 100.0)?;
        Ok(DelayPairedAssociation {
            spec: make_spec(
                NAME,
                &setup,
                names(&["fixation", "stim1", "stim2", "stim3", "stim4"]),
                names(&["withhold", "go"]),
                &["ground_truth", "stim1", "stim2"],
                None,
                &["perceptual", "working memory", "go/no-go", "supervised", "neurogym"],
                "Sakai & Miyashita (1991) Neural organization for the long-term memory of paired associates. Nature 354:152",
                "Respond if the two stimuli form a go pair.",
            ),
            timing: vec![
                ("fixation", Duration::Fixed(0.0)),
                ("stim1", Duration::Fixed(1000.0)),
                ("delay_btw_stim", Duration::Fixed(1000.0)),
                ("stim2", Duration::Fixed(1000.0)),
                ("delay_aft_stim", Duration::Fixed(1000.0)),
                ("decision", Duration::Fixed(500.0)),
            ],
            setup,
        })
    }
}

impl DelayPairedAssociation {
    /// Draw a condition.
    pub fn sample(&self, rng: &mut Rng) -> PairCondition {
        PairCondition {
            pair: *rng.choose(&PAIRS),
            timeline: lay_out(&self.setup, &self.timing, rng),
        }
    }

    /// Render a condition.
    pub fn render(&self, c: &PairCondition, _rng: &mut Rng) -> Trial {
        let tl = &c.timeline;
        let dec = tl.range("decision");
        let mut cv = Canvas::new(tl.clone(), 5, 2);
        cv.set(0..dec.start, 0, 1.0);
        cv.set(tl.range("stim1"), c.pair.0, 1.0);
        cv.set(tl.range("stim2"), c.pair.1, 1.0);
        let gt = i64::from((c.pair.1 - c.pair.0).is_multiple_of(2));
        cv.class(dec.clone(), gt);
        cv.respond_from(dec.start);
        let labels = Labels::new()
            .int("ground_truth", gt)
            .int("stim1", c.pair.0 as i64)
            .int("stim2", c.pair.1 as i64);
        cv.finish(&self.setup, labels)
    }
}

impl_task!(DelayPairedAssociation);
