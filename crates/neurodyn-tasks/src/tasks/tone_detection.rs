//! ToneDetection (neurogym `ToneDetection-v0`): detect a brief tone in noise and report when it
//! came. Cf. Gilad-Gutnick, Ofen … (neurogym's "tone detection" task).
//!
//! ```text
//!  period   | stimulus 2000 ms                                              |
//!  tone     | ξ ………… 1+ξ (50 ms at 500 / 1000 / 1500 ms, or none) ………… ξ   |
//!  target   | 0 until the tone onset, then the condition (1/2/3); 0 on no-tone trials |
//! ```
//! ξ ~ N(0, (0.2·σ)²/dt) over the whole trial. Default dt 50 ms. Inputs 1, outputs 4. Labels:
//! `ground_truth` (condition 0–3). Parameter `sigma` (1).
//!
//! Deviations from neurogym 2.3.1:
//! - neurogym labels **every** step with the condition, including the steps before the tone,
//!   which no causal network can know; by default the label is 0 until the tone onset and the
//!   condition from then on. `compat = "neurogym"` labels every step.
//! - neurogym refuses dt > 50 (the tone would vanish); by default any dt works and the tone keeps
//!   ≥ 1 step. With `compat = "neurogym"` dt > 50 is an error.

use super::prelude::*;

/// The ToneDetection task.
pub struct ToneDetection {
    spec: TaskSpec,
    setup: Setup,
    sigma: f64,
}

/// One condition.
#[derive(Clone, Debug, PartialEq)]
pub struct ToneCondition {
    /// 0 = no tone, k = tone at k·500 ms.
    pub condition: usize,
    /// Periods.
    pub timeline: Timeline,
}

const NAME: &str = "ToneDetection";

impl FromConfig for ToneDetection {
    fn from_config(cfg: &TaskConfig) -> Result<Self, TaskError> {
        let p = Params::new(NAME, cfg, &["sigma"])?;
        let setup = Setup::new(NAME, cfg, 50.0)?;
        if setup.neurogym() && setup.dt_ms > 50.0 {
            return Err(TaskError::InvalidDt {
                task: NAME.into(),
                dt_ms: setup.dt_ms,
                message: "neurogym's ToneDetection needs dt ≤ 50 ms (the 50 ms tone would vanish); use compat = \"default\" to keep it one step long".into(),
            });
        }
        Ok(ToneDetection {
            spec: make_spec(
                NAME,
                &setup,
                names(&["tone"]),
                names(&["none", "tone at 500 ms", "tone at 1000 ms", "tone at 1500 ms"]),
                &["ground_truth"],
                None,
                &["perceptual", "detection", "supervised", "neurogym"],
                "neurogym ToneDetection-v0 (Molano-Mazón et al. 2022, NeuroGym: an open resource for developing and sharing neuroscience tasks)",
                "Detect a brief tone in noise and report when it occurred.",
            ),
            sigma: p.nonneg("sigma", 1.0)?,
            setup,
        })
    }
}

impl ToneDetection {
    /// Draw a condition.
    pub fn sample(&self, rng: &mut Rng) -> ToneCondition {
        let condition = rng.below(4) as usize;
        let mut timeline = self.setup.timeline();
        timeline.push("stimulus", 2000.0);
        ToneCondition {
            condition,
            timeline,
        }
    }

    /// Render a condition.
    pub fn render(&self, c: &ToneCondition, rng: &mut Rng) -> Trial {
        let tl = &c.timeline;
        let n = tl.n_steps();
        let mut cv = Canvas::new(tl.clone(), 1, 4);
        let gt = c.condition as i64;
        if c.condition > 0 {
            let onset = tl.steps_for(500.0 * c.condition as f64).min(n);
            let width = tl.steps_for(50.0);
            cv.set(onset..(onset + width).min(n), 0, 1.0);
            cv.class(
                if self.setup.neurogym() {
                    0..n
                } else {
                    onset..n
                },
                gt,
            );
            cv.respond_from(onset);
        }
        cv.noise(0..n, 0..1, self.setup.noise_sd(0.2 * self.sigma), rng);
        cv.finish(&self.setup, Labels::new().int("ground_truth", gt))
    }
}

impl_task!(ToneDetection);
