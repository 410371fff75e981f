//! OneTwoThreeGo (neurogym `OneTwoThreeGo-v0`): three flashes separated by one interval; respond
//! after the same interval. Egger, Remington, Chang & Jazayeri 2019, *Nat Neurosci* 22:1871.
//!
//! ```text
//!  period   | fixation TE(400,100,800) | target TE(1000,500,1500) | s1 100 | I | s2 100 | I | s3 100 | I | response 1000 |
//!  fixation | 1 over the whole trial                                                                                   |
//!  stimulus | 0                        | 0                        | 1      | 0 | 1      | 0 | 1      | 0 | 0             |
//!  target   | 0                        | 1 ………………………………………………………………………………………………………………………………………………………… |
//!  output   | 0 …………………………………………………………………………………………………………………………………………………………………………… | 1             |
//! ```
//! `I ∈ {600, 700, 800, 900, 1000}` ms, the same for the three intervals. Default dt 80 ms. Inputs
//! 3, outputs 2. Labels: `interval_ms`.
//!
//! Deviations from neurogym 2.3.1: none (the fixation input is on throughout, as the response
//! time itself is what the network must produce).

use super::prelude::*;

/// The OneTwoThreeGo task.
pub struct OneTwoThreeGo {
    spec: TaskSpec,
    setup: Setup,
}

/// One condition.
#[derive(Clone, Debug, PartialEq)]
pub struct OneTwoThreeGoCondition {
    /// The interval (ms).
    pub interval_ms: f64,
    /// Periods.
    pub timeline: Timeline,
}

const NAME: &str = "OneTwoThreeGo";

impl FromConfig for OneTwoThreeGo {
    fn from_config(cfg: &TaskConfig) -> Result<Self, TaskError> {
        Params::new(NAME, cfg, &[])?;
        let setup = Setup::new(NAME, cfg, 80.0)?;
        Ok(OneTwoThreeGo {
            spec: make_spec(
                NAME,
                &setup,
                names(&["fixation", "stimulus", "target"]),
                names(&["wait", "go"]),
                &["interval_ms"],
                None,
                &["timing", "supervised", "neurogym"],
                "Egger, Remington, Chang & Jazayeri (2019) Internal models of sensorimotor integration regulate cortical dynamics. Nat Neurosci 22:1871",
                "Three flashes mark a rhythm; respond one interval after the third.",
            ),
            setup,
        })
    }
}

impl OneTwoThreeGo {
    /// Draw a condition.
    pub fn sample(&self, rng: &mut Rng) -> OneTwoThreeGoCondition {
        let mut tl = self.setup.timeline();
        tl.push_sampled(
            "fixation",
            &Duration::TruncExp {
                mean: 400.0,
                min: 100.0,
                max: 800.0,
            },
            rng,
        );
        tl.push_sampled(
            "target",
            &Duration::TruncExp {
                mean: 1000.0,
                min: 500.0,
                max: 1500.0,
            },
            rng,
        );
        let interval_ms = *rng.choose(&[600.0, 700.0, 800.0, 900.0, 1000.0]);
        for (s, i) in [
            ("s1", "interval1"),
            ("s2", "interval2"),
            ("s3", "interval3"),
        ] {
            tl.push(s, 100.0);
            tl.push(i, interval_ms);
        }
        tl.push("response", 1000.0);
        OneTwoThreeGoCondition {
            interval_ms,
            timeline: tl,
        }
    }

    /// Render a condition.
    pub fn render(&self, c: &OneTwoThreeGoCondition, _rng: &mut Rng) -> Trial {
        let tl = &c.timeline;
        let n = tl.n_steps();
        let mut cv = Canvas::new(tl.clone(), 3, 2);
        cv.set(0..n, 0, 1.0);
        cv.set(tl.range("target").start..n, 2, 1.0);
        for s in ["s1", "s2", "s3"] {
            cv.set(tl.range(s), 1, 1.0);
        }
        let resp = tl.range("response");
        cv.class(resp.clone(), 1);
        cv.respond_from(resp.start);
        cv.finish(
            &self.setup,
            Labels::new().float("interval_ms", c.interval_ms),
        )
    }
}

impl_task!(OneTwoThreeGo);
