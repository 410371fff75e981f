//! ReadySetGo (neurogym `ReadySetGo-v0`): measure an interval between two flashes and reproduce it.
//! Sohn, Narain, Meirhaeghe & Jazayeri 2019, *Neuron* 103:934 (after Jazayeri & Shadlen 2010).
//!
//! ```text
//!  period   | fixation 100 | ready 83 | measure U(800,1500) (rest) | set 83 | production 2·gain·measure |
//!  fixation | 1            | 1        | 1                          | 1      | 0                         |
//!  ready    | 0            | 1        | 0                          | 0      | 0                         |
//!  set      | 0            | 0        | 0                          | 1      | 0                         |
//!  target   | 0 ……………………………………………………………………………………………………………………… | 1 on one step, 0 elsewhere  |
//! ```
//! neurogym's `measure` starts at the end of fixation and overlaps `ready`; the tiling used here is
//! fixation, ready, measure (its part after ready), set, production. Default dt 80 ms. Inputs 3,
//! outputs 2. Parameter `gain` (1). Labels: `measure_ms` (floored), `production_ms`.
//!
//! Deviations from neurogym 2.3.1:
//! - The 83 ms ready/set cues keep ≥ 1 step at any dt; neurogym floors them to 0 at dt = 100, so
//!   the cues vanish and the task cannot be solved. (`compat = "neurogym"` floors them.)
//! - neurogym's target step is `production` after the **offset** of set, while its reward (and the
//!   paper) measure the produced interval from the set **onset**. By default the target is
//!   `production` after the set onset; `compat = "neurogym"` uses the set offset.

use super::prelude::*;

/// The ReadySetGo task.
pub struct ReadySetGo {
    spec: TaskSpec,
    setup: Setup,
    gain: f64,
    measure: Duration,
}

/// One condition.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadySetGoCondition {
    /// The measured interval in ms, floored to dt.
    pub measure_ms: f64,
    /// Periods (tiled as documented).
    pub timeline: Timeline,
}

const NAME: &str = "ReadySetGo";

impl FromConfig for ReadySetGo {
    fn from_config(cfg: &TaskConfig) -> Result<Self, TaskError> {
        let p = Params::new(NAME, cfg, &["gain"])?;
        let setup = Setup::new(NAME, cfg, 80.0)?;
        Ok(ReadySetGo {
            spec: make_spec(
                NAME,
                &setup,
                names(&["fixation", "ready", "set"]),
                names(&["wait", "go"]),
                &["measure_ms", "production_ms"],
                None,
                &["timing", "go/no-go", "supervised", "neurogym"],
                "Sohn, Narain, Meirhaeghe & Jazayeri (2019) Bayesian computation through cortical latent dynamics. Neuron 103:934",
                "Measure the ready–set interval and respond the same interval (× gain) after set.",
            ),
            gain: p.nonneg("gain", 1.0)?,
            measure: Duration::Uniform { lo: 800.0, hi: 1500.0 },
            setup,
        })
    }
}

impl ReadySetGo {
    /// Draw a condition.
    pub fn sample(&self, rng: &mut Rng) -> ReadySetGoCondition {
        let mut tl = self.setup.timeline();
        let dt = self.setup.dt_ms;
        tl.push("fixation", 100.0);
        let ready = tl.push("ready", 83.0).len();
        let m_steps = tl.steps_for(self.measure.sample(rng)).max(ready);
        let measure_ms = m_steps as f64 * dt;
        tl.push_steps("measure", m_steps - ready, measure_ms);
        tl.push("set", 83.0);
        let production = measure_ms * self.gain;
        let n_prod = ((2.0 * production) / dt + 1e-9).floor() as usize;
        tl.push_steps("production", n_prod.max(1), 2.0 * production);
        ReadySetGoCondition {
            measure_ms,
            timeline: tl,
        }
    }

    /// Render a condition.
    pub fn render(&self, c: &ReadySetGoCondition, _rng: &mut Rng) -> Trial {
        let tl = &c.timeline;
        let (ready, set, prod) = (tl.range("ready"), tl.range("set"), tl.range("production"));
        let production = c.measure_ms * self.gain;
        let mut cv = Canvas::new(tl.clone(), 3, 2);
        cv.set(0..prod.start, 0, 1.0);
        cv.set(ready, 1, 1.0);
        cv.set(set.clone(), 2, 1.0);
        let k = (production / self.setup.dt_ms + 1e-9).floor() as usize;
        let at = if self.setup.neurogym() {
            set.end + k
        } else {
            set.start + k
        };
        if at < prod.end {
            cv.class(at..at + 1, 1);
        }
        cv.respond_from(prod.start);
        let labels = Labels::new()
            .float("measure_ms", c.measure_ms)
            .float("production_ms", production);
        cv.finish(&self.setup, labels)
    }
}

impl_task!(ReadySetGo);
