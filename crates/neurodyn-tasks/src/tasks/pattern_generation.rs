//! PatternGeneration: after a brief cue, produce a periodic signal on one output, with no further
//! input — Sussillo & Abbott 2009's first FORCE example (*Neuron* 63:544), here triggered by a cue
//! so that every trial starts from rest.
//!
//! ```text
//!  period   | cue 50 | produce duration_ms                                   |
//!  cue      | 1      | 0                                                     |
//!  target   | 0      | A·[sin ωτ + ½ sin 2ωτ + ¼ sin 3ωτ],  τ = time since cue offset |
//! ```
//! ω = 2π·`freq_hz`. One input (`cue`) and one continuous output (`pattern`); every step counts
//! in the loss. Parameters: `freq_hz` (1), `amplitude` A (0.8), `cue_ms` (50, at least one step),
//! `duration_ms` (10000: ten periods, so that FORCE learns the cycle itself and not one
//! transient from rest). Default dt 5 ms. Trials are all the same (nothing is drawn); labels:
//! none. The task's recipe trains it with FORCE (a chaotic tanh network whose readout alone
//! learns, its output fed back), the way the pattern was first learned.
//!
//! No neurogym counterpart: `compat` changes nothing.

use super::prelude::*;

/// The PatternGeneration task.
pub struct PatternGeneration {
    spec: TaskSpec,
    setup: Setup,
    freq_hz: f64,
    amplitude: f64,
    cue_ms: f64,
    duration_ms: f64,
}

const NAME: &str = "PatternGeneration";

impl FromConfig for PatternGeneration {
    fn from_config(cfg: &TaskConfig) -> Result<Self, TaskError> {
        let p = Params::new(
            NAME,
            cfg,
            &["freq_hz", "amplitude", "cue_ms", "duration_ms"],
        )?;
        let setup = Setup::new(NAME, cfg, 5.0)?;
        let duration_ms = p.nonneg("duration_ms", 10_000.0)?;
        if duration_ms < setup.dt_ms {
            return Err(TaskError::InvalidParam {
                task: NAME.into(),
                key: "duration_ms".into(),
                message: format!("must be at least one step (dt = {} ms)", setup.dt_ms),
            });
        }
        let freq_hz = p.nonneg("freq_hz", 1.0)?;
        // Three harmonics need at least four steps per period of the fastest.
        if !(freq_hz > 0.0 && 3.0 * freq_hz * setup.dt_ms / 1000.0 <= 0.25) {
            return Err(TaskError::InvalidParam {
                task: NAME.into(),
                key: "freq_hz".into(),
                message: format!(
                    "must be > 0 and at most {} Hz at dt = {} ms (4 steps per period of the \
                     third harmonic)",
                    250.0 / (3.0 * setup.dt_ms),
                    setup.dt_ms
                ),
            });
        }
        let mut spec = make_spec(
            NAME,
            &setup,
            names(&["cue"]),
            names(&["pattern"]),
            &[],
            None,
            &["timing", "continuous", "supervised"],
            "Sussillo & Abbott (2009) Generating coherent patterns of activity from chaotic neural networks. Neuron 63:544",
            "After a brief cue, produce a periodic signal (three harmonics) with no further input.",
        );
        spec.categorical = false;
        Ok(PatternGeneration {
            spec,
            freq_hz,
            amplitude: p.nonneg("amplitude", 0.8)?,
            cue_ms: p.nonneg("cue_ms", 50.0)?,
            duration_ms,
            setup,
        })
    }
}

impl PatternGeneration {
    /// The target `time_ms` after the cue's offset.
    pub fn pattern(&self, time_ms: f64) -> f64 {
        let w = 2.0 * PI * self.freq_hz * time_ms / 1000.0;
        self.amplitude * (w.sin() + 0.5 * (2.0 * w).sin() + 0.25 * (3.0 * w).sin())
    }

    /// The (only) trial.
    pub fn render(&self) -> Trial {
        let mut tl = self.setup.timeline();
        let cue_steps = tl.steps_for(self.cue_ms).max(1);
        let cue = tl.push_steps("cue", cue_steps, self.cue_ms);
        let produce = tl.push("produce", self.duration_ms);
        let dt = self.setup.dt_ms;
        let mut cv = Canvas::continuous(tl, 1, 1);
        cv.set(cue, 0, 1.0);
        for (k, t) in produce.clone().enumerate() {
            cv.value(t..t + 1, 0, self.pattern(k as f64 * dt) as f32);
        }
        cv.finish(&self.setup, Labels::new())
    }
}

impl crate::task::Task for PatternGeneration {
    fn spec(&self) -> &TaskSpec {
        &self.spec
    }
    fn trial(&self, _rng: &mut Rng) -> Trial {
        self.render()
    }
}
