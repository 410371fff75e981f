//! PulseDecisionMaking (neurogym `PulseDecisionMaking-v0`): count Bernoulli pulses on two
//! channels, report the side with more. Scott, Constantinople, Erlich, Tank & Brody 2015, *eLife*
//! 4:e11308.
//!
//! ```text
//!  period   | fixation 500 | cue_0 10 | bin_0 240 | … | cue_5 10 | bin_5 240 | decision 500 |
//!  fixation | 1 …………………………………………………………………………………………………………………………… | 0            |
//!  left     | 0            | Bern(p1) | 0         | … | Bern(p1) | 0         | 0            |
//!  right    | 0            | Bern(p2) | 0         | … | Bern(p2) | 0         | 0            |
//!  target   | 0 …………………………………………………………………………………………………………………………… | 1 if n1 > n2 else 2 (ties random) |
//! ```
//! `(p1, p2) = (0.3, 0.7)`, swapped with probability ½. Default dt 10 ms. Inputs 3, outputs 3.
//! Labels: `ground_truth`, `n1`, `n2`, `evidence` (= n1 − n2).
//!
//! Deviations from neurogym 2.3.1: its 10 ms pulses floor to 0 steps at any dt ≥ 20, so the
//! evidence disappears; by default each pulse keeps one step. `compat = "neurogym"` floors them.

use super::prelude::*;

const N_BIN: usize = 6;

/// The PulseDecisionMaking task.
pub struct PulseDecisionMaking {
    spec: TaskSpec,
    setup: Setup,
}

/// One condition.
#[derive(Clone, Debug, PartialEq)]
pub struct PulseCondition {
    /// Pulse present on (left, right) per bin.
    pub pulses: [[bool; 2]; N_BIN],
    /// 1 (left more) or 2.
    pub ground_truth: i64,
    /// Periods.
    pub timeline: Timeline,
}

const NAME: &str = "PulseDecisionMaking";

impl FromConfig for PulseDecisionMaking {
    fn from_config(cfg: &TaskConfig) -> Result<Self, TaskError> {
        Params::new(NAME, cfg, &[])?;
        let setup = Setup::new(NAME, cfg, 10.0)?;
        Ok(PulseDecisionMaking {
            spec: make_spec(
                NAME,
                &setup,
                names(&["fixation", "pulse1", "pulse2"]),
                choice_names(2),
                &["ground_truth", "n1", "n2", "evidence"],
                Some("evidence"),
                &["perceptual", "accumulation", "two-alternative", "supervised", "neurogym"],
                "Scott, Constantinople, Erlich, Tank & Brody (2015) Sources of noise during accumulation of evidence in unrestrained and voluntarily head-restrained rats. eLife 4:e11308",
                "Count brief pulses on two channels and report the side with more.",
            ),
            setup,
        })
    }
}

impl PulseDecisionMaking {
    /// Draw a condition.
    pub fn sample(&self, rng: &mut Rng) -> PulseCondition {
        let p = if rng.bernoulli(0.5) {
            [0.7, 0.3]
        } else {
            [0.3, 0.7]
        };
        let mut pulses = [[false; 2]; N_BIN];
        for bin in pulses.iter_mut() {
            *bin = [rng.bernoulli(p[0]), rng.bernoulli(p[1])];
        }
        let n1 = pulses.iter().filter(|b| b[0]).count() as f64;
        let n2 = pulses.iter().filter(|b| b[1]).count() as f64;
        let ground_truth = if n1 < n2 + rng.uniform_range(-0.1, 0.1) {
            2
        } else {
            1
        };
        let mut tl = self.setup.timeline();
        tl.push("fixation", 500.0);
        for i in 0..N_BIN {
            tl.push(&format!("cue_{i}"), 10.0);
            tl.push(&format!("bin_{i}"), 240.0);
        }
        tl.push("decision", 500.0);
        PulseCondition {
            pulses,
            ground_truth,
            timeline: tl,
        }
    }

    /// Render a condition.
    pub fn render(&self, c: &PulseCondition, _rng: &mut Rng) -> Trial {
        let tl = &c.timeline;
        let dec = tl.range("decision");
        let mut cv = Canvas::new(tl.clone(), 3, 3);
        cv.set(0..dec.start, 0, 1.0);
        for (i, bin) in c.pulses.iter().enumerate() {
            let cue = tl.range(&format!("cue_{i}"));
            for (k, &on) in bin.iter().enumerate() {
                if on {
                    cv.set(cue.clone(), 1 + k, 1.0);
                }
            }
        }
        cv.class(dec.clone(), c.ground_truth);
        cv.respond_from(dec.start);
        let n1 = c.pulses.iter().filter(|b| b[0]).count() as i64;
        let n2 = c.pulses.iter().filter(|b| b[1]).count() as i64;
        let labels = Labels::new()
            .int("ground_truth", c.ground_truth)
            .int("n1", n1)
            .int("n2", n2)
            .float("evidence", (n1 - n2) as f64);
        cv.finish(&self.setup, labels)
    }
}

impl_task!(PulseDecisionMaking);
